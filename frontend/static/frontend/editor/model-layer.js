// The model layer's heatmap: at most one of the prediction's probability map and its FullGrad
// saliency map over the frame. FullGrad is computed by a task on request: POST, then poll the
// GET every second until it is done, failed, or two minutes have passed. Choosing another
// overlay (or leaving the frame) cancels a poll under way. The clock, the sleep and the image
// loader are injected so that the polling is unit-tested in node.

import { COLORMAPS, loadHeatmap } from "./overlay.js";

export const POLL_MS = 1000;
export const POLL_LIMIT_MS = 120_000;
export const COMPUTING_TEXT = "computing FullGrad…";

const sleepMs = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class ModelLayer {
  // `panel`: overlayStatus(text, state) with state "" | "busy" | "error"; `view`: setHeatmap().
  constructor({ api, view, panel, load = loadHeatmap, sleep = sleepMs, now = () => performance.now() }) {
    Object.assign(this, { api, view, panel, load, sleep, now });
    this.prediction = null;
    this.kind = "none";
    this.token = 0; // bumped by every choice: an older one's async steps then stop
  }

  show(prediction) {
    this.prediction = prediction;
  }

  // "none" | "probability" | "fullgrad". Resolves once the overlay is drawn, failed, or replaced.
  async setOverlay(kind) {
    this.token += 1;
    const token = this.token;
    this.kind = kind;
    this.view.setHeatmap(null);
    this.panel.overlayStatus("", "");
    if (kind === "none" || !this.prediction) return;
    try {
      const url = kind === "probability" ? this.prediction.probability_url : await this.saliencyUrl(token);
      if (token !== this.token) return;
      if (!url) throw new Error("This prediction has no probability map.");
      const heatmap = await this.load(url, COLORMAPS[kind]);
      if (token !== this.token) return;
      this.view.setHeatmap(heatmap, kind);
      this.panel.overlayStatus("", "");
    } catch (err) {
      if (token !== this.token) return;
      this.kind = "none";
      this.panel.overlayStatus(err.message || String(err), "error");
    }
  }

  // Cancels a FullGrad poll under way (the page is leaving this frame).
  stop() {
    this.token += 1;
  }

  // -> the saliency PNG's URL, or null when cancelled. Throws with a sentence on failure.
  async saliencyUrl(token) {
    const p = this.prediction;
    if (p.saliency_url) return p.saliency_url;
    const deadline = this.now() + POLL_LIMIT_MS;
    let r = await this.api.requestSaliency(p.id);
    while (r.status !== "done") {
      if (token !== this.token) return null;
      if (r.status === "failed") throw new Error(r.error || "FullGrad failed.");
      if (r.status !== "queued" && r.status !== "running")
        throw new Error("FullGrad was not computed. Choose FullGrad again to retry.");
      if (this.now() > deadline)
        throw new Error("FullGrad is taking longer than 2 minutes. Choose FullGrad again later.");
      this.panel.overlayStatus(COMPUTING_TEXT, "busy");
      await this.sleep(POLL_MS);
      if (token !== this.token) return null;
      r = await this.api.saliency(p.id);
    }
    if (!r.url) throw new Error("FullGrad finished without an image.");
    p.saliency_url = r.url;
    return r.url;
  }
}
