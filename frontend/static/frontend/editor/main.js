// Boots the editor page: reads data-* attributes, loads frame + annotation + labels +
// prediction, wires model, view, controller and autosave to the side panel. Labels, comments and
// model names are written with textContent only (never as HTML).

import { api } from "./api.js";
import { Autosave } from "./autosave.js";
import { Controller } from "./controller.js";
import { fromApiShapes, nearestByTime, parseTimestamp, simplify } from "./geometry.js";
import { EditorModel } from "./model.js";
import { View } from "./view.js";

const root = document.getElementById("editor");
const $ = (id) => document.getElementById(id);
const cfg = {
  frameId: Number(root.dataset.frame),
  videoId: Number(root.dataset.video),
  project: root.dataset.project,
  width: Number(root.dataset.width),
  height: Number(root.dataset.height),
  index: Number(root.dataset.index),
  canAnnotate: root.dataset.canAnnotate === "1",
  canReview: root.dataset.canReview === "1",
};
const SAVE_TEXT = { saved: "All changes saved", unsaved: "Unsaved changes", saving: "Saving…", conflict: "Conflict", error: "Not saved" };
let toastTimer = null;

function toast(text) {
  const el = $("ed-toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), 3500);
}

function loadImage(img, url) {
  return new Promise((resolve, reject) => {
    img.onload = () => resolve();
    img.onerror = () => reject(new Error("The frame image could not be loaded."));
    img.src = url;
  });
}

async function boot() {
  const img = $("ed-img");
  const [annotation, labels, predictions] = await Promise.all([
    api.annotation(cfg.frameId),
    api.labels(cfg.project),
    api.predictions(cfg.frameId).catch(() => []),
    loadImage(img, root.dataset.imageUrl),
  ]);
  const colors = new Map(labels.map((l) => [l.name, l.color]));
  const model = new EditorModel({ labels, width: cfg.width, height: cfg.height });
  model.load(annotation.shapes, { source: annotation.source || "manual", predictionId: annotation.prediction });
  const labelSelect = $("ed-label");
  for (const l of labels) {
    const opt = document.createElement("option");
    opt.value = l.name;
    opt.textContent = l.name;
    labelSelect.append(opt);
  }
  let controller = null;
  const view = new View({
    stage: $("ed-stage"),
    img,
    canvas: $("ed-canvas"),
    width: cfg.width,
    height: cfg.height,
    getScene: () => controller.scene(),
  });
  const ui = panel({ model, view, labels, annotation });
  const autosave = new Autosave({
    model,
    frameId: cfg.frameId,
    version: annotation.version,
    onState: ui.saveState,
    onSaved: ui.showAnnotation,
    onConflict: (current) => ui.conflict(current),
  });
  ui.autosave = autosave;
  controller = new Controller({
    stage: $("ed-stage"),
    view,
    model,
    actions: ui.actions,
    currentLabel: () => labelSelect.value,
    colorOf: (label) => colors.get(label) || "#f2c94c",
  });
  controller.readOnly = !cfg.canAnnotate;
  ui.controller = controller;
  if (predictions.length) ui.showPrediction(predictions[0]);
  model.onChange((kind) => {
    view.requestRender();
    ui.refresh();
    if (kind !== "live" && kind !== "select" && cfg.canAnnotate) autosave.changed();
  });
  ui.showAnnotation(annotation);
  ui.refresh();
  view.requestRender();
  window.addEventListener("beforeunload", (e) => {
    if (autosave.dirty || autosave.state === "conflict" || autosave.state === "error") {
      e.preventDefault();
      e.returnValue = "";
    }
  });
  window.__editor = { model, view, autosave, controller, openMs: performance.now() };
  document.body.dataset.editorReady = "1";
  ui.loadFrames();
}

function panel({ model, view, labels, annotation }) {
  const ui = { autosave: null, controller: null, frames: [], current: annotation, prediction: null };
  document.querySelectorAll("[data-annotate]").forEach((el) => (el.hidden = !cfg.canAnnotate));
  const on = (id, fn) => $(id).addEventListener("click", fn);

  ui.saveState = (state, message) => {
    const el = $("ed-save");
    el.dataset.state = state;
    el.textContent = SAVE_TEXT[state] + (state === "error" && message ? `: ${message}` : "");
    $("ed-repair").hidden = !(state === "error" && /simple polygon|Self-intersection/.test(message));
  };
  ui.showAnnotation = (a) => {
    ui.current = a;
    $("ed-status").textContent = a.annotated === false ? "not annotated" : a.not_visible ? `${a.status} · nerve not visible` : a.status;
    $("ed-version").textContent = String(a.version);
    $("ed-source").textContent = a.source || "—";
    const comment = $("ed-review-comment");
    comment.hidden = !a.review_comment;
    comment.textContent = a.review_comment ? `${a.status === "rejected" ? "Rejected" : "Review"} by ${a.reviewed_by}: ${a.review_comment}` : "";
    root.querySelector("[data-review]").hidden = !(cfg.canReview && a.status === "submitted");
  };
  ui.showPrediction = (p) => {
    ui.prediction = p;
    ui.controller.prediction = fromApiShapes(p.shapes, () => 0);
    $("ed-accept").disabled = false;
    const conf = p.confidence == null ? "" : `, confidence ${p.confidence.toFixed(2)}`;
    $("ed-prediction-info").textContent = `Pre-annotation: ${p.model_version_label || "model"}${conf}`;
    view.requestRender();
  };
  ui.refresh = () => {
    $("ed-undo").disabled = !model.canUndo;
    $("ed-redo").disabled = !model.canRedo;
    $("ed-vertices").textContent = String(model.vertexCount());
  };
  ui.toolChanged = (tool) => {
    document.querySelectorAll("button[data-tool]").forEach((b) => b.classList.toggle("active", b.dataset.tool === tool));
  };
  ui.conflict = (current) => {
    ui.theirs = current;
    ui.controller.theirs = fromApiShapes(current ? current.shapes : [], () => 0);
    ui.controller.enabled = false;
    $("ed-conflict-text").textContent = `${current?.updated_by || "Someone"} saved version ${current?.version ?? 0} while you were editing.`;
    $("ed-conflict").show();
    view.requestRender();
  };
  const endConflict = () => {
    $("ed-conflict").close();
    ui.controller.theirs = null;
    ui.controller.enabled = true;
    view.requestRender();
  };
  on("ed-take-theirs", () => {
    endConflict();
    ui.autosave.takeTheirs(ui.theirs);
  });
  on("ed-overwrite", () => {
    endConflict();
    ui.autosave.overwrite(ui.theirs);
  });

  const go = async (frameId) => {
    if (!frameId) return;
    if (cfg.canAnnotate && !(await ui.autosave.flush())) return toast("Resolve the save problem before leaving this frame.");
    window.location.assign(`/frames/${frameId}/edit/`);
  };
  const neighbour = (step) => {
    const list = step < 0 ? ui.frames.filter((f) => f.index < cfg.index).reverse() : ui.frames.filter((f) => f.index > cfg.index);
    return list[0]?.id;
  };
  const replace = (name, shapes, opts) => {
    model.replaceAll(name, shapes, opts);
    toast(`${name}: ${shapes.length ? model.vertexCount() + " vertices" : "no shapes"}`);
  };
  const failed = (err) => toast(err.message || String(err));
  ui.actions = {
    toolChanged: ui.toolChanged,
    message: toast,
    escape: () => view.requestRender(),
    saveNow: () => ui.autosave.flush(),
    help: () => $("ed-help").showModal(),
    prev: () => go(neighbour(-1)),
    next: () => go(neighbour(1)),
    brushSize: (d) => {
      const el = $("ed-brush");
      el.value = String(Number(el.value) + d);
      el.dispatchEvent(new Event("input"));
    },
    async queueNext() {
      if (cfg.canAnnotate && !(await ui.autosave.flush())) return toast("Resolve the save problem first.");
      const next = await api.queueNext(cfg.project, cfg.frameId).catch(failed);
      if (next) window.location.assign(next.editor_url);
      else if (next === null) toast("The queue is empty. Well done.");
    },
    async submit() {
      if (await ui.autosave.flush({ status: "submitted" })) {
        toast("Submitted for review.");
        await ui.actions.queueNext();
      }
    },
    notVisible() {
      model.replaceAll("nerve not visible", [], { source: "manual", predictionId: null });
      ui.autosave.flush();
    },
    acceptPrediction() {
      if (ui.prediction) replace("accept prediction", ui.prediction.shapes, { source: "model", predictionId: ui.prediction.id });
    },
    copyPrevious: () =>
      api.propose(cfg.frameId, "copy").then((r) => replace(`copy of frame ${r.from_index}`, r.shapes, { source: "propagated" }), failed),
    propagate: () =>
      api.propose(cfg.frameId, "flow").then((r) => replace(`propagated from frame ${r.from_index}`, r.shapes, { source: "propagated" }), failed),
    async brushStroke(points, radius, erase) {
      const stroke = simplify(points, 0.5).slice(0, 5000);
      const body = { op: erase ? "erase" : "brush", shapes: model.toShapes(), label: $("ed-label").value, stroke, radius };
      const r = await api.geometry(cfg.frameId, body).catch(failed);
      if (r) model.replaceAll(erase ? "eraser" : "brush", r.shapes);
      view.requestRender();
    },
  };
  ui.loadFrames = async () => {
    const [frames, annotations] = await Promise.all([api.frames(cfg.videoId), api.annotationsOfVideo(cfg.videoId)]);
    ui.frames = frames.filter((f) => !f.excluded || f.id === cfg.frameId);
    filmstrip(ui.frames, new Map(annotations.map((a) => [a.frame, a])), go);
  };

  document.querySelectorAll("button[data-tool]").forEach((b) => b.addEventListener("click", () => ui.controller.setTool(b.dataset.tool)));
  $("ed-label").addEventListener("change", (e) => {
    if (model.selected != null) model.setLabel(model.selected, e.target.value);
  });
  $("ed-brush").addEventListener("input", (e) => {
    ui.controller.brushRadius = Number(e.target.value);
    view.requestRender();
  });
  $("ed-opacity").addEventListener("input", (e) => {
    view.opacity = Number(e.target.value) / 100;
    view.requestRender();
  });
  $("ed-layer-mine").addEventListener("change", (e) => ((view.layers.mine = e.target.checked), view.requestRender()));
  $("ed-layer-prediction").addEventListener("change", (e) => ((view.layers.prediction = e.target.checked), view.requestRender()));
  on("ed-undo", () => model.undo());
  on("ed-redo", () => model.redo());
  on("ed-fit", () => view.fit());
  on("ed-help-open", () => ui.actions.help());
  on("ed-help-close", () => $("ed-help").close());
  on("ed-accept", () => ui.actions.acceptPrediction());
  on("ed-copy", () => ui.actions.copyPrevious());
  on("ed-propagate", () => ui.actions.propagate());
  on("ed-not-visible", () => ui.actions.notVisible());
  on("ed-submit", () => ui.actions.submit());
  on("ed-prev", () => ui.actions.prev());
  on("ed-next", () => ui.actions.next());
  on("ed-queue-next", () => ui.actions.queueNext());
  on("ed-repair", async () => {
    const r = await api.geometry(cfg.frameId, { op: "repair", shapes: model.toShapes() }).catch(failed);
    if (r) replace("repair", r.shapes);
  });
  const review = async (decision) => {
    if (!(await ui.autosave.flush())) return toast("Save or resolve your edits before reviewing.");
    const comment = $("ed-review-text").value;
    const r = await api.review(cfg.frameId, ui.autosave.version, decision, comment);
    if (r.status !== 200) return toast(r.data?.detail || `HTTP ${r.status}`);
    ui.autosave.version = r.data.version;
    ui.showAnnotation(r.data);
    toast(decision === "approve" ? "Approved." : "Rejected; the annotator sees it first in their queue.");
  };
  on("ed-approve", () => review("approve"));
  on("ed-reject", () => review("reject"));
  $("ed-jump").addEventListener("submit", (e) => {
    e.preventDefault();
    const ms = parseTimestamp($("ed-jump-time").value);
    if (Number.isNaN(ms)) return toast("Type a time like 1:02.500 or 62.5");
    const i = nearestByTime(ui.frames, ms);
    if (i >= 0) go(ui.frames[i].id);
  });
  return ui;
}

function filmstrip(frames, annotations, go) {
  const strip = $("ed-filmstrip");
  strip.replaceChildren();
  const at = Math.max(0, frames.findIndex((f) => f.id === cfg.frameId));
  for (const f of frames.slice(Math.max(0, at - 8), at + 9)) {
    const a = annotations.get(f.id);
    const item = document.createElement("button");
    item.type = "button";
    item.className = `ed-thumb status-${a ? a.status : "none"}${f.id === cfg.frameId ? " current" : ""}`;
    item.title = `frame ${f.index}${a ? ` · ${a.status}` : ""}`;
    item.dataset.frame = String(f.id);
    const thumb = document.createElement("img");
    thumb.loading = "lazy";
    thumb.alt = "";
    thumb.src = f.thumb_url;
    const label = document.createElement("span");
    label.textContent = String(f.index);
    item.append(thumb, label);
    item.addEventListener("click", () => go(f.id));
    strip.append(item);
  }
}

boot().catch((err) => {
  document.body.dataset.editorError = String(err.message || err);
  toast(`The editor could not start: ${err.message || err}`);
});
