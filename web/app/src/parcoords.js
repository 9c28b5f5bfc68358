// Parallel coordinates on canvas: one axis per parameter (log axes for log parameters,
// categories as ordinal axes) and the objective; one polyline per completed trial, coloured by
// its value. Drag along any axis to brush a range (a click clears that axis); the brushes
// select trials (all axes must pass) and onBrush() tells the page. Lines are drawn in batches
// per colour, so 100 000 trials is one stroke() per colour.
import { el, sizedCanvas, rampAt, rampIndex, RAMP_SIZE } from "./dom.js";
import { numericAxis } from "./store.js";

const TOP = 34;
const BOTTOM = 40;
const PAD = 70;
const HEIGHT = 340;

export class ParallelCoordinates {
  constructor(onBrush) {
    this.root = el("div", { class: "parcoords" });
    this.lines = el("canvas", { class: "parcoords-lines" });
    this.overlay = el("canvas", { class: "parcoords-overlay", "aria-label": "parallel coordinates; drag along an axis to filter" });
    this.root.append(this.lines, this.overlay);
    this.brushes = new Map(); // axis index -> [lo, hi] in axis units 0..1
    this.onBrush = onBrush;
    this.drag = null;
    this.overlay.addEventListener("mousedown", (e) => this.down(e));
    window.addEventListener("mousemove", (e) => this.move(e));
    window.addEventListener("mouseup", (e) => this.up(e));
  }

  // axes: from axesFor(); store: TrialStore; goal: minimize|maximize.
  setData(store, axes, goal) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < store.size; i++) {
      const v = store.value[i];
      if (typeof v !== "number") continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
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
    this.axes = all;
    this.goal = goal;
    const n = store.size;
    const k = all.length;
    // Per trial and axis, its position 0..1 (NaN: no value, e.g. an inactive conditional).
    const pos = new Float32Array(n * k);
    for (let a = 0; a < k; a++) {
      const axis = all[a];
      const column = axis.isObjective ? store.value : store.params[axis.name];
      for (let i = 0; i < n; i++) pos[i * k + a] = axis.norm(column[i]);
    }
    this.pos = pos;
    this.n = n;
    this.drawable = new Uint8Array(n);
    let drawn = 0;
    for (let i = 0; i < n; i++) {
      if (store.state[i] === "completed" && typeof store.value[i] === "number") {
        this.drawable[i] = 1;
        drawn++;
      }
    }
    this.drawnCount = drawn;
    this.draw();
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

  draw() {
    const { width, xs, plotH } = this.layout();
    this.geometry = { width, xs, plotH };
    const ctx = sizedCanvas(this.lines, width, HEIGHT);
    ctx.clearRect(0, 0, width, HEIGHT);
    const k = this.axes.length;
    const pos = this.pos;
    const n = this.n;
    const objective = k - 1;
    const alpha = Math.max(0.04, Math.min(0.8, 12 / Math.sqrt(Math.max(1, this.drawnCount))));
    // Unselected first (grey), then each colour bucket of the selected; the better values
    // (by the goal) last, on top.
    const buckets = Array.from({ length: RAMP_SIZE }, () => []);
    const grey = [];
    let selected = 0;
    for (let i = 0; i < n; i++) {
      if (!this.drawable[i]) continue;
      if (this.selects(i)) {
        selected++;
        let t = pos[i * k + objective];
        if (this.goal === "minimize") t = 1 - t;
        buckets[rampIndex(t)].push(i);
      } else grey.push(i);
    }
    const stroke = (list, color, a) => {
      if (list.length === 0) return;
      ctx.globalAlpha = a;
      ctx.strokeStyle = color;
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (const i of list) {
        const base = i * k;
        ctx.moveTo(xs[0], this.y(pos[base], plotH));
        for (let a2 = 1; a2 < k; a2++) ctx.lineTo(xs[a2], this.y(pos[base + a2], plotH));
      }
      ctx.stroke();
    };
    stroke(grey, "#c8c8c8", Math.min(alpha, 0.3));
    buckets.forEach((list, b) => stroke(list, rampAt(this.goal === "minimize" ? RAMP_SIZE - 1 - b : b), alpha));
    ctx.globalAlpha = 1;
    this.selectedCount = selected;
    this.drawOverlay();
    this.root.dataset.lines = String(this.drawnCount);
    this.root.dataset.selected = String(selected);
    this.root.dataset.axes = JSON.stringify(this.axes.map((a, i) => ({ name: a.name, kind: a.kind, x: xs[i], top: TOP, bottom: TOP + plotH })));
    this.root.dataset.drawn = String(performance.now());
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
