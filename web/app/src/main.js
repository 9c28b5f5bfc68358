// krige dashboard, bundled by esbuild (web/CMakeLists.txt) with uPlot and served by
// krige-server. Reads everything from /api/v1.
//
// Safety rule: every string that comes from the API (experiment names, parameter names and
// values, worker names, errors) is inserted as text (dom.js el(), canvas fillText), never as
// markup. The page loads no other script and runs no inline one (the server's CSP forbids
// both).
//
// Auth: the API answers 401 without a token; the page then shows a sign-in form. The token is
// kept in sessionStorage and sent as "Authorization: Bearer", never in a URL (api.js).
"use strict";

import { el, fact, formatValue, formatParams, stateBadge } from "./dom.js";
import { getJson, token, setToken } from "./api.js";
import { experimentPage } from "./experiment.js";
import { drawSteps } from "./charts.js";
import { trackingPage, runsPage } from "./runs.js";
import { runPage } from "./run.js";

const REFRESH_MS = 2000;
const view = document.getElementById("view");
const status = document.getElementById("status");
const signOut = document.getElementById("signout");

function setStatus(text, isError) {
  status.textContent = text === undefined ? `updated ${new Date().toLocaleTimeString()}` : text;
  status.className = isError ? "status error" : "status";
}

function nav(active) {
  const link = (href, label, key) => el("a", { href, class: active === key ? "tab active" : "tab" }, label);
  return el("nav", { class: "tabs" }, link("#/", "Experiments", "experiments"), link("#/tracking", "Runs", "tracking"), link("#/workers", "Workers", "workers"));
}

// ---- experiments ------------------------------------------------------------------------

function experimentsPage() {
  let experiments = [];
  let sort = "-id";
  const search = el("input", { type: "search", placeholder: "search by name", "aria-label": "search by name", class: "search", oninput: () => render() });
  const stateSelect = el(
    "select",
    { "aria-label": "filter by state", class: "state-filter", onchange: () => refreshNow() },
    el("option", { value: "" }, "all states"),
    ["running", "paused", "completed", "stopped", "failed"].map((s) => el("option", { value: s }, s))
  );
  const sortSelect = el(
    "select",
    { "aria-label": "sort experiments", class: "sort", onchange: (e) => { sort = e.target.value; render(); } },
    el("option", { value: "-id" }, "newest first"),
    el("option", { value: "id" }, "oldest first"),
    el("option", { value: "name" }, "by name"),
    el("option", { value: "-progress" }, "by progress"),
    el("option", { value: "-best" }, "best value (high first)"),
    el("option", { value: "best" }, "best value (low first)")
  );
  const table = el("div", { class: "card" });
  const root = el("section", {}, nav("experiments"), el("h1", {}, "Experiments"), el("div", { class: "controls" }, search, " ", stateSelect, " ", sortSelect), table);

  function progress(e) {
    const max = (e.spec && e.spec.max_trials) || e.trials.total || 1;
    return (e.trials.completed + e.trials.failed + e.trials.pruned) / max;
  }

  function render() {
    const q = search.value.trim().toLowerCase();
    let list = experiments.filter((e) => !q || String(e.name).toLowerCase().includes(q));
    const key = sort.replace(/^-/, "");
    const desc = sort.startsWith("-");
    const get = key === "id" ? (e) => e.id : key === "name" ? (e) => String(e.name).toLowerCase() : key === "progress" ? progress : (e) => (e.best ? e.best.value : null);
    list = list.slice().sort((a, b) => {
      const x = get(a);
      const y = get(b);
      if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
      const c = x < y ? -1 : x > y ? 1 : 0;
      return desc ? -c : c;
    });
    table.dataset.rows = String(list.length);
    const rows = list.map((e) => {
      const link = `#/experiments/${encodeURIComponent(e.id)}`;
      const max = (e.spec && e.spec.max_trials) || e.trials.total || 1;
      const done = e.trials.completed + e.trials.failed + e.trials.pruned;
      return el(
        "tr",
        { "data-id": e.id },
        el("td", { class: "num" }, el("a", { href: link }, String(e.id))),
        el("td", {}, el("a", { href: link, class: "name" }, e.name)),
        el("td", {}, stateBadge(e.state), e.waiting ? [" ", el("span", { class: "badge waiting", title: e.waiting }, "waiting")] : null),
        el("td", {}, el("progress", { max, value: Math.min(done, max) }), " ", el("span", { class: "muted" }, `${done} / ${max}`)),
        el("td", { class: "num counts" }, `${e.trials.completed} ✓ · ${e.trials.failed} ✗ · ${e.trials.pruned} ✂ · ${e.trials.running} ▶`),
        el("td", { class: "num best" }, e.best ? formatValue(e.best.value) : "—"),
        el("td", { class: "muted" }, e.spec && e.spec.objective ? `${e.spec.objective.goal} ${e.spec.objective.metric}` : "")
      );
    });
    table.replaceChildren(
      rows.length === 0
        ? el("p", { class: "empty" }, experiments.length ? "No experiment matches." : "No experiments yet. Submit one with `krige run spec.yaml`.")
        : el(
            "table",
            {},
            el("thead", {}, el("tr", {}, ["id", "name", "state", "progress", "completed · failed · pruned · running", "best", "objective"].map((h) => el("th", {}, h)))),
            el("tbody", {}, rows)
          )
    );
  }

  return {
    root,
    periodic: true,
    async refresh() {
      const state = stateSelect.value;
      const data = await getJson(`/api/v1/experiments?limit=500${state ? `&state=${encodeURIComponent(state)}` : ""}`);
      experiments = data.experiments;
      render();
    },
  };
}

