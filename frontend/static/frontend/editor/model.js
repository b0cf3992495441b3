// The editor's state: polygons in image pixel coordinates, selection, and an undo stack.
// Every change goes through `change()` (one undo step) or `begin()`/`end()` (a drag: many live
// updates, one undo step). No DOM here.

import { dedupeRing, fromApiShapes, toApiShapes } from "./geometry.js";

const UNDO_LIMIT = 200;

function clonePolygons(polygons) {
  return polygons.map((p) => ({ id: p.id, label: p.label, rings: p.rings.map((r) => r.map((v) => [v[0], v[1]])) }));
}

export class EditorModel {
  constructor({ labels = [], width = 0, height = 0 } = {}) {
    this.labels = labels; // [{name, value, color}]
    this.width = width;
    this.height = height;
    this.polygons = [];
    this.source = "manual";
    this.predictionId = null;
    this.notVisible = false; // "nerve not visible", said explicitly (X); drawing clears it
    this.selected = null; // polygon id
    // View state per polygon id, not saved and not undone (ids survive undo): hidden polygons
    // are neither drawn nor hit; locked ones cannot be changed (objects panel).
    this.hidden = new Set();
    this.locked = new Set();
    this.selectedVertex = null; // {ring, index}
    this.revision = 0; // grows on every change, undo included: the autosave's dirty marker
    this.undoStack = [];
    this.redoStack = [];
    this.listeners = new Set();
    this._seq = 0;
    this._pending = null;
  }

  nextId() {
    this._seq += 1;
    return this._seq;
  }

