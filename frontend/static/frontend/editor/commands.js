// Editor commands that need the server, navigation or several parts at once: the `actions` the
// Controller calls for keys, and what the panel's buttons do (panel-controller.js). No DOM here:
// the PanelView shows results and reads the panel's inputs. `autosave` and `controller` are set
// by main.js once they exist (they need these commands themselves), and `modelLayer` (the
// heatmap overlays, model-layer.js).

import { errorSentence } from "../http.js";
import { api } from "./api.js";
import { fromApiShapes, nearestByTime, parseTimestamp, simplify } from "./geometry.js";
import { neighbourFrame, visibleFrames } from "./navigation.js";
import { editMode, replacedText } from "./panel.js";

export class Commands {
  constructor({ cfg, model, view, panel }) {
    Object.assign(this, { cfg, model, view, panel });
    this.autosave = null;
    this.controller = null;
    this.modelLayer = null;
    this.objects = null; // the objects panel (objects-panel.js)
    this.frames = []; // the video's frames the editor offers (excluded ones skipped)
    this.prediction = null;
    this.theirs = null; // the server's annotation during a conflict
    this.failed = (err) => this.panel.toast(err.message || String(err));
  }

  // Called by the Controller.
  toolChanged(tool) {
    this.panel.showTool(tool);
  }

  message(text) {
    this.panel.toast(text);
  }

  // The frame's annotation as the server has it now (loaded, saved, reviewed, reopened): the
  // panel shows it, and it decides whether this caller may edit the frame.
  showAnnotation(a) {
    this.annotation = a;
    this.panel.showAnnotation(a);
    this.mode = editMode(a, this.cfg);
    this.controller.readOnly = !this.mode.editable;
    if (!this.mode.editable) {
      this.controller.cancelDraft();
      if (this.controller.tool !== "select") this.controller.setTool("select");
    }
    this.panel.showEditMode(this.mode);
    this.objects.editable = this.mode.editable;
    this.objects.render();
  }

  // An edit was tried on a frame this caller may not edit now.
  readOnly() {
    this.panel.toast(this.mode.banner);
    this.panel.flashBanner();
  }

  // Reopen (data managers, approved frames): asked in a dialog first, then audited server-side.
  askReopen() {
    this.panel.openReopen();
  }

  async reopen() {
    const { autosave, panel } = this;
    panel.closeReopen();
    const r = await api.reopen(this.cfg.frameId, autosave.version, panel.reopenComment);
    if (r.status === 200) {
      autosave.version = r.data.version;
      this.showAnnotation(r.data);
      return panel.toast("Reopened: edit it, then approve it (or reject it with a comment).");
    }
    panel.toast(errorSentence(r.data, r.status));
    if (r.status === 412 && r.data?.current) this.reload(r.data.current);
  }

  // Someone else's newer version replaces what is shown (nothing of mine is unsaved).
  reload(current) {
    this.model.load(current.shapes || [], {
      source: current.source,
      predictionId: current.prediction,
      notVisible: current.not_visible,
    });
    this.autosave.reset(current.version, this.model.revision);
    this.showAnnotation(current);
  }

  // The save was refused because the annotation is approved (someone approved it meanwhile).
  async refusedAsApproved() {
    const current = await api.annotation(this.cfg.frameId).catch(() => null);
    if (current) this.reload(current);
    this.panel.toast("Not saved: this frame was approved meanwhile, so it shows the approved version now.");
  }

  escape() {
    this.view.requestRender();
  }

  saveNow() {
    return this.autosave.flush();
  }

  help() {
    this.panel.openHelp();
  }

  brushSize(delta) {
    this.panel.nudgeBrush(delta);
  }

  prev() {
    return this.go(neighbourFrame(this.frames, this.cfg.index, -1));
  }

  next() {
    return this.go(neighbourFrame(this.frames, this.cfg.index, 1));
  }

  // Navigation: saves first, and stays when that fails.
  async go(frameId) {
    if (!frameId) return;
    if (this.cfg.canAnnotate && !(await this.autosave.flush())) {
      return this.panel.toast("Resolve the save problem before leaving this frame.");
    }
    this.modelLayer.stop();
    window.location.assign(`/frames/${frameId}/edit/`);
  }

  async queueNext() {
    if (this.cfg.canAnnotate && !(await this.autosave.flush()))
      return this.panel.toast("Resolve the save problem first.");
    const next = await api.queueNext(this.cfg.project, this.cfg.frameId).catch(this.failed);
    if (next) window.location.assign(next.editor_url);
    else if (next === null) this.panel.toast("The queue is empty. Well done.");
  }

