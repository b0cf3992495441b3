import assert from "node:assert/strict";
import { test } from "node:test";

import { ActiveTime, editSeconds } from "../timing.js";

test("counts the gaps between interactions, from when the page was ready", () => {
  const t = new ActiveTime({ now: 1000 });
  t.interact(3000);
  t.interact(4500);
  assert.equal(t.ms, 3500);
  assert.equal(editSeconds(t.ms), 3.5);
});

test("caps each gap at 30 s", () => {
  const t = new ActiveTime({ now: 0 });
  t.interact(2000);
  t.interact(2000 + 10 * 60_000); // ten minutes away from the desk
  t.interact(2000 + 10 * 60_000 + 500);
  assert.equal(t.ms, 2000 + 30_000 + 500);
});

test("leaves out the time the page was hidden", () => {
  const t = new ActiveTime({ now: 0 });
  t.interact(1000);
  t.setVisible(false, 3000); // 2 s of the open gap were visible
  t.setVisible(false, 4000); // repeated events change nothing
  t.setVisible(true, 600_000);
  t.interact(601_000); // and 1 s after coming back
  assert.equal(t.ms, 1000 + 3000);
});

test("the cap applies to the visible part of a gap split by a hidden stretch", () => {
  const t = new ActiveTime({ now: 0 });
  t.setVisible(false, 20_000);
  t.setVisible(true, 100_000);
  t.interact(120_000); // 20 s + 20 s visible: one gap, capped at 30 s
  assert.equal(t.ms, 30_000);
});

test("interactions while hidden are ignored; a page opened hidden counts from when it is shown", () => {
  const t = new ActiveTime({ now: 0, visible: false });
  t.interact(5000);
  assert.equal(t.ms, 0);
  t.setVisible(true, 9000);
  t.interact(9400);
  assert.equal(t.ms, 400);
});

test("consume keeps what was counted while the save was under way", () => {
  const t = new ActiveTime({ now: 0 });
  t.interact(4000);
  const sent = t.ms; // the save begins
  t.interact(5500); // the user goes on editing
  t.consume(sent); // the save succeeded
  assert.equal(t.ms, 1500);
  t.consume(10_000);
  assert.equal(t.ms, 0);
});

test("editSeconds rounds to 0.1 s and keeps to 0..3600", () => {
  assert.equal(editSeconds(0), 0);
  assert.equal(editSeconds(49), 0);
  assert.equal(editSeconds(1234), 1.2);
  assert.equal(editSeconds(1250), 1.3);
  assert.equal(editSeconds(-5), 0);
  assert.equal(editSeconds(5 * 3600 * 1000), 3600);
});
