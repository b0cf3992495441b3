// Training curves with uPlot (vendored under ../vendor/uplot/, see tests/frontend): one line
// chart per panel, x = epoch, redrawn in place as the history grows.
import uPlot from "../vendor/uplot/uPlot.esm.js";
import { historyColumns, LOSS_SERIES, num, VAL_SERIES } from "./format.js";

const HEIGHT = 240;

function widthOf(target) {
  return Math.max(280, Math.floor(target.clientWidth || target.parentElement?.clientWidth || 480));
}

// A line chart in `target`: `series` [{key, label, color}], `yRange` [min, max] or null (auto),
// `epochs` the planned number (the x axis spans 1..epochs from the start).
export class EpochChart {
  constructor(target, { title, yLabel, series, yRange = null }) {
    this.target = target;
    this.series = series;
    this.epochs = 1;
    this.plot = null;
    this.options = { title, yLabel, yRange };
    this.observer = new ResizeObserver(() => this.plot?.setSize({ width: widthOf(this.target), height: HEIGHT }));
    this.observer.observe(target);
  }

  build() {
    const { title, yLabel, yRange } = this.options;
    const opts = {
      title,
      width: widthOf(this.target),
      height: HEIGHT,
      cursor: { drag: { x: false, y: false } },
      legend: { live: false },
      scales: {
        x: { time: false, range: () => [1, Math.max(2, this.epochs)] },
        y: yRange ? { range: yRange } : { auto: true },
      },
      axes: [
        { label: "epoch", incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] },
        { label: yLabel, values: (_u, ticks) => ticks.map((t) => num(t, 2)) },
      ],
      series: [
        { label: "epoch" },
        ...this.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          spanGaps: true,
          points: { show: true, size: 6 },
        })),
      ],
    };
    this.target.replaceChildren();
    this.plot = new uPlot(opts, this.data, this.target);
  }

  // `history`: the job's rows; `epochs`: the planned count.
  update(history, epochs) {
    this.epochs = Math.max(epochs || 1, ...(history || []).map((r) => r.epoch));
    this.data = historyColumns(
      history,
      this.series.map((s) => s.key),
    );
    if (!this.plot) this.build();
    else this.plot.setData(this.data);
  }
}

// The two panels of a training run: losses, and the validation nerve metrics (0..1).
export function trainingCharts(lossTarget, valTarget) {
  const loss = new EpochChart(lossTarget, { title: "Loss", yLabel: "loss", series: LOSS_SERIES });
  const val = new EpochChart(valTarget, {
    title: "Validation",
    yLabel: "nerve overlap",
    series: VAL_SERIES,
    yRange: [0, 1],
  });
  return {
    update(history, epochs) {
      loss.update(history, epochs);
      val.update(history, epochs);
    },
  };
}

const PALETTE = ["#2f6db5", "#b8323f", "#3b8b4b", "#c98a1b", "#7a4fb0", "#444"];

// Nerve IoU per patient, one point series per model (x = the patients, in table order), so a
// patient that is hard for every model shows as a low column of points.
export function patientChart(target, codes, models) {
  const xs = codes.map((_c, i) => i + 1);
  const opts = {
    width: widthOf(target),
    height: HEIGHT,
    cursor: { drag: { x: false, y: false } },
    legend: { live: false },
    scales: { x: { time: false, range: [0.5, codes.length + 0.5] }, y: { range: [0, 1] } },
    axes: [
      {
        label: "test patient",
        incrs: [1],
        values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? codes[t - 1] || "" : "")),
      },
      { label: "nerve IoU", values: (_u, ticks) => ticks.map((t) => num(t, 2)) },
    ],
    series: [
      { label: "patient" },
      ...models.map((m, i) => ({
        label: `model ${m.number}`,
        stroke: PALETTE[i % PALETTE.length],
        fill: PALETTE[i % PALETTE.length],
        width: 0,
        paths: () => null,
        points: { show: true, size: 9, fill: PALETTE[i % PALETTE.length] },
      })),
    ],
  };
  const data = [
    xs,
    ...models.map((m) => codes.map((c) => (Number.isFinite(m.per_patient[c]) ? m.per_patient[c] : null))),
  ];
  target.replaceChildren();
  const plot = new uPlot(opts, data, target);
  new ResizeObserver(() => plot.setSize({ width: widthOf(target), height: HEIGHT })).observe(target);
  return plot;
}