  async submit() {
    if (await this.autosave.flush({ status: "submitted" })) {
      this.panel.toast("Submitted for review.");
      await this.queueNext();
    }
  }

  async jumpTo(text) {
    const ms = parseTimestamp(text);
    if (Number.isNaN(ms)) return this.panel.toast("Type a time like 1:02.500 or 62.5");
    const i = nearestByTime(this.frames, ms);
    if (i >= 0) return this.go(this.frames[i].id);
  }

  async loadFrames() {
    const { frameId, videoId } = this.cfg;
    const [frames, annotations] = await Promise.all([api.frames(videoId), api.annotationsOfVideo(videoId)]);
    this.frames = visibleFrames(frames, frameId);
    this.panel.showFilmstrip(this.frames, new Map(annotations.map((a) => [a.frame, a])), frameId, (id) => this.go(id));
  }

  // Shapes.
  replace(name, shapes, opts) {
    this.model.replaceAll(name, shapes, opts);
    this.panel.toast(replacedText(name, shapes.length, this.model.vertexCount()));
  }

  // X: mark "nerve not visible" (removes the shapes; undoable), or X again: not marked.
  notVisible() {
    const flag = !this.model.isNotVisible();
    const removed = this.model.polygons.length;
    this.model.setNotVisible(flag);
    if (flag && removed) this.panel.toast(`Nerve not visible: ${removed} shape(s) removed (Ctrl+Z undoes).`);
    else this.panel.toast(flag ? "Marked: nerve not visible." : "No longer marked 'not visible'.");
    this.autosave.flush();
  }

  showPrediction(p) {
    this.prediction = p;
    this.controller.prediction = fromApiShapes(p.shapes, () => 0);
    this.modelLayer.show(p);
    this.panel.showPrediction(p);
    this.view.requestRender();
  }

  // The heatmap over the frame: "none" | "probability" | "fullgrad".
  overlay(kind) {
    return this.modelLayer.setOverlay(kind);
  }

  acceptPrediction() {
    const p = this.prediction;
    if (p) this.replace("accept prediction", p.shapes, { source: "model", predictionId: p.id });
  }

  copyPrevious() {
    return api.propose(this.cfg.frameId, "copy").then((r) => {
      this.replace(`copy of frame ${r.from_index}`, r.shapes, { source: "propagated" });
    }, this.failed);
  }

  propagate() {
    return api.propose(this.cfg.frameId, "flow").then((r) => {
      this.replace(`propagated from frame ${r.from_index}`, r.shapes, { source: "propagated" });
    }, this.failed);
  }

  async brushStroke(points, radius, erase) {
    const stroke = simplify(points, 0.5).slice(0, 5000);
    const body = {
      op: erase ? "erase" : "brush",
      shapes: this.model.toShapes(),
      label: this.panel.label,
      stroke,
      radius,
    };
    const r = await api.geometry(this.cfg.frameId, body).catch(this.failed);
    if (r) this.model.replaceAll(erase ? "eraser" : "brush", r.shapes);
    this.view.requestRender();
  }

  async repair() {
    const r = await api.geometry(this.cfg.frameId, { op: "repair", shapes: this.model.toShapes() }).catch(this.failed);
    if (r) this.replace("repair", r.shapes);
  }

  // Review (approve | reject) of the saved version.
  async review(decision) {
    const { autosave, panel } = this;
    if (!(await autosave.flush())) return panel.toast("Save or resolve your edits before reviewing.");
    const r = await api.review(this.cfg.frameId, autosave.version, decision, panel.reviewComment);
    if (r.status !== 200) return panel.toast(errorSentence(r.data, r.status));
    autosave.version = r.data.version;
    this.showAnnotation(r.data);
    panel.toast(decision === "approve" ? "Approved." : "Rejected; the annotator sees it first in their queue.");
  }

  // Conflicts (autosave got 412): both versions on the canvas, editing paused until one is chosen.
  conflict(current) {
    this.theirs = current;
    this.controller.theirs = fromApiShapes(current ? current.shapes : [], () => 0);
    this.controller.enabled = false;
    this.panel.openConflict(current);
    this.view.requestRender();
  }

  endConflict() {
    this.panel.closeConflict();
    this.controller.theirs = null;
    this.controller.enabled = true;
    this.view.requestRender();
  }

  takeTheirs() {
    this.endConflict();
    this.autosave.takeTheirs(this.theirs);
  }

  overwrite() {
    this.endConflict();
    this.autosave.overwrite(this.theirs);
  }
}
