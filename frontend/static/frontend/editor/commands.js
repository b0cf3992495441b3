// Editor commands that need the server, navigation or several parts at once: the `actions` the
// Controller calls for keys, and what the panel's buttons do (panel-controller.js). No DOM here:
// the PanelView shows results and reads the panel's inputs. main.js sets `autosave`,
// `controller`, `objects`, `modelLayer` (the heatmaps) and `navigator` (frame to frame) once
// they exist. Review, reopening and conflicts: review.js.

import { api } from "./api.js";
import { fromApiShapes, parseTimestamp, simplify } from "./geometry.js";
import { replacedText } from "./panel.js";
import { ReviewCommands } from "./review.js";

export class Commands extends ReviewCommands {
  constructor(parts) {
    super(parts);
    this.modelLayer = null;
    this.navigator = null;
    this.prediction = null;
    this.failed = (err) => this.panel.toast(err.message || String(err));
  }

  // Called by the Controller.
  toolChanged(tool) {
    this.panel.showTool(tool);
  }

  message(text) {
    this.panel.toast(text);
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
    return this.navigator.step(-1);
  }

  next() {
    return this.navigator.step(1);
  }

  go(frameId) {
    return this.navigator.open(frameId);
  }

  // May the frame be left? Its edits are saved first; a failed save keeps the editor on it.
  async leave() {
    if (this.cfg.canAnnotate && !(await this.autosave.flush())) {
      this.panel.toast("Resolve the save problem before leaving this frame.");
      return false;
    }
    return true;
  }

  // What belongs to the frame being left: its prediction, heatmap, draft and conflict.
  clearFrame() {
    this.modelLayer.stop();
    this.modelLayer.show(null);
    this.panel.clearPrediction();
    this.view.setHeatmap(null);
    this.prediction = null;
    this.controller.prediction = null;
    this.controller.cancelDraft();
    if (this.theirs) this.endConflict();
    this.theirs = null;
  }

  async queueNext() {
    if (this.cfg.canAnnotate && !(await this.autosave.flush()))
      return this.panel.toast("Resolve the save problem first.");
    const next = await api.queueNext(this.cfg.project, this.cfg.frameId).catch(this.failed);
    if (next?.video === this.cfg.videoId) await this.navigator.open(next.frame);
    else if (next) window.location.assign(next.editor_url);
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
    return this.navigator.jump(ms).catch(this.failed);
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

  // Copy / propagate from the previous annotated frame (applied only if still on this frame).
  async fromPrevious(mode) {
    const frameId = this.cfg.frameId;
    const r = await api.propose(frameId, mode).catch(this.failed);
    if (!r || frameId !== this.cfg.frameId) return;
    const name = mode === "copy" ? `copy of frame ${r.from_index}` : `propagated from frame ${r.from_index}`;
    this.replace(name, r.shapes, { source: "propagated" });
  }

  copyPrevious() {
    return this.fromPrevious("copy");
  }

  propagate() {
    return this.fromPrevious("flow");
  }

  // A brush or eraser stroke: shown at once on the canvas (a preview), merged and saved by the
  // server in one request (autosave.stroke), so it is sent once.
  async brushStroke(points, radius, erase) {
    const stroke = simplify(points, 0.5).slice(0, 5000);
    const label = this.panel.label;
    const preview = { points: stroke, radius, erase, label };
    this.controller.pending.push(preview);
    this.view.requestRender();
    const body = { op: erase ? "erase" : "brush", label, stroke, radius };
    await this.autosave.stroke(body, erase ? "eraser" : "brush");
    this.controller.pending = this.controller.pending.filter((p) => p !== preview);
    this.view.requestRender();
  }

  async repair() {
    const r = await api.geometry(this.cfg.frameId, { op: "repair", shapes: this.model.toShapes() }).catch(this.failed);
    if (r) this.replace("repair", r.shapes);
  }
}
