// krige dashboard: plain JavaScript, no build step. Reads everything from /api/v1.
//
// Safety rule: every string that comes from the API (experiment names, parameter names and
// values, worker names, errors) is inserted as text (textContent / createTextNode), never as
// markup. The el() helper below is the only way this file builds DOM.
//
// Auth: the API answers 401 without a token; the page then shows a sign-in form. The token is
// kept in sessionStorage (gone with the tab) and sent as "Authorization: Bearer", never in a
// URL. The page loads no other script and runs no inline one (the server's CSP forbids both).
"use strict";
import uPlot from "uplot";
window.__uplot = uPlot;

(function () {
  const REFRESH_MS = 2000;
  const PAGE_SIZE = 25;
  const TOKEN_KEY = "krige.token";
  const view = document.getElementById("view");
  const status = document.getElementById("status");
  const signOut = document.getElementById("signout");

  function token() {
    try {
      return window.sessionStorage.getItem(TOKEN_KEY) || "";
    } catch (e) {
      return "";
    }
  }

  function setToken(value) {
    try {
      if (value) window.sessionStorage.setItem(TOKEN_KEY, value);
      else window.sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) {
      // storage disabled: the token lasts until the page is left
    }
    if (signOut) signOut.hidden = !value;
  }

  // el("a", {href: "#/x", class: "link"}, "text", childNode, ...): strings become text nodes.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "onclick" || key === "onchange" || key === "onsubmit") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null) continue;
      node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  async function getJson(url) {
    const headers = { Accept: "application/json" };
    const t = token();
    if (t) headers.Authorization = `Bearer ${t}`;
    const response = await fetch(url, { headers, credentials: "omit", cache: "no-store" });
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      // not JSON; handled below
    }
    if (!response.ok) {
      const err = body && body.error;
      const error = new Error(err ? err.message : `HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  function formatValue(v) {
    if (v === null || v === undefined) return "—";
    if (typeof v !== "number") return String(v);
    if (Number.isInteger(v)) return String(v);
    return String(Number(v.toPrecision(6)));
  }

  function formatParams(params) {
    const entries = Object.entries(params || {});
    if (entries.length === 0) return "—";
    return entries.map(([k, v]) => `${k}=${formatValue(v)}`).join(", ");
  }

  function stateBadge(state) {
    return el("span", { class: `badge state-${String(state).replace(/[^a-z]/g, "")}` }, state);
  }

  function setStatus(text, isError) {
    status.textContent = text;
    status.className = isError ? "status error" : "status";
  }

  function now() {
    return new Date().toLocaleTimeString();
  }

  // A pager over an API list: cursors[i] is the cursor of page i ("" for the first).
  function makePager() {
    return { cursors: [""], index: 0, next: "" };
  }

  function pagerControls(pager, rerender) {
    return el(
      "div",
      { class: "pager" },
      el(
        "button",
        {
          type: "button",
          disabled: pager.index === 0,
          onclick: () => {
            pager.index -= 1;
            pager.cursors.length = pager.index + 1;
            rerender();
          },
        },
        "← Previous"
      ),
      el("span", { class: "muted" }, `page ${pager.index + 1}`),
      el(
        "button",
        {
          type: "button",
          disabled: !pager.next,
          onclick: () => {
            pager.cursors.push(pager.next);
            pager.index += 1;
            rerender();
          },
        },
        "Next →"
      )
    );
  }

  function withCursor(url, pager) {
    const cursor = pager.cursors[pager.index];
    return cursor ? `${url}&cursor=${encodeURIComponent(cursor)}` : url;
  }

  // ---- experiments list ---------------------------------------------------------------

  function experimentsPage() {
    const pager = makePager();
    const table = el("div", { class: "card" });
    const controls = el("div");
    const root = el("section", {}, el("h1", {}, "Experiments"), table, controls);

    async function refresh() {
      const data = await getJson(withCursor(`/api/v1/experiments?limit=${PAGE_SIZE}`, pager));
      pager.next = data.next_cursor || "";
      const rows = data.experiments.map((e) => {
        const link = `#/experiments/${encodeURIComponent(e.id)}`;
        return el(
          "tr",
          {},
          el("td", { class: "num" }, el("a", { href: link }, String(e.id))),
          el("td", {}, el("a", { href: link, class: "name" }, e.name)),
          el("td", {}, stateBadge(e.state)),
          el("td", { class: "num" }, `${e.trials.completed} / ${e.trials.total}`),
          el("td", { class: "num" }, e.best ? formatValue(e.best.value) : "—"),
          el("td", { class: "muted" }, e.spec && e.spec.objective ? `${e.spec.objective.goal} ${e.spec.objective.metric}` : "")
        );
      });
      table.replaceChildren(
        rows.length === 0
          ? el("p", { class: "empty" }, "No experiments yet. Submit one with `krige run spec.yaml`.")
          : el(
              "table",
              {},
              el("thead", {}, el("tr", {}, ["id", "name", "state", "completed / total", "best", "objective"].map((h) => el("th", {}, h)))),
              el("tbody", {}, rows)
            )
      );
      controls.replaceChildren(pagerControls(pager, () => refreshNow()));
    }
    return { root, refresh };
  }

  // ---- one experiment -----------------------------------------------------------------

  function experimentPage(id) {
    const pager = makePager();
    let sort = "number";
    const header = el("div");
    const best = el("div", { class: "card" });
    const trials = el("div", { class: "card" });
    const controls = el("div");
    const sortSelect = el(
      "select",
      {
        "aria-label": "sort trials",
        onchange: (event) => {
          sort = event.target.value;
          pager.cursors = [""];
          pager.index = 0;
          refreshNow();
        },
      },
      el("option", { value: "number" }, "by number"),
      el("option", { value: "-number" }, "newest first"),
      el("option", { value: "value" }, "best value first")
    );
    const root = el(
      "section",
      {},
      el("p", {}, el("a", { href: "#/" }, "← all experiments")),
      header,
      el("h2", {}, "Best trial"),
      best,
      el("div", { class: "heading-row" }, el("h2", {}, "Trials"), sortSelect),
      trials,
      controls
    );

    async function refresh() {
      const base = `/api/v1/experiments/${encodeURIComponent(id)}`;
      const [experiment, page] = await Promise.all([
        getJson(base),
        getJson(withCursor(`${base}/trials?limit=${PAGE_SIZE}&sort=${encodeURIComponent(sort)}`, pager)),
      ]);
      pager.next = page.next_cursor || "";

      const c = experiment.trials;
      const spec = experiment.spec || {};
      header.replaceChildren(
        el("h1", {}, el("span", { class: "name" }, experiment.name), " ", stateBadge(experiment.state)),
        el(
          "dl",
          { class: "facts" },
          fact("id", experiment.id),
          fact("objective", spec.objective ? `${spec.objective.goal} ${spec.objective.metric}` : "—"),
          fact("tuner", spec.tuner ? spec.tuner.name : "—"),
          fact("max trials", spec.max_trials),
          fact("parallelism", spec.parallelism),
          fact("queued", c.queued),
          fact("running", c.running),
          fact("completed", c.completed),
          fact("failed", c.failed),
          fact("pruned", c.pruned),
          fact("total", c.total),
          fact("created", experiment.created_at || "—")
        )
      );

      const b = experiment.best;
      best.replaceChildren(
        b
          ? el(
              "div",
              {},
              el("p", {}, "Trial ", el("strong", {}, `#${b.number}`), " — value ", el("strong", { class: "value" }, formatValue(b.value))),
              paramsTable(b.params)
            )
          : el("p", { class: "empty" }, "No completed trial yet.")
      );

      const rows = page.trials.map((t) =>
        el(
          "tr",
          {},
          el("td", { class: "num" }, String(t.number)),
          el("td", {}, stateBadge(t.state)),
          el("td", { class: "num" }, formatValue(t.value)),
          el("td", { class: "params" }, formatParams(t.params)),
          el("td", { class: "num" }, String(t.attempt)),
          el("td", {}, t.worker || "—"),
          el("td", { class: "error-text" }, t.error || "")
        )
      );
      trials.replaceChildren(
        rows.length === 0
          ? el("p", { class: "empty" }, "No trials yet.")
          : el(
              "table",
              {},
              el("thead", {}, el("tr", {}, ["#", "state", "value", "params", "attempt", "worker", "error"].map((h) => el("th", {}, h)))),
              el("tbody", {}, rows)
            )
      );
      controls.replaceChildren(pagerControls(pager, () => refreshNow()));
    }
    return { root, refresh };
  }

  function fact(label, value) {
    return el("div", {}, el("dt", {}, label), el("dd", {}, value === undefined || value === null ? "—" : String(value)));
  }

  function paramsTable(params) {
    const entries = Object.entries(params || {});
    if (entries.length === 0) return el("p", { class: "muted" }, "no parameters");
    return el(
      "table",
      { class: "params-table" },
      el("tbody", {}, entries.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", { class: "num" }, formatValue(v)))))
    );
  }

  // ---- sign-in ------------------------------------------------------------------------

  function signInPage(message) {
    const input = el("input", {
      type: "password",
      id: "token",
      name: "token",
      autocomplete: "off",
      spellcheck: "false",
      placeholder: "krg_…",
      "aria-label": "API token",
      required: true,
    });
    const form = el(
      "form",
      {
        class: "card signin",
        onsubmit: (event) => {
          event.preventDefault();
          const value = input.value.trim();
          if (!value) return;
          setToken(value);
          route();
        },
      },
      el("label", { for: "token" }, "API token"),
      input,
      el("button", { type: "submit" }, "Sign in"),
      el(
        "p",
        { class: "muted" },
        "The local stack (krige up) keeps its admin token in $KRIGE_HOME/token; ",
        "`krige token create --role read --name NAME` makes one for you."
      )
    );
    const root = el("section", {}, el("h1", {}, "Sign in"), message ? el("p", { class: "error-text" }, message) : null, form);
    return { root, refresh: async () => {}, focus: () => input.focus() };
  }

  function showSignIn(message) {
    generation += 1;
    clearInterval(timer);
    current = signInPage(message);
    view.replaceChildren(current.root);
    current.focus();
    setStatus("", false);
  }

  // ---- routing and refresh ------------------------------------------------------------

  let current = null; // { refresh }
  let timer = null;
  let generation = 0;

  async function refreshNow() {
    if (!current) return;
    const mine = generation;
    const page = current;
    try {
      await page.refresh();
      if (mine === generation) setStatus(`updated ${now()}`, false);
    } catch (error) {
      if (mine !== generation) return;
      if (error.status === 401) {
        const had = token();
        setToken("");
        showSignIn(had ? `That token was not accepted: ${error.message}` : "");
        return;
      }
      setStatus(`error: ${error.message}`, true);
    }
  }

  function route() {
    generation += 1;
    clearInterval(timer);
    const hash = window.location.hash || "#/";
    const match = /^#\/experiments\/(\d+)$/.exec(hash);
    if (match) current = experimentPage(match[1]);
    else if (hash === "#/" || hash === "#") current = experimentsPage();
    else current = { root: el("section", {}, el("h1", {}, "Not found"), el("p", {}, el("a", { href: "#/" }, "all experiments"))), refresh: async () => {} };
    view.replaceChildren(current.root);
    refreshNow();
    timer = setInterval(() => {
      if (!document.hidden) refreshNow();
    }, REFRESH_MS);
  }

  if (signOut) {
    signOut.hidden = !token();
    signOut.addEventListener("click", () => {
      setToken("");
      showSignIn("Signed out.");
    });
  }
  window.addEventListener("hashchange", route);
  route();
})();
