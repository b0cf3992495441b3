// Split manager: patients grouped by split, multi-select move, totals against target ratios,
// auto-assign (previewed, applied on confirmation), leakage findings with thumbnails and links
// to the patients involved, freeze, versions, diff and exports.
// User data is only ever inserted as text (el() appends strings as text nodes).
import { ApiError, api, el, request } from "./http.js";

const root = document.getElementById("splits");
const slug = root.dataset.project;
const canWrite = root.dataset.canWrite === "1";
const canExport = root.dataset.canExport === "1";
const canMerge = root.dataset.canMerge === "1";
const SPLITS = ["train", "val", "test", "unassigned"];
const LABELS = { train: "Train", val: "Validation", test: "Test", unassigned: "Unassigned" };
const FORMATS = [
  ["layout_v1", "layout v1"],
  ["coco", "COCO"],
  ["masks", "PNG masks"],
  ["cvat", "CVAT XML"],
];
// Findings that mean one recording under two patients: merging the two resolves them.
const SAME_RECORDING = new Set(["same_video_file", "same_video_content"]);
const selected = new Set();
let overview = null;
let preview = null; // the auto-assign plan shown, with the request that made it

const $ = (id) => document.getElementById(id);
// One line for the outcome of the last action: an error, or what was done. Each action clears
// both first, so an old message never stands beside a later success.
function say(id, text) {
  $(id).textContent = text || "";
  $(id).hidden = !text;
}
const showError = (err) => say("error", err ? err.message : "");
const showNotice = (text) => say("notice", text);

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

const patientUrl = (code) => `/projects/${encodeURIComponent(slug)}/patients/${encodeURIComponent(code)}/`;

