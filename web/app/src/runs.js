// Tracking: the list of tracking experiments (#/tracking) and one experiment's runs
// (#/tracking/ID): a table of name, status, start, params, the latest value of each metric and
// tags, sorted and paged on the server (POST /api/v1/runs/search with order_by and its
// cursor), an optional search filter, and the CSV export (GET .../runs.csv, fetched with the
// token). Every string from the API goes in as text (dom.js el()).
// The table root (.runs-table) carries data-rows (rows shown) and data-page (1-based).
import { el, fact, formatValue, stateBadge } from "./dom.js";
import { getJson, postJson, download } from "./api.js";

const PAGE_SIZES = [10, 25, 100];

function runLink(run) {
  return el("a", { href: `#/runs/${encodeURIComponent(run.id)}`, class: "run-link" }, run.name || `run ${run.id}`);
}

function time(ms) {
  if (ms === null || ms === undefined) return "—";
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

// A metric's value as the API gives it: a number, or "NaN" / "Infinity" / "-Infinity".
export function metricText(v) {
  return typeof v === "number" ? formatValue(v) : String(v);
}

// A search key quoted for the run search language (`...`, a backtick doubled).
function quoteKey(key) {
  return "`" + String(key).replace(/`/g, "``") + "`";
}

export function trackingPage(nav) {
  const table = el("div", { class: "card tracking-experiments" });
  const root = el("section", {}, nav("tracking"), el("h1", {}, "Tracking experiments"), table);
  return {
    root,
    periodic: true,
    async refresh() {
      const { experiments } = await getJson("/api/v1/tracking/experiments?limit=500");
      table.dataset.rows = String(experiments.length);
      table.replaceChildren(
        experiments.length === 0
          ? el("p", { class: "empty" }, "No runs logged yet (POST /api/v1/runs, or krige::Tracker).")
          : el(
              "table",
              {},
              el("thead", {}, el("tr", {}, ["id", "name", "runs", "sweep", "tags"].map((h) => el("th", {}, h)))),
              el(
                "tbody",
                {},
                experiments.map((e) =>
                  el(
                    "tr",
                    { "data-id": e.id },
                    el("td", { class: "num" }, String(e.id)),
                    el("td", {}, el("a", { href: `#/tracking/${encodeURIComponent(e.id)}`, class: "name" }, e.name)),
                    el("td", { class: "num runs" }, String(e.runs)),
                    el("td", {}, e.sweep_id ? el("a", { href: `#/experiments/${encodeURIComponent(e.sweep_id)}` }, `sweep ${e.sweep_id}`) : "—"),
                    el("td", { class: "tags" }, Object.entries(e.tags || {}).map(([k, v]) => el("span", { class: "tag" }, `${k}=${v}`)))
                  )
                )
              )
            )
      );
    },
  };
}

export function runsPage(id, onError) {
  let experiment = null;
  let sort = null; // { clause: "metrics.`loss`", desc } or null (newest first)
  let cursors = [""]; // cursors[i]: the cursor of page i
  let page = 0;
  let next = "";
  const heading = el("div");
  const filter = el("input", { type: "search", class: "run-filter", size: 48, placeholder: "filter, e.g. metrics.loss < 0.3 and params.model = 'svc'", "aria-label": "filter runs" });
  const apply = el("button", { type: "button", class: "apply-filter", onclick: () => reset() }, "Apply");
  const pageSize = el("select", { class: "page-size", "aria-label": "runs per page", onchange: () => reset() }, PAGE_SIZES.map((n) => el("option", { value: n, selected: n === 25 }, `${n} per page`)));
  const csv = el("button", { type: "button", class: "csv", onclick: () => exportCsv() }, "Download CSV");
  const problem = el("p", { class: "error-text filter-problem" });
  const body = el("div", { class: "table-body" });
  const pager = el("div", { class: "pager" });
  const tableRoot = el("div", { class: "runs-table" }, body, pager);
  const root = el(
    "section",
    { class: "runs-page" },
    heading,
    el("div", { class: "card" }, el("div", { class: "controls" }, filter, " ", apply, " ", pageSize, " ", csv), problem, tableRoot)
  );
  filter.addEventListener("keydown", (e) => {
    if (e.key === "Enter") reset();
  });

  function reset() {
    cursors = [""];
    page = 0;
    load().catch(onError);
  }

  function orderBy() {
    return sort ? [`${sort.clause} ${sort.desc ? "DESC" : "ASC"}`] : [];
  }

  function header(label, clause) {
    const active = sort && sort.clause === clause;
    return el(
      "th",
      {
        class: active ? `sortable sorted ${sort.desc ? "desc" : "asc"}` : "sortable",
        "data-sort": clause,
        onclick: () => {
          sort = { clause, desc: active ? !sort.desc : false };
          reset();
        },
      },
      label,
      active ? (sort.desc ? " ▼" : " ▲") : ""
    );
  }

  async function load() {
    const request = { experiment_ids: [Number(id)], filter: filter.value.trim(), order_by: orderBy(), limit: Number(pageSize.value) };
    if (cursors[page]) request.cursor = cursors[page];
    let result;
    try {
      result = await postJson("/api/v1/runs/search", request);
    } catch (e) {
      if (e.status !== 400) throw e;
      problem.textContent = e.message;
      return;
    }
    problem.textContent = "";
    next = result.next_cursor || "";
    render(result.runs);
  }

  function render(runs) {
    const keys = (field) => [...new Set(runs.flatMap((r) => Object.keys(r[field] || {})))].sort();
    const params = keys("params");
    const metrics = keys("metrics");
    const tags = keys("tags");
    tableRoot.dataset.rows = String(runs.length);
    tableRoot.dataset.page = String(page + 1);
    body.replaceChildren(
      runs.length === 0
        ? el("p", { class: "empty" }, page === 0 ? "No run matches." : "No more runs.")
        : el(
            "table",
            {},
            el(
              "thead",
              {},
              el(
                "tr",
                {},
                header("name", "attributes.name"),
                header("status", "attributes.status"),
                header("started", "attributes.start_time"),
                params.map((k) => header(k, `params.${quoteKey(k)}`)),
                metrics.map((k) => header(k, `metrics.${quoteKey(k)}`)),
                tags.length ? el("th", {}, "tags") : null
              ),
              el(
                "tr",
                { class: "groups" },
                el("th", { colspan: 3 }),
                params.length ? el("th", { colspan: params.length, class: "group" }, "params") : null,
                metrics.length ? el("th", { colspan: metrics.length, class: "group" }, "metrics (latest)") : null,
                tags.length ? el("th") : null
              )
            ),
            el(
              "tbody",
              {},
              runs.map((r) =>
                el(
                  "tr",
                  { "data-id": r.id },
                  el("td", { class: "run-name" }, runLink(r)),
                  el("td", { class: "run-status" }, stateBadge(r.status)),
                  el("td", { class: "muted" }, time(r.start_time)),
                  params.map((k) => el("td", { class: "param", "data-key": k }, k in (r.params || {}) ? r.params[k] : "—")),
                  metrics.map((k) => el("td", { class: "num metric", "data-key": k }, r.metrics && r.metrics[k] ? metricText(r.metrics[k].value) : "—")),
                  tags.length ? el("td", { class: "tags" }, Object.entries(r.tags || {}).map(([k, v]) => el("span", { class: "tag" }, `${k}=${v}`))) : null
                )
              )
            )
          )
    );
    pager.replaceChildren(
      el("button", { type: "button", class: "prev", disabled: page === 0, onclick: () => { page -= 1; load().catch(onError); } }, "← Previous"),
      el("span", { class: "muted" }, `page ${page + 1}`),
      el(
        "button",
        {
          type: "button",
          class: "next",
          disabled: !next,
          onclick: () => {
            cursors[page + 1] = next;
            page += 1;
            load().catch(onError);
          },
        },
        "Next →"
      )
    );
  }

  async function exportCsv() {
    try {
      const q = new URLSearchParams();
      if (filter.value.trim()) q.set("filter", filter.value.trim());
      if (sort) q.set("order_by", orderBy()[0]);
      const query = q.toString();
      const size = await download(`/api/v1/tracking/experiments/${encodeURIComponent(id)}/runs.csv${query ? `?${query}` : ""}`, `tracking-experiment-${id}-runs.csv`);
      csv.dataset.downloaded = String(size);
    } catch (e) {
      onError(e);
    }
  }

  return {
    root,
    periodic: false,
    async refresh() {
      if (!experiment) {
        experiment = (await getJson(`/api/v1/tracking/experiments/${encodeURIComponent(id)}`)).experiment;
        heading.replaceChildren(
          el("p", {}, el("a", { href: "#/tracking", class: "back" }, "← tracking experiments"), experiment.sweep_id ? [" · ", el("a", { href: `#/experiments/${encodeURIComponent(experiment.sweep_id)}` }, "the sweep")] : null),
          el("h1", {}, el("span", { class: "experiment-name" }, experiment.name)),
          el("dl", { class: "facts" }, fact("id", experiment.id), fact("tags", Object.entries(experiment.tags || {}).map(([k, v]) => `${k}=${v}`).join(", ")))
        );
      }
      await load();
    },
  };
}
