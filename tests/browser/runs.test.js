// The dashboard's tracking pages against a live krige-server (PostgreSQL from the ctest
// fixture, tokens on): runs logged over REST (one with HTML in its name, a param and a tag),
// then the tracking list, an experiment's runs table (rows, latest metric values, sorting,
// paging, the filter), a run's page (a chart per metric with one point per logged point) and
// the CSV export, each checked against what was logged. HTML must stay text. The API answers
// seen are written to RECORDED for validate_openapi.py.
//   node runs.test.js SERVER PG_CLUSTER PG_STATE OUT_DIR RECORDED
// Exit 0: pass, 1: fail, 77: skipped (no chromium or playwright-core).
"use strict";

const { execFileSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const { chromiumOrSkip, check, start, api, record, recorded, run, CHROMIUM } = require("./harness");

const chromium = chromiumOrSkip();

const [SERVER, PG_CLUSTER, PG_STATE, OUT, RECORDED] = process.argv.slice(2);

const HOSTILE_EXPERIMENT = '<img src=x onerror="window.__pwned=1"> tracking';
const HOSTILE_NAME = '<img src=x onerror="window.__pwned=2">';
const HOSTILE_PARAM = "<script>window.__pwned=3</script>";
const HOSTILE_TAG = '<img src=x onerror="window.__pwned=4"> team';


// The dashboard's number format (dom.js formatValue).
function formatValue(v) {
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}

// RFC 4180 rows.
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n") {
      row.push(cell.replace(/\r$/, ""));
      rows.push(row);
      row = [];
      cell = "";
    } else cell += c;
  }
  if (cell !== "" || row.length) rows.push([...row, cell]);
  return rows;
}



