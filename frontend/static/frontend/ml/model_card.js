// One model: validation and test metrics, the per-patient table with mean and 95% interval,
// its evaluations (polled while one runs), its training curves; Evaluate and Activate for
// `train` (activation asks first). The card itself is rendered by the server.
import { api, el } from "../http.js";
import { trainingCharts } from "./charts.js";
import { isActive, latestLine, METRIC_ROWS, num, PATIENT_METRICS, percent, when } from "./format.js";

const POLL_MS = 2000;
const root = document.getElementById("model-card");
const modelId = root.dataset.model;
const trainingId = root.dataset.training;
const canTrain = root.dataset.canTrain === "1";
const $ = (name) => document.getElementById(name);
let model = null;
let timer = null;

function showError(err) {
  $("error").textContent = err ? err.message || String(err) : "";
}

const RATES = new Set(["frame_fp_rate", "frame_fn_rate"]);

function metricValue(metrics, key, report) {
  if (!metrics) return "—";
  const value = metrics[key];
  if (key === "frames_per_second") return num(value, 1);
  if (RATES.has(key)) {
    const of = key === "frame_fp_rate" ? report?.frames_without_nerve : report?.frames_with_nerve;
    if (of === 0) return key === "frame_fp_rate" ? "— (no frame without nerve)" : "— (no frame with nerve)";
    const base = Number.isFinite(of) ? ` of ${of} frames` : "";
    return Number.isFinite(value) ? `${percent(value, 1)}${base}` : "—";
  }
  return num(value);
}

function renderMetrics(evaluation) {
  const val = model.val_metrics || {};
  const test = model.test_metrics;
  const report = evaluation?.report;
  $("val-head").textContent = Number.isFinite(val.epoch) ? `Validation (epoch ${val.epoch})` : "Validation";
  $("test-head").textContent = test ? `Test (${test.num_frames} frames, ${test.num_patients} patients)` : "Test";
  $("metrics").replaceChildren(
    ...METRIC_ROWS.map(([key, label]) =>
      el(
        "tr",
        { dataset: { metric: key } },
        el("th", { scope: "row" }, label),
        el("td", {}, metricValue(val, key, null)),
        el("td", {}, test ? metricValue(test, key, report) : el("span", { class: "hint" }, "not evaluated")),
      ),
    ),
  );
}

function renderPerPatient(evaluation) {
  const report = evaluation?.report;
  if (!report?.per_patient) {
    $("per-patient").replaceChildren(el("p", { class: "hint" }, "Not evaluated on the test split yet."));
    return;
  }
  const codes = Object.keys(report.per_patient).sort();
  const summary = report.per_patient_summary || {};
  const head = el("tr", {}, el("th", {}, "Patient"), ...PATIENT_METRICS.map(([, label]) => el("th", {}, label)));
  const rows = codes.map((code) =>
    el(
      "tr",
      { dataset: { patient: code } },
      el("td", { class: "mono" }, code),
      ...PATIENT_METRICS.map(([key]) => el("td", {}, num(report.per_patient[code][key]))),
    ),
  );
  const mean = el(
    "tr",
    { class: "summary", "data-testid": "patient-mean" },
    el("th", { scope: "row" }, "Mean over patients"),
    ...PATIENT_METRICS.map(([key]) => el("td", {}, num(summary[key]?.mean))),
  );
  const ci = el(
    "tr",
    { class: "summary", "data-testid": "patient-ci" },
    el("th", { scope: "row" }, "95% interval"),
    ...PATIENT_METRICS.map(([key]) => {
      const s = summary[key];
      return el("td", {}, s && Number.isFinite(s.ci_low) ? `${num(s.ci_low)} – ${num(s.ci_high)}` : "—");
    }),
  );
  const n = codes.length;
  const note =
    `Dataset version v${evaluation.dataset_version_number}, ${n} test patient${n === 1 ? "" : "s"}. ` +
    "The interval is a percentile bootstrap over patients" +
    (n < 5 ? `; with ${n} patient${n === 1 ? "" : "s"} it says little (at least 5 are needed).` : ".");
  $("per-patient").replaceChildren(
    el("table", { class: "grid" }, el("thead", {}, head), el("tbody", {}, ...rows, mean, ci)),
    el("p", { class: "hint" }, note),
  );
}

