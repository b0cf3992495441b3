// Which frames the editor goes to and loads ahead (pure; unit-tested). The server answers a
// window of the video around a frame (GET videos/{id}/filmstrip/): `frames` sorted by index,
// excluded ones already left out (except the current one), `prev` and `next`.

export const FILMSTRIP_RADIUS = 8;
export const PREFETCH_AHEAD = 3; // next frames whose images are loaded before they are asked for
export const PREFETCH_BEHIND = 1;

// The frame `step` places from `fromId` in the window (the target of a navigation under way,
// so that pressing D three times goes three frames on); at the window's edge the server's
// prev/next of its current frame. undefined at the ends of the video.
export function stepFrom(strip, fromId, step) {
  const frames = strip?.frames || [];
  const at = frames.findIndex((f) => f.id === fromId);
  const there = frames[at + step];
  if (at >= 0 && there) return there.id;
  if (fromId === strip?.current?.id) return (step < 0 ? strip.prev : strip.next) ?? undefined;
  return undefined;
}

// The frames whose images to load next: ahead first (the way annotators move), then behind.
export function prefetchTargets(strip, currentId, ahead = PREFETCH_AHEAD, behind = PREFETCH_BEHIND) {
  const frames = strip?.frames || [];
  const at = frames.findIndex((f) => f.id === currentId);
  if (at < 0) return [];
  const next = frames.slice(at + 1, at + 1 + ahead);
  const prev = frames.slice(Math.max(0, at - behind), at).reverse();
  return [...next, ...prev];
}

// "12 of 1,000" (position is 0-based among the frames offered).
export function positionText(strip) {
  if (!strip) return "";
  return `${(strip.position + 1).toLocaleString("en-US")} of ${strip.count.toLocaleString("en-US")}`;
}
