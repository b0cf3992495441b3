// Pointer and keyboard -> model commands and view changes. Tools: select (drag vertex, insert on
// edge, move polygon), polygon (clicks or freehand), hole, brush, eraser. No fetch() here: what
// needs the server goes through `actions` (commands.js).

import {
  clampPoint,
  dedupeRing,
  dist2,
  nearestEdge,
  nearestVertex,
  pointInPolygon,
  screenToImage,
  simplify,
} from "./geometry.js";

const HIT_PX = 7; // hit tolerance in screen pixels
const FREEHAND_PX = 5; // drag further than this after the first point: freehand
const DOUBLE_CLICK_MS = 500; // a second press this soon and this near (px) closes the polygon
const DOUBLE_CLICK_PX = 6;
export const TOO_FEW_VERTICES = "Not drawn: a ring needs at least 3 distinct vertices";
const READ_ONLY_KEYS = new Set(["f", "1", "+", "=", "-", "a", "d", "arrowleft", "arrowright", "q", "?", " ", "escape"]);
const EDIT_KEYS = new Set(["delete", "backspace", "enter"]);
const KEY_TOOLS = { v: "select", n: "polygon", h: "hole", b: "brush", e: "eraser" };
const zoomAtCentre = (c, factor) => c.view.zoomAt(factor, c.stage.clientWidth / 2, c.stage.clientHeight / 2);
// Keys without modifiers -> what they do to the controller `c`.
const SHORTCUTS = {
  f: (c) => c.view.fit(),
  1: (c) => c.view.actualSize(),
  "+": (c) => zoomAtCentre(c, 1.25),
  "=": (c) => zoomAtCentre(c, 1.25),
  "-": (c) => zoomAtCentre(c, 0.8),
  "[": (c) => c.actions.brushSize(-2),
  "]": (c) => c.actions.brushSize(2),
  a: (c) => c.actions.prev(),
  arrowleft: (c) => c.actions.prev(),
  d: (c) => c.actions.next(),
  arrowright: (c) => c.actions.next(),
  s: (c) => c.actions.submit(),
  q: (c) => c.actions.queueNext(),
  x: (c) => c.actions.notVisible(),
  p: (c) => c.actions.acceptPrediction(),
  c: (c) => c.actions.copyPrevious(),
  g: (c) => c.actions.propagate(),
  "?": (c) => c.actions.help(),
};

export class Controller {
  constructor({ stage, view, model, actions, currentLabel, colorOf }) {
    Object.assign(this, { stage, view, model, actions, currentLabel, colorOf });
    this.tool = "select";
    this.draft = [];
    this.cursor = null;
    this.drag = null;
    this.brushRadius = 12;
    this.brushPoints = null;
    this.pending = []; // strokes sent to the server, drawn until its answer replaces them
    this.spaceDown = false;
    this.prediction = null;
    this.theirs = null;
    this.enabled = true;
    stage.addEventListener("pointerdown", (e) => this.down(e));
    stage.addEventListener("pointermove", (e) => this.move(e));
    stage.addEventListener("pointerup", (e) => this.up(e));
    stage.addEventListener("dblclick", (e) => this.doubleClick(e));
    stage.addEventListener("contextmenu", (e) => e.preventDefault());
    stage.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
    window.addEventListener("keydown", (e) => this.key(e));
    window.addEventListener("keyup", (e) => {
      if (e.key === " ") this.spaceDown = false;
    });
  }

  scene() {
    const brush =
      this.tool === "brush" || this.tool === "eraser"
        ? {
            points: this.brushPoints || [],
            radius: this.brushRadius,
            erase: this.tool === "eraser",
            cursor: this.cursor,
          }
        : null;
    return {
      polygons: this.model.visiblePolygons(),
      locked: this.model.locked,
      selected: this.model.selected,
      selectedVertex: this.model.selectedVertex,
      colorOf: this.colorOf,
      prediction: this.prediction,
      theirs: this.theirs,
      draft: this.draft,
      pending: this.pending,
      cursor: this.draft.length ? this.cursor : null,
      brush,
    };
  }

  cancelDraft() {
    this.draft = [];
    this.brushPoints = null;
    this.drag = null;
    this.view.requestRender();
  }

  setTool(tool) {
    this.tool = tool;
    this.draft = [];
    this.stage.dataset.tool = tool;
    this.actions.toolChanged(tool);
    this.view.requestRender();
  }

