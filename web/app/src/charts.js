// The experiment page's uPlot charts: optimization history, slice plots, intermediate values.
// Each chart's container carries data- attributes with what it drew (the browser tests and the
// benchmark read them): data-points, data-drawn (performance.now() of the last draw).
import uPlot from "uplot";
import { markPainted, rasterMin } from "./dom.js";

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

function chartWidth(container) {
  return Math.max(320, Math.floor(container.clientWidth || 640));
}

function markDrawn(container) {
  return () => markPainted(container);
}

// Scatter series are drawn in a draw hook with fillRect (a square per point): a path of
// 100 000 arcs costs the software rasterizer seconds, rectangles almost nothing. From
// rasterMin() points (5 000) the squares are blended into the plot's pixels directly (getImageData,
// putImageData): 100 000 fillRect calls cost about 80 ms of script and as much again to
// paint, and the history is drawn again on every live update.
function rgba(color) {
  const m = /^rgba?\((\d+),\s*(\d+),\s*(\d+)(?:,\s*([\d.]+))?\)$/.exec(color);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])];
  const v = parseInt(color.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255, 1];
}

function scatter(specs) {
  return (u) => {
    const xs = u.data[0];
    if (xs.length >= rasterMin()) return scatterPixels(u, specs);
    const ctx = u.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
    ctx.clip();
    for (const { series, size, color } of specs) {
      if (u.series[series] && u.series[series].show === false) continue;
      const ys = u.data[series];
      const half = (size * devicePixelRatio) / 2;
      ctx.fillStyle = color;
      for (let i = 0; i < xs.length; i++) {
        const y = ys[i];
        if (y === null || y === undefined) continue;
        const px = u.valToPos(xs[i], "x", true);
        const py = u.valToPos(y, u.series[series].scale || "y", true);
        ctx.fillRect(px - half, py - half, 2 * half, 2 * half);
      }
    }
    ctx.restore();
  };
}

// The same squares (in device pixels, inside the plot's box), each blended "over" what is
// drawn there, as fillRect with that colour would.
function scatterPixels(u, specs) {
  const { left, top, width, height } = u.bbox;
  const W = Math.floor(width);
  const H = Math.floor(height);
  if (W <= 0 || H <= 0) return;
  const x0 = Math.round(left);
  const y0 = Math.round(top);
  const image = u.ctx.getImageData(x0, y0, W, H);
  const d = image.data;
  const xs = u.data[0];
  for (const { series, size, color } of specs) {
    if (u.series[series] && u.series[series].show === false) continue;
    const ys = u.data[series];
    const scale = u.series[series].scale || "y";
    const side = Math.max(1, Math.round(size * devicePixelRatio));
    const [r, g, b, a] = rgba(color);
    const keep = 1 - a;
    for (let i = 0; i < xs.length; i++) {
      const y = ys[i];
      if (y === null || y === undefined) continue;
      const px = Math.round(u.valToPos(xs[i], "x", true) - x0 - side / 2);
      const py = Math.round(u.valToPos(y, scale, true) - y0 - side / 2);
      for (let yy = Math.max(0, py); yy < Math.min(H, py + side); yy++) {
        for (let xx = Math.max(0, px); xx < Math.min(W, px + side); xx++) {
          const p = (yy * W + xx) * 4;
          d[p] = r * a + d[p] * keep;
          d[p + 1] = g * a + d[p + 1] * keep;
          d[p + 2] = b * a + d[p + 2] * keep;
          d[p + 3] = 255 * a + d[p + 3] * keep;
        }
      }
    }
  }
  u.ctx.putImageData(image, x0, y0);
}

const NO_POINTS = { show: false };

function replace(holder, make) {
  if (holder.plot) holder.plot.destroy();
  holder.plot = make();
}

