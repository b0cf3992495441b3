import assert from "node:assert/strict";
import { test } from "node:test";

import * as g from "../geometry.js";

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

test("pointInPolygon respects holes", () => {
  assert.equal(g.pointInPolygon([5, 5], [square, hole]), true);
  assert.equal(g.pointInPolygon([3, 3], [square, hole]), false);
  assert.equal(g.pointInPolygon([11, 5], [square]), false);
});

test("nearestVertex and nearestEdge honour the tolerance", () => {
  assert.deepEqual(g.nearestVertex([square], [9.5, 0.4], 1), { ring: 0, index: 1 });
  assert.equal(g.nearestVertex([square], [5, 5], 1), null);
  const edge = g.nearestEdge([square], [5, 0.3], 1);
  assert.deepEqual([edge.ring, edge.index, edge.point], [0, 0, [5, 0]]);
  assert.equal(g.nearestEdge([square], [5, 5], 1), null);
});

test("simplify keeps corners and drops collinear points", () => {
  const line = [];
  for (let i = 0; i <= 10; i++) line.push([i, 0]);
  for (let i = 1; i <= 10; i++) line.push([10, i]);
  assert.deepEqual(g.simplify(line, 0.5), [
    [0, 0],
    [10, 0],
    [10, 10],
  ]);
});

test("zoomAround keeps the point under the cursor fixed and clamps scale", () => {
  const view = { scale: 1, x: 10, y: 20 };
  const before = g.screenToImage(view, [100, 100]);
  const zoomed = g.zoomAround(view, 8, 100, 100);
  assert.equal(zoomed.scale, 8);
  const after = g.screenToImage(zoomed, [100, 100]);
  assert.ok(Math.abs(before[0] - after[0]) < 1e-9 && Math.abs(before[1] - after[1]) < 1e-9);
  assert.equal(g.zoomAround(view, 1000, 0, 0).scale, g.MAX_SCALE);
  assert.ok(g.MAX_SCALE >= 8);
});

test("fitView centres the image", () => {
  const v = g.fitView(1920, 1080, 976, 566, 8);
  assert.ok(Math.abs(v.scale - 0.5) < 1e-9);
  assert.equal(v.x, (976 - 960) / 2);
});

test("api shapes round-trip through editor polygons, grouped per label", () => {
  let id = 0;
  const shapes = [
    {
      label: "facial_nerve",
      polygons: [
        [square, hole],
        [
          [
            [20, 20],
            [30, 20],
            [25, 30],
          ],
        ],
      ],
    },
    {
      label: "artery",
      polygons: [
        [
          [
            [40, 40],
            [50, 40],
            [45, 50],
          ],
        ],
      ],
    },
  ];
  const polys = g.fromApiShapes(shapes, () => ++id);
  assert.equal(polys.length, 3);
  assert.deepEqual(g.toApiShapes(polys, ["facial_nerve", "artery"]), shapes);
  assert.deepEqual(g.toApiShapes([], ["facial_nerve"]), []);
});

test("timestamps parse and format", () => {
  assert.equal(g.parseTimestamp("1:02.5"), 62500);
  assert.equal(g.parseTimestamp("3"), 3000);
  assert.ok(Number.isNaN(g.parseTimestamp("abc")));
  assert.equal(g.formatTimestamp(62500), "1:02.500");
  assert.equal(g.nearestByTime([{ timestamp_ms: 0 }, { timestamp_ms: 40 }, { timestamp_ms: 80 }], 50), 1);
});

test("ringArea and bbox", () => {
  assert.equal(g.ringArea(square), 100);
  assert.deepEqual(g.bbox(square), [0, 0, 10, 10]);
  assert.deepEqual(g.clampPoint([-1, 12], 10, 10), [0, 10]);
});

test("dedupeRing drops repeated neighbours and a closing repeat, at 0.01 px", () => {
  assert.deepEqual(
    g.dedupeRing([
      [1, 1],
      [1.001, 1],
      [5, 1],
      [5, 5],
      [1, 1],
    ]),
    [
      [1, 1],
      [5, 1],
      [5, 5],
    ],
  );
  assert.deepEqual(
    g.dedupeRing([
      [2, 2],
      [2, 2],
      [2, 2],
    ]),
    [[2, 2]],
  );
});
