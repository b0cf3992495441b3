import assert from "node:assert/strict";
import { test } from "node:test";

import { positionText, prefetchTargets, stepFrom } from "../navigation.js";

// A window around frame 110 as the server answers it (frame 109 excluded, so left out).
const ids = [102, 103, 104, 105, 106, 107, 108, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119];
const strip = {
  current: { id: 110 },
  prev: 108,
  next: 111,
  position: 40,
  count: 1000,
  frames: ids.map((id) => ({ id, index: id - 100 })),
};

test("stepFrom walks the window from the frame being opened, then asks the server's prev/next", () => {
  assert.equal(stepFrom(strip, 110, 1), 111);
  assert.equal(stepFrom(strip, 110, -1), 108); // 109 is excluded
  assert.equal(stepFrom(strip, 111, 1), 112); // D pressed again while 111 loads
  assert.equal(stepFrom(strip, 119, 1), undefined); // beyond the window: not known here
  assert.equal(stepFrom({ ...strip, frames: [{ id: 110 }] }, 110, 1), 111);
  assert.equal(stepFrom({ current: { id: 5 }, prev: null, next: null, frames: [{ id: 5 }] }, 5, -1), undefined);
  assert.equal(stepFrom(null, 5, 1), undefined);
});

test("prefetchTargets: three ahead, then one behind", () => {
  assert.deepEqual(
    prefetchTargets(strip, 110).map((f) => f.id),
    [111, 112, 113, 108],
  );
  assert.deepEqual(
    prefetchTargets(strip, 119).map((f) => f.id),
    [118],
  );
  assert.deepEqual(prefetchTargets(strip, 999), []);
});

test("positionText", () => {
  assert.equal(positionText(strip), "41 of 1,000");
  assert.equal(positionText(null), "");
});
