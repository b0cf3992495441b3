// Boots the editor page: reads data-* attributes, loads frame + annotation + labels +
// predictions (the active model's first), and wires model, view, controller, autosave, the
// model layer, the commands and the side panel; and times active editing for the saves.

import { api } from "./api.js";
import { Autosave } from "./autosave.js";
import { Commands } from "./commands.js";
import { Controller } from "./controller.js";
import { Minimap } from "./minimap.js";
import { EditorModel } from "./model.js";
import { ModelLayer } from "./model-layer.js";
import { ObjectsPanel } from "./objects-panel.js";
import { PanelView } from "./panel.js";
import { wirePanel } from "./panel-controller.js";
import { ActiveTime } from "./timing.js";
import { View } from "./view.js";

const DEFAULT_COLOR = "#f2c94c";
// Model changes that leave nothing to save: a drag under way, selection, a frame loaded, and
// view state (hide, lock).
const NOT_SAVED = new Set(["live", "select", "load", "view"]);
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
const panel = new PanelView({ root, canAnnotate: cfg.canAnnotate, canReview: cfg.canReview });

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
  const model = new EditorModel({ labels, width: cfg.width, height: cfg.height });
  model.load(annotation.shapes, {
    source: annotation.source || "manual",
    predictionId: annotation.prediction,
    notVisible: annotation.not_visible,
  });
  panel.showLabels(labels);
  const editor = assemble({ model, img, labels, annotation });
  if (predictions.length) editor.commands.showPrediction(predictions[0]);
  start(editor, annotation);
}

// Model, view, commands, autosave and controller, wired to each other and to the panel.
function assemble({ model, img, labels, annotation }) {
  const colors = new Map(labels.map((l) => [l.name, l.color]));
  const colorOf = (label) => colors.get(label) || DEFAULT_COLOR;
  let controller = null;
  const stage = $("ed-stage");
  const view = new View({
    stage,
    img,
    canvas: $("ed-canvas"),
    width: cfg.width,
    height: cfg.height,
    getScene: () => controller.scene(),
  });
  const commands = new Commands({ cfg, model, view, panel });
  const activity = trackActivity();
  const autosave = new Autosave({
    model,
    frameId: cfg.frameId,
    version: annotation.version,
    activity,
    onState: (state, message) => panel.saveState(state, message),
    onSaved: (a) => commands.showAnnotation(a),
    onConflict: (current) => commands.conflict(current),
    onApproved: () => commands.refusedAsApproved(),
  });
  controller = new Controller({
    stage,
    view,
    model,
    actions: commands,
    currentLabel: () => panel.label,
    colorOf,
  });
  const modelLayer = new ModelLayer({ api, view, panel });
  const message = (text) => panel.toast(text);
  const objects = new ObjectsPanel({
    list: $("ed-objects"),
    count: $("ed-object-count"),
    model,
    labels,
    colorOf,
    message,
  });
  const minimap = new Minimap({ canvas: $("ed-minimap"), view, img });
  view.onViewChange = (v) => {
    panel.showZoom(v.scale);
    minimap.update();
  };
  panel.showZoom(view.viewport.scale);
  minimap.setImage();
  Object.assign(commands, { autosave, controller, modelLayer, objects });
  wirePanel({ commands, model, view, controller, panel });
  return { model, view, autosave, controller, commands, modelLayer, activity, objects, minimap };
}

// Pointer, wheel and keys anywhere in the editor (canvas, toolbar, panel), and the page's
// visibility -> the active editing time the saves send.
function trackActivity() {
  const visible = () => document.visibilityState === "visible";
  const activity = new ActiveTime({ now: performance.now(), visible: visible() });
  const touch = () => activity.interact(performance.now());
  for (const type of ["pointerdown", "pointermove", "wheel", "input"]) {
    root.addEventListener(type, touch, { capture: true, passive: true });
  }
  window.addEventListener("keydown", touch, { capture: true, passive: true });
  document.addEventListener("visibilitychange", () => activity.setVisible(visible(), performance.now()));
  return activity;
}

function start(editor, annotation) {
  const { model, view, autosave, commands, objects } = editor;
  model.onChange((kind) => {
    view.requestRender();
    panel.showHistory(model);
    if (kind !== "live") objects.render();
    if (!NOT_SAVED.has(kind) && cfg.canAnnotate) autosave.changed();
  });
  commands.showAnnotation(annotation);
  panel.showHistory(model);
  view.requestRender();
  window.addEventListener("beforeunload", (e) => {
    if (autosave.dirty || autosave.state === "conflict" || autosave.state === "error") {
      e.preventDefault();
      e.returnValue = "";
    }
  });
  window.__editor = { ...editor, openMs: performance.now() };
  document.body.dataset.editorReady = "1";
  commands.loadFrames();
}

boot().catch((err) => {
  document.body.dataset.editorError = String(err.message || err);
  panel.toast(`The editor could not start: ${err.message || err}`);
});
