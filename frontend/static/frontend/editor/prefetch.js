// Frame images loaded and decoded ahead of time, a few at most. The editor shows a frame by
// putting its decoded <img> element on the stage (no decode on the way), and hands the one it
// replaces back (going back a frame is as quick). Oldest entries are dropped first.

export const IMAGE_CACHE_SIZE = 6;

function decoded(url) {
  const img = new Image();
  img.decoding = "async";
  img.draggable = false;
  img.alt = "";
  img.src = url;
  const ready = img.decode().then(
    () => img,
    () => {
      throw new Error("The frame image could not be loaded.");
    },
  );
  return { img, ready };
}

export class ImageCache {
  constructor({ size = IMAGE_CACHE_SIZE, load = decoded } = {}) {
    this.size = size;
    this.load = load;
    this.entries = new Map(); // url -> {img, ready}, oldest first
  }

  // Loads `url` unless it is here already (then it counts as recent).
  prefetch(url) {
    let entry = this.entries.get(url);
    if (entry) this.entries.delete(url);
    else {
      entry = this.load(url);
      entry.ready.catch(() => this.entries.get(url) === entry && this.entries.delete(url));
    }
    this.entries.set(url, entry);
    while (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value);
    return entry;
  }

  // The decoded image of `url`, taken out of the cache (it goes on the stage).
  async take(url) {
    const entry = this.prefetch(url);
    this.entries.delete(url);
    return entry.ready;
  }

  // An image leaving the stage, decoded, kept for a return to its frame.
  give(url, img) {
    if (!url || this.entries.has(url)) return;
    this.entries.set(url, { img, ready: Promise.resolve(img) });
    while (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value);
  }
}
