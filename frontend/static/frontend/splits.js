// Split manager: patients grouped by split, multi-select move, totals against target ratios,
// auto-assign, leakage findings with thumbnails, freeze, versions, diff and exports.
// User data is only ever inserted as text (el() appends strings as text nodes).
import { api, el } from "./http.js";

const root = document.getElementById("splits");
const slug = root.dataset.project;
const canWrite = root.dataset.canWrite === "1";
const canExport = root.dataset.canExport === "1";
const SPLITS = ["train", "val", "test", "unassigned"];
const LABELS = { train: "Train", val: "Validation", test: "Test", unassigned: "Unassigned" };
const FORMATS = [
  ["layout_v1", "layout v1"],
  ["coco", "COCO"],
  ["masks", "PNG masks"],
  ["cvat", "CVAT XML"],
];
const selected = new Set();
let overview = null;

const $ = (id) => document.getElementById(id);
const showError = (err) => {
  $("error").textContent = err ? err.message : "";
};

function ratios() {
  return ["train", "val", "test"].map((s) => Math.max(0, Number($(`ratio-${s}`).value) || 0));
}

function renderChart() {
  const r = ratios();
  const sum = r.reduce((a, b) => a + b, 0) || 1;
  const totals = overview.totals;
  const approved = ["train", "val", "test"].reduce((a, s) => a + totals[s].approved, 0) || 1;
  const rows = ["train", "val", "test"].map((s, i) => {
    const share = totals[s].approved / approved;
    const target = r[i] / sum;
    const track = el(
      "div",
      { class: "track" },
      el("div", { class: "fill", style: `width:${(share * 100).toFixed(1)}%` }),
      el("div", { class: "target", style: `left:${(target * 100).toFixed(1)}%`, title: "target" }),
    );
    return el(
      "div",
      { class: "bar-row", dataset: { split: s } },
      el("span", {}, LABELS[s]),
      track,
      el("span", {}, `${(share * 100).toFixed(1)}% (target ${(target * 100).toFixed(0)}%)`),
    );
  });
  $("chart").replaceChildren(...rows);
  $("totals").replaceChildren(
    ...SPLITS.map((s) =>
      el(
        "span",
        { dataset: { split: s } },
        `${LABELS[s]}: ${totals[s].patients} patients, ${totals[s].frames} frames, ${totals[s].approved} approved`,
      ),
    ),
  );
}

function patientRow(p) {
  const text =
    `${p.code} · ${p.videos} video${p.videos === 1 ? "" : "s"} · ${p.frames} frame${p.frames === 1 ? "" : "s"} · ${p.approved} approved · ` +
    `nerve ${(p.nerve_share * 100).toFixed(1)}%${p.test_evaluated ? " · evaluated" : ""}`;
  if (!canWrite) return el("label", { dataset: { code: p.code } }, text);
  const box = el("input", { type: "checkbox", value: String(p.id), "aria-label": `select ${p.code}` });
  box.checked = selected.has(p.id);
  box.addEventListener("change", () => {
    if (box.checked) selected.add(p.id);
    else selected.delete(p.id);
    $("selected-count").textContent = `${selected.size} selected`;
  });
  return el("label", { dataset: { code: p.code } }, box, " ", text);
}

function renderGroups() {
  $("groups").replaceChildren(
    ...SPLITS.map((s) => {
      const rows = overview.patients.filter((p) => p.split === s);
      return el(
        "div",
        { class: "split-group", dataset: { split: s }, "data-testid": `group-${s}` },
        el("h3", {}, `${LABELS[s]} (${rows.length})`),
        ...rows.map(patientRow),
      );
    }),
  );
  if (canWrite) $("selected-count").textContent = `${selected.size} selected`;
}

async function loadOverview() {
  overview = await api("GET", `/api/v1/projects/${slug}/splits/`);
  renderGroups();
  renderChart();
}

function thumb(id) {
  return el(
    "a",
    { href: `/api/v1/frames/${id}/image/`, target: "_blank", rel: "noopener" },
    el("img", { src: `/api/v1/frames/${id}/image/?size=thumb`, alt: `frame ${id}`, loading: "lazy" }),
  );
}

async function loadFindings() {
  const data = await api("GET", `/api/v1/projects/${slug}/leakage/`);
  if (!data.findings.length) {
    $("findings").replaceChildren(el("p", { class: "hint" }, "No findings."));
    return;
  }
  $("findings").replaceChildren(
    ...data.findings.map((f) => {
      const box = el(
        "div",
        { class: `finding ${f.severity}`, dataset: { kind: f.kind } },
        el("strong", {}, f.severity === "blocking" ? "Blocking: " : "Warning: "),
        f.message,
      );
      if (f.pairs.length) {
        box.append(
          el(
            "div",
            {},
            ...f.pairs
              .slice(0, 24)
              .map(([a, b]) => el("span", { class: "pair", "data-testid": "pair" }, thumb(a), thumb(b))),
          ),
        );
      }
      return box;
    }),
  );
}

