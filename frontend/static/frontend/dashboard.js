// The data managers' project dashboard, as pictures (uPlot, vendored under vendor/uplot/):
// annotation progress per patient and state (stacked bars), frames submitted per annotator and
// day (lines), the review backlog over time (area), frames per split (nested bars).
// Every figure also gets one line of text. Names are only ever inserted as text.

import { api } from "./http.js";
import uPlot from "./vendor/uplot/uPlot.esm.js";

const root = document.getElementById("dashboard");
const slug = root.dataset.project;
const HEIGHT = 260;
const STATE_LABELS = {
  none: "not annotated",
  in_progress: "in progress",
  submitted: "submitted",
  rejected: "rejected",
  approved: "approved",
};
const STATE_COLORS = {
  none: "#d9d4cd",
  in_progress: "#c98a1b",
  submitted: "#2f6db5",
  rejected: "#b8323f",
  approved: "#3b8b4b",
};
const SPLIT_LABELS = { train: "Train", val: "Validation", test: "Test", unassigned: "Unassigned" };
const PALETTE = ["#2f6db5", "#b8323f", "#3b8b4b", "#c98a1b", "#7a4fb0", "#1b8a8a", "#444"];
const DAY = 86400;

const $ = (id) => document.getElementById(id);
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

function widthOf(target) {
  return Math.max(280, Math.floor(target.clientWidth || target.parentElement?.clientWidth || 480));
}

// A chart that follows its box's width.
function plot(target, opts, data) {
  target.replaceChildren();
  const chart = new uPlot({ width: widthOf(target), height: HEIGHT, ...opts }, data, target);
  new ResizeObserver(() => chart.setSize({ width: widthOf(target), height: HEIGHT })).observe(target);
  return chart;
}

const bars = (size) => uPlot.paths.bars({ size: [size, 80] });
const wholeTicks = (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? String(t) : ""));
// An axis of categories at x = 1..n, labelled by `names`.
function categoryAxis(label, names) {
  return {
    label,
    incrs: [1],
    values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? names[t - 1] || "" : "")),
    rotate: names.length > 12 ? -40 : 0,
    size: names.length > 12 ? 70 : 40,
  };
}
const categoryScale = (n) => ({ time: false, range: [0.4, n + 0.6] });

