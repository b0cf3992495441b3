import assert from "node:assert/strict";
import { test } from "node:test";

import { COLORMAPS, colorize, hotColor, lookupTable, probabilityColor } from "../overlay.js";

test("probability: transparent where the model is unsure of any nerve, opaque yellow where sure", () => {
  assert.equal(probabilityColor(0)[3], 0);
  assert.equal(probabilityColor(0.04)[3], 0);
  assert.ok(probabilityColor(0.2)[3] > 0 && probabilityColor(0.2)[3] < 255);
  assert.equal(probabilityColor(0.5)[3], 255);
  assert.deepEqual(probabilityColor(1), [253, 231, 37, 255]); // viridis' yellow end
  assert.deepEqual(probabilityColor(0.5).slice(0, 3), [33, 144, 141]); // its teal middle
});

test("probability: viridis gets lighter as p grows (perceptual order)", () => {
  const luminance = ([r, g, b]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;
  for (let v = 0; v < 1; v += 0.05) assert.ok(luminance(probabilityColor(v + 0.05)) > luminance(probabilityColor(v)));
});

test("hot: black-red-yellow-white, fading out at the low end", () => {
  assert.deepEqual(hotColor(0), [0, 0, 0, 0]);
  assert.equal(hotColor(0.1)[3], 0);
  assert.ok(hotColor(0.3)[3] > 0 && hotColor(0.3)[3] < 255);
  assert.deepEqual(hotColor(0.5).slice(0, 3), [255, 128, 0]);
  assert.equal(hotColor(0.5)[3], 255);
  assert.deepEqual(hotColor(2 / 3), [255, 255, 0, 255]);
  assert.deepEqual(hotColor(1), [255, 255, 255, 255]);
});

test("colorize maps each pixel's gray value through the table", () => {
  const lut = lookupTable((v) => [Math.round(v * 255), 7, 9, 200]);
  const gray = new Uint8ClampedArray([0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255]);
  assert.deepEqual([...colorize(gray, lut)], [0, 7, 9, 200, 128, 7, 9, 200, 255, 7, 9, 200]);
  assert.equal(COLORMAPS.probability.length, 1024);
  assert.deepEqual([...COLORMAPS.fullgrad.slice(255 * 4)], [255, 255, 255, 255]);
});
