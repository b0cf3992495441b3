// Pure helpers of the ML pages (no DOM): numbers, durations, statuses, chart series.

export const ACTIVE = new Set(["queued", "running"]);

export const ARCH_LABELS = {
  improved_unet: "Improved U-Net",
  improved_unet_lite: "Improved U-Net (lite)",
  unet: "U-Net",
  attention_unet: "Attention U-Net",
  unetpp: "U-Net++",
};

export const archLabel = (arch) => ARCH_LABELS[arch] || arch;

export const isActive = (status) => ACTIVE.has(status);

// 0.85234 -> "0.852"; null, undefined and NaN -> "—".
export function num(value, digits = 3) {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : "—";
}

// A difference with its sign: +0.031, −0.004 (a real minus sign).
export function signed(value, digits = 3) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "—";
  const text = Math.abs(value).toFixed(digits);
  return value < 0 ? `\u2212${text}` : `+${text}`;
}

export function percent(fraction, digits = 0) {
  return typeof fraction === "number" && Number.isFinite(fraction) ? `${(fraction * 100).toFixed(digits)}%` : "—";
}

// Seconds left -> "about 3 min left"; null (not known yet) -> "".
export function eta(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) return "";
  if (seconds < 60) return `about ${Math.max(1, Math.round(seconds))} s left`;
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min left`;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.round((seconds % 3600) / 60);
  return `about ${hours} h ${minutes} min left`;
}

// 1234567 -> "1,234,567" (independent of the browser's locale, so tests read it the same).
export function count(n) {
  return typeof n === "number" && Number.isFinite(n)
    ? String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",")
    : "—";
}

export function bytes(n) {
  if (typeof n !== "number" || !Number.isFinite(n)) return "—";
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "—";
}

// "0.812 [0.774, 0.851]" from {mean, ci_low, ci_high}; only the mean when there is no interval.
export function withInterval(summary, digits = 3, fmt = num) {
  if (!summary) return "—";
  const interval =
    Number.isFinite(summary.ci_low) && Number.isFinite(summary.ci_high)
      ? ` [${fmt(summary.ci_low, digits)}, ${fmt(summary.ci_high, digits)}]`
      : "";
  return `${fmt(summary.mean, digits)}${interval}`;
}

// The metrics the model page shows, in order, with what they are measured on.
export const METRIC_ROWS = [
  ["miou_bg", "mIoU (with background)"],
  ["nerve_iou", "Nerve IoU"],
  ["nerve_dice", "Nerve Dice"],
  ["precision", "Nerve precision"],
  ["recall", "Nerve recall"],
  ["frame_fp_rate", "Frame FP rate (frames without nerve)"],
  ["frame_fn_rate", "Frame FN rate (frames with nerve)"],
  ["frames_per_second", "Frames per second"],
];

export const PATIENT_METRICS = [
  ["miou_bg", "mIoU"],
  ["nerve_iou", "Nerve IoU"],
  ["nerve_dice", "Nerve Dice"],
  ["precision", "Precision"],
  ["recall", "Recall"],
];

// Training history rows -> uPlot data: [epochs, ...one array per key] (null where missing).
export function historyColumns(history, keys) {
  const rows = [...(history || [])].sort((a, b) => a.epoch - b.epoch);
  return [rows.map((r) => r.epoch), ...keys.map((k) => rows.map((r) => (Number.isFinite(r[k]) ? r[k] : null)))];
}

export const LOSS_SERIES = [
  { key: "train_loss", label: "train loss", color: "#b8323f" },
  { key: "val_loss", label: "val loss", color: "#2f6db5" },
];

export const VAL_SERIES = [
  { key: "val_nerve_iou", label: "val nerve IoU", color: "#3b8b4b" },
  { key: "val_nerve_dice", label: "val nerve Dice", color: "#c98a1b" },
];

// "Epoch 12: train loss 0.540, val loss 0.204, val nerve IoU 0.310, Dice 0.470. Best val nerve
// IoU 0.352 at epoch 9." from the history rows; "" before the first epoch.
export function latestLine(history) {
  const rows = [...(history || [])].sort((a, b) => a.epoch - b.epoch);
  if (!rows.length) return "";
  const last = rows[rows.length - 1];
  let text =
    `Epoch ${last.epoch}: train loss ${num(last.train_loss)}, val loss ${num(last.val_loss)}, ` +
    `val nerve IoU ${num(last.val_nerve_iou)}, Dice ${num(last.val_nerve_dice)}.`;
  const scored = rows.filter((r) => Number.isFinite(r.val_nerve_iou));
  if (scored.length) {
    const best = scored.reduce((a, b) => (b.val_nerve_iou > a.val_nerve_iou ? b : a));
    text += ` Best val nerve IoU ${num(best.val_nerve_iou)} at epoch ${best.epoch}.`;
  }
  return text;
}

// The patients of a comparison, in a stable order: those of the first model, then the others.
export function comparePatients(models) {
  const seen = new Set();
  for (const m of models) for (const p of Object.keys(m.per_patient || {}).sort()) seen.add(p);
  return [...seen];
}