  point(e) {
    const r = this.stage.getBoundingClientRect();
    const s = [e.clientX - r.left, e.clientY - r.top];
    return { screen: s, image: clampPoint(screenToImage(this.view.viewport, s), this.model.width, this.model.height) };
  }

  tol() {
    return HIT_PX / this.view.viewport.scale;
  }

  down(e) {
    if (!this.enabled || e.target.closest("[data-own-pointer]")) return; // banner, minimap
    this.stage.focus();
    this.stage.setPointerCapture(e.pointerId);
    const { screen, image } = this.point(e);
    if (e.button === 1 || (e.button === 0 && this.spaceDown)) {
      this.drag = { kind: "pan", last: screen };
      return;
    }
    if (e.button !== 0) return;
    if (this.readOnly) {
      if (this.tool !== "select") this.actions.readOnly();
      this.drag = { kind: "pan", last: screen };
      return;
    }
    if (this.tool === "polygon" || this.tool === "hole") return this.draftDown(e, screen, image);
    if (this.tool === "brush" || this.tool === "eraser") {
      this.brushPoints = [image];
      this.drag = { kind: "brush" };
      return this.view.requestRender();
    }
    this.selectDown(e, screen, image);
  }

  selectDown(e, screen, image) {
    const m = this.model;
    const sel = m.polygon(m.selected);
    if (sel && !m.locked.has(sel.id)) {
      const v = nearestVertex(sel.rings, image, this.tol());
      if (v && e.altKey) return m.deleteVertex(sel.id, v.ring, v.index);
      if (v) {
        m.select(sel.id, v);
        m.begin("move vertex");
        this.drag = { kind: "vertex", id: sel.id, ...v };
        return;
      }
      const edge = nearestEdge(sel.rings, image, this.tol());
      if (edge) {
        m.begin("insert vertex");
        m.live(() => sel.rings[edge.ring].splice(edge.index + 1, 0, edge.point.slice()));
        m.select(sel.id, { ring: edge.ring, index: edge.index + 1 });
        this.drag = { kind: "vertex", id: sel.id, ring: edge.ring, index: edge.index + 1 };
        return;
      }
    }
    const hit = [...m.visiblePolygons()].reverse().find((p) => pointInPolygon(image, p.rings));
    if (hit && m.locked.has(hit.id)) {
      m.select(hit.id);
      this.drag = { kind: "pan", last: screen };
      return;
    }
    if (hit) {
      m.select(hit.id);
      m.begin("move polygon");
      this.drag = { kind: "polygon", id: hit.id, last: image };
      return;
    }
    m.select(null);
    this.drag = { kind: "pan", last: screen };
  }

  // A click adds a vertex; the second press of a double-click closes the polygon instead
  // (pointer events carry no click count, so the controller times the presses itself).
  draftDown(e, screen, image) {
    const last = this.lastPress;
    this.lastPress = { at: e.timeStamp, screen };
    if (last && this.draft.length && e.timeStamp - last.at < DOUBLE_CLICK_MS) {
      if (dist2(screen, last.screen) <= DOUBLE_CLICK_PX ** 2) {
        this.lastPress = null;
        return this.finishDraft(false);
      }
    }
    this.draft.push(image);
    this.drag = { kind: "draft", start: screen, freehand: false, lastScreen: screen };
    this.view.requestRender();
  }

  // The browser's own double-click: closes a draft the presses did not (a slow double-click).
  doubleClick(e) {
    e.preventDefault();
    if ((this.tool === "polygon" || this.tool === "hole") && this.draft.length) this.finishDraft(false);
  }

  move(e) {
    if (!this.drag && e.target.closest("[data-own-pointer]")) return;
    const { screen, image } = this.point(e);
    this.cursor = image;
    const d = this.drag;
    if (!d) {
      if (this.draft.length || this.tool === "brush" || this.tool === "eraser") this.view.requestRender();
      return;
    }
    if (d.kind === "pan") {
      this.view.panBy(screen[0] - d.last[0], screen[1] - d.last[1]);
      d.last = screen;
    } else if (d.kind === "vertex") {
      this.model.moveVertexLive(d.id, d.ring, d.index, image);
    } else if (d.kind === "polygon") {
      this.model.translateLive(d.id, image[0] - d.last[0], image[1] - d.last[1]);
      d.last = image;
    } else if (d.kind === "draft") {
      if (!d.freehand && this.draft.length === 1 && dist2(screen, d.start) > FREEHAND_PX ** 2) d.freehand = true;
      if (d.freehand && dist2(screen, d.lastScreen) > 4) {
        this.draft.push(image);
        d.lastScreen = screen;
      }
      this.view.requestRender();
    } else if (d.kind === "brush") {
      this.brushPoints.push(image);
      this.view.requestRender();
    }
  }