function versionRow(v) {
  const per = ["train", "val", "test"].map((s) => `${s} ${v.stats.splits[s].frames}`).join(" · ");
  const cells = [
    el("td", {}, String(v.number)),
    el("td", {}, v.name || ""),
    el("td", {}, String(v.frame_count)),
    el("td", {}, per),
    el("td", { class: "mono", title: v.checksum }, v.checksum.slice(0, 12)),
    el("td", {}, new Date(v.created_at).toLocaleString()),
  ];
  const actions = el("td", {});
  if (canExport) {
    const select = el(
      "select",
      { "aria-label": `export format for version ${v.number}` },
      ...FORMATS.map(([value, label]) => el("option", { value }, label)),
    );
    const go = el("button", { type: "button" }, "Export");
    const status = el("span", { class: "hint", "data-testid": `export-status-${v.number}` });
    go.addEventListener("click", () =>
      startExport(v, select.value, status).catch((e) => {
        status.textContent = e.message;
      }),
    );
    actions.append(select, " ", go, " ", status);
  }
  cells.push(actions);
  return el("tr", { dataset: { version: String(v.id) } }, ...cells);
}

async function startExport(version, format, status) {
  let exp = await api("POST", `/api/v1/versions/${version.id}/exports/`, { json: { format } });
  while (exp.status === "queued" || exp.status === "running") {
    status.textContent = `${exp.status} ${Math.round((exp.progress || 0) * 100)}% ${exp.message || ""}`;
    await new Promise((r) => setTimeout(r, 1000));
    exp = await api("GET", `/api/v1/exports/${exp.id}/`);
  }
  if (exp.download_url) {
    status.replaceChildren(el("a", { href: exp.download_url, "data-testid": "download" }, `Download ${format} zip`));
  } else {
    status.textContent = `${exp.status}: ${exp.error || ""}`;
  }
}

async function loadVersions() {
  const versions = await api("GET", `/api/v1/projects/${slug}/versions/`);
  $("versions").replaceChildren(...versions.map(versionRow));
  for (const id of ["diff-old", "diff-new"]) {
    $(id).replaceChildren(...versions.map((v) => el("option", { value: String(v.id) }, `v${v.number}`)));
  }
  if (versions.length > 1) $("diff-old").value = String(versions[1].id);
}

async function refresh() {
  await Promise.all([loadOverview(), loadFindings(), loadVersions()]);
}

async function showDiff() {
  const d = await api("GET", `/api/v1/versions/${$("diff-old").value}/diff/${$("diff-new").value}/`);
  const moved = d.moved_patients.map((m) => `${m.patient}: ${m.from} -> ${m.to}`).join(", ") || "none";
  $("diff-out").textContent =
    `v${d.old} -> v${d.new}: ${d.counts.added} frames added, ` +
    `${d.counts.removed} removed, ${d.counts.changed} changed; patients moved: ${moved}` +
    (d.same_content ? " (same content)" : "");
}

async function moveSelected() {
  overview = await api("POST", `/api/v1/projects/${slug}/splits/move/`, {
    json: {
      patients: [...selected],
      split: $("move-to").value,
      confirm_contamination: $("confirm-contamination").checked,
      reason: $("move-reason").value,
    },
  });
  selected.clear();
  renderGroups();
  renderChart();
  await loadFindings();
}

async function autoAssign() {
  await api("POST", `/api/v1/projects/${slug}/splits/auto-assign/`, {
    json: {
      ratios: ratios(),
      seed: Number($("seed").value) || 0,
      include_assigned: $("include-assigned").checked,
      apply: true,
    },
  });
  await refresh();
}

async function freeze() {
  await api("POST", `/api/v1/projects/${slug}/versions/`, {
    json: {
      name: $("version-name").value,
      override_reason: $("override-reason").value,
    },
  });
  await loadVersions();
}

// A button's action: clears the last error first, and shows its own.
function guarded(action) {
  return async () => {
    showError(null);
    try {
      await action();
    } catch (e) {
      showError(e);
    }
  };
}

function wire() {
  for (const s of ["train", "val", "test"]) $(`ratio-${s}`).addEventListener("input", () => overview && renderChart());
  $("diff").addEventListener("click", () => showDiff().catch(showError));
  if (!canWrite) return;
  $("move").addEventListener("click", guarded(moveSelected));
  $("auto-assign").addEventListener("click", guarded(autoAssign));
  $("freeze").addEventListener("click", guarded(freeze));
}

wire();
refresh().catch(showError);
