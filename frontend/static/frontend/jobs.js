// Live job lines on server-rendered pages: every `[data-job]` element whose `data-status` is
// queued or running is polled through the jobs API; its <progress> and text follow the job, and
// the page reloads once the job ends so the server's sentence on the outcome replaces them.
import { api } from "./http.js";

const POLL_MS = 2000;
const LIVE = new Set(["queued", "running"]);

function follow(line) {
  const progress = line.querySelector("progress");
  const text = line.querySelector("[data-role=text]");
  const tick = async () => {
    let job;
    try {
      job = await api("GET", `/api/v1/jobs/${line.dataset.job}/`);
    } catch (err) {
      if (text) text.textContent = err.message;
      return;
    }
    if (progress) progress.value = job.progress;
    if (LIVE.has(job.status)) {
      if (text && job.status === "running") text.textContent = `Running: ${job.message || "starting"}.`;
      setTimeout(tick, POLL_MS);
    } else {
      window.location.reload();
    }
  };
  setTimeout(tick, POLL_MS);
}

for (const line of document.querySelectorAll("[data-job]")) {
  if (LIVE.has(line.dataset.status)) follow(line);
}
