// Heatmap overlays of the model layer: a grayscale PNG (0..255) coloured through a lookup table
// into an offscreen canvas at the PNG's own (reduced) resolution; view.js scales it to the frame.
// The colormaps and colorize() are pure (unit-tested); loadHeatmap() needs the DOM.

// Viridis (matplotlib), 9 stops: perceptually uniform, readable by colour-blind users.
const VIRIDIS = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];
const PROBABILITY_FLOOR = 0.05; // below this the map is transparent: the frame stays readable

function lerpStops(stops, t) {
  const x = t * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  return stops[i].map((c, k) => Math.round(c + (stops[i + 1][k] - c) * f));
}

// Nerve probability p in 0..1 -> [r, g, b, a]: viridis, transparent where p is low and opaque
// from p = 0.5 on, so the model's "sure" region reads as solid yellow-green.
export function probabilityColor(p) {
  const alpha = p < PROBABILITY_FLOOR ? 0 : Math.min(1, p / 0.5);
  return [...lerpStops(VIRIDIS, p), Math.round(255 * alpha)];
}

// Saliency s in 0..1 -> [r, g, b, a]: matplotlib's "hot" (black, red, yellow, white), fading to
// transparent below s = 0.1 instead of darkening the whole frame, opaque from s = 0.5 on.
export function hotColor(s) {
  const ramp = (v) => Math.round(255 * Math.min(1, Math.max(0, v)));
  return [ramp(3 * s), ramp(3 * s - 1), ramp(3 * s - 2), ramp((s - 0.1) * 2.5)];
}

// A 256-entry RGBA lookup table (Uint8ClampedArray of 1024) of a colormap.
export function lookupTable(colormap) {
  const lut = new Uint8ClampedArray(256 * 4);
  for (let v = 0; v < 256; v++) lut.set(colormap(v / 255), v * 4);
  return lut;
}

export const COLORMAPS = { probability: lookupTable(probabilityColor), fullgrad: lookupTable(hotColor) };

// RGBA pixels of a grayscale image (the red channel holds the value) -> coloured RGBA pixels.
export function colorize(pixels, lut) {
  const out = new Uint8ClampedArray(pixels.length);
  for (let i = 0; i < pixels.length; i += 4) {
    const j = pixels[i] * 4;
    out[i] = lut[j];
    out[i + 1] = lut[j + 1];
    out[i + 2] = lut[j + 2];
    out[i + 3] = lut[j + 3];
  }
  return out;
}

// Loads the PNG at `url` -> a canvas of the coloured heatmap. Rejects with a sentence.
export function loadHeatmap(url, lut) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height);
      data.data.set(colorize(data.data, lut));
      ctx.putImageData(data, 0, 0);
      resolve(canvas);
    };
    img.onerror = () => reject(new Error("The heatmap image could not be loaded."));
    img.src = url;
  });
}
