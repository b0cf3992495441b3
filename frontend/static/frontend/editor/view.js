// Renders the editor from state only: the frame <img> under a CSS transform, and one overlay
// <canvas> with the layers (the model's heatmap, prediction, mine, theirs during a conflict, the
// draft being drawn). The stage's data-overlay says which heatmap the last render drew.

import { fitView, labelAnchor, zoomAround } from "./geometry.js";

const HANDLE = 5; // vertex handle size, screen px
const NAME_CHARS = 24; // a label's name on the canvas is cut here (…); the panel has it whole
const NAME_FONT = "12px system-ui, sans-serif";

export function nameText(label) {
  return label.length > NAME_CHARS ? `${label.slice(0, NAME_CHARS - 1)}…` : label;
}

export class View {
  constructor({ stage, img, canvas, width, height, getScene }) {
    this.stage = stage;
    this.img = img;
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.width = width;
    this.height = height;
    this.getScene = getScene;
    this.viewport = { scale: 1, x: 0, y: 0 };
    this.opacity = 0.35;
    this.layers = { mine: true, prediction: true, names: true };
    this.onViewChange = null; // (viewport) => void: the zoom readout and the minimap
    this.heatmap = null; // {canvas, kind}: a coloured map at its own resolution (overlay.js)
    this.heatOpacity = 0.6;
    this.frameTimes = []; // ms per render, read by the browser test
    this._queued = false;
    this.autoFit = true;
    new ResizeObserver(() => this.resize()).observe(stage);
    this.resize();
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    const { clientWidth: w, clientHeight: h } = this.stage;
    this.canvas.width = Math.max(1, Math.round(w * dpr));
    this.canvas.height = Math.max(1, Math.round(h * dpr));
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
    // Until the user zooms or pans, the image stays fitted (and centred) as the stage resizes.
    if (this.autoFit && w > 0) this.fit();
    else this.requestRender();
  }

  setView(v) {
    this.viewport = v;
    this.img.style.transform = `translate(${v.x}px, ${v.y}px) scale(${v.scale})`;
    this.img.classList.toggle("pixelated", v.scale >= 3);
    this.requestRender();
    this.onViewChange?.(v);
  }

  fit() {
    this.setView(fitView(this.width, this.height, this.stage.clientWidth, this.stage.clientHeight));
    this.autoFit = true;
  }

  actualSize() {
    this.zoomAt(1 / this.viewport.scale, this.stage.clientWidth / 2, this.stage.clientHeight / 2);
  }

  zoomAt(factor, sx, sy) {
    this.setView(zoomAround(this.viewport, factor, sx, sy));
    this.autoFit = false;
  }

  // Another frame's decoded <img> on the stage (frame to frame without a reload); the view is
  // kept unless the size changed or it was fitted. -> the <img> it replaced.
  setImage(img, width, height) {
    const old = this.img;
    img.id = old.id;
    img.className = old.className;
    img.alt = old.alt;
    img.draggable = false;
    old.replaceWith(img);
    this.img = img;
    const resized = width !== this.width || height !== this.height;
    this.width = width;
    this.height = height;
    if (resized || this.autoFit) this.fit();
    else this.setView(this.viewport);
    return old;
  }

  // The image point (ix, iy) to the middle of the stage, at the same zoom (the minimap).
  centreOn(ix, iy) {
    const { scale } = this.viewport;
    const x = this.stage.clientWidth / 2 - ix * scale;
    const y = this.stage.clientHeight / 2 - iy * scale;
    this.setView({ scale, x, y });
    this.autoFit = false;
  }

  panBy(dx, dy) {
    this.setView({ ...this.viewport, x: this.viewport.x + dx, y: this.viewport.y + dy });
    this.autoFit = false;
  }

  setHeatmap(canvas, kind = "none") {
    this.heatmap = canvas ? { canvas, kind } : null;
    this.requestRender();
  }

  requestRender() {
    if (this._queued) return;
    this._queued = true;
    requestAnimationFrame(() => {
      this._queued = false;
      const t0 = performance.now();
      this.render(this.getScene());
      this.frameTimes.push(performance.now() - t0);
      if (this.frameTimes.length > 600) this.frameTimes.shift();
    });
  }

  render(scene) {
    const ctx = this.ctx;
    const dpr = window.devicePixelRatio || 1;
    const { scale, x, y } = this.viewport;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.setTransform(dpr * scale, 0, 0, dpr * scale, dpr * x, dpr * y);
    const px = 1 / scale; // one screen pixel in image units
    this._heatmap();
    if (this.layers.prediction && scene.prediction) {
      this._polygons(scene.prediction, { color: () => "#2dd4f0", fill: 0, dash: [6 * px, 4 * px], px });
    }
    if (scene.theirs) {
      this._polygons(scene.theirs, { color: () => "#ff3df2", fill: 0.15, dash: [3 * px, 3 * px], px });
    }
    if (this.layers.mine) {
      this._polygons(scene.polygons, { color: scene.colorOf, fill: this.opacity, px, selected: scene.selected });
      const sel = scene.polygons.find((p) => p.id === scene.selected);
      if (sel && !scene.locked?.has(sel.id)) this._handles(sel, scene.selectedVertex, px);
      for (const stroke of scene.pending || []) this._pendingStroke(stroke, scene.colorOf(stroke.label));
      if (this.layers.names) this._names(scene.polygons, scene.colorOf, dpr);
      ctx.setTransform(dpr * scale, 0, 0, dpr * scale, dpr * x, dpr * y);
    }
    if (scene.draft?.length) this._draft(scene.draft, scene.cursor, px);
    if (scene.brush) this._brush(scene.brush, px);
  }

