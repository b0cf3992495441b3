// Debounced autosave with If-Match. States: saved, unsaved, saving, conflict, error.
// A 412 never overwrites: it stops and hands both versions to `onConflict`. Each save sends the
// seconds of active editing since the last successful one (`activity`, timing.js).

import { api } from "./api.js";
import { editSeconds } from "./timing.js";

export class Autosave {
  constructor({ model, frameId, version, activity, onState, onSaved, onConflict, onApproved, delay = 700 }) {
    Object.assign(this, { model, frameId, version, activity, onState, onSaved, onConflict, onApproved, delay });
    this.savedRevision = model.revision;
    this.state = "saved";
    this.timer = null;
    this.inflight = null;
    this.message = "";
  }

  get dirty() {
    return this.model.revision !== this.savedRevision || this.inflight !== null;
  }

  setState(state, message = "") {
    this.state = state;
    this.message = message;
    this.onState(state, message);
  }

  // After a model change.
  changed() {
    if (this.state === "conflict") return;
    if (this.model.revision === this.savedRevision) {
      if (!this.inflight) this.setState("saved");
      return;
    }
    this.setState("unsaved");
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.delay);
  }

  // Save now (waits for a save already under way). Resolves true when saved.
  async flush({ status } = {}) {
    clearTimeout(this.timer);
    if (this.state === "conflict") return false;
    while (this.inflight) await this.inflight;
    if (!status && this.model.revision === this.savedRevision) return this.state === "saved";
    this.inflight = this._save(status);
    try {
      return await this.inflight;
    } finally {
      this.inflight = null;
    }
  }

  async _save(status) {
    const revision = this.model.revision;
    const counted = this.activity.ms; // a failed save leaves it counted, to be sent again
    const body = {
      shapes: this.model.toShapes(),
      source: this.model.source,
      prediction: this.model.predictionId,
      not_visible: this.model.isNotVisible(),
      edit_seconds: editSeconds(counted),
    };
    if (status) body.status = status;
    this.setState("saving");
    let res;
    try {
      res = await api.save(this.frameId, this.version, body);
    } catch {
      this.setState("error", "Network error; will retry.");
      this.timer = setTimeout(() => this.flush({ status }), 3000);
      return false;
    }
    if (res.status === 200) {
      this._saved(res, revision, counted);
      if (this.model.revision !== revision) this.changed();
      else this.setState("saved");
      return true;
    }
    return this._refused(res);
  }

  _saved(res, revision, counted) {
    this.version = res.version ?? res.data.version;
    this.savedRevision = revision;
    this.activity.consume(counted);
    this.onSaved(res.data);
  }

  // A brush or eraser stroke, merged and saved by the server in one request (after any save
  // under way); the model then takes the server's shapes as saved, so autosave sends nothing.
  // The editor's own shapes go along only when it has unsaved changes.
  async stroke(body, name) {
    clearTimeout(this.timer);
    while (this.inflight) await this.inflight;
    if (this.state === "conflict") return false;
    const frameId = this.frameId;
    const counted = this.activity.ms;
    const full = { ...body, source: this.model.source, prediction: this.model.predictionId };
    full.edit_seconds = editSeconds(counted);
    if (this.model.revision !== this.savedRevision) full.shapes = this.model.toShapes();
    this.setState("saving");
    this.inflight = api.stroke(frameId, this.version, full).then(
      (res) => {
        if (frameId !== this.frameId) return false; // the editor moved on meanwhile
        if (res.status !== 200) return this._refused(res);
        this.model.replaceAll(name, res.data.shapes, { notVisible: res.data.not_visible });
        this._saved(res, this.model.revision, counted);
        clearTimeout(this.timer);
        this.setState("saved");
        return true;
      },
      () => {
        this.setState("error", "Network error: the stroke was not saved; draw it again.");
        return false;
      },
    );
    try {
      return await this.inflight;
    } finally {
      this.inflight = null;
    }
  }

  _refused(res) {
    if (res.status === 412) {
      this.setState("conflict", res.data.detail);
      this.onConflict(res.data.current);
      return false;
    }
    if (res.status === 409 && res.data?.code === "approved") {
      this.setState("error", res.data.detail);
      this.onApproved();
      return false;
    }
    const problems = res.data?.problems || [];
    const detail = res.data?.detail || `HTTP ${res.status}`;
    this.setState("error", problems.length ? problems.join("; ") : detail);
    return false;
  }

  // The model was loaded with the server's version `version` (nothing unsaved).
  reset(version, revision) {
    clearTimeout(this.timer);
    this.version = version;
    this.savedRevision = revision;
    this.setState("saved");
  }

  // Conflict resolution: keep the server's version (undoably), or save mine over it.
  takeTheirs(current) {
    this.model.replaceAll("take theirs", current.shapes || [], {
      source: current.source || "manual",
      predictionId: current.prediction ?? null,
      notVisible: Boolean(current.not_visible),
    });
    this.version = current.version;
    this.savedRevision = this.model.revision;
    this.setState("saved");
    this.onSaved(current);
  }

  async overwrite(current) {
    this.version = current.version;
    this.setState("unsaved");
    return this.flush();
  }
}
