// Seconds of active editing, for the save body's `edit_seconds`: the sum of the gaps between
// consecutive user interactions, each gap capped (someone who stops for a coffee does not count),
// and only the part of a gap while the page was visible. Pure: the caller passes the clock
// (performance.now() in ms) and wires the DOM events (main.js).

export const GAP_CAP_MS = 30_000;
export const MAX_EDIT_SECONDS = 3600;

// What a save sends for `ms` of counted time: seconds, rounded to 0.1, in 0..3600.
export function editSeconds(ms) {
  const s = Math.round(Math.max(0, ms) / 100) / 10;
  return Math.min(MAX_EDIT_SECONDS, s);
}

export class ActiveTime {
  // `now`: when the page became ready; it counts as the first interaction (the first look at the
  // frame before the first click is editing time too, within the same cap).
  constructor({ now, visible = true, capMs = GAP_CAP_MS }) {
    this.capMs = capMs;
    this.ms = 0; // closed gaps, counted
    this.visible = visible;
    this.gapMs = 0; // visible time of the open gap so far
    this.openedAt = visible ? now : null; // start of the open gap's current visible stretch
  }

  // A pointer, wheel, key or panel event at `now`.
  interact(now) {
    if (!this.visible) return;
    if (this.openedAt !== null) this.gapMs += Math.max(0, now - this.openedAt);
    this.ms += Math.min(this.gapMs, this.capMs);
    this.gapMs = 0;
    this.openedAt = now;
  }

  // document.visibilityState changed at `now`: a hidden stretch is left out of the open gap.
  setVisible(visible, now) {
    if (visible === this.visible) return;
    this.visible = visible;
    if (!visible && this.openedAt !== null) {
      this.gapMs += Math.max(0, now - this.openedAt);
      this.openedAt = null;
    } else if (visible) {
      this.openedAt = now;
    }
  }

  // After a successful save that sent `ms` (the value read when the save began): what was counted
  // while the save was under way stays for the next save.
  consume(ms) {
    this.ms = Math.max(0, this.ms - ms);
  }
}
