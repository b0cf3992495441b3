// Commands about the frame's annotation as a whole, shared by the Commands class (commands.js
// extends this one): whether the caller may edit it (approved frames are read-only, a data
// manager reopens them first), review (approve / reject), and conflicts with another client's
// save. No DOM here: the PanelView shows, the Controller obeys `readOnly` and `enabled`.

import { errorSentence } from "../http.js";
import { api } from "./api.js";
import { fromApiShapes } from "./geometry.js";
import { editMode } from "./panel.js";

export class ReviewCommands {
  constructor({ cfg, model, view, panel }) {
    Object.assign(this, { cfg, model, view, panel });
    this.autosave = null;
    this.controller = null;
    this.objects = null; // the objects panel (objects-panel.js)
    this.annotation = null; // the annotation as the server last answered it
    this.mode = null; // editMode() of that annotation for this caller
    this.theirs = null; // the server's annotation during a conflict
  }

  // The frame's annotation as the server has it now (loaded, saved, reviewed, reopened): the
  // panel shows it, and it decides whether this caller may edit the frame.
  showAnnotation(a) {
    this.annotation = a;
    this.panel.showAnnotation(a);
    if (a.frame) this.panel.showThumbStatus(a.frame, a.status); // the filmstrip's colour
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
