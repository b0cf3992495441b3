import assert from "node:assert/strict";
import { test } from "node:test";

import { filmstripWindow, neighbourFrame, visibleFrames } from "../navigation.js";

const frames = Array.from({ length: 30 }, (_, i) => ({ id: 100 + i, index: i * 2, excluded: i % 5 === 4 }));

test("visibleFrames skips excluded frames except the current one", () => {
  const shown = visibleFrames(frames, 104);
  assert.equal(shown.length, 25);
  assert.ok(shown.some((f) => f.id === 104));
  assert.ok(!shown.some((f) => f.id === 109));
});

test("neighbourFrame is the nearest frame before or after the index, undefined at the ends", () => {
  const shown = visibleFrames(frames, 104);
  assert.equal(neighbourFrame(shown, 8, 1), 105);
  assert.equal(neighbourFrame(shown, 8, -1), 103);
  assert.equal(neighbourFrame(shown, 20, 1), 111); // 110 (index 20) is the current one; 109 excluded
  assert.equal(neighbourFrame(shown, 16, 1), 110);
  assert.equal(neighbourFrame(shown, 0, -1), undefined);
  assert.equal(neighbourFrame(shown, 58, 1), undefined);
  assert.equal(neighbourFrame([], 4, 1), undefined);
});

test("filmstripWindow shows up to 8 frames either side of the current one", () => {
  assert.deepEqual(
    filmstripWindow(frames, 115).map((f) => f.id),
    Array.from({ length: 17 }, (_, i) => 107 + i),
  );
  assert.deepEqual(
    filmstripWindow(frames, 101).map((f) => f.id),
    Array.from({ length: 10 }, (_, i) => 100 + i),
  );
  assert.equal(filmstripWindow(frames, 129).length, 9);
  // An unknown current frame: the window starts at the first frame.
  assert.equal(filmstripWindow(frames, 999)[0].id, 100);
  assert.equal(filmstripWindow(frames, 999, 2).length, 3);
});