function evaluationRow(e) {
  const report = e.report || {};
  let status = el("span", { class: `status status-${e.status}` }, e.status);
  if (isActive(e.status)) status = el("span", {}, status, " ", percent(e.progress));
  const cells = [
    el("td", {}, String(e.id)),
    el("td", {}, `v${e.dataset_version_number} ${e.split}`),
    el("td", {}, status),
    el("td", {}, report.num_frames ?? "—"),
    el("td", {}, report.num_patients ?? "—"),
    el("td", {}, num(report.nerve_iou)),
    el("td", { class: "small" }, when(e.created_at)),
  ];
  const row = el("tr", { dataset: { evaluation: String(e.id), status: e.status } }, ...cells);
  if (e.status !== "failed") return [row];
  const reason = el("td", { colspan: "7", class: "error" }, `Evaluation failed: ${e.error || "no reason recorded."}`);
  return [row, el("tr", {}, reason)];
}

// The evaluation whose report the page shows: the newest finished one on the model's own data
// (it filled test_metrics), else the newest finished one.
function shown(evaluations) {
  const done = evaluations.filter((e) => e.status === "succeeded");
  return done.find((e) => e.dataset_version === model.dataset_version) || done[0] || null;
}

async function load() {
  const [m, evaluations] = await Promise.all([
    api("GET", `/api/v1/models/${modelId}/`),
    api("GET", `/api/v1/models/${modelId}/evaluations/`),
  ]);
  model = m;
  const evaluation = shown(evaluations);
  renderMetrics(evaluation);
  renderPerPatient(evaluation);
  $("evaluations").replaceChildren(...(evaluations.length ? evaluations.flatMap(evaluationRow) : [emptyRow()]));
  $("active-badge").hidden = !model.is_active;
  $("active-text").textContent = model.is_active
    ? `yes, since ${when(model.activated_at)}: it makes the pre-annotations`
    : "no";
  if (canTrain) $("activate").hidden = model.is_active;
  const running = evaluations.some((e) => isActive(e.status));
  if (canTrain) $("evaluate").disabled = running;
  return running;
}

function emptyRow() {
  return el("tr", {}, el("td", { colspan: "7", class: "hint" }, "No evaluation yet."));
}

async function poll() {
  timer = null;
  try {
    if (await load()) timer = setTimeout(poll, POLL_MS);
    showError(null);
  } catch (e) {
    showError(e);
    timer = setTimeout(poll, POLL_MS * 2);
  }
}

async function action(run) {
  showError(null);
  $("action-status").textContent = "";
  try {
    await run();
  } catch (e) {
    showError(e);
  }
}

async function evaluate() {
  await api("POST", `/api/v1/models/${modelId}/evaluations/`, { json: {} });
  $("action-status").textContent = "Evaluation queued on the gpu worker.";
  if (timer === null) await poll();
}

async function activate() {
  const question =
    `Activate model ${model.number}? It replaces the active model for pre-annotations in this project ` +
    "from now on.";
  if (!window.confirm(question)) return;
  await api("POST", `/api/v1/models/${modelId}/activate/`);
  $("action-status").textContent = `Model ${model.number} is now the active model.`;
  await load();
}

async function loadCurves() {
  const charts = trainingCharts($("loss-chart"), $("val-chart"));
  const job = await api("GET", `/api/v1/training-jobs/${trainingId}/`);
  charts.update(job.history || [], job.params?.epochs);
  $("latest").textContent = latestLine(job.history);
}

if (canTrain) {
  $("evaluate").addEventListener("click", () => action(evaluate));
  $("activate").addEventListener("click", () => action(activate));
}
root.dataset.ready = "true"; // the buttons are wired
poll();
loadCurves().catch(showError);
