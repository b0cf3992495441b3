// The model layer's overlay choice and FullGrad polling, against fake API, clock and loader.
import assert from "node:assert/strict";
import { test } from "node:test";

import { COMPUTING_TEXT, ModelLayer, POLL_LIMIT_MS, POLL_MS } from "../model-layer.js";
import { COLORMAPS } from "../overlay.js";

const PREDICTION = { id: 7, probability_url: "/p/7/probability.png", saliency_url: null };

// `answers`: what POST, then each GET, answers (an Error is thrown as a failed request).
function harness(answers, { onSleep = () => {} } = {}) {
  const h = { clock: 0, calls: [], drawn: [], status: [], sleeps: 0 };
  const next = (call) => {
    h.calls.push(call);
    const a = answers.shift();
    if (a instanceof Error) throw a;
    return a;
  };
  const api = {
    requestSaliency: async (id) => next(`POST ${id}`),
    saliency: async (id) => next(`GET ${id}`),
  };
  h.layer = new ModelLayer({
    api,
    view: { setHeatmap: (canvas, kind) => h.drawn.push(canvas ? `${kind}:${canvas.url}` : null) },
    panel: { overlayStatus: (text, state) => h.status.push([text, state]) },
    load: async (url, lut) => ({ url, lut }),
    sleep: async (ms) => {
      h.clock += ms;
      h.sleeps += 1;
      onSleep(h);
    },
    now: () => h.clock,
  });
  h.layer.show({ ...PREDICTION });
  return h;
}

test("probability draws the prediction's map through the probability colormap", async () => {
  const h = harness([]);
  let lut = null;
  h.layer.load = async (url, table) => {
    lut = table;
    return { url };
  };
  await h.layer.setOverlay("probability");
  assert.deepEqual(h.drawn, [null, "probability:/p/7/probability.png"]);
  assert.equal(lut, COLORMAPS.probability);
  await h.layer.setOverlay("none");
  assert.deepEqual(h.drawn.at(-1), null);
  assert.equal(h.calls.length, 0);
});

test("FullGrad: POST, poll every second while queued/running, then draw the map", async () => {
  const h = harness([
    { status: "queued", job: "j1" },
    { status: "queued", url: null, error: "" },
    { status: "running", url: null, error: "" },
    { status: "done", url: "/s/7.png", error: "" },
  ]);
  await h.layer.setOverlay("fullgrad");
  assert.deepEqual(h.calls, ["POST 7", "GET 7", "GET 7", "GET 7"]);
  assert.equal(h.clock, 3 * POLL_MS);
  assert.deepEqual(h.status.at(1), [COMPUTING_TEXT, "busy"]);
  assert.deepEqual(h.drawn.at(-1), "fullgrad:/s/7.png");
  assert.deepEqual(h.status.at(-1), ["", ""]); // "computing" is gone once it shows
  // Cached on the prediction: choosing it again asks nothing.
  await h.layer.setOverlay("none");
  await h.layer.setOverlay("fullgrad");
  assert.equal(h.calls.length, 4);
  assert.deepEqual(h.drawn.at(-1), "fullgrad:/s/7.png");
});

test("FullGrad already computed: the POST answers done and nothing is polled", async () => {
  const h = harness([{ status: "done", url: "/s/7.png" }]);
  await h.layer.setOverlay("fullgrad");
  assert.deepEqual(h.calls, ["POST 7"]);
  assert.equal(h.sleeps, 0);
  assert.deepEqual(h.drawn.at(-1), "fullgrad:/s/7.png");
});

test("a failed task shows its error sentence and draws nothing", async () => {
  const h = harness([{ status: "queued" }, { status: "failed", url: null, error: "The model file is missing." }]);
  await h.layer.setOverlay("fullgrad");
  assert.deepEqual(h.status.at(-1), ["The model file is missing.", "error"]);
  assert.deepEqual(h.drawn, [null]);
  assert.equal(h.layer.kind, "none");
});

test("a refused request shows the server's sentence (ApiError's message), not its JSON", async () => {
  const h = harness([new Error("You do not have permission to perform this action.")]);
  await h.layer.setOverlay("fullgrad");
  assert.deepEqual(h.status.at(-1), ["You do not have permission to perform this action.", "error"]);
});

test("gives up after two minutes with a clear message", async () => {
  const answers = [{ status: "queued" }];
  for (let i = 0; i < 200; i++) answers.push({ status: "running", url: null, error: "" });
  const h = harness(answers);
  await h.layer.setOverlay("fullgrad");
  assert.match(h.status.at(-1)[0], /longer than 2 minutes/);
  assert.equal(h.status.at(-1)[1], "error");
  assert.ok(h.clock > POLL_LIMIT_MS && h.clock <= POLL_LIMIT_MS + 2 * POLL_MS);
});

test("choosing another overlay while FullGrad is computing stops the polling", async () => {
  const h = harness(
    [{ status: "queued" }, { status: "running" }, { status: "running" }, { status: "done", url: "/s" }],
    {
      onSleep: (h) => {
        if (h.sleeps === 2) h.switched = h.layer.setOverlay("probability");
      },
    },
  );
  await h.layer.setOverlay("fullgrad");
  await h.switched;
  assert.deepEqual(h.calls, ["POST 7", "GET 7"]);
  assert.deepEqual(h.drawn.at(-1), "probability:/p/7/probability.png");
  assert.ok(!h.status.some(([, state]) => state === "error"));
});

test("stop() (leaving the frame) ends the polling", async () => {
  const h = harness([{ status: "queued" }, { status: "running" }], { onSleep: (h) => h.layer.stop() });
  await h.layer.setOverlay("fullgrad");
  assert.deepEqual(h.calls, ["POST 7"]);
  assert.deepEqual(h.drawn, [null]);
});

test("a prediction without a probability map says so", async () => {
  const h = harness([]);
  h.layer.show({ id: 8, probability_url: null, saliency_url: null });
  await h.layer.setOverlay("probability");
  assert.deepEqual(h.status.at(-1), ["This prediction has no probability map.", "error"]);
});
