// Models side by side on the same test patients (?ids=1,2[,..][&version=N]): pooled metrics,
// nerve IoU per patient, and each model's paired difference against the first with its interval
// (or the API's sentence when there are too few patients for one). Errors as their sentence.
import { api, el } from "../http.js";
import { patientChart } from "./charts.js";
import { archLabel, comparePatients, num, signed, withInterval } from "./format.js";

const root = document.getElementById("compare");
const slug = root.dataset.project;
const $ = (name) => document.getElementById(name);
const versionNumbers = JSON.parse($("version-numbers").textContent);
const modelLink = (m) => el("a", { href: `/projects/${slug}/models/${m.id}/` }, `Model ${m.number}`);

function pooledRow(m) {
  return el(
    "tr",
    { dataset: { model: String(m.id) } },
    el("td", { class: "nowrap" }, modelLink(m)),
    el("td", {}, archLabel(m.arch)),
    el("td", {}, num(m.pooled.miou_bg)),
    el("td", {}, num(m.pooled.nerve_iou)),
    el("td", {}, num(m.pooled.nerve_dice)),
    el("td", {}, withInterval(m.summary)),
  );
}

function differenceBlock(d, byId) {
  const model = byId.get(d.model);
  const ref = byId.get(d.reference);
  const title = `Model ${model.number} − model ${ref.number}`;
  const lines = [
    el("strong", {}, `${title}: `),
    `mean ${signed(d.mean)} nerve IoU over ${d.n} patient${d.n === 1 ? "" : "s"}`,
  ];
  if (Number.isFinite(d.ci_low) && Number.isFinite(d.ci_high)) {
    lines.push(`; 95% interval [${signed(d.ci_low)}, ${signed(d.ci_high)}]`);
    const verdict =
      d.ci_low > 0
        ? `model ${model.number} is better on these patients.`
        : d.ci_high < 0
          ? `model ${ref.number} is better on these patients.`
          : "the interval contains 0: no difference shown.";
    lines.push(el("div", { class: "hint" }, `Paired bootstrap over patients: ${verdict}`));
  } else {
    lines.push(".");
    if (d.note) lines.push(el("div", { class: "note", "data-testid": "note" }, d.note));
  }
  return el("div", { class: "difference", dataset: { model: String(d.model) } }, ...lines);
}

function render(data) {
  const models = data.models;
  const byId = new Map(models.map((m) => [m.id, m]));
  const codes = comparePatients(models);
  const ref = models[0];
  const version = versionNumbers[String(data.version)];
  $("intro").textContent =
    `${models.length} models on the ${codes.length} test patients of dataset version v${version ?? data.version}, ` +
    `each against model ${ref.number} (the first chosen), paired by patient.`;
  $("pooled").replaceChildren(...models.map(pooledRow));
  $("differences").replaceChildren(...data.differences.map((d) => differenceBlock(d, byId)));
  const diffs = data.differences.map((d) => [d, byId.get(d.model)]);
  $("patients-head").replaceChildren(
    el(
      "tr",
      {},
      el("th", {}, "Patient"),
      ...models.map((m) => el("th", {}, `Model ${m.number}`)),
      ...diffs.map(([, m]) => el("th", {}, `Δ ${m.number} − ${ref.number}`)),
    ),
  );
  $("patients").replaceChildren(
    ...codes.map((code) =>
      el(
        "tr",
        { dataset: { patient: code } },
        el("td", { class: "mono" }, code),
        ...models.map((m) => el("td", {}, num(m.per_patient[code]))),
        ...diffs.map(([d]) => el("td", {}, signed(d.differences?.[code]))),
      ),
    ),
  );
  $("result").hidden = false;
  patientChart($("patient-chart"), codes, models);
}

async function load() {
  const params = new URLSearchParams(window.location.search);
  const query = new URLSearchParams({ ids: params.get("ids") || "" });
  if (params.get("version")) query.set("version", params.get("version"));
  render(await api("GET", `/api/v1/projects/${slug}/models/compare/?${query}`));
}

load().catch((e) => {
  $("error").textContent = e.message || String(e);
});
