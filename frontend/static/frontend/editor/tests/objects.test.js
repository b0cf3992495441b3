import assert from "node:assert/strict";
import { test } from "node:test";

import { labelAnchor, polygonArea } from "../geometry.js";
import { needsMinimap, visibleRect } from "../minimap.js";
import { EditorModel } from "../model.js";
import { areaText, labelChoices, objectRows } from "../objects-panel.js";
import { nameText } from "../view.js";

const labels = [
  { name: "facial_nerve", color: "#ff0" },
  { name: "artery", color: "#f00", hidden: true },
];
const square = [
  [0, 0],
  [10, 0],
  [10, 10],
  [0, 10],
];
const hole = [
  [2, 2],
  [4, 2],
  [4, 4],
  [2, 4],
];

test("objectRows: label, vertices, area less holes, hidden, locked, selected", () => {
  const m = new EditorModel({ labels, width: 100, height: 100 });
  const a = m.addPolygon("facial_nerve", square);
  m.addHole(a, hole);
  const b = m.addPolygon("artery", [
    [20, 20],
    [30, 20],
    [25, 30],
  ]);
  m.toggleHidden(b);
  m.toggleLocked(a);
  m.select(a);
  assert.deepEqual(objectRows(m), [
    {
      id: a,
      number: 1,
      label: "facial_nerve",
      vertices: 8,
      holes: 1,
      area: 96,
      hidden: false,
      locked: true,
      selected: true,
    },
    {
      id: b,
      number: 2,
      label: "artery",
      vertices: 3,
      holes: 0,
      area: 50,
      hidden: true,
      locked: false,
      selected: false,
    },
  ]);
  assert.deepEqual(
    m.visiblePolygons().map((p) => p.id),
    [a],
  );
});

test("hide and lock are view state: not undone, not saved, cleared by a new frame", () => {
  const m = new EditorModel({ labels, width: 100, height: 100 });
  const a = m.addPolygon("facial_nerve", square);
  const revision = m.revision;
  m.select(a);
  m.toggleHidden(a);
  assert.equal(m.selected, null); // a hidden polygon is not selected
  assert.equal(m.revision, revision);
  assert.equal(m.undoStack.length, 1);
  m.load([]);
  assert.equal(m.hidden.size, 0);
});

test("a hidden label class is offered only to the polygon that has it", () => {
  assert.deepEqual(
    labelChoices(labels, "facial_nerve").map((l) => l.name),
    ["facial_nerve"],
  );
  assert.deepEqual(
    labelChoices(labels, "artery").map((l) => l.name),
    ["facial_nerve", "artery"],
  );
});

test("areaText, polygonArea, labelAnchor and nameText", () => {
  assert.equal(areaText(12345.4), "12,345 px²");
  assert.equal(areaText(2_500_000), "2.50 Mpx²");
  assert.equal(polygonArea([square, hole]), 96);
  assert.deepEqual(
    labelAnchor([
      [
        [5, 9],
        [3, 1],
        [8, 1],
      ],
    ]),
    [3, 1],
  );
  const long = "a".repeat(64);
  assert.equal(nameText(long).length, 24);
  assert.ok(nameText(long).endsWith("…"));
  assert.equal(nameText("facial_nerve"), "facial_nerve");
});

test("the minimap shows when part of the frame is out of view, with the part in view", () => {
  const fitted = { scale: 0.5, x: 10, y: 10 };
  assert.equal(needsMinimap(fitted, 1920, 1080, 1000, 600), false);
  const zoomed = { scale: 4, x: -2000, y: -1000 };
  assert.equal(needsMinimap(zoomed, 1920, 1080, 1000, 600), true);
  assert.deepEqual(visibleRect(zoomed, 1920, 1080, 1000, 600), { x: 500, y: 250, w: 250, h: 150 });
});
