// Frame browser: extraction progress and options, kept/excluded frames, include/exclude.
import { api, el, errorSentence } from "./http.js";

const root = document.getElementById("browser");
const videoId = root.dataset.video;
const canWrite = root.dataset.canWrite === "1";
const grid = document.getElementById("frames");
const PAGE = 200;
let offset = 0;
let video = null;

function clock(ms) {
  const s = ms / 1000;
  const m = Math.floor(s / 60);
  return `${m}:${(s - m * 60).toFixed(3).padStart(6, "0")}`;
}

function frameCard(frame) {
  const reason =
    { blur: "blurry", duplicate: "near-duplicate", manual: "excluded by hand" }[frame.exclusion_reason] || "";
  const caption = el(
    "figcaption",
    {},
    el("span", {}, `#${frame.index} · ${clock(frame.timestamp_ms)}`),
    el("span", { title: "variance of the Laplacian" }, `sharpness ${frame.sharpness.toFixed(0)}`),
  );
  const card = el(
    "figure",
    { class: frame.excluded ? "excluded" : "", dataset: { frame: frame.id } },
    el(
      "a",
      { href: `/frames/${frame.id}/edit/`, title: "open in the editor" },
      el("img", { src: frame.thumb_url, loading: "lazy", alt: `frame ${frame.index}` }),
    ),
    caption,
  );
  if (reason) caption.append(el("span", { class: "split" }, reason));
  if (canWrite) {
    const button = el("button", { type: "button", class: "link-dark" }, frame.excluded ? "Include" : "Exclude");
    button.addEventListener("click", async () => {
      try {
        const updated = await api("PATCH", `/api/v1/frames/${frame.id}/`, { json: { excluded: !frame.excluded } });
        card.replaceWith(frameCard(updated));
        loadCounts();
      } catch (error) {
        document.getElementById("frames-error").textContent = error.message;
      }
    });
    caption.append(button);
  }
  return card;
}

async function loadFrames(reset) {
  if (reset) {
    offset = 0;
    grid.replaceChildren();
  }
  const showExcluded = document.getElementById("show-excluded").checked;
  const data = await api(
    "GET",
    `/api/v1/frames/?video=${videoId}&include_excluded=${showExcluded}&limit=${PAGE}&offset=${offset}`,
  );
  grid.append(...data.results.map(frameCard));
  offset += data.results.length;
  document.getElementById("more").hidden = !data.next;
}

async function loadCounts() {
  const all = await api("GET", `/api/v1/frames/?video=${videoId}&limit=1`);
  const kept = await api("GET", `/api/v1/frames/?video=${videoId}&include_excluded=false&limit=1`);
  document.getElementById("counts").textContent = `${kept.count} kept of ${all.count} extracted`;
}

function describe(v) {
  const parts = [`status: ${v.status}`];
  if (v.codec)
    parts.push(
      `${v.codec} ${v.width}x${v.height}`,
      `${Number(v.fps).toFixed(2)} fps${v.variable_fps ? " (variable)" : ""}`,
      `${v.duration_s.toFixed(1)} s`,
      `${v.frame_count} frames`,
    );
  if (v.rotation) parts.push(`rotated ${v.rotation}°`);
  if (v.error) parts.push(`error: ${v.error}`);
  return parts.join(" · ");
}

async function refresh() {
  const previous = video?.status;
  video = await api("GET", `/api/v1/videos/${videoId}/`);
  document.getElementById("summary").textContent = describe(video);
  const busy =
    ["uploaded", "probing", "extracting"].includes(video.status) && ["queued", "running"].includes(video.job_status);
  document.getElementById("progress-line").hidden = !busy;
  if (busy) {
    const bar = document.getElementById("progress");
    bar.max = Math.max(video.frames_expected, 1);
    bar.value = video.frames_done;
    document.getElementById("progress-text").textContent =
      `${video.frames_done} / ${video.frames_expected} frames · ${video.extract_fps.toFixed(1)} frames/s`;
  }
  if ((previous && previous !== video.status) || (busy && video.frames_done > offset)) {
    await loadFrames(true);
    await loadCounts();
  }
  setTimeout(refresh, busy ? 1000 : 5000);
}

function formLabels(form) {
  const labels = {};
  for (const label of form.querySelectorAll("label")) {
    const input = label.querySelector("input");
    if (input) labels[input.name] = label.firstChild.textContent.trim();
  }
  return labels;
}

function setupForm() {
  const form = document.getElementById("extract-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const options = {};
    for (const [key, value] of new FormData(form)) if (value !== "") options[key] = Number(value);
    if (options.every_nth) options.target_fps = null;
    document.getElementById("extract-error").textContent = "";
    try {
      await api("POST", `/api/v1/videos/${videoId}/extract/`, { json: options });
    } catch (error) {
      // A field's error under the name the form shows for it ("Max side (px): ..."), never raw.
      document.getElementById("extract-error").textContent = error.body
        ? errorSentence(error.body, error.status, formLabels(form))
        : error.message;
    }
  });
  document.getElementById("cancel").addEventListener("click", () => api("POST", `/api/v1/jobs/${video.job}/cancel/`));
}

document.getElementById("show-excluded").addEventListener("change", () => loadFrames(true));
document.getElementById("more").addEventListener("click", () => loadFrames(false));
setupForm();
refresh()
  .then(() => loadFrames(true))
  .then(loadCounts);
