// The experiment's trial table, over the TrialStore (all trials are in the browser, so sort,
// filter and paging cost no request): filter by state, by a parameter range and by the
// parallel-coordinates brushes; sort by any column; pages of 50; CSV export; each trial links
// to its page. The table root carries data-rows (trials that pass the filters).
import { el, formatValue, stateBadge } from "./dom.js";
import { download } from "./api.js";

const PAGE = 50;

export class TrialTable {
  constructor(experimentId, onError) {
    this.experimentId = experimentId;
    this.onError = onError;
    this.sort = { key: "number", desc: false };
    this.page = 0;
    this.stateFilter = "";
    this.brushFilter = null; // (row) => bool
    this.stateSelect = el(
      "select",
      { "aria-label": "filter by state", class: "state-filter", onchange: () => this.reset() },
      el("option", { value: "" }, "all states"),
      ["queued", "running", "completed", "failed", "pruned"].map((s) => el("option", { value: s }, s))
    );
    this.paramSelect = el("select", { "aria-label": "filter parameter", class: "range-param", onchange: () => this.reset() });
    this.minInput = el("input", { type: "text", size: 8, placeholder: "min", "aria-label": "minimum", class: "range-min", onchange: () => this.reset() });
    this.maxInput = el("input", { type: "text", size: 8, placeholder: "max", "aria-label": "maximum", class: "range-max", onchange: () => this.reset() });
    this.csv = el("button", { type: "button", class: "csv", onclick: () => this.exportCsv() }, "Download CSV");
    this.body = el("div", { class: "table-body" });
    this.pager = el("div", { class: "pager" });
    this.note = el("span", { class: "muted filter-note" });
    this.root = el(
      "div",
      { class: "trial-table" },
      el("div", { class: "controls" }, this.stateSelect, " ", this.paramSelect, " ", this.minInput, " – ", this.maxInput, " ", this.csv, " ", this.note),
      this.body,
      this.pager
    );
  }

  reset() {
    this.page = 0;
    this.render();
  }

  setStore(store) {
    this.store = store;
    const names = store.paramNames();
    const was = this.paramSelect.value;
    this.paramSelect.replaceChildren(el("option", { value: "" }, "parameter range…"), ...names.map((n) => el("option", { value: n }, n)));
    this.paramSelect.value = names.includes(was) ? was : "";
    this.render();
  }

  setBrushFilter(filter, description) {
    this.brushFilter = filter;
    this.note.textContent = description || "";
    this.reset();
  }

  rows() {
    const s = this.store;
    const state = this.stateSelect.value;
    const param = this.paramSelect.value;
    const min = this.minInput.value.trim() === "" ? -Infinity : Number(this.minInput.value);
    const max = this.maxInput.value.trim() === "" ? Infinity : Number(this.maxInput.value);
    const out = [];
    for (let i = 0; i < s.size; i++) {
      if (state && s.state[i] !== state) continue;
      if (param && (min !== -Infinity || max !== Infinity)) {
        const v = s.params[param][i];
        if (typeof v !== "number" || !(v >= min && v <= max)) continue;
      }
      if (this.brushFilter && !this.brushFilter(i)) continue;
      out.push(i);
    }
    const { key, desc } = this.sort;
    const get = key === "number" ? (i) => s.number[i] : key === "value" ? (i) => s.value[i] : key === "state" ? (i) => s.state[i] : (i) => s.params[key] && s.params[key][i];
    const compare = (a, b) => {
      const x = get(a);
      const y = get(b);
      const nx = x === null || x === undefined;
      const ny = y === null || y === undefined;
      if (nx || ny) return nx === ny ? s.number[a] - s.number[b] : nx ? 1 : -1; // missing last
      const c = typeof x === "number" && typeof y === "number" ? x - y : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
      return (desc ? -c : c) || s.number[a] - s.number[b];
    };
    // Trials arrive about in number order, the default sort: a pass that finds them sorted
    // spares sorting 100 000 rows each time the table is redrawn while trials stream in.
    let sorted = true;
    for (let i = 1; i < out.length && sorted; i++) sorted = compare(out[i - 1], out[i]) <= 0;
    if (!sorted) out.sort(compare);
    return out;
  }

  header(label, key) {
    const active = this.sort.key === key;
    return el(
      "th",
      {
        class: active ? `sortable sorted ${this.sort.desc ? "desc" : "asc"}` : "sortable",
        "data-key": key,
        onclick: () => {
          this.sort = { key, desc: active ? !this.sort.desc : false };
          this.reset();
        },
      },
      label,
      active ? (this.sort.desc ? " ▼" : " ▲") : ""
    );
  }

  render() {
    const s = this.store;
    if (!s) return;
    const rows = this.rows();
    this.root.dataset.rows = String(rows.length);
    this.root.dataset.total = String(s.size);
    const pages = Math.max(1, Math.ceil(rows.length / PAGE));
    if (this.page >= pages) this.page = pages - 1;
    const names = s.paramNames();
    const slice = rows.slice(this.page * PAGE, (this.page + 1) * PAGE);
    const trs = slice.map((i) =>
      el(
        "tr",
        { "data-number": s.number[i] },
        el("td", { class: "num" }, el("a", { href: `#/trials/${encodeURIComponent(s.id[i])}`, class: "trial-link" }, String(s.number[i]))),
        el("td", {}, stateBadge(s.state[i])),
        el("td", { class: "num value" }, formatValue(s.value[i])),
        names.map((n) => el("td", { class: "param" }, formatValue(s.params[n][i])))
      )
    );
    this.body.replaceChildren(
      rows.length === 0
        ? el("p", { class: "empty" }, s.size === 0 ? "No trials yet." : "No trial passes the filters.")
        : el(
            "table",
            {},
            el("thead", {}, el("tr", {}, this.header("#", "number"), this.header("state", "state"), this.header("value", "value"), names.map((n) => this.header(n, n)))),
            el("tbody", {}, trs)
          )
    );
    this.pager.replaceChildren(
      el("button", { type: "button", class: "prev", disabled: this.page === 0, onclick: () => { this.page -= 1; this.render(); } }, "← Previous"),
      el("span", { class: "muted" }, `page ${this.page + 1} of ${pages} · ${rows.length} of ${s.size} trials`),
      el("button", { type: "button", class: "next", disabled: this.page >= pages - 1, onclick: () => { this.page += 1; this.render(); } }, "Next →")
    );
  }

  async exportCsv() {
    try {
      const size = await download(`/api/v1/experiments/${encodeURIComponent(this.experimentId)}/trials.csv`, `experiment-${this.experimentId}-trials.csv`);
      this.csv.dataset.downloaded = String(size);
    } catch (e) {
      this.onError(e);
    }
  }
}
