// The models page: the train form (POST to the API), the training jobs with live progress and
// ETA (polled while any is queued or running), and the models with checkboxes to compare.
// User data is only ever inserted as text (el() appends strings as text nodes).
import { api, el, errorSentence } from "../http.js";
import { archLabel, eta, isActive, num, percent, when } from "./format.js";

const POLL_MS = 2500;
const root = document.getElementById("models-page");
const slug = root.dataset.project;
const $ = (id) => document.getElementById(id);
const selected = new Set();
let pollTimer = null;
let lastActive = new Set();
let jobs = [];
const evaluating = new Set(); // models with a queued or running evaluation

const jobUrl = (id) => `/projects/${slug}/training-jobs/${id}/`;
const modelUrl = (id) => `/projects/${slug}/models/${id}/`;

function showError(id, err) {
  $(id).textContent = err ? err.message || String(err) : "";
}

function statusBadge(status) {
  return el("span", { class: `status status-${status}`, "data-testid": "status" }, status);
}

function progressCell(job) {
  const cell = el("td", { class: "progress-cell" });
  if (isActive(job.status)) {
    const bar = el("progress", { max: "1", "aria-label": `progress of job ${job.id}` });
    bar.value = job.progress || 0;
    cell.append(
      bar,
      el(
        "div",
        { class: "hint small" },
        [percent(job.progress), eta(job.eta_s), job.message].filter(Boolean).join(" · "),
      ),
    );
  } else if (job.status === "failed") {
    cell.append(el("span", { class: "error small" }, job.error || "failed"));
  } else {
    const epochs = job.history?.length || 0;
    cell.append(el("span", { class: "hint small" }, `${epochs} epoch${epochs === 1 ? "" : "s"}`));
  }
  return cell;
}

function jobRow(job) {
  return el(
    "tr",
    { dataset: { job: String(job.id), status: job.status } },
    el("td", {}, el("a", { href: jobUrl(job.id) }, `#${job.id}`)),
    el("td", {}, archLabel(job.arch)),
    el("td", {}, `v${job.dataset_version_number}`),
    el("td", {}, statusBadge(job.status)),
    progressCell(job),
    el("td", {}, job.model ? el("a", { href: modelUrl(job.model) }, "model") : ""),
    el(
      "td",
      { class: "small" },
      `${when(job.started_at || job.created_at)}${job.created_by ? ` · ${job.created_by}` : ""}`,
    ),
  );
}

function modelRow(m) {
  const box = el("input", { type: "checkbox", value: String(m.id), "aria-label": `compare model ${m.number}` });
  box.checked = selected.has(m.id);
  box.addEventListener("change", () => {
    if (box.checked) selected.add(m.id);
    else selected.delete(m.id);
    updateCompare();
  });
  let test = el("span", { class: "hint" }, "not evaluated");
  if (m.test_metrics) test = num(m.test_metrics.nerve_iou);
  else if (evaluating.has(m.id)) test = el("span", { class: "hint" }, "evaluating…");
  return el(
    "tr",
    { dataset: { model: String(m.id), number: String(m.number) } },
    el("td", {}, box),
    el("td", {}, el("a", { href: modelUrl(m.id) }, `Model ${m.number}`)),
    el("td", {}, archLabel(m.arch)),
    el("td", {}, `v${m.dataset_version_number}`),
    el("td", {}, num(m.val_metrics?.nerve_iou)),
    el("td", { "data-testid": "test-iou" }, test),
    el("td", {}, m.is_active ? el("span", { class: "badge-active", "data-testid": "active-badge" }, "active") : ""),
    el("td", { class: "small" }, when(m.created_at)),
  );
}

function updateCompare() {
  $("compare").disabled = selected.size < 2;
}

// Models whose job asked for a test evaluation that has not filled test metrics yet: is one
// still queued or running? (Then the page keeps polling.)
async function findEvaluating(models) {
  const asked = new Map(jobs.filter((j) => j.params?.then_evaluate && j.model).map((j) => [j.model, j]));
  const waiting = models.filter((m) => !m.test_metrics && asked.has(m.id));
  evaluating.clear();
  for (const m of waiting) {
    const evaluations = await api("GET", `/api/v1/models/${m.id}/evaluations/`);
    // None yet: the worker queues it right after registering the model (allow a minute).
    const finished = Date.parse(asked.get(m.id).finished_at || "") || 0;
    const soon = evaluations.length === 0 && Date.now() - finished < 60000;
    if (soon || evaluations.some((e) => isActive(e.status))) evaluating.add(m.id);
  }
}

