import assert from "node:assert/strict";
import { test } from "node:test";

import { ImageCache } from "../prefetch.js";

function fakeLoads() {
  const loads = [];
  const load = (url) => {
    loads.push(url);
    const img = { url };
    return { img, ready: url.includes("bad") ? Promise.reject(new Error("no")) : Promise.resolve(img) };
  };
  return { loads, load };
}

test("each image is loaded once, taken for the stage, and given back when it leaves", async () => {
  const { loads, load } = fakeLoads();
  const cache = new ImageCache({ size: 3, load });
  cache.prefetch("/f/1");
  cache.prefetch("/f/2");
  cache.prefetch("/f/1");
  assert.deepEqual(loads, ["/f/1", "/f/2"]);
  const shown = await cache.take("/f/1");
  assert.equal(shown.url, "/f/1");
  assert.equal(cache.entries.has("/f/1"), false);
  cache.give("/f/1", shown);
  assert.equal(await cache.take("/f/1"), shown);
  assert.deepEqual(loads, ["/f/1", "/f/2"]);
});

test("at most `size` images are kept, the oldest dropped first", () => {
  const { loads, load } = fakeLoads();
  const cache = new ImageCache({ size: 2, load });
  for (const u of ["/a", "/b", "/c"]) cache.prefetch(u);
  assert.deepEqual([...cache.entries.keys()], ["/b", "/c"]);
  cache.prefetch("/b"); // recent again
  cache.prefetch("/d");
  assert.deepEqual([...cache.entries.keys()], ["/b", "/d"]);
  assert.equal(loads.length, 4);
});

test("a failed load is forgotten (a later visit tries again) and says so", async () => {
  const { loads, load } = fakeLoads();
  const cache = new ImageCache({ size: 2, load });
  await assert.rejects(cache.take("/bad"), /no/);
  await Promise.resolve();
  assert.equal(cache.entries.has("/bad"), false);
  await assert.rejects(cache.take("/bad"));
  assert.equal(loads.length, 2);
});