async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "krige-runs-"));
  const [pgDir] = fs.readFileSync(PG_STATE, "utf8").split("\n");
  const db = `runs_${process.pid}`;
  const url = execFileSync(PG_CLUSTER, ["createdb", path.join(pgDir, "cluster"), db], { encoding: "utf8" }).trim();
  const tokenFile = path.join(tmp, "token");
  const server = await start(
    SERVER,
    ["--database-url", url, "--http", "127.0.0.1:0", "--zmq", "tcp://127.0.0.1:*", "--auth", "on", "--token-file", tokenFile, "--artifact-root", path.join(tmp, "artifacts"), "--log-level", "warn"],
    /listening http=(\S+) zmq=(\S+)/
  );
  const base = server.match[1];
  const token = fs.readFileSync(tokenFile, "utf8").trim();

  // 12 runs: loss over 20 + i steps (ending at a different value per run), accuracy for the
  // even ones, a NaN as the latest "odd" point of one; params model (svc for odd i) and i.
  const N = 12;
  const logged = []; // { id, name, params, tags, metrics: {key: [values by step]} }
  for (let i = 0; i < N; i++) {
    const name = i === 0 ? HOSTILE_NAME : `run-${String(i).padStart(2, "0")}`;
    const params = { model: i % 2 ? "svc" : "knn", i: String(i) };
    if (i === 0) params.note = HOSTILE_PARAM;
    const tags = { team: i === 0 ? HOSTILE_TAG : "a" };
    const { run } = await api(base, token, "POST", "/api/v1/runs", { experiment_name: HOSTILE_EXPERIMENT, name, params, tags });
    const loss = Array.from({ length: 20 + i }, (_, s) => 1 / (s + 1) + ((i * 7) % 5) / 10);
    const metrics = { loss };
    if (i % 2 === 0) metrics.accuracy = Array.from({ length: 5 }, (_, s) => 0.5 + s / 10 + i / 1000);
    if (i === 3) metrics.odd = [1.5, "NaN"];
    const points = [];
    for (const [key, values] of Object.entries(metrics)) values.forEach((value, step) => points.push({ key, value, step, timestamp: 1700000000000 + step }));
    await api(base, token, "POST", `/api/v1/runs/${run.id}/log`, { metrics: points });
    if (i === 5) await api(base, token, "POST", `/api/v1/runs/${run.id}/end`, { status: "failed" });
    logged.push({ id: run.id, experiment: run.experiment_id, name, params, tags, metrics });
  }
  const experimentId = logged[0].experiment;
  const byId = new Map(logged.map((r) => [r.id, r]));
  const latest = (r, key) => (r.metrics[key] ? r.metrics[key][r.metrics[key].length - 1] : undefined);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const dialogs = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      d.dismiss();
    });
    const pageErrors = [];
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    const requests = [];
    page.on("request", (r) => requests.push(r.url()));
    const pending = [];
    page.on("response", (r) => {
      const ct = r.headers()["content-type"] || "";
      if (!r.url().includes("/api/v1/") || !ct.includes("application/json")) return;
      pending.push(r.text().then((t) => record(r.request().method(), r.url(), r.status(), ct, t), () => {}));
    });

    await page.goto(`${base}/#/tracking`);
    await page.locator("form.signin input#token").fill(token);
    await page.locator("form.signin button[type=submit]").click();
    const link = page.locator(".tracking-experiments a.name", { hasText: HOSTILE_EXPERIMENT });
    await link.waitFor({ timeout: 10000 });
    check((await link.textContent()) === HOSTILE_EXPERIMENT, "the tracking list shows the experiment's HTML name as text");
    check((await page.locator(`.tracking-experiments tr[data-id="${experimentId}"] td.runs`).textContent()) === String(N), `with its ${N} runs`);
    await page.screenshot({ path: path.join(OUT, "tracking.png"), fullPage: true });

    // The runs table: newest first (then id), 10 a page.
    await link.click();
    await page.waitForFunction(() => document.querySelector(".runs-table") && document.querySelector(".runs-table").dataset.rows, null, { timeout: 10000 });
    await page.locator("select.page-size").selectOption("10");
    await page.waitForFunction(() => document.querySelector(".runs-table").dataset.rows === "10", null, { timeout: 10000 });
    const rowIds = async () => (await page.locator(".runs-table tbody tr").evaluateAll((trs) => trs.map((t) => Number(t.dataset.id))));
    const searched = (await api(base, token, "POST", "/api/v1/runs/search", { experiment_ids: [experimentId], limit: 1000 })).runs;
    const newestFirst = searched.map((r) => r.id);
    check(JSON.stringify([...newestFirst].sort((a, b) => a - b)) === JSON.stringify(logged.map((r) => r.id)), "the search holds every logged run");
    const first = await rowIds();
    check(JSON.stringify(first) === JSON.stringify(newestFirst.slice(0, 10)), "the first page holds the 10 newest runs, in the search's order");
    for (const id of first) {
      const r = byId.get(id);
      const row = page.locator(`.runs-table tr[data-id="${id}"]`);
      check((await row.locator("td.run-name").textContent()) === r.name, `run ${id}: its name`);
      for (const key of ["loss", "accuracy", "odd"]) {
        const cell = (await row.locator(`td.metric[data-key="${key}"]`).textContent());
        const want = latest(r, key) === undefined ? "—" : formatValue(latest(r, key));
        check(cell === want, `run ${id}: the latest ${key} (${want})`);
      }
      check((await row.locator('td.param[data-key="model"]').textContent()) === r.params.model, `run ${id}: its model param`);
      check((await row.locator("td.run-status").textContent()) === (r.id === logged[5].id ? "failed" : "running"), `run ${id}: its status`);
    }
    await page.locator(".runs-table button.next").click();
    await page.waitForFunction(() => document.querySelector(".runs-table").dataset.page === "2", null, { timeout: 10000 });
    const second = await rowIds();
    check(JSON.stringify(second) === JSON.stringify(newestFirst.slice(10)), `the second page holds the other ${N - 10}`);
    check(await page.locator(".runs-table button.next").isDisabled(), "and is the last");
    const hostileRow = page.locator(`.runs-table tr[data-id="${logged[0].id}"]`);
    check((await hostileRow.locator("td.run-name").textContent()) === HOSTILE_NAME, "a run name with HTML shows as text");
    check((await hostileRow.locator('td.param[data-key="note"]').textContent()) === HOSTILE_PARAM, "a param value with <script> shows as text");
    check((await hostileRow.locator("td.tags").textContent()).includes(`team=${HOSTILE_TAG}`), "a tag value with HTML shows as text");
    check((await page.locator("#view img").count()) === 0 && (await page.locator("#view script").count()) === 0, "no <img> or <script> was made from them");
    await page.locator(".runs-table button.prev").click();
    await page.waitForFunction(() => document.querySelector(".runs-table").dataset.page === "1", null, { timeout: 10000 });

    // Sorting by the latest loss, ascending then descending.
    const byLoss = [...logged].sort((a, b) => latest(a, "loss") - latest(b, "loss") || 0);
    await page.locator('.runs-table th[data-sort="metrics.`loss`"]').click();
    await page.waitForFunction(() => document.querySelector('.runs-table th.sorted[data-sort="metrics.`loss`"]'), null, { timeout: 10000 });
    const asc = await page.locator('.runs-table td.metric[data-key="loss"]').allTextContents();
    check(Number(asc[0]) === Number(formatValue(latest(byLoss[0], "loss"))) && asc.every((v, k) => k === 0 || Number(asc[k - 1]) <= Number(v)), "sorting by loss puts the lowest latest loss first, ascending");
    await page.locator('.runs-table th[data-sort="metrics.`loss`"]').click();
    await page.waitForFunction(() => document.querySelector('.runs-table th.sorted.desc[data-sort="metrics.`loss`"]'), null, { timeout: 10000 });
    const desc = await page.locator('.runs-table td.metric[data-key="loss"]').allTextContents();
    check(Number(desc[0]) === Number(formatValue(latest(byLoss[N - 1], "loss"))) && desc.every((v, k) => k === 0 || Number(desc[k - 1]) >= Number(v)), "clicking again sorts descending");
    await page.screenshot({ path: path.join(OUT, "runs.png"), fullPage: true });

    // The filter (the run search language).
    await page.locator("input.run-filter").fill("params.model = 'svc'");
    await page.locator("button.apply-filter").click();
    await page.waitForFunction(() => document.querySelector(".runs-table").dataset.rows === "6" && document.querySelectorAll(".runs-table tbody tr").length === 6, null, { timeout: 10000 });
    const svc = await rowIds();
    check(svc.every((id) => byId.get(id).params.model === "svc"), "the filter keeps only the svc runs");

    // CSV of what the filter keeps, then of every run.
    const readCsv = async () => {
      const [dl] = await Promise.all([page.waitForEvent("download"), page.locator(".runs-page button.csv").click()]);
      return parseCsv(fs.readFileSync(await dl.path(), "utf8"));
    };
    const filtered = await readCsv();
    check(filtered.length === 7, "the CSV of the filtered table has a header and 6 rows");
    await page.locator("input.run-filter").fill("");
    await page.locator("button.apply-filter").click();
    await page.waitForFunction(() => document.querySelector(".runs-table").dataset.rows === "10", null, { timeout: 10000 });
    const csv = await readCsv();
    const header = csv[0];
    check(csv.length === N + 1, `the CSV has a header and a row per run (${N})`);
    check(["run_id", "name", "status", "param_i", "param_model", "param_note", "metric_accuracy", "metric_loss", "metric_odd", "tag_team"].every((h) => header.includes(h)), "with the attributes, a column per param, metric and tag");
    const col = (h) => header.indexOf(h);
    for (const row of csv.slice(1)) {
      const r = byId.get(Number(row[col("run_id")]));
      check(r !== undefined, `CSV row ${row[0]} is a logged run`);
      check(row[col("param_model")] === r.params.model && row[col("param_i")] === r.params.i, `CSV row ${row[0]}: its params`);
      check(Number(row[col("metric_loss")]) === latest(r, "loss"), `CSV row ${row[0]}: its latest loss, exactly`);
      const acc = latest(r, "accuracy");
      check(acc === undefined ? row[col("metric_accuracy")] === "" : Number(row[col("metric_accuracy")]) === acc, `CSV row ${row[0]}: its latest accuracy`);
      if (r === logged[3]) check(row[col("metric_odd")] === "NaN", "a NaN latest value is NaN in the CSV");
      if (r === logged[0]) check(row[col("name")] === HOSTILE_NAME && row[col("param_note")] === HOSTILE_PARAM && row[col("tag_team")] === HOSTILE_TAG, "the hostile strings are in the CSV as they were logged");
    }

    // A run's page: a chart per metric, one point per logged point.
    for (const r of [logged[3], logged[0], logged[11]]) {
      await page.goto(`${base}/#/runs/${r.id}`);
      const keys = Object.keys(r.metrics).sort();
      await page.waitForFunction((n) => {
        const c = document.querySelector(".metric-charts");
        return c && c.dataset.charts === String(n) && [...document.querySelectorAll(".metric-chart")].every((m) => m.dataset.drawn);
      }, keys.length, { timeout: 15000 });
      const charts = await page.locator(".metric-chart").evaluateAll((cs) => cs.map((c) => ({ key: c.dataset.metric, points: Number(c.dataset.points), canvas: !!c.querySelector("canvas") })));
      check(JSON.stringify(charts.map((c) => c.key)) === JSON.stringify(keys), `run ${r.id}: a chart per metric (${keys.join(", ")})`);
      for (const c of charts) {
        const history = await api(base, token, "GET", `/api/v1/runs/${r.id}/metrics/${encodeURIComponent(c.key)}?limit=10000`);
        check(c.points === r.metrics[c.key].length && c.points === history.points.length && c.canvas, `run ${r.id}: the ${c.key} chart draws its ${c.points} points`);
      }
      check((await page.locator(".run-page .run-title").textContent()) === r.name, `run ${r.id}: its name as the title`);
      check((await page.locator(".run-page .params-table th").allTextContents()).sort().join(",") === Object.keys(r.params).sort().join(","), `run ${r.id}: its params`);
      if (r === logged[0]) {
        check((await page.locator(".run-page .tags-table td").textContent()) === HOSTILE_TAG, "the run page shows the hostile tag as text");
        check((await page.locator("#view img").count()) === 0 && (await page.locator("#view script").count()) === 0, "and makes no <img> or <script>");
      }
      await page.screenshot({ path: path.join(OUT, `run-${r.id}.png`), fullPage: true });
    }
    await page.locator(".run-page a.back").click();
    await page.waitForFunction((id) => location.hash === `#/tracking/${id}`, experimentId);
    check(true, "the run page links back to its experiment's runs");

    // Answers for the OpenAPI check: errors and the other tracking reads.
    for (const u of [`/api/v1/runs/${logged[0].id}`, `/api/v1/tracking/experiments/${experimentId}`, "/api/v1/tracking/experiments?limit=0", "/api/v1/runs/999999", `/api/v1/runs/${logged[0].id}/metrics/nope`]) {
      await api(base, token, "GET", u).catch(() => {});
    }
    await api(base, token, "POST", "/api/v1/runs/search", { experiment_ids: [experimentId], filter: "metrics.loss >" }).catch(() => {});
    await Promise.all(pending);
    if (RECORDED) fs.writeFileSync(RECORDED, JSON.stringify(recorded));
    check(recorded.length > 20, `recorded ${recorded.length} API answers for the OpenAPI check`);
    check(requests.every((u) => !u.includes(token)), "the token never in a URL");
    check(await page.evaluate(() => window.__pwned === undefined), "no injected handler ran");
    check(dialogs.length === 0, "no dialog opened");
    check(pageErrors.length === 0, `no page errors (${pageErrors.join("; ")})`);
  } finally {
    await browser.close();
  }
}

run(main);
