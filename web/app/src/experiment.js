// One experiment: summary, optimization history, parallel coordinates (brushing filters the
// table), parameter importance, slice plots, a contour plot, intermediate values and the trial
// table. Trials come from GET .../trials/columns (all of them, as columns) and then live from
// GET /api/v1/events (resumed from the columns' seq); the history and the parallel coordinates
// draw what changed at most every 50 ms, the other plots and the table at most every 3 s.
import { el, fact, formatValue, stateBadge } from "./dom.js";
import { getJson, streamEvents } from "./api.js";
import { TrialStore, axesFor, axesCover } from "./store.js";
import { drawHistory, drawSlice, drawSteps, drawImportance } from "./charts.js";
import { ParallelCoordinates } from "./parcoords.js";
import { ContourPlot } from "./contour.js";
import { TrialTable } from "./table.js";

const REDRAW_MS = 50;
const REST_MS = 3000; // slices, contour and the table, while trials stream in

function section(title, ...content) {
  return el("section", { class: "card plot-card" }, el("h2", {}, title), ...content);
}

export function experimentPage(id, setStatus, onError) {
  const base = `/api/v1/experiments/${encodeURIComponent(id)}`;
  const header = el("div", { class: "experiment-header" });
  const history = el("div", { class: "plot history", "data-plot": "history" });
  const importance = el("div", { class: "plot importance", "data-plot": "importance" });
  const slices = el("div", { class: "slices", "data-plot": "slices" });
  const steps = el("div", { class: "plot steps", "data-plot": "steps" });
  const stepsMetric = el("select", { "aria-label": "intermediate value metric", class: "steps-metric", onchange: () => drawStepsNow() });
  const liveBadge = el("span", { class: "live", "data-live": "connecting" }, "connecting…");
  const table = new TrialTable(id, onError);
  const parcoords = new ParallelCoordinates(() => {
    const ranges = parcoords.brushRanges();
    const names = Object.keys(ranges);
    table.setBrushFilter(
      names.length ? (i) => parcoords.selects(i) : null,
      names.length ? `brushed: ${names.map((n) => `${n} ∈ ${describe(ranges[n])}`).join(", ")}` : ""
    );
  });
  const clearBrush = el("button", { type: "button", class: "clear-brush", onclick: () => parcoords.clear() }, "Clear brushes");
  const contour = new ContourPlot();
  const holders = { history: {}, steps: {}, importance: {}, slices: new Map() };
  const root = el(
    "div",
    { class: "experiment-page" },
    el("p", {}, el("a", { href: "#/" }, "← all experiments"), " ", liveBadge),
    header,
    section("Optimization history", history),
    section("Parallel coordinates", el("p", { class: "muted" }, "Drag along an axis to filter the table; click an axis to clear it. ", clearBrush), parcoords.root),
    section("Parameter importance", el("p", { class: "muted importance-method" }, ""), importance),
    section("Slice plots", slices),
    section("Contour", contour.root),
    section("Intermediate values", el("div", { class: "controls" }, "metric ", stepsMetric), steps),
    section("Trials", table.root)
  );

  let experiment = null;
  let store = null;
  let axes = null; // of the parallel coordinates' last draw
  let stop = null;
  let timer = null;
  let stepsData = [];
  let lastSteps = 0;
  let lastImportance = 0;
  let stopped = false;

  function describe(r) {
    if (Array.isArray(r) && r.length === 2 && typeof r[0] === "number") return `[${formatValue(r[0])}, ${formatValue(r[1])}]`;
    return `{${r.map((v) => String(v)).join(", ")}}`;
  }

  function goal() {
    return experiment && experiment.spec && experiment.spec.objective ? experiment.spec.objective.goal : "maximize";
  }

  function renderHeader() {
    const spec = experiment.spec || {};
    const c = store ? store.counts() : experiment.trials;
    const b = experiment.best;
    const done = c.completed + c.failed + c.pruned;
    header.replaceChildren(
      el("h1", {}, el("span", { class: "name" }, experiment.name), " ", stateBadge(experiment.state)),
      // Why nothing runs (no connected worker serves its training kind); the server's text,
      // inserted as text.
      experiment.waiting
        ? el("div", { class: "waiting-banner", role: "status" }, el("strong", {}, "Waiting: "), el("span", { class: "waiting-reason" }, experiment.waiting))
        : "", // replaceChildren() would write null as the text "null"
      el("progress", { max: spec.max_trials || 1, value: Math.min(done, spec.max_trials || done), class: "progress" }),
      el(
        "dl",
        { class: "facts" },
        fact("id", experiment.id),
        fact("objective", spec.objective ? `${spec.objective.goal} ${spec.objective.metric}` : "—"),
        fact("tuner", spec.tuner ? spec.tuner.name : "—"),
        fact("max trials", spec.max_trials),
        fact("queued", c.queued),
        fact("running", c.running),
        fact("completed", c.completed),
        fact("failed", c.failed),
        fact("pruned", c.pruned),
        fact("best", b ? `${formatValue(b.value)} (#${b.number})` : "—"),
        fact("created", experiment.created_at || "—")
      ),
      b ? el("p", { class: "best-params" }, "best parameters: ", el("span", { class: "params" }, Object.entries(b.params || {}).map(([k, v]) => `${k}=${formatValue(v)}`).join(", "))) : ""
    );
    header.dataset.completed = String(c.completed);
  }

  // Everything from the store, or with `rows` (the rows changed since the last draw) only
  // what they change: the history gets new data, the parallel coordinates draw just the new
  // lines on top unless something already drawn has to move (new axes, a value outside the
  // objective's range, a changed line: then they redraw in full).
  function drawAll() {
    if (!store || stopped) return;
    let t = performance.now();
    const lap = (name) => {
      const now = performance.now();
      performance.measure(`dashboard:${name}`, { start: t, end: now });
      t = now;
    };
    const rows = store.takeChanges();
    const incremental = rows !== null && axes !== null && axesCover(axes, store, rows);
    if (incremental && rows.length === 0) return;
    if (!incremental) axes = axesFor(experiment.spec, store);
    lap("axes");
    drawHistory(history, store, goal(), holders.history, incremental ? rows : null);
    lap("history");
    if (!incremental || !parcoords.update(store, axes, goal(), rows)) parcoords.setData(store, axes, goal());
    lap("parcoords");
    renderHeader();
    lap("header");
    root.dataset.trials = String(store.size);
    root.dataset.seq = String(store.seq);
    // The rest once the browser has painted these two (at 100 000 trials each plot counts);
    // while trials stream in, at most every REST_MS.
    const now = performance.now();
    if (restTimer !== null) return;
    const wait = Math.max(0, lastRest + REST_MS - now);
    restTimer = setTimeout(() => requestAnimationFrame(() => setTimeout(() => {
      lastRest = performance.now();
      drawRest(axesFor(experiment.spec, store), () => (restTimer = null));
    }, 0)), wait);
  }

  let restTimer = null;
  let lastRest = -Infinity;
  // The slices, the contour and the table, each in a task of its own: at 100 000 trials they
  // take several hundred ms together, and a live update must not wait for all of them.
  function drawRest(axes, done) {
    const steps = [];
    for (const axis of axes) {
      steps.push(() => {
        let h = holders.slices.get(axis.name);
        if (!h) {
          h = { box: el("div", { class: "plot slice", "data-plot": "slice" }) };
          holders.slices.set(axis.name, h);
          slices.appendChild(h.box);
        }
        drawSlice(h.box, store, axis, h);
      });
    }
    steps.push(() => contour.setData(store, axes, goal()));
    steps.push(() => table.setStore(store));
    const next = () => {
      if (!store || stopped || steps.length === 0) return done();
      const t0 = performance.now();
      steps.shift()();
      performance.measure("dashboard:rest", { start: t0, end: performance.now() });
      setTimeout(next, 0);
    };
    next();
  }

  let redrawPending = false;
  function scheduleRedraw() {
    if (redrawPending) return;
    redrawPending = true;
    setTimeout(() => {
      redrawPending = false;
      drawAll();
      const now = performance.now();
      if (now - lastSteps > 3000) loadSteps();
      if (now - lastImportance > 5000) loadImportance();
    }, REDRAW_MS);
  }

  function drawStepsNow() {
    drawSteps(steps, stepsData, stepsMetric.value, holders.steps);
  }

  async function loadSteps() {
    lastSteps = performance.now();
    const data = await getJson(`${base}/trials/steps?limit=100`);
    stepsData = data.trials;
    const keys = new Set();
    for (const t of stepsData) for (const s of t.steps) for (const k of Object.keys(s.values)) keys.add(k);
    const metric = experiment.spec && experiment.spec.objective ? experiment.spec.objective.metric : "";
    const list = [...keys].sort();
    const was = stepsMetric.value;
    stepsMetric.replaceChildren(...list.map((k) => el("option", { value: k }, k)));
    stepsMetric.value = list.includes(was) ? was : list.includes(metric) ? metric : list[0] || "";
    drawStepsNow();
  }

  async function loadImportance() {
    lastImportance = performance.now();
    try {
      const data = await getJson(`${base}/importance`);
      importance.parentNode.querySelector(".importance-method").textContent = data.method ? `${data.method}, over ${data.trials} completed trials` : "";
      drawImportance(importance, data.importances || {}, holders.importance);
    } catch (e) {
      importance.dataset.bars = "0";
      importance.replaceChildren(el("p", { class: "muted" }, `not available: ${e.message}`));
      holders.importance = {};
    }
  }

  function columnsUrl(after) {
    return `${base}/trials/columns?fields=id,number,state,value,params&after=${after}`;
  }

  // first: the answer for after=0, asked for beside the experiment (it needs only the id).
  async function loadTrials(first) {
    const names = Object.keys((experiment.spec && experiment.spec.space) || {});
    const s = new TrialStore(names);
    let answer = await first;
    for (;;) {
      // The next page is asked for before this one is applied.
      const next = answer.more ? getJson(columnsUrl(answer.seq)) : null;
      if (next) next.catch(() => {});
      s.applyColumns(answer);
      if (!next) break;
      answer = await next;
    }
    store = s;
  }

  async function start() {
    const first = getJson(columnsUrl(0));
    first.catch(() => {}); // the experiment's own answer reports a failure first
    experiment = await getJson(base);
    await loadTrials(first);
    drawAll();
    root.dataset.loaded = String(performance.now());
    loadSteps().catch(onError);
    loadImportance();
    stop = streamEvents(
      `/api/v1/events?experiment=${encodeURIComponent(id)}`,
      store.seq,
      (ev) => {
        if (ev.event !== "trial") return;
        const t = JSON.parse(ev.data);
        store.upsert(t);
        root.dataset.lastEvent = String(performance.now());
        scheduleRedraw();
      },
      (state) => {
        liveBadge.dataset.live = state;
        liveBadge.textContent = state === "open" ? "● live" : state === "retrying" ? "reconnecting…" : "not live";
      }
    );
    // The experiment's own state and best trial change without a trial event now and then.
    timer = setInterval(async () => {
      if (document.hidden) return;
      try {
        experiment = await getJson(base);
        renderHeader();
        setStatus();
      } catch (e) {
        onError(e);
      }
    }, 5000);
  }

  return {
    root,
    async refresh() {
      if (!experiment) await start();
    },
    stop() {
      stopped = true;
      clearTimeout(restTimer);
      if (stop) stop();
      clearInterval(timer);
    },
    periodic: false,
  };
}
