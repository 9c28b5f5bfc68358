// An experiment's trials held as columns (one array per field), filled from
// GET .../trials/columns and kept current by the live stream. Trials are keyed by id; an
// update replaces the trial's row in place.
export const STATES = ["queued", "running", "completed", "failed", "pruned"];

export class TrialStore {
  constructor(spaceNames) {
    this.id = [];
    this.number = [];
    this.state = [];
    this.value = [];
    this.params = {};
    for (const name of spaceNames || []) this.params[name] = [];
    this.index = new Map();
    this.seq = 0;
    this.version = 0;
    this.changes = null;
  }

  get size() {
    return this.id.length;
  }

  paramNames() {
    return Object.keys(this.params);
  }

  column(name) {
    if (!(name in this.params)) this.params[name] = new Array(this.id.length).fill(null);
    return this.params[name];
  }

  // One answer of GET .../trials/columns?fields=id,number,state,value,params.
  applyColumns(answer) {
    const c = answer.columns;
    const n = answer.count;
    const names = Object.keys(c.params || {});
    if (this.id.length === 0 && this.takeColumns(answer, names)) return;
    for (const name of names) this.column(name);
    const all = this.paramNames();
    const absent = all.filter((name) => !names.includes(name));
    const states = answer.states || STATES;
    for (let i = 0; i < n; i++) {
      const id = c.id[i];
      let row = this.index.get(id);
      if (row === undefined) row = this.addRow(id);
      this.number[row] = c.number[i];
      this.state[row] = states[c.state[i]];
      this.value[row] = c.value[i];
      for (const name of absent) this.params[name][row] = null;
      for (const name of names) this.params[name][row] = c.params[name][i];
    }
    if (answer.seq > this.seq) this.seq = answer.seq;
    this.version += 1;
    this.changes = null; // any row may have changed: the plots redraw in full
  }

  // The first answer into an empty store: its columns become the store's (100 000 trials in
  // a few ms rather than row by row). False (nothing changed) if an id comes twice.
  takeColumns(answer, names) {
    const c = answer.columns;
    const n = answer.count;
    const index = new Map();
    for (let i = 0; i < n; i++) index.set(c.id[i], i);
    if (index.size !== n) return false;
    const states = answer.states || STATES;
    this.index = index;
    this.id = c.id.slice(0, n);
    this.number = c.number.slice(0, n);
    this.state = new Array(n);
    for (let i = 0; i < n; i++) this.state[i] = states[c.state[i]];
    this.value = c.value.slice(0, n);
    for (const name of Object.keys(this.params)) if (!names.includes(name)) this.params[name] = new Array(n).fill(null);
    for (const name of names) this.params[name] = c.params[name].slice(0, n);
    if (answer.seq > this.seq) this.seq = answer.seq;
    this.version += 1;
    this.changes = null;
    return true;
  }

  addRow(id) {
    const row = this.id.length;
    this.index.set(id, row);
    this.id.push(id);
    this.number.push(0);
    this.state.push("queued");
    this.value.push(null);
    for (const name of Object.keys(this.params)) this.params[name].push(null);
    return row;
  }

  // The rows changed since the last call (each once, in order of change), or null when they
  // cannot be told apart (after applyColumns): the plots then redraw in full.
  takeChanges() {
    const out = this.changes === null ? null : [...this.changes];
    this.changes = new Set();
    return out;
  }

  // One trial as the live stream sends it.
  upsert(t) {
    let row = this.index.get(t.id);
    if (row === undefined) row = this.addRow(t.id);
    this.number[row] = t.number;
    this.state[row] = t.state;
    this.value[row] = t.value === undefined ? null : t.value;
    const params = t.params || {};
    for (const name of Object.keys(this.params)) this.params[name][row] = name in params ? params[name] : null;
    for (const name of Object.keys(params)) this.column(name)[row] = params[name];
    if (t.seq > this.seq) this.seq = t.seq;
    this.version += 1;
    if (this.changes !== null) this.changes.add(row);
  }

