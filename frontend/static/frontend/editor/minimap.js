// The minimap (as CVAT's): at high zoom, a small picture of the whole frame in the stage's
// corner with the part in view outlined; clicking or dragging on it moves the view there.
// visibleRect() and needsMinimap() are pure (unit-tested).

const WIDTH = 200; // CSS px; the height follows the frame's aspect ratio

// The part of the image in view, in image pixels, clipped to the image: {x, y, w, h}.
export function visibleRect(viewport, imgW, imgH, stageW, stageH) {
  const { scale, x, y } = viewport;
  const x0 = Math.max(0, -x / scale);
  const y0 = Math.max(0, -y / scale);
  const x1 = Math.min(imgW, (stageW - x) / scale);
  const y1 = Math.min(imgH, (stageH - y) / scale);
  return { x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0) };
}

// Shown when less than 90 % of the frame's width or height is in view.
export function needsMinimap(viewport, imgW, imgH, stageW, stageH) {
  const r = visibleRect(viewport, imgW, imgH, stageW, stageH);
  return r.w < 0.9 * imgW || r.h < 0.9 * imgH;
}

export class Minimap {
  constructor({ canvas, view, img }) {
    Object.assign(this, { canvas, view, img });
    this.ctx = canvas.getContext("2d");
    this.picture = null; // the frame drawn small, once per frame
    this.dragging = false;
    canvas.addEventListener("pointerdown", (e) => {
      this.dragging = true;
      canvas.setPointerCapture(e.pointerId);
      this.moveTo(e);
    });
    canvas.addEventListener("pointermove", (e) => this.dragging && this.moveTo(e));
    canvas.addEventListener("pointerup", () => {
      this.dragging = false;
    });
  }

  // A new frame (or its image) is shown.
  setImage() {
    const { width, height } = this.view;
    const dpr = window.devicePixelRatio || 1;
    const h = Math.round((WIDTH * height) / width);
    this.canvas.style.width = `${WIDTH}px`;
    this.canvas.style.height = `${h}px`;
    this.canvas.width = Math.round(WIDTH * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.picture = null;
    this.update();
  }

  update() {
    const { view, canvas } = this;
    const stage = view.stage;
    const show =
      this.img.complete && needsMinimap(view.viewport, view.width, view.height, stage.clientWidth, stage.clientHeight);
    canvas.hidden = !show;
    if (!show) return;
    if (!this.picture) {
      this.picture = document.createElement("canvas");
      this.picture.width = canvas.width;
      this.picture.height = canvas.height;
      this.picture.getContext("2d").drawImage(this.img, 0, 0, canvas.width, canvas.height);
    }
    const k = canvas.width / view.width;
    const r = visibleRect(view.viewport, view.width, view.height, stage.clientWidth, stage.clientHeight);
    const ctx = this.ctx;
    ctx.drawImage(this.picture, 0, 0);
    ctx.strokeStyle = "#ff4d4d";
    ctx.lineWidth = 2 * (window.devicePixelRatio || 1);
    ctx.strokeRect(r.x * k, r.y * k, Math.max(2, r.w * k), Math.max(2, r.h * k));
  }

  moveTo(e) {
    const box = this.canvas.getBoundingClientRect();
    const ix = ((e.clientX - box.left) / box.width) * this.view.width;
    const iy = ((e.clientY - box.top) / box.height) * this.view.height;
    this.view.centreOn(ix, iy);
  }
}
