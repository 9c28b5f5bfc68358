// Parallel coordinates on canvas: one axis per parameter (log axes for log parameters,
// categories as ordinal axes) and the objective; one polyline per completed trial, coloured by
// its value. Drag along any axis to brush a range (a click clears that axis); the brushes
// select trials (all axes must pass) and onBrush() tells the page. A few lines are stroked in
// batches per colour; many (a full draw of rasterMin() or more) are rasterized in JS into an
// ImageData (rasterize() below); live trials are stroked on top of what is there.
import { el, sizedCanvas, rampAt, rampIndex, RAMP_SIZE, markPainted, rasterMin } from "./dom.js";
import { numericAxis } from "./store.js";

const TOP = 34;
const BOTTOM = 40;
const PAD = 70;
const HEIGHT = 340;
// From rasterMin() lines (5 000) a full draw is rasterized in JS: Skia's software hairlines
// (headless Chromium has no GPU) took 0.7-1.3 s to paint 100 000 polylines of 6 axes, the JS
// below a tenth to a third of that (depending on how many axes have few values). HAIRLINE: the coverage of a hairline of width 0.6 px,
// which the rasterizer gives each line it counts.
const HAIRLINE = 0.6;

function rgbOf(hex) {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

// Draws groups ({rows, rgb, alpha}, in order, later on top) of polylines through the axes at
// device pixels xs (one per axis) into canvas: per group, counts how many of its lines cross
// each pixel, then composites the group's colour once per pixel with the alpha n lines of
// `alpha` would give (1-(1-a)^n), as n strokes of one colour onto each other do. Lines end on
// whole pixels, so between two axes the lines of a group with the same two ends are one
// segment drawn with weight n: an integer or categorical axis has a few values, and 100 000
// lines become a few hundred segments there. ys(t) maps an axis position to a device y.
function rasterize(canvas, groups, k, pos, xs, ys) {
  const W = canvas.width;
  const H = canvas.height;
  const count = new Uint32Array(W * H);
  const color = new Float32Array(W * H * 3); // premultiplied
  const cover = new Float32Array(W * H);
  const xi = xs.map((x) => Math.max(0, Math.min(W - 1, Math.round(x))));
  const pairs = new Uint32Array(H * H); // lines per (y on the left axis, y on the right one)
  const keys = [];
  // Adds w along the segment (x0, y0)-(x1, y1), one sample per pixel step along the longer
  // direction (fixed point, 16 bits of fraction), its last pixel only if `end`.
  const segment = (x0, y0, x1, y1, w, end) => {
    const dx = x1 - x0;
    const dy = y1 - y0;
    const steps = Math.max(Math.abs(dx), Math.abs(dy), 1);
    const sx = ((dx / steps) * 65536) | 0;
    const sy = ((dy / steps) * 65536) | 0;
    let x = x0 * 65536 + 32768;
    let y = y0 * 65536 + 32768;
    const n = end ? steps + 1 : steps;
    for (let s = 0; s < n; s++) {
      count[(y >> 16) * W + (x >> 16)] += w;
      x += sx;
      y += sy;
    }
  };
  for (const { rows, rgb, alpha } of groups) {
    if (rows.length === 0) continue;
    count.fill(0);
    // Each line's whole-pixel y on every axis, clamped to the canvas (a value beyond its
    // axis' range runs along the edge).
    const yq = new Int32Array(rows.length * k);
    for (let r = 0; r < rows.length; r++) {
      const base = rows[r] * k;
      for (let a = 0; a < k; a++) yq[r * k + a] = Math.max(0, Math.min(H - 1, Math.round(ys(pos[base + a]))));
    }
    for (let a = 1; a < k; a++) {
      keys.length = 0;
      for (let r = 0; r < rows.length; r++) {
        const key = yq[r * k + a - 1] * H + yq[r * k + a];
        if (pairs[key]++ === 0) keys.push(key);
      }
      for (const key of keys) {
        segment(xi[a - 1], (key / H) | 0, xi[a], key % H, pairs[key], a === k - 1); // shared ends once
        pairs[key] = 0;
      }
    }
    const x0 = Math.max(0, Math.floor(Math.min(...xs)));
    const x1 = Math.min(W, Math.ceil(Math.max(...xs)) + 1);
    const table = new Float32Array(257);
    for (let n = 0; n <= 256; n++) table[n] = 1 - Math.pow(1 - alpha, n);
    const [r, g, b] = rgb;
    for (let y = 0; y < H; y++) {
      for (let p = y * W + x0, end = y * W + x1; p < end; p++) {
        const n = count[p];
        if (n === 0) continue;
        const a = n < 256 ? table[n] : 1 - Math.pow(1 - alpha, n);
        const keep = 1 - a;
        color[p * 3] = r * a + color[p * 3] * keep;
        color[p * 3 + 1] = g * a + color[p * 3 + 1] * keep;
        color[p * 3 + 2] = b * a + color[p * 3 + 2] * keep;
        cover[p] = a + cover[p] * keep;
      }
    }
  }
  const image = new ImageData(W, H);
  const out = image.data;
  for (let p = 0; p < W * H; p++) {
    const a = cover[p];
    if (a === 0) continue;
    out[p * 4] = color[p * 3] / a;
    out[p * 4 + 1] = color[p * 3 + 1] / a;
    out[p * 4 + 2] = color[p * 3 + 2] / a;
    out[p * 4 + 3] = a * 255;
  }
  canvas.getContext("2d").putImageData(image, 0, 0);
}

export class ParallelCoordinates {
  constructor(onBrush) {
    this.root = el("div", { class: "parcoords" });
    this.lines = el("canvas", { class: "parcoords-lines" });
    this.overlay = el("canvas", { class: "parcoords-overlay", "aria-label": "parallel coordinates; drag along an axis to filter" });
    this.root.append(this.lines, this.overlay);
    this.brushes = new Map(); // axis index -> [lo, hi] in axis units 0..1
    this.increments = 0;
    this.onBrush = onBrush;
    this.drag = null;
    this.overlay.addEventListener("mousedown", (e) => this.down(e));
    window.addEventListener("mousemove", (e) => this.move(e));
    window.addEventListener("mouseup", (e) => this.up(e));
  }

  // Everything from scratch. axes: from axesFor(); store: TrialStore; goal: minimize|maximize.
  setData(store, axes, goal) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < store.size; i++) {
      const v = store.value[i];
      if (typeof v !== "number") continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    this.valueRange = [lo, hi];
    if (!isFinite(lo)) {
      lo = 0;
      hi = 1;
    }
    const objective = numericAxis("objective", lo, hi === lo ? lo + 1 : hi, false);
    objective.isObjective = true;
    const all = axes.concat([objective]);
    const names = all.map((a) => a.name).join("\u0000");
    if (names !== this.axisNames) this.brushes.clear();
    this.axisNames = names;
    this.paramAxes = axes;
    this.axes = all;
    this.goal = goal;
    this.n = 0;
    this.capacity = -1; // new arrays: the axes may be others
    this.grow(store.size);
    this.columns = all.map((axis) => (axis.isObjective ? store.value : store.params[axis.name]));
    for (let i = 0; i < store.size; i++) this.place(store, i);
    this.n = store.size;
    this.draw();
  }

  // Room for n trials in the per-trial arrays (doubling, so live trials rarely copy them).
  grow(n) {
    if (n <= this.capacity) return;
    const k = this.axes.length;
    const capacity = Math.max(n, Math.ceil(this.capacity * 1.5), 1024);
    const pos = new Float32Array(capacity * k);
    const drawable = new Uint8Array(capacity);
    const drawn = new Uint8Array(capacity);
    if (this.capacity > 0 && this.n > 0) {
      pos.set(this.pos.subarray(0, this.n * k));
      drawable.set(this.drawable.subarray(0, this.n));
      drawn.set(this.drawn.subarray(0, this.n));
    }
    this.pos = pos;
    this.drawable = drawable;
    this.drawn = drawn; // its line is on the canvas
    this.capacity = capacity;
  }

  // Trial i's position on each axis 0..1 (NaN: no value, e.g. an inactive conditional) and
  // whether it is drawn (completed with a value).
  place(store, i) {
    const k = this.axes.length;
    for (let a = 0; a < k; a++) this.pos[i * k + a] = this.axes[a].norm(this.columns[a][i]);
    this.drawable[i] = store.state[i] === "completed" && typeof store.value[i] === "number" ? 1 : 0;
  }

  // The live path: draws the lines of `rows` (changed since the last draw) on top of the
  // canvas when nothing already drawn has to move: the same axes (axesCover), no objective
  // value outside the drawn range, no drawn line changed, the same line style. Returns false
  // (having changed nothing) when a full setData is needed instead.
  update(store, axes, goal, rows) {
    if (!this.axes || axes !== this.paramAxes || goal !== this.goal || this.n > store.size) return false;
    if (this.layout().width !== this.geometry.width) return false;
    const k = this.axes.length;
    const [lo, hi] = this.valueRange;
    const fresh = [];
    const seen = new Set(rows);
    for (let i = this.n; i < store.size; i++) if (!seen.has(i)) rows.push(i); // (none: upsert logs every row)
    const same = (i, a) => {
      const p = this.axes[a].norm(this.columns[a][i]);
      const q = this.pos[i * k + a];
      return Math.fround(p) === q || (isNaN(p) && isNaN(q));
    };
    let drawable = this.drawnCount;
    for (const i of rows) {
      const v = store.value[i];
      if (typeof v === "number" && (v < lo || v > hi)) return false;
      const now = store.state[i] === "completed" && typeof v === "number";
      if (i < this.n && this.drawn[i]) {
        // Already drawn: a repeated event is nothing to do; any other change moves a line.
        if (!now) return false;
        for (let a = 0; a < k; a++) if (!same(i, a)) return false;
      } else if (i < this.n && !isNaN(this.pos[i * k + k - 1]) && !same(i, k - 1)) {
        return false; // an undrawn trial's value changed: the objective's range may shrink
      } else if (now) {
        fresh.push(i);
        drawable++;
      }
    }
    const style = this.style(drawable);
    if (style.alpha !== this.lineStyle.alpha || style.width !== this.lineStyle.width) return false;
    if (fresh.length >= rasterMin()) return false; // so many: as fast in full, and rasterize() clears
    this.grow(store.size);
    this.columns = this.axes.map((axis) => (axis.isObjective ? store.value : store.params[axis.name]));
    for (const i of rows) this.place(store, i);
    this.n = store.size;
    let count = 0; // counted again, not trusted from the checks above
    for (let i = 0; i < this.n; i++) count += this.drawable[i];
    this.drawnCount = count;
    if (fresh.length > 0) {
      const ctx = this.lines.getContext("2d");
      this.strokeLines(ctx, fresh);
    }
    this.increments += 1;
    this.publish();
    return true;
  }

  // How lines look for `count` drawn trials: fainter as they get more (alpha in steps, so a
  // few live trials keep the style of the lines already drawn).
  style(count) {
    const raw = Math.max(0.04, Math.min(0.8, 12 / Math.sqrt(Math.max(1, count))));
    const alpha = Math.round(raw * 50) / 50;
    // Under one device pixel Skia draws hairlines, far cheaper than 100 000 wide strokes.
    const width = count > 5000 ? 0.6 / (window.devicePixelRatio || 1) : 1;
    return { alpha: Math.max(0.04, alpha), width };
  }

  // True when trial i passes every brush.
  selects(i) {
    if (this.brushes.size === 0) return true;
    const k = this.axes.length;
    for (const [a, [lo, hi]] of this.brushes) {
      const p = this.pos[i * k + a];
      if (!(p >= lo && p <= hi)) return false;
    }
    return true;
  }

  // The brushes by axis name, in the axis' own units (numbers, or the categories inside).
  brushRanges() {
    const out = {};
    for (const [a, [lo, hi]] of this.brushes) {
      const axis = this.axes[a];
      if (axis.kind === "categorical") out[axis.name] = axis.values.filter((v) => {
        const t = axis.norm(v);
        return t >= lo && t <= hi;
      });
      else out[axis.name] = [axis.denorm(lo), axis.denorm(hi)];
    }
    return out;
  }

  layout() {
    const width = Math.max(480, Math.floor(this.root.clientWidth || 900));
    const k = this.axes.length;
    const xs = this.axes.map((_, a) => (k === 1 ? width / 2 : PAD + (a * (width - 2 * PAD)) / (k - 1)));
    return { width, xs, plotH: HEIGHT - TOP - BOTTOM };
  }

  y(t, plotH) {
    return isNaN(t) ? HEIGHT - 14 : TOP + (1 - t) * plotH;
  }

  // The whole canvas: unselected lines first (grey), then each colour bucket of the selected,
  // the better values (by the goal) last, on top.
  draw() {
    const { width, xs, plotH } = this.layout();
    this.geometry = { width, xs, plotH };
    const ctx = sizedCanvas(this.lines, width, HEIGHT);
    ctx.clearRect(0, 0, width, HEIGHT);
    const n = this.n;
    let count = 0;
    for (let i = 0; i < n; i++) count += this.drawable[i];
    this.drawnCount = count;
    this.lineStyle = this.style(count);
    this.drawn.fill(0);
    this.selectedCount = 0;
    this.stroked = 0;
    const list = [];
    for (let i = 0; i < n; i++) if (this.drawable[i]) list.push(i);
    this.strokeLines(ctx, list);
    this.drawOverlay();
    this.publish();
  }

  // Strokes the lines of trials `list` (drawable, not yet drawn) onto ctx in the current style:
  // one path per colour, grey for those outside the brushes first.
  strokeLines(ctx, list) {
    const k = this.axes.length;
    const pos = this.pos;
    const { xs, plotH } = this.geometry;
    const objective = k - 1;
    const { alpha, width } = this.lineStyle;
    const buckets = Array.from({ length: RAMP_SIZE }, () => []);
    const grey = [];
    for (const i of list) {
      if (this.selects(i)) {
        this.selectedCount++;
        let t = pos[i * k + objective];
        if (this.goal === "minimize") t = 1 - t;
        buckets[rampIndex(t)].push(i);
      } else grey.push(i);
      this.drawn[i] = 1;
    }
    this.stroked += list.length;
    const colors = buckets.map((_, b) => rampAt(this.goal === "minimize" ? RAMP_SIZE - 1 - b : b));
    if (list.length >= rasterMin()) {
      const ratio = window.devicePixelRatio || 1;
      const groups = [{ rows: grey, rgb: rgbOf("#c8c8c8"), alpha: Math.min(alpha, 0.3) * HAIRLINE }];
      buckets.forEach((rows, b) => groups.push({ rows, rgb: rgbOf(colors[b]), alpha: alpha * HAIRLINE }));
      rasterize(ctx.canvas, groups, k, pos, xs.map((x) => x * ratio), (t) => this.y(t, plotH) * ratio);
      return;
    }
    const stroke = (rows, color, a) => {
      if (rows.length === 0) return;
      ctx.globalAlpha = a;
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      ctx.beginPath();
      for (const i of rows) {
        const base = i * k;
        ctx.moveTo(xs[0], this.y(pos[base], plotH));
        for (let a2 = 1; a2 < k; a2++) ctx.lineTo(xs[a2], this.y(pos[base + a2], plotH));
      }
      ctx.stroke();
    };
    stroke(grey, "#c8c8c8", Math.min(alpha, 0.3));
    buckets.forEach((rows, b) => stroke(rows, colors[b], alpha));
    ctx.globalAlpha = 1;
  }

  // What was drawn, for the tests and the benchmark: data-lines (trials drawn), data-selected
  // (of those, inside the brushes), data-stroked (lines stroked onto the canvas since it was
  // last cleared: equals data-lines unless a line was dropped or drawn twice), data-increments
  // (draws of just the changed trials since the page opened), data-brushes (the brushes in
  // axis units), data-drawn (painted).
  publish() {
    const { xs, plotH } = this.geometry;
    this.root.dataset.lines = String(this.drawnCount);
    this.root.dataset.selected = String(this.selectedCount);
    this.root.dataset.stroked = String(this.stroked);
    this.root.dataset.increments = String(this.increments);
    this.root.dataset.brushes = JSON.stringify(this.brushRanges());
    this.root.dataset.axes = JSON.stringify(this.axes.map((a, i) => ({ name: a.name, kind: a.kind, x: xs[i], top: TOP, bottom: TOP + plotH })));
    markPainted(this.root);
  }

  drawOverlay() {
    const { width, xs, plotH } = this.geometry;
    const ctx = sizedCanvas(this.overlay, width, HEIGHT);
    ctx.clearRect(0, 0, width, HEIGHT);
    ctx.font = "11px system-ui, sans-serif";
    ctx.textAlign = "center";
    this.axes.forEach((axis, a) => {
      const x = xs[a];
      ctx.strokeStyle = "#333";
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(x, TOP);
      ctx.lineTo(x, TOP + plotH);
      ctx.stroke();
      ctx.fillStyle = "#111";
      ctx.font = "bold 12px system-ui, sans-serif";
      const label = axis.name.length > 18 ? `${axis.name.slice(0, 17)}…` : axis.name;
      ctx.fillText(axis.kind === "log" ? `${label} (log)` : label, x, TOP - 16);
      ctx.font = "10px system-ui, sans-serif";
      ctx.textAlign = "right";
      for (const tick of axis.ticks()) {
        const y = TOP + (1 - tick.t) * plotH;
        ctx.fillStyle = "#555";
        ctx.fillText(tick.label.length > 14 ? `${tick.label.slice(0, 13)}…` : tick.label, x - 5, y + 3);
        ctx.beginPath();
        ctx.moveTo(x - 3, y);
        ctx.lineTo(x, y);
        ctx.stroke();
      }
      ctx.textAlign = "center";
      ctx.fillStyle = "#999";
      ctx.fillText("n/a", x, HEIGHT - 4);
      const brush = this.brushes.get(a);
      if (brush) {
        const y1 = TOP + (1 - brush[1]) * plotH;
        const y2 = TOP + (1 - brush[0]) * plotH;
        ctx.fillStyle = "rgba(228,87,46,0.25)";
        ctx.strokeStyle = "#e4572e";
        ctx.fillRect(x - 8, y1, 16, y2 - y1);
        ctx.strokeRect(x - 8, y1, 16, y2 - y1);
      }
    });
  }

  axisAt(px) {
    if (!this.geometry) return -1;
    let best = -1;
    let bestD = 16;
    this.geometry.xs.forEach((x, a) => {
      const d = Math.abs(px - x);
      if (d < bestD) {
        bestD = d;
        best = a;
      }
    });
    return best;
  }

  toT(py) {
    const { plotH } = this.geometry;
    return Math.max(0, Math.min(1, 1 - (py - TOP) / plotH));
  }

  point(e) {
    const r = this.overlay.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  down(e) {
    const [px, py] = this.point(e);
    const a = this.axisAt(px);
    if (a < 0) return;
    e.preventDefault();
    this.drag = { a, y0: py, y1: py };
  }

  move(e) {
    if (!this.drag) return;
    this.drag.y1 = this.point(e)[1];
    const t0 = this.toT(this.drag.y0);
    const t1 = this.toT(this.drag.y1);
    if (Math.abs(this.drag.y1 - this.drag.y0) >= 3) {
      this.brushes.set(this.drag.a, [Math.min(t0, t1), Math.max(t0, t1)]);
      this.drawOverlay();
    }
  }

  up(e) {
    if (!this.drag) return;
    const d = this.drag;
    this.drag = null;
    d.y1 = this.point(e)[1];
    if (Math.abs(d.y1 - d.y0) < 3) this.brushes.delete(d.a);
    else {
      const t0 = this.toT(d.y0);
      const t1 = this.toT(d.y1);
      this.brushes.set(d.a, [Math.min(t0, t1), Math.max(t0, t1)]);
    }
    this.draw();
    if (this.onBrush) this.onBrush();
  }

  clear() {
    this.brushes.clear();
    this.draw();
    if (this.onBrush) this.onBrush();
  }
}
