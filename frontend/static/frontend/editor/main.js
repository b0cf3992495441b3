// Boots the editor page once per video: reads data-* attributes, wires model, view, controller,
// autosave, the model layer, the commands, the objects panel, the minimap and the side panel;
// then shows frames one after another without reloading (navigator.js): each frame's
// annotation, predictions, window of the video and (prefetched) image. Times active editing
// for the saves.

import { api } from "./api.js";
import { Autosave } from "./autosave.js";
import { Commands } from "./commands.js";
import { Controller } from "./controller.js";
import { Minimap } from "./minimap.js";
import { EditorModel } from "./model.js";
import { ModelLayer } from "./model-layer.js";
import { FrameNavigator } from "./navigator.js";
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
  patientCode: root.dataset.patient,
  width: Number(root.dataset.width),
  height: Number(root.dataset.height),
  index: Number(root.dataset.index),
  canAnnotate: root.dataset.canAnnotate === "1",
  canReview: root.dataset.canReview === "1",
};
const panel = new PanelView({ root, canAnnotate: cfg.canAnnotate, canReview: cfg.canReview });

async function boot() {
  let editor = null;
  const navigator = new FrameNavigator({
    videoId: cfg.videoId,
    show: (data) => showFrame(editor, data),
    leave: () => editor.commands.leave(),
    failed: (err) => panel.toast(err.message || String(err)),
  });
  const [labels, first] = await Promise.all([api.labels(cfg.project), navigator.fetch(cfg.frameId)]);
  const model = new EditorModel({ labels, width: cfg.width, height: cfg.height });
  panel.showLabels(labels);
  editor = assemble({ model, labels, navigator });
  start(editor);
  navigator.target = cfg.frameId;
  navigator.place(first, "replace");
  window.__editor = { ...editor, openMs: performance.now(), frameLog: [] };
  document.body.dataset.editorReady = "1";
}

// Model, view, commands, autosave and controller, wired to each other and to the panel.
function assemble({ model, labels, navigator }) {
  const colors = new Map(labels.map((l) => [l.name, l.color]));
  const colorOf = (label) => colors.get(label) || DEFAULT_COLOR;
  let controller = null;
  const stage = $("ed-stage");
  const view = new View({
    stage,
    img: $("ed-img"),
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
    version: 0,
    activity,
    onState: (state, message) => panel.saveState(state, message),
    onSaved: (a) => {
      commands.showAnnotation(a);
      navigator.statusChanged(a.frame, a.status);
    },
    onConflict: (current) => commands.conflict(current),
    onApproved: () => commands.refusedAsApproved(),
  });
  controller = new Controller({ stage, view, model, actions: commands, currentLabel: () => panel.label, colorOf });
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
  const minimap = new Minimap({ canvas: $("ed-minimap"), view, img: view.img });
  view.onViewChange = (v) => {
    panel.showZoom(v.scale);
    minimap.update();
  };
  panel.showZoom(view.viewport.scale);
  Object.assign(commands, { autosave, controller, modelLayer, objects, navigator });
  wirePanel({ commands, model, view, controller, panel });
  return { model, view, autosave, controller, commands, modelLayer, activity, objects, minimap, navigator };
}

// A loaded frame on the stage (navigator.js): -> the <img> element it replaced.
function showFrame(editor, { annotation, predictions, strip, img }) {
  const { model, view, autosave, commands, minimap, navigator } = editor;
  const meta = strip.current;
  Object.assign(cfg, { frameId: meta.id, index: meta.index, width: meta.width, height: meta.height });
  root.dataset.frame = String(meta.id);
  commands.clearFrame();
  const old = view.setImage(img, meta.width, meta.height);
  img.alt = `frame ${meta.index}`;
  minimap.img = img;
  minimap.setImage();
  Object.assign(model, { width: meta.width, height: meta.height });
  model.load(annotation.shapes, {
    source: annotation.source || "manual",
    predictionId: annotation.prediction,
    notVisible: annotation.not_visible,
  });
  autosave.frameId = meta.id;
  autosave.reset(annotation.version, model.revision);
  commands.showAnnotation(annotation);
  if (predictions.length) commands.showPrediction(predictions[0]);
  panel.showFrame(meta, strip, cfg.patientCode);
  panel.showFilmstrip(strip, meta.id, (id) => navigator.open(id));
  panel.showHistory(model);
  view.requestRender();
  // For tests and bench/bench_editor.py: when the frame was on screen.
  requestAnimationFrame(() => window.__editor?.frameLog.push({ frame: meta.id, at: performance.now() }));
  document.body.dataset.frame = String(meta.id);
  return old;
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

function start(editor) {
  const { model, view, autosave, objects } = editor;
  model.onChange((kind) => {
    view.requestRender();
    panel.showHistory(model);
    if (kind !== "live") objects.render();
    if (!NOT_SAVED.has(kind) && cfg.canAnnotate) autosave.changed();
  });
  window.addEventListener("beforeunload", (e) => {
    if (autosave.dirty || autosave.state === "conflict" || autosave.state === "error") {
      e.preventDefault();
      e.returnValue = "";
    }
  });
}

boot().catch((err) => {
  document.body.dataset.editorError = String(err.message || err);
  panel.toast(`The editor could not start: ${err.message || err}`);
});