// ---- one trial ----------------------------------------------------------------------------

function trialPage(id) {
  const body = el("div");
  const chart = el("div", { class: "plot trial-steps", "data-plot": "trial-steps" });
  const holder = {};
  const root = el("section", { class: "trial-page" }, body, el("section", { class: "card plot-card" }, el("h2", {}, "Per-step scores"), chart));
  let loaded = false;
  return {
    root,
    periodic: true,
    async refresh() {
      const t = await getJson(`/api/v1/trials/${encodeURIComponent(id)}`);
      const back = `#/experiments/${encodeURIComponent(t.experiment_id)}`;
      body.replaceChildren(
        el("p", {}, el("a", { href: back, class: "back" }, "← experiment"), " · ", el("a", { href: "#/" }, "all experiments")),
        el("h1", {}, `Trial #${t.number} `, stateBadge(t.state)),
        el(
          "dl",
          { class: "facts" },
          fact("id", t.id),
          fact("experiment", t.experiment_id),
          fact("value", formatValue(t.value)),
          fact("state", t.state),
          fact("attempts", t.attempt),
          fact("worker", t.worker || "—"),
          fact("created", t.created_at),
          fact("started", t.started_at),
          fact("finished", t.finished_at)
        ),
        el("h2", {}, "Parameters"),
        table2(t.params, "params-table"),
        el("h2", {}, "Metrics"),
        table2(t.metrics, "metrics-table"),
        t.error ? el("div", {}, el("h2", {}, "Error"), el("pre", { class: "error-text trial-error" }, t.error)) : "" // null would be written as the text "null"
      );
      const keys = new Set();
      for (const s of t.steps || []) for (const k of Object.keys(s.values)) keys.add(k);
      // One line per metric, over the steps: reuse the per-trial chart with each metric a "trial".
      const lines = [...keys].sort().map((k) => ({ number: 0, label: k, steps: (t.steps || []).map((s) => ({ step: s.step, values: { v: s.values[k] } })) }));
      if (lines.length) drawSteps(chart, lines, "v", holder, "score");
      else {
        chart.dataset.lines = "0";
        if (!loaded) chart.replaceChildren(el("p", { class: "muted" }, "no per-step scores"));
      }
      loaded = true;
    },
  };
}