// Optimization history: each completed trial's value by number, the best so far, and failed
// and pruned trials marked along the bottom. With `rows` (the store's rows changed since the
// last draw) the chart is kept and given new data (uPlot setData) and the trials' order by
// number is extended rather than sorted again, when the new rows come after the others.
export function drawHistory(container, store, goal, holder, rows) {
  const n = store.size;
  const width = chartWidth(container);
  let order = holder.order;
  const keep = rows && holder.plot && order && holder.goal === goal && holder.width === width && order.length <= n;
  if (keep && order.length < n) {
    const added = [];
    for (let r = order.length; r < n; r++) added.push(r);
    added.sort((a, b) => store.number[a] - store.number[b]);
    if (order.length === 0 || store.number[added[0]] >= store.number[order[order.length - 1]]) order = order.concat(added);
    else order = null;
  }
  if (!keep || !order) order = Array.from({ length: n }, (_, i) => i).sort((a, b) => store.number[a] - store.number[b]);
  holder.order = order;
  holder.goal = goal;
  holder.width = width;
  const x = new Float64Array(n);
  const value = new Array(n);
  const best = new Array(n);
  const failed = new Array(n);
  const pruned = new Array(n);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = store.value[order[i]];
    if (store.state[order[i]] === "completed" && typeof v === "number") {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!isFinite(lo)) {
    lo = 0;
    hi = 1;
  }
  const floor = lo - (hi - lo) * 0.05 || lo - 0.05;
  let running = null;
  let points = 0;
  let nFailed = 0;
  let nPruned = 0;
  for (let i = 0; i < n; i++) {
    const r = order[i];
    x[i] = store.number[r];
    const s = store.state[r];
    const v = store.value[r];
    value[i] = null;
    failed[i] = null;
    pruned[i] = null;
    if (s === "completed" && typeof v === "number") {
      value[i] = v;
      points++;
      if (running === null || (goal === "minimize" ? v < running : v > running)) running = v;
    } else if (s === "failed") {
      failed[i] = floor;
      nFailed++;
    } else if (s === "pruned") {
      pruned[i] = floor;
      nPruned++;
    }
    best[i] = running;
  }
  container.dataset.points = String(points);
  container.dataset.failed = String(nFailed);
  container.dataset.pruned = String(nPruned);
  container.dataset.best = running === null ? "" : String(running);
  const data = [x, value, best, failed, pruned];
  const many = n > 5000;
  if (keep && order && holder.many === many) {
    holder.plot.setData(data);
    return;
  }
  holder.many = many;
  replace(holder, () =>
    new uPlot(
      {
        width,
        height: 260,
        scales: { x: { time: false } },
        axes: [{ label: "trial number" }, { label: "objective" }],
        cursor: { points: { show: false } },
        series: [
          { label: "trial" },
          { label: "value", stroke: "#3e4989", paths: () => null, points: NO_POINTS },
          { label: "best so far", stroke: "#e4572e", width: 2, spanGaps: true, points: NO_POINTS },
          { label: "failed", stroke: "#c0392b", paths: () => null, points: NO_POINTS },
          { label: "pruned", stroke: "#d4a017", paths: () => null, points: NO_POINTS },
        ],
        hooks: {
          draw: [
            scatter([
              { series: 1, size: many ? 2 : 5, color: many ? "rgba(62,73,137,0.35)" : "rgba(62,73,137,0.8)" },
              { series: 3, size: many ? 3 : 6, color: "#c0392b" },
              { series: 4, size: many ? 3 : 6, color: "#d4a017" },
            ]),
            markDrawn(container),
          ],
        },
      },
      data,
      container
    )
  );
}

// Objective against one parameter (log x for log parameters, categories by index).
export function drawSlice(container, store, axis, holder) {
  const column = store.params[axis.name];
  let x = new Float64Array(store.size);
  let y = new Float64Array(store.size);
  let n = 0;
  for (let i = 0; i < store.size; i++) {
    const v = store.value[i];
    const p = column[i];
    if (store.state[i] !== "completed" || typeof v !== "number" || p === null || p === undefined) continue;
    let xv;
    if (axis.kind === "categorical") {
      const t = axis.norm(p);
      if (isNaN(t)) continue;
      xv = Math.round(t * Math.max(1, axis.values.length - 1));
    } else {
      if (typeof p !== "number" || (axis.kind === "log" && p <= 0)) continue;
      xv = p;
    }
    x[n] = xv;
    y[n] = v;
    n++;
  }
  x = x.subarray(0, n);
  y = y.subarray(0, n);
  // uPlot wants x ascending (its cursor searches it). A large slice is drawn into the pixels,
  // its range is the axis' own, and it has no cursor, so it skips the sort (100 000 pairs
  // cost a few hundred ms of a live page's time under load).
  const large = n >= rasterMin();
  if (!large) {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
    x = Float64Array.from(order, (i) => x[i]);
    y = Float64Array.from(order, (i) => y[i]);
  }
  container.dataset.points = String(n);
  container.dataset.param = axis.name;
  const xAxis = { label: axis.name };
  const xScale = { time: false };
  if (axis.kind === "log") xScale.distr = 3;
  if (axis.kind === "categorical") {
    xScale.range = () => [-0.5, Math.max(0.5, axis.values.length - 0.5)];
    xAxis.splits = () => axis.values.map((_, i) => i);
    xAxis.values = () => axis.values.map((v) => String(v));
  } else {
    xScale.range = (u, mn, mx) => (axis.kind === "log" ? [axis.lo, axis.hi] : [Math.min(axis.lo, mn), Math.max(axis.hi, mx)]);
  }
  replace(holder, () =>
    new uPlot(
      {
        width: Math.min(420, chartWidth(container)),
        height: 220,
        legend: { show: false },
        cursor: large ? { show: false } : undefined,
        scales: { x: xScale },
        axes: [xAxis, { label: "objective" }],
        series: [{}, { stroke: "#31688e", paths: () => null, points: NO_POINTS }],
        hooks: { draw: [scatter([{ series: 1, size: n > 5000 ? 2 : 4, color: n > 5000 ? "rgba(49,104,142,0.3)" : "rgba(49,104,142,0.7)" }]), markDrawn(container)] },
      },
      [x, y],
      container
    )
  );
}

