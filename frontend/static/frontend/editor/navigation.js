// Which frames the editor offers around the current one (pure; unit-tested): the filmstrip's
// window and the previous/next frame. Frames are the API's, sorted by index.

export const FILMSTRIP_RADIUS = 8;

// Excluded frames are skipped, except the one being edited.
export function visibleFrames(frames, currentId) {
  return frames.filter((f) => !f.excluded || f.id === currentId);
}

// Id of the nearest frame before (step < 0) or after `index`; undefined at either end.
export function neighbourFrame(frames, index, step) {
  const list = step < 0 ? frames.filter((f) => f.index < index).reverse() : frames.filter((f) => f.index > index);
  return list[0]?.id;
}

// The frames shown in the filmstrip: up to `radius` either side of the current one.
export function filmstripWindow(frames, currentId, radius = FILMSTRIP_RADIUS) {
  const at = Math.max(
    0,
    frames.findIndex((f) => f.id === currentId),
  );
  return frames.slice(Math.max(0, at - radius), at + radius + 1);
}