function table2(obj, cls) {
  const entries = Object.entries(obj || {});
  if (entries.length === 0) return el("p", { class: "muted" }, "none");
  return el("table", { class: cls }, el("tbody", {}, entries.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", { class: "num" }, formatValue(v))))));
}

// ---- workers ------------------------------------------------------------------------------

function workersPage() {
  const table = el("div", { class: "card" });
  const root = el("section", {}, nav("workers"), el("h1", {}, "Workers"), table);
  return {
    root,
    periodic: true,
    async refresh() {
      let data;
      try {
        data = await getJson("/api/v1/workers");
      } catch (e) {
        if (e.status !== 404) throw e;
        table.replaceChildren(el("p", { class: "empty" }, "This server does not list workers (GET /api/v1/workers)."));
        return;
      }
      const workers = data.workers || [];
      table.dataset.rows = String(workers.length);
      table.replaceChildren(
        workers.length === 0
          ? el("p", { class: "empty" }, "No worker has connected yet.")
          : el(
              "table",
              {},
              el("thead", {}, el("tr", {}, ["id", "host", "state", "slots", "running", "done", "last heartbeat", "can run"].map((h) => el("th", {}, h)))),
              el(
                "tbody",
                {},
                workers.map((w) =>
                  el(
                    "tr",
                    { "data-id": w.id },
                    el("td", { class: "worker-id" }, w.id),
                    el("td", {}, w.hostname || "—"),
                    el("td", {}, stateBadge(w.state || "—")),
                    el("td", { class: "num" }, String(w.slots ?? "—")),
                    el("td", { class: "num running" }, String((w.trials && w.trials.running) ?? w.running ?? "—")),
                    el("td", { class: "num done" }, String((w.trials && w.trials.done) ?? w.done ?? "—")),
                    el("td", { class: "muted" }, w.last_seen || "—"),
                    el("td", {}, Array.isArray(w.kinds) ? w.kinds.join(", ") : String(w.kinds ?? "—"))
                  )
                )
              )
            )
      );
    },
  };
}

// ---- sign-in ------------------------------------------------------------------------------

function signInPage(message) {
  const input = el("input", { type: "password", id: "token", name: "token", autocomplete: "off", spellcheck: "false", placeholder: "krg_…", "aria-label": "API token", required: true });
  const form = el(
    "form",
    {
      class: "card signin",
      onsubmit: (event) => {
        event.preventDefault();
        const value = input.value.trim();
        if (!value) return;
        setToken(value);
        if (signOut) signOut.hidden = false;
        route();
      },
    },
    el("label", { for: "token" }, "API token"),
    input,
    el("button", { type: "submit" }, "Sign in"),
    el("p", { class: "muted" }, "The local stack (krige up) keeps its admin token in $KRIGE_HOME/token; ", "`krige token create --role read --name NAME` makes one for you.")
  );
  const root = el("section", {}, el("h1", {}, "Sign in"), message ? el("p", { class: "error-text" }, message) : null, form);
  return { root, refresh: async () => {}, focus: () => input.focus() };
}

// ---- routing and refresh ------------------------------------------------------------------

let current = null; // { root, refresh, stop?, periodic }
let timer = null;
let generation = 0;

function leave() {
  generation += 1;
  clearInterval(timer);
  if (current && current.stop) current.stop();
}

function showSignIn(message) {
  leave();
  current = signInPage(message);
  view.replaceChildren(current.root);
  current.focus();
  setStatus("", false);
}

function handleError(error) {
  if (error && error.status === 401) {
    const had = token();
    setToken("");
    if (signOut) signOut.hidden = true;
    showSignIn(had ? `That token was not accepted: ${error.message}` : "");
    return;
  }
  setStatus(`error: ${error && error.message}`, true);
}

async function refreshNow() {
  if (!current) return;
  const mine = generation;
  try {
    await current.refresh();
    if (mine === generation) setStatus();
  } catch (error) {
    if (mine === generation) handleError(error);
  }
}

function route() {
  leave();
  const hash = window.location.hash || "#/";
  let m;
  if ((m = /^#\/experiments\/(\d+)$/.exec(hash))) current = experimentPage(m[1], setStatus, handleError);
  else if ((m = /^#\/trials\/(\d+)$/.exec(hash))) current = trialPage(m[1]);
  else if (hash === "#/workers") current = workersPage();
  else if (hash === "#/tracking") current = trackingPage(nav);
  else if ((m = /^#\/tracking\/(\d+)$/.exec(hash))) current = runsPage(m[1], handleError);
  else if ((m = /^#\/runs\/(\d+)$/.exec(hash))) current = runPage(m[1]);
  else if (hash === "#/" || hash === "#") current = experimentsPage();
  else current = { root: el("section", {}, el("h1", {}, "Not found"), el("p", {}, el("a", { href: "#/" }, "all experiments"))), refresh: async () => {} };
  view.replaceChildren(current.root);
  refreshNow();
  if (current.periodic)
    timer = setInterval(() => {
      if (!document.hidden) refreshNow();
    }, REFRESH_MS);
}

if (signOut) {
  signOut.hidden = !token();
  signOut.addEventListener("click", () => {
    setToken("");
    signOut.hidden = true;
    showSignIn("Signed out.");
  });
}
window.addEventListener("hashchange", route);
route();