  counts() {
    const out = { queued: 0, running: 0, completed: 0, failed: 0, pruned: 0, total: this.id.length };
    for (const s of this.state) out[s] = (out[s] || 0) + 1;
    return out;
  }
}

// How each parameter is drawn: from the experiment's search space (log, categories), with
// the data's range where the space gives none.
export function axesFor(spec, store) {
  const space = (spec && spec.space) || {};
  const axes = [];
  for (const name of store.paramNames()) {
    const s = space[name] || {};
    const column = store.params[name];
    if (s.type === "categorical" || (s.type === undefined && column.some((v) => typeof v === "string"))) {
      const values = Array.isArray(s.values) ? s.values.slice() : [];
      for (const v of column) if (v !== null && v !== undefined && !values.some((x) => x === v)) values.push(v);
      axes.push(categoricalAxis(name, values));
    } else {
      let lo = typeof s.low === "number" ? s.low : Infinity;
      let hi = typeof s.high === "number" ? s.high : -Infinity;
      if (!isFinite(lo) || !isFinite(hi)) {
        for (const v of column) {
          if (typeof v !== "number") continue;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      }
      if (!isFinite(lo)) {
        lo = 0;
        hi = 1;
      }
      const axis = numericAxis(name, lo, hi, !!s.log && lo > 0);
      axis.fromData = typeof s.low !== "number" || typeof s.high !== "number";
      axes.push(axis);
    }
  }
  return axes;
}

// True when axesFor(spec, store) would still give `axes` after `rows` changed: no new
// parameter, no new category, no value outside a range taken from the data. Then the plots
// can draw just those rows.
export function axesCover(axes, store, rows) {
  const names = store.paramNames();
  if (names.length !== axes.length) return false;
  for (let a = 0; a < axes.length; a++) {
    const axis = axes[a];
    if (axis.name !== names[a]) return false;
    const column = store.params[axis.name];
    for (const row of rows) {
      const v = column[row];
      if (v === null || v === undefined) continue;
      if (axis.kind === "categorical") {
        if (!axis.has(v)) return false;
      } else if (typeof v === "string") {
        return false; // axesFor would make it categorical
      } else if (axis.fromData && typeof v === "number" && (v < axis.lo || v > axis.hi)) {
        return false;
      }
    }
  }
  return true;
}

export function categoricalAxis(name, values) {
  // Positions by value: strings, numbers and booleans through a Map (100 000 lookups a draw),
  // anything else by its JSON text.
  const index = new Map();
  values.forEach((v, i) => {
    const key = v !== null && typeof v === "object" ? JSON.stringify(v) : v;
    if (!index.has(key)) index.set(key, i);
  });
  const n = Math.max(1, values.length);
  return {
    name,
    kind: "categorical",
    values,
    has(v) {
      return index.has(v !== null && typeof v === "object" ? JSON.stringify(v) : v);
    },
    norm(v) {
      if (v === null || v === undefined) return NaN;
      const i = index.get(typeof v === "object" ? JSON.stringify(v) : v);
      return i === undefined ? NaN : n === 1 ? 0.5 : i / (n - 1);
    },
    ticks() {
      return values.map((v, i) => ({ t: n === 1 ? 0.5 : i / (n - 1), label: String(v) }));
    },
  };
}

export function numericAxis(name, lo, hi, log) {
  const f = log ? Math.log10 : (x) => x;
  const a = f(lo);
  const b = f(hi);
  const span = b - a || 1;
  return {
    name,
    kind: log ? "log" : "linear",
    lo,
    hi,
    norm(v) {
      if (typeof v !== "number" || (log && v <= 0)) return NaN;
      return (f(v) - a) / span;
    },
    denorm(t) {
      const x = a + t * span;
      return log ? Math.pow(10, x) : x;
    },
    ticks() {
      const out = [];
      for (let i = 0; i <= 4; i++) {
        const t = i / 4;
        const x = a + t * span;
        const v = log ? Math.pow(10, x) : x;
        out.push({ t, label: String(Number(v.toPrecision(3))) });
      }
      return out;
    },
  };
}