function patientRow(p) {
  const text =
    ` · ${p.videos} video${p.videos === 1 ? "" : "s"} · ${p.frames} frame${p.frames === 1 ? "" : "s"} · ${p.approved} approved · ` +
    `nerve ${(p.nerve_share * 100).toFixed(1)}%${p.test_evaluated ? " · evaluated" : ""}`;
  const link = el("a", { href: patientUrl(p.code) }, p.code);
  if (!canWrite) return el("label", { dataset: { code: p.code } }, link, text);
  const box = el("input", { type: "checkbox", value: String(p.id), "aria-label": `select ${p.code}` });
  box.checked = selected.has(p.id);
  box.addEventListener("change", () => {
    if (box.checked) selected.add(p.id);
    else selected.delete(p.id);
    $("selected-count").textContent = `${selected.size} selected`;
  });
  return el("label", { dataset: { code: p.code } }, box, " ", link, text);
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

// "Merge A into B": A's videos move to B (the patients API refuses what would break a frozen
// version, with its reason).
function mergeButton(from, into) {
  const button = el("button", { type: "button", "data-testid": "merge" }, `Merge ${from} into ${into}…`);
  button.addEventListener(
    "click",
    guarded(async () => {
      if (!overview) await loadOverview(); // the findings can arrive before the overview
      const ids = new Map(overview.patients.map((p) => [p.code, p.id]));
      if (!ids.has(from) || !ids.has(into)) throw new Error("Reload the page: these patients changed.");
      const ok = window.confirm(
        `Move every video of ${from} into ${into}, and delete ${from}? The merge is audited and cannot be undone here.`,
      );
      if (!ok) return;
      await api("POST", `/api/v1/patients/${ids.get(from)}/merge/`, { json: { into: ids.get(into) } });
      await refresh();
      showNotice(`Merged ${from} into ${into}.`);
    }),
  );
  return button;
}

function findingPatients(f) {
  if (!f.patients.length) return null;
  const links = f.patients.map((code) =>
    el("a", { href: patientUrl(code), "data-testid": "finding-patient", class: "mono" }, code),
  );
  const line = el("div", {}, f.patients.length === 1 ? "Patient: " : "Patients: ");
  links.forEach((a, i) => {
    line.append(...(i ? [", ", a] : [a]));
  });
  if (canMerge && SAME_RECORDING.has(f.kind) && f.patients.length === 2) {
    const [a, b] = f.patients;
    line.append(" ", mergeButton(b, a), " ", mergeButton(a, b));
  }
  return line;
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
        { class: `finding ${f.severity}`, dataset: { kind: f.kind }, "data-testid": "finding" },
        el("strong", {}, f.severity === "blocking" ? "Blocking: " : "Warning: "),
        f.message,
      );
      const who = findingPatients(f);
      if (who) box.append(who);
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
    const go = el("button", { type: "button", "data-testid": `export-${v.number}` }, "Export");
    const status = el("span", { class: "hint", "data-testid": `export-status-${v.number}` });
    go.addEventListener(
      "click",
      guarded(async () => {
        // The last export's link goes at once: it is not the archive being made now.
        status.replaceChildren("starting…");
        go.disabled = true;
        try {
          await startExport(v, select.value, status);
        } catch (e) {
          status.textContent = e.message;
        } finally {
          go.disabled = false;
        }
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
  if (!$("diff-old").value || !$("diff-new").value) throw new Error("Freeze a version first.");
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
  const moved = selected.size;
  selected.clear();
  renderGroups();
  renderChart();
  await loadFindings();
  showNotice(`Moved ${moved} patient${moved === 1 ? "" : "s"} to ${LABELS[$("move-to").value]}.`);
}

function autoAssignBody() {
  return {
    ratios: ratios(),
    seed: Number($("seed").value) || 0,
    include_assigned: $("include-assigned").checked,
  };
}

function hidePreview() {
  preview = null;
  $("preview").hidden = true;
}

// Ask for the plan only (any member may); show it; apply only on confirmation.
async function previewAutoAssign() {
  hidePreview();
  const body = autoAssignBody();
  const plan = await api("POST", `/api/v1/projects/${slug}/splits/auto-assign/`, { json: { ...body, apply: false } });
  const current = new Map(overview.patients.map((p) => [p.code, p]));
  const codes = Object.keys(plan.moves).sort();
  $("preview-moves").replaceChildren(
    ...codes.map((code) => {
      const p = current.get(code);
      return el(
        "tr",
        { dataset: { code } },
        el("td", { class: "mono" }, code),
        el("td", {}, LABELS[p ? p.split : "unassigned"]),
        el("td", {}, LABELS[plan.moves[code]]),
        el("td", {}, String(p ? p.approved : 0)),
      );
    }),
  );
  const after = ["train", "val", "test"]
    .map((s) => `${LABELS[s]} ${plan.totals[s]} approved frames (target ${Math.round(plan.targets[s])})`)
    .join(" · ");
  $("preview-summary").textContent = codes.length
    ? `${codes.length} patient${codes.length === 1 ? "" : "s"} would move. After: ${after}.`
    : `Nothing to move: every patient is already where the plan puts it. ${after}.`;
  $("preview-apply").hidden = codes.length === 0;
  $("preview").hidden = false;
  preview = { body, moves: plan.moves };
}

async function applyAutoAssign() {
  if (!preview) return;
  // `expect_moves`: the server refuses (409) if the plan is no longer the one shown here.
  const { body, moves } = preview;
  let result;
  try {
    result = await api("POST", `/api/v1/projects/${slug}/splits/auto-assign/`, {
      json: { ...body, apply: true, expect_moves: moves },
    });
  } finally {
    hidePreview();
  }
  await refresh();
  const n = Object.keys(result.moves).length;
  showNotice(`Auto-assign moved ${n} patient${n === 1 ? "" : "s"}.`);
}

async function freeze() {
  const r = await request("POST", `/api/v1/projects/${slug}/versions/`, {
    json: {
      name: $("version-name").value,
      override_reason: $("override-reason").value,
    },
  });
  if (!r.ok) throw new ApiError(r.status, r.data);
  await loadVersions();
  const v = r.data;
  showNotice(
    r.status === 201
      ? `Froze version v${v.number}: ${v.frame_count} frames.`
      : `Nothing new to freeze: the dataset is the same as v${v.number}${v.name ? ` (${v.name})` : ""}, which stays as it was.`,
  );
}

// Every button's action: clears the last error and notice first, and shows its own.
function guarded(action) {
  return async () => {
    showError(null);
    showNotice("");
    try {
      await action();
    } catch (e) {
      showError(e);
    }
  };
}

function wire() {
  for (const s of ["train", "val", "test"]) $(`ratio-${s}`).addEventListener("input", () => overview && renderChart());
  $("diff").addEventListener("click", guarded(showDiff));
  if (!canWrite) return;
  $("move").addEventListener("click", guarded(moveSelected));
  $("auto-assign").addEventListener("click", guarded(previewAutoAssign));
  $("preview-apply").addEventListener("click", guarded(applyAutoAssign));
  $("preview-cancel").addEventListener("click", () => {
    hidePreview();
    showNotice("Auto-assign cancelled: nothing moved.");
  });
  for (const id of ["ratio-train", "ratio-val", "ratio-test", "seed", "include-assigned"]) {
    $(id).addEventListener("change", hidePreview); // the preview no longer matches the inputs
  }
  $("freeze").addEventListener("click", guarded(freeze));
}

wire();
refresh()
  .catch(showError)
  .finally(() => {
    $("splits").dataset.ready = "1"; // everything loaded and wired (tests wait for it)
  });
