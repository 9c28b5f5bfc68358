// Contour plot of the objective over any two parameters: the completed trials' values
// interpolated (inverse distance weighting) on a grid in the axes' own scales (log, ordinal),
// drawn as filled bands of 10 levels, with the trials on top. Canvas text only.
import { el, sizedCanvas, rampAt, RAMP_SIZE } from "./dom.js";

const SIZE = 360;
const PAD = 48;
const GRID = 40;
const MAX_SAMPLES = 2000;

export class ContourPlot {
  constructor() {
    this.xSelect = el("select", { "aria-label": "contour x parameter", class: "contour-x", onchange: () => this.draw() });
    this.ySelect = el("select", { "aria-label": "contour y parameter", class: "contour-y", onchange: () => this.draw() });
    this.canvas = el("canvas", { class: "contour-canvas" });
    this.root = el("div", { class: "contour" }, el("div", { class: "controls" }, "x ", this.xSelect, " y ", this.ySelect), this.canvas);
  }

  setData(store, axes, goal) {
    this.store = store;
    this.axes = axes;
    this.goal = goal;
    const names = axes.map((a) => a.name);
    const keep = (select, fallback) => {
      const was = select.value;
      select.replaceChildren(...names.map((n) => el("option", { value: n }, n)));
      select.value = names.includes(was) ? was : fallback;
    };
    keep(this.xSelect, names[0]);
    keep(this.ySelect, names[1] || names[0]);
    this.draw();
  }

  draw() {
    const ctx = sizedCanvas(this.canvas, SIZE + PAD, SIZE + PAD);
    ctx.clearRect(0, 0, SIZE + PAD, SIZE + PAD);
    const ax = this.axes.find((a) => a.name === this.xSelect.value);
    const ay = this.axes.find((a) => a.name === this.ySelect.value);
    if (!ax || !ay || !this.store) return;
    const s = this.store;
    const cx = s.params[ax.name];
    const cy = s.params[ay.name];
    const pts = [];
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < s.size; i++) {
      const v = s.value[i];
      if (s.state[i] !== "completed" || typeof v !== "number") continue;
      const tx = ax.norm(cx[i]);
      const ty = ay.norm(cy[i]);
      if (isNaN(tx) || isNaN(ty)) continue;
      pts.push([tx, ty, v]);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    this.root.dataset.points = String(pts.length);
    this.root.dataset.x = ax.name;
    this.root.dataset.y = ay.name;
    const span = hi - lo || 1;
    const level = (v) => {
      let t = (v - lo) / span;
      if (this.goal === "minimize") t = 1 - t;
      return Math.max(0, Math.min(RAMP_SIZE - 1, Math.floor(t * RAMP_SIZE)));
    };
    const px = (t) => PAD + t * SIZE;
    const py = (t) => (1 - t) * SIZE;
    if (pts.length >= 2) {
      const step = Math.max(1, Math.ceil(pts.length / MAX_SAMPLES));
      const sample = pts.filter((_, i) => i % step === 0);
      const cell = SIZE / GRID;
      for (let gx = 0; gx < GRID; gx++) {
        for (let gy = 0; gy < GRID; gy++) {
          const tx = (gx + 0.5) / GRID;
          const ty = (gy + 0.5) / GRID;
          let num = 0;
          let den = 0;
          for (const [x, y, v] of sample) {
            const d2 = (x - tx) * (x - tx) + (y - ty) * (y - ty) + 1e-6;
            const w = 1 / (d2 * d2);
            num += w * v;
            den += w;
          }
          ctx.fillStyle = rampAt(level(num / den));
          ctx.globalAlpha = 0.75;
          ctx.fillRect(px(gx / GRID), py((gy + 1) / GRID), cell + 0.5, cell + 0.5);
        }
      }
    }
    ctx.globalAlpha = 1;
    ctx.fillStyle = "#111";
    ctx.strokeStyle = "#fff";
    const step = Math.max(1, Math.ceil(pts.length / 5000));
    for (let i = 0; i < pts.length; i += step) {
      ctx.beginPath();
      ctx.arc(px(pts[i][0]), py(pts[i][1]), 2.5, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
    ctx.strokeStyle = "#333";
    ctx.strokeRect(PAD, 0, SIZE, SIZE);
    ctx.fillStyle = "#333";
    ctx.font = "10px system-ui, sans-serif";
    ctx.textAlign = "center";
    for (const tick of ax.ticks()) ctx.fillText(tick.label.slice(0, 12), px(tick.t), SIZE + 12);
    ctx.textAlign = "right";
    for (const tick of ay.ticks()) ctx.fillText(tick.label.slice(0, 10), PAD - 4, py(tick.t) + 3);
    ctx.font = "bold 11px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.fillText(ax.kind === "log" ? `${ax.name} (log)` : ax.name, PAD + SIZE / 2, SIZE + 28);
    ctx.save();
    ctx.translate(10, SIZE / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(ay.kind === "log" ? `${ay.name} (log)` : ay.name, 0, 0);
    ctx.restore();
    this.root.dataset.drawn = String(performance.now());
  }
}
