// One training job: status, progress and ETA, loss and validation curves, the log's tail, the
// failure reason, the model it made; polled while queued or running. Cancel for `train`.
import { api, el } from "../http.js";
import { trainingCharts } from "./charts.js";
import { eta, isActive, latestLine, percent } from "./format.js";

const POLL_MS = 2000;
const root = document.getElementById("training-job");
const slug = root.dataset.project;
const id = root.dataset.training;
const canTrain = root.dataset.canTrain === "1";
const $ = (name) => document.getElementById(name);
const charts = trainingCharts($("loss-chart"), $("val-chart"));

function showError(err) {
  $("error").textContent = err ? err.message || String(err) : "";
}

function render(job) {
  const status = $("status");
  status.textContent = job.status;
  status.className = `status status-${job.status}`;
  root.dataset.status = job.status;
  const active = isActive(job.status);
  $("progress").value = job.progress || 0;
  $("progress").hidden = !active && job.status !== "cancelled";
  $("eta").textContent = active ? [percent(job.progress), eta(job.eta_s)].filter(Boolean).join(" · ") : "";
  $("message").textContent = active ? job.message || (job.status === "queued" ? "Waiting for a gpu worker." : "") : "";
  if (job.device) $("device").textContent = job.device;
  if (canTrain) $("cancel").hidden = !active;
  $("failure").hidden = job.status !== "failed";
  $("failure").textContent = job.status === "failed" ? `Training failed: ${job.error || "no reason recorded."}` : "";
  $("model-link").hidden = !job.model;
  if (job.model) {
    $("model-link").replaceChildren(
      "Made ",
      el("a", { href: `/projects/${slug}/models/${job.model}/` }, "the model of this job"),
      ".",
    );
  }
  const history = job.history || [];
  $("no-epochs").hidden = history.length > 0;
  charts.update(history, job.params?.epochs);
  $("latest").textContent = latestLine(history);
  const log = $("log");
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  log.textContent = job.log || "(empty)";
  if (atBottom) log.scrollTop = log.scrollHeight;
}

async function refresh() {
  const job = await api("GET", `/api/v1/training-jobs/${id}/`);
  render(job);
  return job;
}

async function poll() {
  try {
    const job = await refresh();
    showError(null);
    if (isActive(job.status)) setTimeout(poll, POLL_MS);
  } catch (e) {
    showError(e);
    setTimeout(poll, POLL_MS * 2);
  }
}

async function cancel() {
  if (!window.confirm(`Cancel training job #${id}? The partial run is discarded.`)) return;
  showError(null);
  $("cancel").disabled = true;
  try {
    render(await api("POST", `/api/v1/training-jobs/${id}/cancel/`));
  } catch (e) {
    showError(e);
    await refresh().catch(() => {});
  } finally {
    $("cancel").disabled = false;
  }
}

if (canTrain) $("cancel").addEventListener("click", cancel);
poll();