  onChange(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  _emit(kind) {
    for (const fn of this.listeners) fn(kind);
  }

  _snapshot() {
    return {
      polygons: clonePolygons(this.polygons),
      source: this.source,
      predictionId: this.predictionId,
      notVisible: this.notVisible,
    };
  }

  _restore(snap) {
    this.polygons = clonePolygons(snap.polygons);
    this.source = snap.source;
    this.predictionId = snap.predictionId;
    this.notVisible = snap.notVisible;
    if (!this.polygon(this.selected)) this.selected = null;
    this.selectedVertex = null;
  }

  // Replace everything without an undo step (loading a frame, or after taking "theirs").
  load(shapes, { source = "manual", predictionId = null, notVisible = false } = {}) {
    this.polygons = fromApiShapes(shapes, () => this.nextId());
    this.source = source || "manual";
    this.predictionId = predictionId;
    this.notVisible = Boolean(notVisible);
    this.selected = null;
    this.selectedVertex = null;
    this.hidden.clear();
    this.locked.clear();
    this.undoStack = [];
    this.redoStack = [];
    this.revision += 1;
    this._emit("load");
  }

  // What a save says about visibility: only an explicit "not visible" with nothing drawn.
  isNotVisible() {
    return this.notVisible && this.polygons.length === 0;
  }

  toShapes() {
    return toApiShapes(
      this.polygons,
      this.labels.map((l) => l.name),
    );
  }

  polygon(id) {
    return this.polygons.find((p) => p.id === id) || null;
  }

  get canUndo() {
    return this.undoStack.length > 0;
  }

  get canRedo() {
    return this.redoStack.length > 0;
  }

  // One undoable operation.
  change(name, fn) {
    const before = this._snapshot();
    const result = fn();
    if (result === false) return false;
    this._pushUndo(name, before);
    return true;
  }

  _pushUndo(name, before) {
    if (this.polygons.length) this.notVisible = false; // drawing says the nerve is visible
    this.undoStack.push({ name, snap: before });
    if (this.undoStack.length > UNDO_LIMIT) this.undoStack.shift();
    this.redoStack = [];
    this.revision += 1;
    this._emit(name);
  }

  // A drag: `begin` once, `live` per pointer move (no undo step), `end` once.
  begin(name) {
    this._pending = { name, snap: this._snapshot(), moved: false };
  }

  live(fn) {
    fn();
    if (this._pending) this._pending.moved = true;
    this._emit("live");
  }

  end() {
    const pending = this._pending;
    this._pending = null;
    if (pending?.moved) this._pushUndo(pending.name, pending.snap);
    else if (pending) this._emit("select");
  }

  undo() {
    if (this._pending) this.end();
    const step = this.undoStack.pop();
    if (!step) return false;
    this.redoStack.push({ name: step.name, snap: this._snapshot() });
    this._restore(step.snap);
    this.revision += 1;
    this._emit("undo");
    return true;
  }

  redo() {
    const step = this.redoStack.pop();
    if (!step) return false;
    this.undoStack.push({ name: step.name, snap: this._snapshot() });
    this._restore(step.snap);
    this.revision += 1;
    this._emit("redo");
    return true;
  }

  // Hide / show, lock / unlock one polygon (kind "view": nothing to save).
  toggleHidden(id) {
    if (!this.hidden.delete(id)) this.hidden.add(id);
    if (this.hidden.has(id) && this.selected === id) this.selected = null;
    this._emit("view");
  }

  toggleLocked(id) {
    if (!this.locked.delete(id)) this.locked.add(id);
    if (this.selected === id) this.selectedVertex = null;
    this._emit("view");
  }

  // Polygons that can be seen and hit, topmost last.
  visiblePolygons() {
    return this.hidden.size ? this.polygons.filter((p) => !this.hidden.has(p.id)) : this.polygons;
  }

  select(id, vertex = null) {
    this.selected = id;
    this.selectedVertex = vertex;
    this._emit("select");
  }

  // --- operations (each one undo step) ---------------------------------------------------------

  // A ring of under 3 distinct vertices is not added (null / false): the caller says why.
  addPolygon(label, ring) {
    const outer = dedupeRing(ring);
    if (outer.length < 3) return null;
    const poly = { id: this.nextId(), label, rings: [outer] };
    this.change("add polygon", () => {
      this.polygons.push(poly);
      this.selected = poly.id;
      this.selectedVertex = null;
    });
    return poly.id;
  }

  addHole(id, ring) {
    const poly = this.polygon(id);
    const hole = dedupeRing(ring);
    if (!poly || hole.length < 3) return false;
    return this.change("add hole", () => {
      poly.rings.push(hole);
    });
  }

  deletePolygon(id) {
    const i = this.polygons.findIndex((p) => p.id === id);
    if (i < 0) return false;
    return this.change("delete polygon", () => {
      this.polygons.splice(i, 1);
      if (this.selected === id) this.selected = null;
      this.selectedVertex = null;
    });
  }

  insertVertex(id, ring, afterIndex, point) {
    const poly = this.polygon(id);
    if (!poly) return false;
    return this.change("insert vertex", () => {
      poly.rings[ring].splice(afterIndex + 1, 0, [point[0], point[1]]);
      this.selectedVertex = { ring, index: afterIndex + 1 };
    });
  }

  // Deleting below 3 vertices removes the ring (a hole), or the polygon (its outer ring).
  deleteVertex(id, ring, index) {
    const poly = this.polygon(id);
    if (!poly?.rings[ring]) return false;
    return this.change("delete vertex", () => {
      const r = poly.rings[ring];
      r.splice(index, 1);
      if (r.length < 3) {
        if (ring === 0) {
          this.polygons = this.polygons.filter((p) => p.id !== id);
          this.selected = null;
        } else {
          poly.rings.splice(ring, 1);
        }
      }
      this.selectedVertex = null;
    });
  }

  // "Nerve not visible" on (its shapes are removed) or off again; one undo step.
  setNotVisible(flag) {
    if (flag === this.isNotVisible()) return false;
    return this.change(flag ? "nerve not visible" : "nerve visible again", () => {
      this.notVisible = flag;
      if (flag) {
        this.polygons = [];
        this.source = "manual";
        this.predictionId = null;
        this.selected = null;
        this.selectedVertex = null;
      }
    });
  }

  setLabel(id, label) {
    const poly = this.polygon(id);
    if (!poly || poly.label === label) return false;
    return this.change("change label", () => {
      poly.label = label;
    });
  }

  // Live updates inside begin()/end().
  moveVertexLive(id, ring, index, point) {
    const poly = this.polygon(id);
    if (!poly) return;
    this.live(() => {
      const v = poly.rings[ring][index];
      v[0] = point[0];
      v[1] = point[1];
    });
  }

  translateLive(id, dx, dy) {
    const poly = this.polygon(id);
    if (!poly) return;
    this.live(() => {
      for (const r of poly.rings) {
        for (const v of r) {
          v[0] += dx;
          v[1] += dy;
        }
      }
    });
  }

  // Replace all shapes as one undoable step (accept prediction, propagate, brush result...).
  replaceAll(name, shapes, { source, predictionId, notVisible = false } = {}) {
    return this.change(name, () => {
      this.polygons = fromApiShapes(shapes, () => this.nextId());
      if (source !== undefined) this.source = source;
      if (predictionId !== undefined) this.predictionId = predictionId;
      this.notVisible = notVisible;
      this.selected = null;
      this.selectedVertex = null;
    });
  }

  vertexCount() {
    let n = 0;
    for (const p of this.polygons) for (const r of p.rings) n += r.length;
    return n;
  }
}
