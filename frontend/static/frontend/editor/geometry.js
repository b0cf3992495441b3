// Pure geometry for the editor: image-pixel coordinates, no DOM. Unit-tested with `node --test`.
// Convention (as annotator/geometry.py): (0, 0) is the top-left corner of the top-left pixel.

export function dist2(a, b) {
  const dx = a[0] - b[0];
  const dy = a[1] - b[1];
  return dx * dx + dy * dy;
}

// Even-odd test of a point against one ring.
export function pointInRing(p, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) {
      inside = !inside;
    }
  }
  return inside;
}

// Inside the outer ring and outside every hole.
export function pointInPolygon(p, rings) {
  if (!rings.length || !pointInRing(p, rings[0])) return false;
  for (let k = 1; k < rings.length; k++) if (pointInRing(p, rings[k])) return false;
  return true;
}

// The closest point of segment ab to p, and its parameter t in [0, 1].
export function projectOnSegment(p, a, b) {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  let t = len2 === 0 ? 0 : ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2;
  t = Math.max(0, Math.min(1, t));
  return { point: [a[0] + t * dx, a[1] + t * dy], t };
}

// The vertex of `rings` nearest to p within `tol`: {ring, index} or null.
export function nearestVertex(rings, p, tol) {
  let best = null;
  let bestD = tol * tol;
  rings.forEach((ring, r) => {
    for (let i = 0; i < ring.length; i++) {
      const d = dist2(ring[i], p);
      if (d <= bestD) {
        bestD = d;
        best = { ring: r, index: i };
      }
    }
  });
  return best;
}

// The edge of `rings` nearest to p within `tol`: {ring, index (edge index..index+1), point}.
export function nearestEdge(rings, p, tol) {
  let best = null;
  let bestD = tol * tol;
  rings.forEach((ring, r) => {
    for (let i = 0; i < ring.length; i++) {
      const { point } = projectOnSegment(p, ring[i], ring[(i + 1) % ring.length]);
      const d = dist2(point, p);
      if (d <= bestD) {
        bestD = d;
        best = { ring: r, index: i, point };
      }
    }
  });
  return best;
}

// Ramer-Douglas-Peucker simplification of an open polyline (iterative: no deep recursion).
export function simplify(points, tol) {
  if (points.length <= 2) return points.slice();
  const keep = new Uint8Array(points.length);
  keep[0] = 1;
  keep[points.length - 1] = 1;
  const stack = [[0, points.length - 1]];
  const tol2 = tol * tol;
  while (stack.length) {
    const [s, e] = stack.pop();
    let maxD = -1;
    let idx = -1;
    for (let i = s + 1; i < e; i++) {
      const d = dist2(projectOnSegment(points[i], points[s], points[e]).point, points[i]);
      if (d > maxD) {
        maxD = d;
        idx = i;
      }
    }
    if (idx !== -1 && maxD > tol2) {
      keep[idx] = 1;
      stack.push([s, idx], [idx, e]);
    }
  }
  return points.filter((_, i) => keep[i]);
}

export function ringArea(ring) {
  let a = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    a += (ring[j][0] + ring[i][0]) * (ring[j][1] - ring[i][1]);
  }
  return Math.abs(a) / 2;
}

// Area of a polygon's rings: the outer ring less its holes (image px²).
export function polygonArea(rings) {
  return rings.reduce((sum, ring, i) => sum + (i === 0 ? 1 : -1) * ringArea(ring), 0);
}

// The vertex a polygon's name is written above: the topmost of its outer ring (leftmost of ties).
export function labelAnchor(rings) {
  let best = rings[0][0];
  for (const v of rings[0]) if (v[1] < best[1] || (v[1] === best[1] && v[0] < best[0])) best = v;
  return best;
}

export function bbox(ring) {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of ring) {
    if (x < x0) x0 = x;
    if (y < y0) y0 = y;
    if (x > x1) x1 = x;
    if (y > y1) y1 = y;
  }
  return [x0, y0, x1, y1];
}

export function clampPoint(p, width, height) {
  return [Math.min(Math.max(p[0], 0), width), Math.min(Math.max(p[1], 0), height)];
}

export function round2(v) {
  return Math.round(v * 100) / 100;
}

// API shapes [{label, polygons: [[outer, hole...]]}] <-> editor polygons [{id, label, rings}].
export function fromApiShapes(shapes, nextId) {
  const out = [];
  for (const shape of shapes || []) {
    for (const rings of shape.polygons) {
      out.push({ id: nextId(), label: shape.label, rings: rings.map((r) => r.map((p) => [p[0], p[1]])) });
    }
  }
  return out;
}

// A ring without consecutive repeated vertices (nor a last vertex repeating the first), compared
// at the API's precision (0.01 px): what a double-click or a rounding would otherwise store.
export function dedupeRing(ring) {
  const out = [];
  for (const p of ring) {
    const q = [round2(p[0]), round2(p[1])];
    const last = out[out.length - 1];
    if (!last || last[0] !== q[0] || last[1] !== q[1]) out.push(q);
  }
  while (out.length > 1 && out[0][0] === out[out.length - 1][0] && out[0][1] === out[out.length - 1][1]) out.pop();
  return out;
}

export function toApiShapes(polygons, labelOrder) {
  const byLabel = new Map();
  for (const poly of polygons) {
    if (!byLabel.has(poly.label)) byLabel.set(poly.label, []);
    byLabel.get(poly.label).push(poly.rings.map(dedupeRing));
  }
  const order = labelOrder?.length ? labelOrder : [...byLabel.keys()];
  const extra = [...byLabel.keys()].filter((l) => !order.includes(l));
  return [...order, ...extra]
    .filter((label) => byLabel.has(label))
    .map((label) => ({ label, polygons: byLabel.get(label) }));
}

// The view transform: screen = image * scale + offset.
export function imageToScreen(view, p) {
  return [p[0] * view.scale + view.x, p[1] * view.scale + view.y];
}

export function screenToImage(view, s) {
  return [(s[0] - view.x) / view.scale, (s[1] - view.y) / view.scale];
}

export const MIN_SCALE = 0.05;
export const MAX_SCALE = 32;

// Zoom by `factor` keeping the image point under screen point (sx, sy) fixed.
export function zoomAround(view, factor, sx, sy) {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale * factor));
  const k = scale / view.scale;
  return { scale, x: sx - (sx - view.x) * k, y: sy - (sy - view.y) * k };
}

export function fitView(imgW, imgH, viewW, viewH, margin = 8) {
  const scale = Math.max(MIN_SCALE, Math.min((viewW - 2 * margin) / imgW, (viewH - 2 * margin) / imgH));
  return { scale, x: (viewW - imgW * scale) / 2, y: (viewH - imgH * scale) / 2 };
}

// "mm:ss.mmm", "ss.mmm" or plain seconds -> milliseconds (NaN when unreadable).
export function parseTimestamp(text) {
  const t = String(text).trim();
  const m = /^(?:(\d+):)?(\d+(?:\.\d+)?)$/.exec(t);
  if (!m) return NaN;
  return ((m[1] ? Number(m[1]) * 60 : 0) + Number(m[2])) * 1000;
}

export function formatTimestamp(ms) {
  const s = ms / 1000;
  const m = Math.floor(s / 60);
  return `${m}:${(s - m * 60).toFixed(3).padStart(6, "0")}`;
}

// Index of the item whose timestamp_ms is nearest to `ms` (items sorted by time).
export function nearestByTime(items, ms) {
  let best = -1;
  let bestD = Infinity;
  items.forEach((it, i) => {
    const d = Math.abs(it.timestamp_ms - ms);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return best;
}