// Intermediate values: the per-step (per-fold) score of each trial, one line per trial.
// `yLabel`: the value axis's title (default: the metric's name).
export function drawSteps(container, trials, metric, holder, yLabel = metric) {
  let maxStep = 0;
  for (const t of trials) for (const s of t.steps) if (s.step > maxStep) maxStep = s.step;
  const x = Array.from({ length: maxStep + 1 }, (_, i) => i);
  const data = [x];
  const series = [{ label: "step" }];
  let lines = 0;
  trials.forEach((t, k) => {
    const y = new Array(maxStep + 1).fill(null);
    let any = false;
    for (const s of t.steps) {
      const v = s.values[metric];
      if (typeof v === "number") {
        y[s.step] = v;
        any = true;
      }
    }
    if (!any) return;
    lines++;
    data.push(y);
    series.push({ label: t.label || `#${t.number}`, stroke: COLORS[k % COLORS.length], width: 1, spanGaps: true, points: { show: maxStep < 20, size: 4 } });
  });
  container.dataset.lines = String(lines);
  container.dataset.metric = metric;
  replace(holder, () =>
    new uPlot(
      {
        width: chartWidth(container),
        height: 240,
        legend: { show: lines <= 20 },
        scales: { x: { time: false } },
        axes: [{ label: "step (fold)" }, { label: yLabel }],
        series,
        hooks: { draw: [markDrawn(container)] },
      },
      data,
      container
    )
  );
}

// Parameter importance as horizontal bars (canvas text only: names stay inert).
export function drawImportance(container, importances, holder) {
  const entries = Object.entries(importances).sort((a, b) => b[1] - a[1]);
  const x = entries.map((_, i) => i);
  const y = entries.map(([, v]) => v);
  container.dataset.bars = String(entries.length);
  const bars = uPlot.paths.bars({ size: [0.6, 60] });
  replace(holder, () =>
    new uPlot(
      {
        width: Math.min(640, chartWidth(container)),
        height: 60 + 28 * Math.max(1, entries.length),
        legend: { show: false },
        scales: { x: { time: false, range: [-0.5, Math.max(0.5, entries.length - 0.5)] }, y: { range: [0, Math.max(1e-9, ...y) * 1.1] } },
        axes: [
          { splits: () => x, values: () => entries.map(([k]) => k), label: "parameter" },
          { label: "importance" },
        ],
        series: [{}, { stroke: "#26828e", fill: "rgba(38,130,142,0.6)", paths: bars, points: { show: false } }],
        hooks: { draw: [markDrawn(container)] },
      },
      [x, y],
      container
    )
  );
}

// One metric's history (a tracking run): value by step, one point per logged point (several
// at one step are all drawn, in timestamp order). NaN and infinite values are gaps. The
// container's data-points is the number of points drawn into the series.
export function drawMetricHistory(container, key, points, holder) {
  const x = new Float64Array(points.length);
  const y = new Array(points.length);
  let finite = 0;
  points.forEach((p, i) => {
    x[i] = p.step;
    y[i] = typeof p.value === "number" && isFinite(p.value) ? p.value : null;
    if (y[i] !== null) finite++;
  });
  container.dataset.points = String(points.length);
  container.dataset.finite = String(finite);
  container.dataset.metric = key;
  replace(holder, () =>
    new uPlot(
      {
        width: chartWidth(container),
        height: 220,
        legend: { show: false },
        scales: { x: { time: false } },
        axes: [{ label: "step" }, { label: key }],
        series: [{ label: "step" }, { label: key, stroke: COLORS[0], width: 1.5, spanGaps: false, points: { show: points.length <= 50, size: 4 } }],
        hooks: { draw: [markDrawn(container)] },
      },
      [x, y],
      container
    )
  );
}