// Stacked bars by drawing running sums, the tallest first: each state shows as its own band.
function progressChart(data) {
  const patients = data.patients;
  const states = [...data.states].reverse(); // approved at the bottom, "not annotated" on top
  const sums = [];
  let running = patients.map(() => 0);
  for (const s of states) {
    running = running.map((v, i) => v + patients[i].states[s]);
    sums.push(running);
  }
  const drawn = states.map((s, i) => ({ state: s, values: sums[i] })).reverse();
  plot(
    $("progress-chart"),
    {
      cursor: { drag: { x: false, y: false } },
      legend: { live: false },
      scales: { x: categoryScale(patients.length), y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [
        categoryAxis(
          "patient",
          patients.map((p) => p.code),
        ),
        { label: "frames", values: wholeTicks },
      ],
      series: [
        { label: "patient" },
        ...drawn.map(({ state }) => ({
          label: STATE_LABELS[state],
          stroke: STATE_COLORS[state],
          fill: STATE_COLORS[state],
          width: 0,
          paths: bars(0.7),
          points: { show: false },
        })),
      ],
    },
    [patients.map((_p, i) => i + 1), ...drawn.map((d) => d.values)],
  );
}

// Local midnight of each day: the axis ticks (drawn at local midnights) sit under the points.
const dayStamps = (days) => days.map((d) => Date.parse(`${d}T00:00:00`) / 1000);

function timeAxes(yLabel) {
  return [
    { values: (_u, ticks) => ticks.map((t) => new Date(t * 1000).toISOString().slice(5, 10)) },
    { label: yLabel, values: wholeTicks },
  ];
}

function throughputChart(data) {
  const people = data.throughput;
  const xs = dayStamps(data.days);
  plot(
    $("throughput-chart"),
    {
      cursor: { drag: { x: false, y: false } },
      legend: { live: false },
      scales: {
        x: { time: true, range: [xs[0] - DAY / 2, xs[xs.length - 1] + DAY / 2] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
      },
      axes: timeAxes("frames submitted"),
      series: [
        { label: "day" },
        ...people.map((p, i) => ({
          label: p.username,
          stroke: PALETTE[i % PALETTE.length],
          width: 2,
          points: { show: true, size: 5 },
        })),
      ],
    },
    [xs, ...people.map((p) => p.submitted)],
  );
  const total = (p) => p.submitted.reduce((a, b) => a + b, 0);
  $("throughput-note").textContent = people.length
    ? `${people.map((p) => `${p.username}: ${total(p)}`).join(" · ")} (last ${data.days.length} days)`
    : `No frames were submitted in the last ${data.days.length} days.`;
}

function waited(days) {
  if (days >= 1) return plural(Math.round(days), "day");
  const hours = Math.round(days * 24);
  return hours >= 1 ? plural(hours, "hour") : "less than an hour";
}

function backlogChart(data) {
  const xs = dayStamps(data.days);
  plot(
    $("backlog-chart"),
    {
      cursor: { drag: { x: false, y: false } },
      legend: { live: false },
      scales: {
        x: { time: true, range: [xs[0] - DAY / 2, xs[xs.length - 1] + DAY / 2] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
      },
      axes: timeAxes("frames waiting"),
      series: [
        { label: "day" },
        { label: "waiting for review", stroke: STATE_COLORS.submitted, fill: "#2f6db533", width: 2 },
      ],
    },
    [xs, data.backlog.waiting],
  );
  const b = data.backlog;
  $("backlog-note").textContent = b.now
    ? `${plural(b.now, "frame")} wait${b.now === 1 ? "s" : ""} for review now; the oldest has waited ${waited(b.oldest_days)}.`
    : "Nothing waits for review.";
}

function splitsChart(data) {
  const names = Object.keys(SPLIT_LABELS);
  const rows = names.map((s) => data.splits[s]);
  const layers = [
    ["frames", "frames", "#d9d4cd", 0.7],
    ["annotated", "annotated", "#7aa0d4", 0.5],
    ["approved", "approved", STATE_COLORS.approved, 0.3],
  ];
  plot(
    $("splits-chart"),
    {
      cursor: { drag: { x: false, y: false } },
      legend: { live: false },
      scales: { x: categoryScale(names.length), y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [
        categoryAxis(
          "split",
          names.map((s) => SPLIT_LABELS[s]),
        ),
        { label: "frames", values: wholeTicks },
      ],
      series: [
        { label: "split" },
        ...layers.map(([, label, color, size]) => ({
          label,
          stroke: color,
          fill: color,
          width: 0,
          paths: bars(size),
          points: { show: false },
        })),
      ],
    },
    [names.map((_s, i) => i + 1), ...layers.map(([key]) => rows.map((r) => r[key]))],
  );
  $("splits-note").textContent = names
    .map(
      (s, i) =>
        `${SPLIT_LABELS[s]}: ${plural(rows[i].patients, "patient")}, ${plural(rows[i].frames, "frame")}, ${rows[i].annotated} annotated, ${rows[i].approved} approved`,
    )
    .join(" · ");
}

function summary(data) {
  const t = data.totals;
  const frames = Object.values(t).reduce((a, b) => a + b, 0);
  const parts = data.states.map((s) => `${t[s]} ${STATE_LABELS[s]}`);
  $("summary").textContent =
    `${plural(data.patients.length, "patient")}, ${plural(frames, "frame")}: ${parts.join(", ")}.`;
}

async function main() {
  const data = await api("GET", `/api/v1/projects/${encodeURIComponent(slug)}/dashboard/`);
  summary(data);
  progressChart(data);
  throughputChart(data);
  backlogChart(data);
  splitsChart(data);
  root.dataset.ready = "1";
}

main().catch((e) => {
  $("error").textContent = e.message;
  $("error").hidden = false;
});
