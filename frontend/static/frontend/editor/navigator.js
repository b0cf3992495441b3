// Frame to frame without reloading the page: the editor loads once per video, then each frame's
// annotation, predictions and window of the video (GET videos/{id}/filmstrip/) arrive in
// parallel with its image, already decoded when it was prefetched. The URL follows
// (history.pushState), so a reload or Back lands on the same frame. `show(data)` applies a
// loaded frame to the editor (commands.js); a navigation started later wins over an earlier one.

import { api } from "./api.js";
import { FILMSTRIP_RADIUS, prefetchTargets, stepFrom } from "./navigation.js";
import { ImageCache } from "./prefetch.js";

export const imageUrl = (frameId) => `/api/v1/frames/${frameId}/image/`;
export const editorUrl = (frameId) => `/frames/${frameId}/edit/`;

export class FrameNavigator {
  // `leave()` -> Promise<bool>: may the current frame be left (its edits saved)?
  constructor({ videoId, show, leave, failed }) {
    Object.assign(this, { videoId, show, leave, failed });
    this.images = new ImageCache();
    this.strip = null; // the window around the frame shown
    this.shown = null; // id of the frame shown
    this.target = null; // id of the frame being opened (or shown)
    this.token = 0;
    window.addEventListener("popstate", (e) => {
      const id = Number(e.state?.frame);
      if (id && id !== this.target) this.open(id, { history: "none" });
    });
  }

  // Everything a frame needs, fetched in parallel.
  async fetch(frameId) {
    const [annotation, predictions, strip, img] = await Promise.all([
      api.annotation(frameId),
      api.predictions(frameId).catch(() => []),
      api.filmstrip(this.videoId, { around: frameId, radius: FILMSTRIP_RADIUS }),
      this.images.take(imageUrl(frameId)),
    ]);
    return { frameId, annotation, predictions, strip, img };
  }

  // `history`: "push" (a new step), "replace" (the page's first frame) or "none" (Back).
  async open(frameId, { history = "push" } = {}) {
    if (!frameId || frameId === this.target) return false;
    const token = ++this.token;
    const from = this.target;
    this.target = frameId;
    if (this.shown !== null && !(await this.leave())) {
      if (token === this.token) this.target = from;
      if (history === "none") window.history.pushState({ frame: from }, "", editorUrl(from));
      return false;
    }
    let data;
    try {
      data = await this.fetch(frameId);
    } catch (err) {
      if (token === this.token) this.target = this.shown;
      this.failed(err);
      return false;
    }
    if (token !== this.token) {
      this.images.give(imageUrl(frameId), data.img); // a later navigation won: keep the image
      return false;
    }
    this.place(data, history);
    return true;
  }

  place(data, history) {
    const old = this.shown;
    const oldImg = this.show(data); // -> the <img> element it took off the stage
    if (old !== null && oldImg) this.images.give(imageUrl(old), oldImg);
    this.shown = data.frameId;
    this.strip = data.strip;
    const state = { frame: data.frameId };
    if (history === "push") window.history.pushState(state, "", editorUrl(data.frameId));
    else if (history === "replace") window.history.replaceState(state, "", editorUrl(data.frameId));
    for (const f of prefetchTargets(data.strip, data.frameId)) this.images.prefetch(imageUrl(f.id));
  }

  step(step) {
    return this.open(stepFrom(this.strip, this.target, step));
  }

  // The frame nearest to a time (ms) in this video.
  async jump(ms) {
    const strip = await api.filmstrip(this.videoId, { at_ms: ms, radius: 0 });
    return this.open(strip.current.id);
  }

  // The current frame's annotation status changed (the filmstrip's colours).
  statusChanged(frameId, status) {
    const f = this.strip?.frames.find((x) => x.id === frameId);
    if (f) f.status = status;
  }
}
