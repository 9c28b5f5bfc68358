// One tracking run (#/runs/ID): its facts, params, tags, the latest value of each metric, and
// each metric's whole history as a chart (GET /api/v1/runs/ID/metrics/KEY, pages followed).
// Each chart (.metric-chart, data-metric=KEY) carries data-points: the points it drew.
import { el, fact, stateBadge } from "./dom.js";
import { getJson } from "./api.js";
import { drawMetricHistory } from "./charts.js";
import { metricText } from "./runs.js";

const HISTORY_PAGE = 10000;
const MAX_POINTS = 200000; // per metric drawn; the rest is in the CSV / API

async function history(id, key) {
  const points = [];
  let cursor = "";
  do {
    const q = `limit=${HISTORY_PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const page = await getJson(`/api/v1/runs/${encodeURIComponent(id)}/metrics/${encodeURIComponent(key)}?${q}`);
    for (const p of page.points) points.push(p);
    cursor = page.next_cursor || "";
  } while (cursor && points.length < MAX_POINTS);
  return points;
}

function pairs(obj, cls) {
  const entries = Object.entries(obj || {});
  if (entries.length === 0) return el("p", { class: "muted" }, "none");
  return el("table", { class: cls }, el("tbody", {}, entries.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v)))));
}

export function runPage(id) {
  const body = el("div");
  const charts = el("div", { class: "metric-charts" });
  const root = el("section", { class: "run-page" }, body, el("h2", {}, "Metric histories"), charts);
  const holders = new Map(); // key -> uPlot holder
  let drawnAt = null; // the run's metrics (latest points) last drawn
  return {
    root,
    periodic: true,
    async refresh() {
      const { run } = await getJson(`/api/v1/runs/${encodeURIComponent(id)}`);
      const back = `#/tracking/${encodeURIComponent(run.experiment_id)}`;
      const metrics = Object.entries(run.metrics || {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      body.replaceChildren(
        el("p", {}, el("a", { href: back, class: "back" }, "← runs of ", run.experiment_name)),
        el("h1", {}, el("span", { class: "run-title" }, run.name || `run ${run.id}`), " ", stateBadge(run.status)),
        el(
          "dl",
          { class: "facts" },
          fact("id", run.id),
          fact("experiment", run.experiment_name),
          fact("trial", run.trial_id),
          fact("parent run", run.parent_run_id),
          fact("started", run.start_time === null ? null : new Date(run.start_time).toISOString()),
          fact("ended", run.end_time === null ? null : new Date(run.end_time).toISOString())
        ),
        el("h2", {}, "Params"),
        pairs(run.params, "params-table"),
        el("h2", {}, "Tags"),
        pairs(run.tags, "tags-table"),
        el("h2", {}, "Metrics (latest)"),
        metrics.length === 0
          ? el("p", { class: "muted" }, "none")
          : el(
              "table",
              { class: "latest-table" },
              el("thead", {}, el("tr", {}, el("th", {}, "metric"), el("th", {}, "value"), el("th", {}, "step"))),
              el("tbody", {}, metrics.map(([k, p]) => el("tr", { "data-key": k }, el("th", {}, k), el("td", { class: "num" }, metricText(p.value)), el("td", { class: "num" }, String(p.step)))))
            )
      );
      // Redraw the histories only when a metric moved on (the latest points changed).
      const stamp = JSON.stringify(run.metrics || {});
      if (stamp === drawnAt) return;
      drawnAt = stamp;
      const cards = [];
      for (const [key] of metrics) {
        const points = await history(id, key);
        const container = el("div", { class: "plot metric-chart", "data-metric": key });
        if (!holders.has(key)) holders.set(key, {});
        cards.push(el("section", { class: "card plot-card" }, el("h3", {}, key, el("span", { class: "muted" }, ` · ${points.length} points`)), container));
        charts.replaceChildren(...cards);
        drawMetricHistory(container, key, points, holders.get(key));
      }
      if (metrics.length === 0) charts.replaceChildren(el("p", { class: "muted" }, "no metric logged"));
      charts.dataset.charts = String(metrics.length);
    },
    stop() {
      for (const h of holders.values()) if (h.plot) h.plot.destroy();
    },
  };
}
