// Resumable chunked upload of patient videos, and live status of the patient's videos (with
// their delete buttons for data managers). File names stay in the browser: the server receives
// only sizes, bytes and checksums.
import { confirmDialog } from "./confirm.js";
import { ApiError, api, el } from "./http.js";

const PARALLEL = 3;
const MAX_TRIES = 8;

async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const BUSY = ["uploaded", "probing", "extracting"];
// Upload rows waiting for the probe's answer about their video: video id -> row.
const watching = new Map();

// A sentence for the page: the server's own words, or what went wrong in transport (a proxy's
// HTML error page or a dropped connection is never shown as it came).
function sentence(error) {
  if (!(error instanceof ApiError)) {
    return "The connection to the server was lost. Try again: the upload resumes where it stopped.";
  }
  if (error.status >= 500 || /^\s*</.test(error.message)) {
    return `The server could not take the upload (HTTP ${error.status}). Try again: it resumes where it stopped.`;
  }
  return error.message;
}

function resumeKey(patient, file) {
  return `nervemark-upload:${patient}:${file.name}:${file.size}:${file.lastModified}`;
}

async function openSession(patient, file) {
  const key = resumeKey(patient, file);
  const known = localStorage.getItem(key);
  if (known) {
    try {
      const session = await api("GET", `/api/v1/uploads/${known}/`);
      if (session.status === "open") return session;
    } catch {
      // expired or gone: start again
    }
  }
  const session = await api("POST", "/api/v1/uploads/", { json: { patient: Number(patient), size_bytes: file.size } });
  localStorage.setItem(key, session.id);
  return session;
}

async function putChunk(session, file, index) {
  const start = index * session.chunk_size;
  const blob = file.slice(start, Math.min(start + session.chunk_size, file.size));
  const buffer = await blob.arrayBuffer();
  const digest = await sha256Hex(buffer);
  for (let attempt = 1; ; attempt++) {
    try {
      await api("PUT", `/api/v1/uploads/${session.id}/chunks/${index}/`, {
        body: buffer,
        headers: { "Content-Type": "application/octet-stream", "X-Chunk-SHA256": digest },
      });
      return buffer.byteLength;
    } catch (error) {
      const retriable = !(error instanceof ApiError) || error.status >= 500 || error.status === 0;
      if (!retriable || attempt >= MAX_TRIES) throw error;
      await sleep(Math.min(500 * 2 ** attempt, 15000));
    }
  }
}

async function uploadFile(patient, file, row) {
  const bar = row.querySelector("progress");
  const text = row.querySelector("[data-role=state]");
  const session = await openSession(patient, file);
  const done = new Set(session.received);
  const todo = [...Array(session.chunk_count).keys()].filter((i) => !done.has(i));
  let sent = session.received.reduce(
    (sum, i) => sum + Math.min(session.chunk_size, file.size - i * session.chunk_size),
    0,
  );
  bar.max = file.size;
  bar.value = sent;
  text.textContent = done.size ? "resuming…" : "uploading…";
  const started = performance.now();
  async function worker() {
    while (todo.length) {
      const index = todo.shift();
      sent += await putChunk(session, file, index);
      bar.value = sent;
      const mbps = sent / 1e6 / ((performance.now() - started) / 1000);
      text.textContent = `${Math.round((100 * sent) / file.size)} % · ${mbps.toFixed(1)} MB/s`;
    }
  }
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  text.textContent = "verifying…";
  const video = await api("POST", `/api/v1/uploads/${session.id}/complete/`);
  localStorage.removeItem(resumeKey(patient, file));
  // Received is not accepted: the worker's probe says whether it is a usable video.
  text.textContent = "checking…";
  watching.set(video.id, row);
}

// The upload row of `video` once the probe answered: green when it is a usable video, red with
// the reason when not.
function settleUpload(video) {
  const row = watching.get(video.id);
  if (!row) return;
  const text = row.querySelector("[data-role=state]");
  if (video.status === "failed") {
    row.classList.add("failed");
    text.textContent = `Video #${video.id} cannot be used: ${video.error}`;
  } else if (["extracting", "ready"].includes(video.status)) {
    row.classList.add("ok");
    text.textContent = `Video #${video.id} received and checked; ${video.status === "ready" ? "its frames are ready" : "extracting frames"}.`;
  } else {
    text.textContent = video.job_status === "queued" ? "checking… (waiting for a worker)" : "checking…";
    return;
  }
  watching.delete(video.id);
}