async function loadModels() {
  const models = await api("GET", `/api/v1/projects/${slug}/models/`);
  await findEvaluating(models);
  const ids = new Set(models.map((m) => m.id));
  for (const id of [...selected]) if (!ids.has(id)) selected.delete(id);
  $("models").replaceChildren(...models.map(modelRow));
  $("models-empty").hidden = models.length > 0;
  updateCompare();
}

async function loadJobs() {
  jobs = await api("GET", `/api/v1/projects/${slug}/training-jobs/`);
  $("jobs").replaceChildren(...jobs.map(jobRow));
  $("jobs-empty").hidden = jobs.length > 0;
  const active = new Set(jobs.filter((j) => isActive(j.status)).map((j) => j.id));
  // A job that just ended may have made a model (or its evaluation may have filled test IoU).
  const ended = [...lastActive].some((id) => !active.has(id));
  lastActive = active;
  return { anyActive: active.size > 0, ended };
}

async function poll() {
  pollTimer = null;
  try {
    const { anyActive, ended } = await loadJobs();
    if (ended || anyActive || evaluating.size) await loadModels();
    showError("error", null);
    if (anyActive || ended || evaluating.size) schedule();
  } catch (e) {
    showError("error", e);
    schedule();
  }
}

function schedule() {
  if (pollTimer === null) pollTimer = setTimeout(poll, POLL_MS);
}

function formBody(form) {
  const data = new FormData(form);
  const body = { dataset_version: Number(data.get("dataset_version")), arch: data.get("arch") };
  for (const name of ["epochs", "image_size", "batch_size", "seed"]) body[name] = Number.parseInt(data.get(name), 10);
  for (const name of ["lr", "augment_strength"]) body[name] = Number.parseFloat(data.get(name));
  body.then_evaluate = data.get("then_evaluate") === "on";
  return body;
}

// field name -> the label the form shows ("lr" -> "Learning rate"), for error sentences.
function fieldLabels(form) {
  const labels = {};
  for (const input of form.querySelectorAll("[name]")) {
    const text = input.labels?.[0]?.firstChild?.textContent?.trim();
    if (text) labels[input.name] = text;
  }
  return labels;
}

function markInvalid(form, body) {
  for (const input of form.querySelectorAll("[name]")) {
    const bad = Boolean(body && typeof body === "object" && input.name in body);
    input.toggleAttribute("aria-invalid", bad);
  }
}

async function startTraining(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const button = form.querySelector("button[type=submit]");
  showError("train-error", null);
  markInvalid(form, null);
  const body = formBody(form);
  const bad = Object.entries(body).find(([, v]) => typeof v === "number" && Number.isNaN(v));
  if (bad) {
    showError("train-error", new Error(`Fill in ${fieldLabels(form)[bad[0]]}.`));
    return;
  }
  button.disabled = true;
  try {
    await api("POST", `/api/v1/projects/${slug}/training-jobs/`, { json: body });
    lastActive = new Set();
    await poll();
    schedule();
  } catch (e) {
    markInvalid(form, e.body);
    showError("train-error", e.body ? new Error(errorSentence(e.body, e.status, fieldLabels(form))) : e);
  } finally {
    button.disabled = false;
  }
}

function wire() {
  $("train-form")?.addEventListener("submit", startTraining);
  $("compare").addEventListener("click", () => {
    const ids = [...selected].sort((a, b) => a - b).join(",");
    window.location.assign(`/projects/${slug}/models/compare/?ids=${ids}`);
  });
}

wire();
root.dataset.ready = "true"; // the form is wired: a click no longer submits natively
loadJobs()
  .then(async (state) => {
    await loadModels();
    if (state.anyActive || evaluating.size) schedule();
  })
  .catch((e) => showError("error", e));
