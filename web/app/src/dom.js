// DOM and formatting helpers. Safety rule: every string that comes from the API (names,
// parameter names and values, worker names, errors) is inserted as text (text nodes), never
// as markup; el() is the only way the dashboard builds DOM.

// el("a", {href: "#/x", class: "link"}, "text", childNode, ...): strings become text nodes.
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function formatValue(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}

export function formatParams(params) {
  const entries = Object.entries(params || {});
  if (entries.length === 0) return "—";
  return entries.map(([k, v]) => `${k}=${formatValue(v)}`).join(", ");
}

export function stateBadge(state) {
  return el("span", { class: `badge state-${String(state).replace(/[^a-z]/g, "")}` }, state);
}

export function fact(label, value) {
  return el("div", {}, el("dt", {}, label), el("dd", {}, value === undefined || value === null || value === "" ? "—" : String(value)));
}

// A canvas sized for the device's pixel ratio; returns [canvas, 2d context].
export function sizedCanvas(canvas, width, height) {
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

// Viridis-like ramp, t in [0, 1].
const RAMP = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"];
export function rampColor(t) {
  const i = Math.max(0, Math.min(RAMP.length - 1, Math.floor(t * RAMP.length)));
  return RAMP[i];
}
export const RAMP_SIZE = RAMP.length;
export function rampIndex(t) {
  return Math.max(0, Math.min(RAMP.length - 1, Math.floor(t * RAMP.length)));
}
export function rampAt(i) {
  return RAMP[i];
}

// Sets node.dataset.drawn to performance.now() once the frame with the new drawing has been
// painted (a timeout queued from requestAnimationFrame runs after the paint), so what the
// tests and the benchmark read is when the pixels were there, not when drawing was asked for.
export function markPainted(node) {
  requestAnimationFrame(() => setTimeout(() => (node.dataset.drawn = String(performance.now())), 0));
}

// From how many lines or points a plot draws into pixels itself rather than through canvas
// paths (parcoords.js, charts.js). The browser tests lower it (window.__krigeRasterMin) to
// compare both ways of drawing on small experiments.
export function rasterMin() {
  return typeof window.__krigeRasterMin === "number" ? window.__krigeRasterMin : 5000;
}