function addRow(list, file) {
  const row = el(
    "li",
    { class: "upload" },
    el("span", { class: "name" }, file.name),
    el("progress", { max: "1", value: "0" }),
    el("span", { "data-role": "state" }, "waiting"),
  );
  list.append(row);
  return row;
}

function setupUpload() {
  const panel = document.getElementById("upload");
  if (!panel) return;
  const input = document.getElementById("upload-input");
  const list = document.getElementById("upload-list");
  const start = async (files) => {
    for (const file of files) {
      const row = addRow(list, file);
      try {
        await uploadFile(panel.dataset.patient, file, row);
      } catch (error) {
        row.classList.add("failed");
        row.querySelector("[data-role=state]").textContent = sentence(error);
      }
      refreshVideos();
    }
  };
  input.addEventListener("change", () => start([...input.files]));
  const zone = panel.querySelector(".dropzone");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    start([...event.dataTransfer.files]);
  });
}

function videoRow(video, canManage) {
  const status = el(
    "td",
    {},
    el("span", { class: `status status-${video.status}`, "data-role": "status" }, video.status),
  );
  if (video.error) status.append(el("div", { class: "error", "data-role": "error" }, video.error));
  if (BUSY.includes(video.status)) {
    status.append(
      el("progress", {
        max: String(video.frames_expected || 1),
        value: String(video.frames_done),
        "data-role": "progress",
      }),
    );
  }
  const format = video.codec
    ? `${video.codec} ${video.width}x${video.height} @ ${Number(video.fps).toFixed(2)}${video.variable_fps ? " (VFR)" : ""}`
    : "";
  // A failed video has no frames to browse.
  const actions = el("td", { class: "actions" });
  if (video.status !== "failed") actions.append(el("a", { href: `/videos/${video.id}/frames/` }, "Frames"));
  if (canManage)
    actions.append(el("button", { type: "button", class: "quiet", "data-action": "delete-video" }, "Delete"));
  return el(
    "tr",
    { dataset: { video: video.id, frames: video.frames_done } },
    el("td", {}, `#${video.id}`),
    status,
    el("td", {}, format),
    el("td", {}, video.duration_s ? `${video.duration_s.toFixed(1)} s` : ""),
    el("td", { "data-role": "frames" }, video.frames_done),
    actions,
  );
}

// Delete buttons, also the server-rendered ones (one listener on the table, so a click works
// before the first refresh has redrawn the rows).
async function deleteVideo(row) {
  const id = row.dataset.video;
  const frames = Number(row.dataset.frames || 0);
  const what = frames ? ` and its ${frames} frame${frames === 1 ? "" : "s"} (with their annotations)` : "";
  const question = `Delete video #${id}${what}? The files are removed; this cannot be undone.`;
  if (!(await confirmDialog(question, "Delete video"))) return;
  const line = document.getElementById("videos-error");
  line.textContent = "";
  try {
    await api("DELETE", `/api/v1/videos/${id}/`);
  } catch (error) {
    line.textContent = error.message;
    return;
  }
  document.querySelector(`#videos tr[data-video="${id}"]`)?.remove();
  refreshVideos();
}

function setupVideoActions() {
  const table = document.getElementById("videos");
  if (!table) return;
  table.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action=delete-video]");
    if (button) deleteVideo(button.closest("tr"));
  });
  table.dataset.ready = "1";
}

async function refreshVideos() {
  const table = document.getElementById("videos");
  if (!table) return false;
  const data = await api("GET", `/api/v1/videos/?patient=${table.dataset.patient}&limit=500`);
  const body = table.querySelector("tbody");
  const canManage = table.dataset.canManage === "1";
  body.replaceChildren(...data.results.map((v) => videoRow(v, canManage)));
  if (!data.results.length) body.append(el("tr", {}, el("td", { colspan: "6", class: "empty" }, "No videos yet.")));
  for (const video of data.results) settleUpload(video);
  return data.results.some((v) => BUSY.includes(v.status));
}

async function poll() {
  let busy = false;
  try {
    busy = await refreshVideos();
  } catch {
    // keep the last view
  }
  setTimeout(poll, busy ? 1500 : 5000);
}

setupUpload();
setupVideoActions();
poll();