  // Under the polygons, stretched from its reduced resolution to the frame's.
  _heatmap() {
    const drawn = this.heatmap ? this.heatmap.kind : "none";
    if (this.heatmap) {
      this.ctx.globalAlpha = this.heatOpacity;
      this.ctx.imageSmoothingEnabled = true;
      this.ctx.drawImage(this.heatmap.canvas, 0, 0, this.width, this.height);
      this.ctx.globalAlpha = 1;
    }
    if (this.stage.dataset.overlay !== drawn) this.stage.dataset.overlay = drawn;
  }

  _path(rings) {
    const path = new Path2D();
    for (const ring of rings) {
      path.moveTo(ring[0][0], ring[0][1]);
      for (let i = 1; i < ring.length; i++) path.lineTo(ring[i][0], ring[i][1]);
      path.closePath();
    }
    return path;
  }

  _polygons(polygons, { color, fill, dash = [], px, selected = null }) {
    const ctx = this.ctx;
    for (const poly of polygons) {
      const path = this._path(poly.rings);
      const c = color(poly.label);
      if (fill > 0) {
        ctx.globalAlpha = fill;
        ctx.fillStyle = c;
        ctx.fill(path, "evenodd");
        ctx.globalAlpha = 1;
      }
      ctx.setLineDash(dash);
      ctx.lineWidth = (poly.id === selected ? 2.5 : 1.5) * px;
      ctx.strokeStyle = c;
      ctx.stroke(path);
      ctx.setLineDash([]);
    }
  }

  // Each polygon's label name above its topmost vertex, in screen pixels (as CVAT's).
  _names(polygons, colorOf, dpr) {
    const ctx = this.ctx;
    const { scale, x, y } = this.viewport;
    const w = this.canvas.width / dpr;
    const h = this.canvas.height / dpr;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.font = NAME_FONT;
    ctx.textBaseline = "middle";
    for (const poly of polygons) {
      const [ax, ay] = labelAnchor(poly.rings);
      const sx = ax * scale + x;
      const sy = ay * scale + y - 12;
      if (sx < -200 || sx > w || sy < -20 || sy > h + 20) continue;
      const text = nameText(poly.label);
      const tw = ctx.measureText(text).width;
      ctx.globalAlpha = 0.85;
      ctx.fillStyle = colorOf(poly.label);
      ctx.fillRect(sx - 3, sy - 8, tw + 6, 16);
      ctx.globalAlpha = 1;
      ctx.fillStyle = "#111";
      ctx.fillText(text, sx, sy);
    }
  }

  _handles(poly, selectedVertex, px) {
    const ctx = this.ctx;
    const h = HANDLE * px;
    ctx.fillStyle = "#ffffff";
    ctx.strokeStyle = "#1d2430";
    ctx.lineWidth = px;
    ctx.beginPath();
    for (const ring of poly.rings) for (const [vx, vy] of ring) ctx.rect(vx - h / 2, vy - h / 2, h, h);
    ctx.fill();
    ctx.stroke();
    if (selectedVertex) {
      const v = poly.rings[selectedVertex.ring]?.[selectedVertex.index];
      if (v) {
        ctx.fillStyle = "#b8323f";
        ctx.fillRect(v[0] - h, v[1] - h, 2 * h, 2 * h);
      }
    }
  }

  _draft(points, cursor, px) {
    const ctx = this.ctx;
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = 1.5 * px;
    ctx.beginPath();
    ctx.moveTo(points[0][0], points[0][1]);
    for (const p of points.slice(1)) ctx.lineTo(p[0], p[1]);
    if (cursor) ctx.lineTo(cursor[0], cursor[1]);
    ctx.stroke();
    ctx.fillStyle = "#ffffff";
    for (const p of points) ctx.fillRect(p[0] - 2 * px, p[1] - 2 * px, 4 * px, 4 * px);
  }

  // A stroke the server is merging: the brush's area in its label's colour as the fill will look,
  // or the eraser's cut out of the overlay, until the merged shapes arrive.
  _pendingStroke({ points, radius, erase }, color) {
    const ctx = this.ctx;
    ctx.save();
    ctx.globalCompositeOperation = erase ? "destination-out" : "source-over";
    ctx.globalAlpha = erase ? 1 : Math.max(this.opacity, 0.2);
    ctx.strokeStyle = color;
    ctx.lineWidth = 2 * radius;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(points[0][0], points[0][1]);
    for (const p of points) ctx.lineTo(p[0], p[1]);
    ctx.stroke();
    ctx.restore();
  }

  _brush({ points, radius, erase, cursor }, px) {
    const ctx = this.ctx;
    ctx.strokeStyle = erase ? "rgba(255,80,80,0.5)" : "rgba(255,255,255,0.5)";
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    if (points.length) {
      ctx.lineWidth = 2 * radius;
      ctx.beginPath();
      ctx.moveTo(points[0][0], points[0][1]);
      for (const p of points) ctx.lineTo(p[0], p[1]);
      ctx.stroke();
    }
    if (cursor) {
      ctx.lineWidth = px;
      ctx.strokeStyle = erase ? "#ff5050" : "#ffffff";
      ctx.beginPath();
      ctx.arc(cursor[0], cursor[1], radius, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }
}
