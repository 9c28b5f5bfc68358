// The dashboard against a live krige-server (PostgreSQL from the ctest fixture, tokens on, one
// real worker) with real experiments: a gp sweep on breast_cancer, a grid, one with failed
// trials, one with a conditional space, and one that runs while the page is open. Checks
// that every plot is drawn from the data (its data- counts equal the API's), that brushing
// filters the table, that the CSV and trial pages work, that a live trial appears without a
// reload, and that HTML in names and parameter values stays text. Screenshots of each page
// go to OUT_DIR.
//   node live.test.js SERVER WORKER CLI PG_CLUSTER PG_STATE EXAMPLES_DIR OUT_DIR
// Exit 0: pass, 1: fail, 77: skipped (no chromium or playwright-core).
"use strict";

const { spawn, execFileSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const { chromiumOrSkip, check, start, api, record, recorded, run: runTest, CHROMIUM } = require("./harness");

const chromium = chromiumOrSkip();

const [SERVER, WORKER, CLI, PG_CLUSTER, PG_STATE, EXAMPLES, OUT, RECORDED] = process.argv.slice(2);
// Every JSON answer of the API seen by this test, for validate_openapi.py.
const HOSTILE_NAME = "<img src=x onerror=\"window.__pwned=1\"> gp";
const HOSTILE_VALUE = "<script>window.__pwned=2</script>";



function run(binary, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${binary} ${args.join(" ")}: ${code}: ${err}`))));
  });
}

function specs(dir) {
  const data = path.join(EXAMPLES, "data");
  const files = {
    gp: `name: '${HOSTILE_NAME}'
objective: {metric: accuracy, goal: maximize}
tuner: {name: gp, seed: 5}
max_trials: 6
parallelism: 2
space:
  C: {type: float, low: 1.0e-3, high: 1.0e+3, log: true}
  penalty: {type: categorical, values: [l1, l2]}
training: {dataset: ${data}/breast_cancer.csv, target: target, task: classification,
  model: logistic_regression, folds: 3, stratified: true, shuffle_seed: 0, preprocessing: [standardize]}
`,
    grid: `name: grid-knn-iris
objective: {metric: accuracy, goal: maximize}
tuner: {name: grid}
max_trials: 50
parallelism: 2
space:
  n_neighbors: {type: int, low: 1, high: 9, values: [1, 5, 9]}
  weights: {type: categorical, values: [uniform, distance]}
training: {dataset: ${data}/iris.csv, target: target, task: classification, model: knn, folds: 3,
  stratified: true, shuffle_seed: 0, preprocessing: [standardize]}
`,
    failing: `name: failing-command
objective: {metric: score, goal: minimize}
tuner: {name: random, seed: 4}
max_trials: 6
parallelism: 2
max_attempts: 1
space:
  x: {type: float, low: 0.0, high: 1.0}
  tag: {type: categorical, values: ['${HOSTILE_VALUE}', plain]}
training:
  kind: command
  command: [python3, -c, "import sys; x = float(sys.argv[1]); sys.exit(3) if x > 0.5 else print('score=%f' % x)", "{x}"]
  timeout_seconds: 30
`,
    conditional: `name: conditional-svc
objective: {metric: accuracy, goal: maximize}
tuner: {name: random, seed: 11}
max_trials: 6
parallelism: 2
space:
  C: {type: float, low: 1.0e-2, high: 1.0e+2, log: true}
  kernel: {type: categorical, values: [rbf, poly]}
  degree: {type: int, low: 2, high: 3, when: {kernel: [poly]}}
training: {dataset: ${data}/breast_cancer.csv, target: target, task: classification, model: svc,
  folds: 3, stratified: true, shuffle_seed: 0, preprocessing: [standardize]}
`,
  };
  const out = {};
  for (const [k, text] of Object.entries(files)) {
    out[k] = path.join(dir, `${k}.yaml`);
    fs.writeFileSync(out[k], text);
  }
  return out;
}


async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "krige-dash-"));
  const [pgDir] = fs.readFileSync(PG_STATE, "utf8").split("\n");
  const db = `dash_${process.pid}`;
  const url = execFileSync(PG_CLUSTER, ["createdb", path.join(pgDir, "cluster"), db], { encoding: "utf8" }).trim();
  const tokenFile = path.join(tmp, "token");
  const server = await start(
    SERVER,
    ["--database-url", url, "--http", "127.0.0.1:0", "--zmq", "tcp://127.0.0.1:*", "--auth", "on", "--token-file", tokenFile, "--log-level", "warn"],
    /listening http=(\S+) zmq=(\S+)/
  );
  const base = server.match[1];
  const zmq = server.match[2];
  const token = fs.readFileSync(tokenFile, "utf8").trim();
  await start(WORKER, ["--connect", zmq, "--slots", "2", "--allow-commands", "--cache-dir", path.join(tmp, "cache"), "--log-level", "warn"], null);

  const files = specs(tmp);
  const env = { KRIGE_SERVER: base, KRIGE_TOKEN: token };
  const finished = await Promise.all(Object.values(files).map((f) => run(CLI, ["run", "--json", f], env).then((o) => JSON.parse(o))));
  const byName = {};
  for (const e of finished) byName[e.name] = e;
  const gp = byName[HOSTILE_NAME];
  const grid = byName["grid-knn-iris"];
  const failing = byName["failing-command"];
  const conditional = byName["conditional-svc"];
  check(gp && grid && failing && conditional, "four experiments ran to the end");
  check(failing.trials.failed > 0 && failing.trials.completed > 0, `the failing experiment has failed (${failing.trials.failed}) and completed trials`);
  check(grid.trials.completed === 6, "the grid ran its 6 points");

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

    await page.goto(`${base}/`);
    await page.locator("form.signin input#token").fill(token);
    await page.locator("form.signin button[type=submit]").click();
    const hostile = page.locator("a.name", { hasText: HOSTILE_NAME });
    await hostile.waitFor({ timeout: 10000 });
    check((await hostile.textContent()) === HOSTILE_NAME, "an experiment name with HTML renders as text");
    check((await page.locator("#view img").count()) === 0, "no <img> was made from it");
    check((await page.locator("a.name").count()) === 4, "the experiments page lists the four experiments");
    const gpRow = page.locator(`tr[data-id="${gp.id}"]`);
    check((await gpRow.locator("td.best").textContent()) !== "—", "the experiments page shows the best value");
    check((await gpRow.locator("progress").getAttribute("value")) === String(gp.trials.completed + gp.trials.failed), "and the progress");
    await page.screenshot({ path: path.join(OUT, "experiments.png"), fullPage: true });
    await page.locator("input.search").fill("grid");
    await page.waitForFunction(() => document.querySelectorAll("a.name").length === 1);
    check((await page.locator("a.name").textContent()) === "grid-knn-iris", "searching by name filters the list");
    await page.locator("input.search").fill("");
    await page.locator("select.state-filter").selectOption("running");
    await page.waitForFunction(() => !document.querySelector("a.name"));
    check(true, "filtering by state (running: none) empties the list");
    await page.locator("select.state-filter").selectOption("");
    await page.waitForFunction(() => document.querySelectorAll("a.name").length === 4);

    async function openExperiment(e) {
      await page.goto(`${base}/#/experiments/${e.id}`);
      await page.waitForFunction((n) => {
        const h = document.querySelector("[data-plot=history]");
        const p = document.querySelector(".parcoords");
        return h && p && h.dataset.drawn && p.dataset.drawn && Number(h.dataset.points) === n;
      }, e.trials.completed, { timeout: 15000 });
      await page.waitForFunction((n) => Number((document.querySelector(".trial-table") || { dataset: {} }).dataset.rows) === n, e.trials.total, { timeout: 15000 });
      return page.evaluate(() => {
        const d = (sel) => Object.assign({}, (document.querySelector(sel) || {}).dataset || {});
        return {
          history: d("[data-plot=history]"),
          parcoords: d(".parcoords"),
          table: d(".trial-table"),
          contour: d(".contour"),
          steps: d("[data-plot=steps]"),
          slices: [...document.querySelectorAll("[data-plot=slice]")].map((s) => Object.assign({}, s.dataset)),
        };
      });
    }

    for (const e of [gp, grid, failing, conditional]) {
      const d = await openExperiment(e);
      const label = e.name === HOSTILE_NAME ? "gp" : e.name;
      const space = Object.keys(e.spec.space);
      check(Number(d.history.points) === e.trials.completed, `${label}: history has one point per completed trial (${e.trials.completed})`);
      check(Number(d.history.failed) === e.trials.failed, `${label}: history marks the ${e.trials.failed} failed trials`);
      check(Number(d.parcoords.lines) === e.trials.completed, `${label}: parallel coordinates draw one line per completed trial`);
      const axes = JSON.parse(d.parcoords.axes);
      check(axes.length === space.length + 1, `${label}: one axis per parameter and the objective`);
      for (const [name, p] of Object.entries(e.spec.space)) {
        const axis = axes.find((a) => a.name === name);
        const want = p.type === "categorical" ? "categorical" : p.log ? "log" : "linear";
        check(axis && axis.kind === want, `${label}: axis ${name} is ${want}`);
      }
      check(d.slices.length === space.length, `${label}: a slice plot per parameter`);
      await page.waitForFunction(() => document.querySelector("[data-plot=importance]").dataset.bars !== undefined, null, { timeout: 10000 });
      const bars = Number(await page.locator("[data-plot=importance]").getAttribute("data-bars"));
      check(bars === space.length, `${label}: an importance bar per parameter (fANOVA)`);
      check(Number(d.table.rows) === e.trials.total, `${label}: the table holds all ${e.trials.total} trials`);
      await page.waitForFunction(() => document.querySelector("[data-plot=steps]").dataset.drawn, null, { timeout: 10000 });
      const steps = await page.locator("[data-plot=steps]").getAttribute("data-lines");
      if (e.spec.training.kind !== "command") check(Number(steps) === e.trials.completed, `${label}: intermediate values: a line per completed trial (${steps})`);
      if (e === conditional) {
        const trials = (await api(base, token, "GET", `/api/v1/experiments/${e.id}/trials?limit=100`)).trials;
        const poly = trials.filter((t) => t.state === "completed" && "degree" in t.params).length;
        const degree = d.slices.find((s) => s.param === "degree");
        check(Number(degree.points) === poly, `conditional: the degree slice has only the poly trials (${poly})`);
      }
      if (e === failing) {
        const tags = await page.locator(".trial-table td.param").allTextContents();
        check(tags.includes(HOSTILE_VALUE), "a parameter value with <script> shows as text in the table");
        check((await page.locator("#view script").count()) === 0, "no <script> was made from it");
        await page.locator(".trial-table select.state-filter").selectOption("failed");
        check(Number(await page.locator(".trial-table").getAttribute("data-rows")) === e.trials.failed, "the state filter shows only the failed trials");
        await page.locator(".trial-table select.state-filter").selectOption("");
      }
      await page.screenshot({ path: path.join(OUT, `experiment-${label.replace(/[^a-z0-9-]/gi, "")}.png`), fullPage: true });
    }

    // Brushing: the upper half of the objective axis of the gp sweep.
    const d = await openExperiment(gp);
    const axes = JSON.parse(d.parcoords.axes);
    const objective = axes[axes.length - 1];
    const box = await page.locator(".parcoords-overlay").boundingBox();
    await page.mouse.move(box.x + objective.x, box.y + objective.top - 2);
    await page.mouse.down();
    await page.mouse.move(box.x + objective.x, box.y + (objective.top + objective.bottom) / 2, { steps: 5 });
    await page.mouse.up();
    const after = await page.evaluate(() => ({
      selected: Number(document.querySelector(".parcoords").dataset.selected),
      rows: Number(document.querySelector(".trial-table").dataset.rows),
      values: [...document.querySelectorAll(".trial-table td.value")].map((t) => t.textContent),
    }));
    check(after.selected > 0 && after.selected < gp.trials.completed, `brushing the objective selects part of the trials (${after.selected} of ${gp.trials.completed})`);
    check(after.rows === after.selected, "and the table shows exactly those");
    const lo = Math.min(...after.values.map(Number));
    const all = (await api(base, token, "GET", `/api/v1/experiments/${gp.id}/trials?limit=100`)).trials.filter((t) => t.state === "completed").map((t) => t.value);
    check(lo >= (Math.min(...all) + Math.max(...all)) / 2 - 1e-9, "the trials shown are in the brushed (upper) half");
    await page.screenshot({ path: path.join(OUT, "experiment-brushed.png"), fullPage: true });
    await page.locator("button.clear-brush").click();
    check(Number(await page.locator(".trial-table").getAttribute("data-rows")) === gp.trials.total, "clearing the brushes shows every trial again");

    // The large-experiment paths (from 5 000 trials: parallel coordinates rasterized in JS,
    // history points blended into the pixels) on the gp sweep, their threshold lowered, against
    // the canvas paths: the pixels they cover match within a pixel both ways.
    async function masks(rasterMin) {
      await page.evaluate((m) => (window.__krigeRasterMin = m), rasterMin);
      await page.goto(`${base}/#/`);
      await page.locator("a.name").first().waitFor({ timeout: 10000 });
      await openExperiment(gp);
      return page.evaluate(() => {
        const mask = (canvas, keep) => {
          const d = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
          const out = [];
          for (let p = 0; p < canvas.width * canvas.height; p++) if (keep(d, p * 4)) out.push(p);
          return { w: canvas.width, on: out };
        };
        return {
          lines: mask(document.querySelector(".parcoords-lines"), (d, q) => d[q + 3] > 0),
          // the history's value points (blue), not its axes, grid or best-so-far line
          points: mask(document.querySelector("[data-plot=history] canvas"), (d, q) => d[q + 3] > 0 && d[q + 2] - d[q] > 40),
          count: Number(document.querySelector(".parcoords").dataset.lines),
        };
      });
    }
    function near(a, b) {
      const set = new Set(b.on);
      const w = b.w;
      let hit = 0;
      for (const p of a.on) {
        let found = false;
        for (let dy = -1; dy <= 1 && !found; dy++) for (let dx = -1; dx <= 1 && !found; dx++) found = set.has(p + dy * w + dx);
        if (found) hit++;
      }
      return a.on.length ? hit / a.on.length : 0;
    }
    const drawn = await masks(undefined);
    const raster = await masks(1);
    await page.evaluate(() => delete window.__krigeRasterMin);
    check(raster.count === gp.trials.completed && raster.lines.on.length > 500, `rasterized parallel coordinates: ${raster.count} lines over ${raster.lines.on.length} pixels`);
    const lineFit = [near(raster.lines, drawn.lines), near(drawn.lines, raster.lines)];
    check(lineFit[0] > 0.9 && lineFit[1] > 0.9, `and they cover the stroked lines' pixels (within a pixel: ${lineFit.map((f) => f.toFixed(3)).join(" / ")})`);
    const pointFit = [near(raster.points, drawn.points), near(drawn.points, raster.points)];
    check(raster.points.on.length > 0 && pointFit[0] > 0.9 && pointFit[1] > 0.9, `history points blended into pixels sit where fillRect puts them (${pointFit.map((f) => f.toFixed(3)).join(" / ")})`);

    // Sorting by value, CSV, a trial's page.
    await page.locator(".trial-table th[data-key=value]").click();
    await page.locator(".trial-table th[data-key=value]").click();
    const first = Number(await page.locator(".trial-table td.value").first().textContent());
    check(Math.abs(first - gp.best.value) < 1e-5, "sorting by value (descending) puts the best trial first");
    const [dl] = await Promise.all([page.waitForEvent("download"), page.locator("button.csv").click()]);
    const csv = fs.readFileSync(await dl.path(), "utf8").trim().split(/\r?\n/);
    check(csv.length === gp.trials.total + 1 && csv[0].startsWith("number,state,value,param_C,param_penalty"), "the CSV export has a header and a row per trial");
    await page.locator(".trial-table a.trial-link").first().click();
    await page.locator(".trial-page .params-table").waitFor({ timeout: 10000 });
    await page.waitForFunction(() => document.querySelector("[data-plot=trial-steps]").dataset.drawn, null, { timeout: 10000 });
    check((await page.locator(".trial-page .params-table th").allTextContents()).sort().join(",") === "C,penalty", "the trial page lists its parameters");
    check(Number(await page.locator("[data-plot=trial-steps]").getAttribute("data-lines")) >= 1, "and draws its per-step scores");
    const trialText = await page.locator(".trial-page").innerText();
    check(!/\bnull\b|\bundefined\b/.test(trialText), "the trial page writes no stray null or undefined");
    await page.screenshot({ path: path.join(OUT, "trial.png"), fullPage: true });
    await page.locator(".trial-page a.back").click();
    await page.waitForFunction((id) => location.hash === `#/experiments/${id}`, gp.id);
    check(true, "the trial page links back to its experiment");

    // A failed trial's page shows its error.
    const failedTrial = (await api(base, token, "GET", `/api/v1/experiments/${failing.id}/trials?state=failed&limit=1`)).trials[0];
    await page.goto(`${base}/#/trials/${failedTrial.id}`);
    await page.locator(".trial-error").waitFor({ timeout: 10000 });
    check((await page.locator(".trial-error").textContent()) === failedTrial.error, "a failed trial's page shows its error text");

    await page.goto(`${base}/#/workers`);
    await page.waitForFunction(() => document.querySelector("#view .card[data-rows]"), null, { timeout: 10000 });
    const workers = (await api(base, token, "GET", "/api/v1/workers")).workers;
    check(Number(await page.locator("#view .card").getAttribute("data-rows")) === workers.length && workers.length === 1, "the workers page lists the one worker");
    const done = workers[0].trials.done;
    check(Number(await page.locator("#view td.done").first().textContent()) === done, `with the trials it has done (${done})`);
    await page.screenshot({ path: path.join(OUT, "workers.png"), fullPage: true });

    // Live: an experiment created while its page is open; its trials appear without a reload.
    const live = await api(base, token, "POST", "/api/v1/experiments", {
      name: "live",
      objective: { metric: "score", goal: "maximize" },
      tuner: { name: "random", seed: 1 },
      max_trials: 3,
      parallelism: 1,
      space: { x: { type: "float", low: 0, high: 1 } },
      training: { kind: "command", command: ["python3", "-c", "import sys, time; time.sleep(1.2); print('score=' + sys.argv[1])", "{x}"], timeout_seconds: 30 },
    });
    await page.goto(`${base}/#/experiments/${live.id}`);
    await page.waitForFunction(() => document.querySelector(".live").dataset.live === "open", null, { timeout: 10000 });
    await page.waitForFunction(() => document.querySelector("[data-plot=history]").dataset.drawn, null, { timeout: 10000 });
    const before = await page.evaluate(() => {
      window.__sameDocument = true;
      return Number(document.querySelector("[data-plot=history]").dataset.points);
    });
    check(before < 3, `the live experiment's page opened before it ended (${before} of 3 completed)`);
    await page.waitForFunction(() => Number(document.querySelector("[data-plot=history]").dataset.points) === 3, null, { timeout: 30000 });
    check(await page.evaluate(() => window.__sameDocument === true && !!document.querySelector(".experiment-page").dataset.lastEvent), "live trials arrived over the stream and appeared in the history without a reload");
    check(Number(await page.locator(".parcoords").getAttribute("data-lines")) === 3, "and in the parallel coordinates");
    await page.waitForFunction(() => Number(document.querySelector(".trial-table").dataset.rows) === 3, null, { timeout: 10000 });
    check(true, "and in the table (redrawn at most every 3 s while trials stream in)");
    const eventCalls = requests.filter((u) => u.includes("/api/v1/events"));
    check(eventCalls.length >= 1 && requests.every((u) => !u.includes(token)), "the live stream is fetched, the token never in a URL");

    // Incremental live draws: trials stream in while a brush is set; the page draws just the
    // changed trials (data-increments counts those draws). Afterwards every plot count is the
    // completed trials', each line was stroked once (data-stroked: a dropped or doubled line
    // shows), and the brush selects exactly the completed trials inside it, in the table too.
    const stream = await api(base, token, "POST", "/api/v1/experiments", {
      name: "live-increments",
      objective: { metric: "score", goal: "maximize" },
      tuner: { name: "random", seed: 3 },
      max_trials: 16,
      parallelism: 2,
      space: { x: { type: "float", low: 0, high: 1 }, k: { type: "categorical", values: ["a", "b"] } },
      training: { kind: "command", command: ["python3", "-c", "import sys, time; time.sleep(0.3); print('score=%f' % (float(sys.argv[1]) + (sys.argv[2] == 'b')))", "{x}", "{k}"], timeout_seconds: 30 },
    });
    await page.goto(`${base}/#/experiments/${stream.id}`);
    // (The same document: wait for this experiment's page, not the last one's.)
    await page.waitForFunction(() => {
      const name = document.querySelector(".experiment-header .name");
      const p = document.querySelector(".parcoords");
      return name && name.textContent === "live-increments" && p.dataset.axes && p.dataset.axes.includes('"x"');
    }, null, { timeout: 10000 });
    await page.waitForFunction(() => document.querySelector(".live").dataset.live === "open", null, { timeout: 10000 });
    const xAxis = JSON.parse(await page.locator(".parcoords").getAttribute("data-axes")).find((a) => a.name === "x");
    await page.locator(".parcoords-overlay").scrollIntoViewIfNeeded();
    const pc = await page.locator(".parcoords-overlay").boundingBox();
    await page.mouse.move(pc.x + xAxis.x, pc.y + (xAxis.top + xAxis.bottom) / 2);
    await page.mouse.down();
    await page.mouse.move(pc.x + xAxis.x, pc.y + xAxis.top - 2, { steps: 5 });
    await page.mouse.up();
    check("x" in JSON.parse(await page.locator(".parcoords").getAttribute("data-brushes")), "a brush is set on x");
    const streamed = await page.evaluate(() => Number(document.querySelector("[data-plot=history]").dataset.points));
    check(streamed < 16, `the page was open and brushed before the trials had run (${streamed} of 16 completed)`);
    await page.waitForFunction(() => Number(document.querySelector("[data-plot=history]").dataset.points) === 16, null, { timeout: 60000 });
    const trials = (await api(base, token, "GET", `/api/v1/experiments/${stream.id}/trials?limit=100`)).trials.filter((t) => t.state === "completed");
    const inc = await page.evaluate(() => Object.assign({}, document.querySelector(".parcoords").dataset));
    check(trials.length === 16 && Number(inc.lines) === 16, `after the stream the parallel coordinates have one line per completed trial (${inc.lines})`);
    check(Number(inc.stroked) === Number(inc.lines), `each line was stroked once since the canvas was last cleared (${inc.stroked} strokes for ${inc.lines} lines)`);
    check(Number(inc.increments) > 0, `live trials were drawn incrementally (${inc.increments} partial draws)`);
    const [blo, bhi] = JSON.parse(inc.brushes).x;
    const inside = trials.filter((t) => t.params.x >= blo - 1e-6 && t.params.x <= bhi + 1e-6).length;
    check(Number(inc.selected) === inside, `the brush on x [${blo}, ${bhi}] selects the ${inside} completed trials inside it (${inc.selected})`);
    await page.waitForFunction((n) => Number(document.querySelector(".trial-table").dataset.rows) === n, inside, { timeout: 10000 }).catch(() => {});
    check(Number(await page.locator(".trial-table").getAttribute("data-rows")) === inside, "and the table shows exactly those");
    await page.screenshot({ path: path.join(OUT, "experiment-live-increments.png"), fullPage: true });

    // A few more answers for the OpenAPI check: errors, the admin and dataset lists, health.
    for (const u of ["/api/v1/tokens", "/api/v1/datasets", `/api/v1/experiments/${gp.id}/best`, `/api/v1/experiments/${gp.id}/importance`,
                     `/api/v1/experiments/${gp.id}/trials/columns?fields=id,number,state,value,params,attempt,worker,started_at,finished_at,error`,
                     "/api/v1/experiments/999999", "/api/v1/experiments/1/trials/columns?fields=nope", "/api/v1/events", `/api/v1/trials/${failedTrial.id}`]) {
      await api(base, token, "GET", u).catch(() => {});
    }
    const health = await fetch(`${base}/healthz`);
    record("GET", `${base}/healthz`, health.status, health.headers.get("content-type"), await health.text());
    await Promise.all(pending);
    if (RECORDED) fs.writeFileSync(RECORDED, JSON.stringify(recorded));
    check(recorded.length > 20, `recorded ${recorded.length} API answers for the OpenAPI check`);

    check(await page.evaluate(() => window.__pwned === undefined), "no injected handler ran");
    check(dialogs.length === 0, "no dialog opened");
    check(pageErrors.length === 0, `no page errors (${pageErrors.join("; ")})`);
  } finally {
    await browser.close();
  }
}

runTest(main);