  up(e) {
    const d = this.drag;
    this.drag = null;
    if (!d) return;
    if (this.stage.hasPointerCapture(e.pointerId)) this.stage.releasePointerCapture(e.pointerId);
    if (d.kind === "vertex" || d.kind === "polygon") this.model.end();
    else if (d.kind === "draft" && d.freehand) this.finishDraft(true);
    else if (d.kind === "brush") {
      const points = this.brushPoints;
      this.brushPoints = null;
      this.actions.brushStroke(points, this.brushRadius, this.tool === "eraser");
    }
  }

  finishDraft(freehand) {
    let ring = dedupeRing(this.draft);
    this.draft = [];
    this.view.requestRender();
    if (freehand) ring = simplify(ring, 1.5 / this.view.viewport.scale);
    if (ring.length < 3) return this.actions.message(`${TOO_FEW_VERTICES} (this one has ${ring.length}).`);
    const m = this.model;
    if (this.tool === "hole") {
      const sel = m.polygon(m.selected);
      const open = (p) => p && !m.locked.has(p.id) && pointInPolygon(ring[0], p.rings);
      const target = open(sel) ? sel : m.visiblePolygons().find(open);
      if (!target) return this.actions.message("Draw a hole inside a polygon (not a locked one).");
      m.addHole(target.id, ring);
      return;
    }
    m.addPolygon(this.currentLabel(), ring);
  }

  wheel(e) {
    e.preventDefault();
    const r = this.stage.getBoundingClientRect();
    this.view.zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
  }

  deleteSelection() {
    const m = this.model;
    if (m.selected == null) return;
    if (m.locked.has(m.selected)) return this.actions.message("Locked: unlock it in the objects panel to change it.");
    if (m.selectedVertex) m.deleteVertex(m.selected, m.selectedVertex.ring, m.selectedVertex.index);
    else m.deletePolygon(m.selected);
  }

  key(e) {
    const t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
    if (!this.enabled) return;
    const k = e.key.toLowerCase();
    const ctrl = e.ctrlKey || e.metaKey;
    if (this.readOnly && (ctrl || !READ_ONLY_KEYS.has(k))) {
      const edits = ctrl ? k === "z" || k === "y" : KEY_TOOLS[k] || SHORTCUTS[k] || EDIT_KEYS.has(k);
      if (edits) this.actions.readOnly(); // says why nothing happens
      return;
    }
    if (ctrl) return this.ctrlKey(e, k);
    if (e.altKey || this.editKey(e)) return;
    if (KEY_TOOLS[k]) return this.setTool(KEY_TOOLS[k]);
    if (SHORTCUTS[k]) {
      e.preventDefault();
      SHORTCUTS[k](this);
    }
  }

  // Ctrl (or Cmd) + Z, Shift+Z, Y, S.
  ctrlKey(e, k) {
    if (k === "z" || k === "y") {
      e.preventDefault();
      if (k === "y" || e.shiftKey) this.model.redo();
      else this.model.undo();
    } else if (k === "s") {
      e.preventDefault();
      this.actions.saveNow();
    }
  }

  // Space (pan), Enter, Escape, Backspace, Delete; true when the key was handled.
  editKey(e) {
    if (e.key === " ") {
      this.spaceDown = true;
      e.preventDefault();
    } else if (e.key === "Enter" && this.draft.length) {
      this.finishDraft(false);
    } else if (e.key === "Escape") {
      this.draft = [];
      this.model.select(null);
      this.actions.escape();
    } else if (e.key === "Backspace" && this.draft.length) {
      this.draft.pop();
      this.view.requestRender();
    } else if (e.key === "Delete" || e.key === "Backspace") {
      e.preventDefault();
      this.deleteSelection();
    } else {
      return false;
    }
    return true;
  }
}
