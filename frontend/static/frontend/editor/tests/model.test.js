import assert from "node:assert/strict";
import { test } from "node:test";

import { EditorModel } from "../model.js";

const tri = [
  [0, 0],
  [10, 0],
  [5, 8],
];
const labels = [{ name: "facial_nerve", value: 1, color: "#ff0" }];

function model() {
  return new EditorModel({ labels, width: 100, height: 100 });
}

test("every operation is undoable and redoable", () => {
  const m = model();
  const id = m.addPolygon("facial_nerve", tri);
  m.insertVertex(id, 0, 0, [5, 0]);
  assert.equal(m.polygon(id).rings[0].length, 4);
  m.deleteVertex(id, 0, 2);
  assert.deepEqual(m.polygon(id).rings[0], [
    [0, 0],
    [5, 0],
    [5, 8],
  ]);
  m.addHole(id, [
    [4, 1],
    [5, 1],
    [5, 2],
  ]);
  assert.equal(m.polygon(id).rings.length, 2);
  m.undo(); // hole
  m.undo(); // delete vertex
  assert.deepEqual(m.polygon(id).rings[0], [
    [0, 0],
    [5, 0],
    [10, 0],
    [5, 8],
  ]);
  m.undo(); // insert
  assert.deepEqual(m.polygon(id).rings[0], tri);
  m.redo();
  assert.equal(m.polygon(id).rings[0].length, 4);
  m.deletePolygon(id);
  assert.equal(m.polygons.length, 0);
  m.undo();
  assert.equal(m.polygons.length, 1);
  assert.equal(m.polygon(id).rings[0].length, 4);
});

test("a drag is one undo step however many moves it has", () => {
  const m = model();
  const id = m.addPolygon("facial_nerve", tri);
  const steps = m.undoStack.length;
  m.begin("move vertex");
  for (let i = 1; i <= 50; i++) m.moveVertexLive(id, 0, 2, [5 + i * 0.1, 8 + i * 0.1]);
  m.end();
  assert.equal(m.undoStack.length, steps + 1);
  assert.deepEqual(m.polygon(id).rings[0][2], [10, 13]);
  m.undo();
  assert.deepEqual(m.polygon(id).rings[0][2], [5, 8]);
  m.begin("move polygon");
  m.end(); // a click without movement adds nothing
  assert.equal(m.undoStack.length, steps);
  m.begin("move polygon");
  m.translateLive(id, 2, 3);
  m.end();
  assert.deepEqual(m.polygon(id).rings[0][0], [2, 3]);
});

test("a new operation clears the redo stack; revision marks every change", () => {
  const m = model();
  const r0 = m.revision;
  const id = m.addPolygon("facial_nerve", tri);
  m.deletePolygon(id);
  m.undo();
  assert.ok(m.canRedo);
  m.setLabel(id, "artery");
  assert.equal(m.canRedo, false);
  assert.equal(m.revision, r0 + 4);
});

test("deleting a vertex of a triangle removes the polygon, of a triangular hole the hole", () => {
  const m = model();
  const id = m.addPolygon("facial_nerve", [
    [0, 0],
    [20, 0],
    [20, 20],
    [0, 20],
  ]);
  m.addHole(id, [
    [5, 5],
    [6, 5],
    [6, 6],
  ]);
  m.deleteVertex(id, 1, 0);
  assert.equal(m.polygon(id).rings.length, 1);
  const t = m.addPolygon("facial_nerve", tri);
  m.deleteVertex(t, 0, 0);
  assert.equal(m.polygon(t), null);
});

test("replaceAll (accept prediction) is undoable and sets source and prediction", () => {
  const m = model();
  m.load([{ label: "facial_nerve", polygons: [[tri]] }]);
  assert.equal(m.canUndo, false);
  m.replaceAll("accept prediction", [], { source: "model", predictionId: 7 });
  assert.deepEqual([m.polygons.length, m.source, m.predictionId], [0, "model", 7]);
  m.undo();
  assert.deepEqual([m.polygons.length, m.source, m.predictionId], [1, "manual", null]);
  assert.deepEqual(m.toShapes(), [{ label: "facial_nerve", polygons: [[tri]] }]);
});

test("moving a vertex of a 2,000-vertex polygon is O(1) per move", () => {
  const ring = [];
  for (let i = 0; i < 2000; i++) {
    const t = (i / 2000) * 2 * Math.PI;
    ring.push([500 + 300 * Math.cos(t), 400 + 300 * Math.sin(t)]);
  }
  const m = model();
  const id = m.addPolygon("facial_nerve", ring);
  m.begin("move vertex");
  const t0 = performance.now();
  for (let i = 0; i < 10000; i++) m.moveVertexLive(id, 0, 100, [i % 500, 300]);
  const perMove = (performance.now() - t0) / 10000;
  m.end();
  assert.ok(perMove < 0.2, `per move ${perMove} ms`);
});

test("'not visible' is explicit: only its command sets it, drawing or deleting never does", () => {
  const m = model();
  m.load([{ label: "facial_nerve", polygons: [[tri]] }]);
  m.replaceAll("delete all", []);
  assert.equal(m.isNotVisible(), false); // an empty frame is just empty
  m.replaceAll("nerve not visible", [], { notVisible: true });
  assert.equal(m.isNotVisible(), true);
  m.undo();
  assert.equal(m.isNotVisible(), false);
  m.redo();
  m.replaceAll("draw", [{ label: "facial_nerve", polygons: [[tri]] }]);
  assert.equal(m.isNotVisible(), false);
  m.load([], { notVisible: true });
  assert.equal(m.isNotVisible(), true);
});

test("'not visible' is cleared by drawing, so deleting the drawing later leaves the frame empty", () => {
  const m = model();
  m.load([], { notVisible: true });
  const id = m.addPolygon("facial_nerve", tri);
  assert.equal(m.notVisible, false);
  m.deletePolygon(id);
  assert.equal(m.isNotVisible(), false);
  m.undo();
  m.undo();
  assert.equal(m.isNotVisible(), true); // undo brings the explicit state back
});

test("setNotVisible removes the shapes in one undo step, and toggles back", () => {
  const m = model();
  m.addPolygon("facial_nerve", tri);
  assert.equal(m.setNotVisible(true), true);
  assert.deepEqual([m.polygons.length, m.isNotVisible()], [0, true]);
  assert.equal(m.setNotVisible(true), false); // already
  m.setNotVisible(false);
  assert.equal(m.isNotVisible(), false);
  m.undo();
  m.undo();
  assert.deepEqual([m.polygons.length, m.isNotVisible()], [1, false]);
});

test("no consecutive duplicate vertices are ever kept: a double-click's repeated point is dropped", () => {
  const m = model();
  const id = m.addPolygon("facial_nerve", [
    [0, 0],
    [10, 0],
    [10.001, 0.004],
    [5, 8],
    [5, 8],
    [0, 0],
  ]);
  assert.deepEqual(m.polygon(id).rings[0], tri);
  assert.equal(
    m.addPolygon("facial_nerve", [
      [1, 1],
      [9, 9],
      [9, 9],
    ]),
    null,
  );
  m.polygon(id).rings[0].push([5, 8]); // as a drag onto the neighbour could leave it
  assert.deepEqual(m.toShapes()[0].polygons[0][0], tri);
});
