// The dashboard shows why an experiment waits: a real krige-server (PostgreSQL from the ctest
// fixture, tokens on) and a real krige-worker (it serves cv only); an experiment with
// `training.kind: function` that nobody serves, named with HTML, must show its `waiting` reason
// as a banner on its page and a "waiting" badge in the experiments list, both as text; a
// stopped one of the same kind shows neither.
//   node waiting.test.js SERVER WORKER PG_CLUSTER PG_STATE OUT_DIR
// Exit 0: pass, 1: fail, 77: skipped (no chromium or playwright-core).
"use strict";

const { execFileSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const { chromiumOrSkip, check, start, api, until, run, CHROMIUM } = require("./harness");

const chromium = chromiumOrSkip();

const [SERVER, WORKER, PG_CLUSTER, PG_STATE, OUT] = process.argv.slice(2);
const HOSTILE = '<img src=x onerror="window.__pwned=1"> waits & <b>bold</b>';





function functionSpec(name) {
  return {
    name,
    objective: { metric: "loss", goal: "minimize" },
    tuner: { name: "random", seed: 1 },
    max_trials: 3,
    space: { x: { type: "float", low: 0, high: 1 } },
    training: { kind: "function", function: "nobody_serves_this" },
  };
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "krige-waiting-"));
  const [pgDir] = fs.readFileSync(PG_STATE, "utf8").split("\n");
  const db = `waiting_${process.pid}`;
  const url = execFileSync(PG_CLUSTER, ["createdb", path.join(pgDir, "cluster"), db], { encoding: "utf8" }).trim();
  const tokenFile = path.join(tmp, "token");
  const server = await start(
    SERVER,
    ["--database-url", url, "--http", "127.0.0.1:0", "--zmq", "tcp://127.0.0.1:*", "--auth", "on", "--token-file", tokenFile, "--artifact-root", path.join(tmp, "artifacts"), "--log-level", "warn"],
    /listening http=(\S+) zmq=(\S+)/
  );
  const base = server.match[1];
  const zmq = server.match[2];
  const token = fs.readFileSync(tokenFile, "utf8").trim();
  await start(WORKER, ["--connect", zmq, "--slots", "1", "--id", "cv-only", "--cache-dir", path.join(tmp, "cache"), "--log-level", "warn"], null);
  await until("the worker", async () => (await api(base, token, "GET", "/api/v1/workers")).workers.some((w) => w.id === "cv-only" && w.state === "alive"), 20000);

  const waiting = await api(base, token, "POST", "/api/v1/experiments", functionSpec(HOSTILE));
  const stopped = await api(base, token, "POST", "/api/v1/experiments", functionSpec("stopped one"));
  await api(base, token, "POST", `/api/v1/experiments/${stopped.id}/stop`);
  // The server notes the connected workers' kinds every few seconds.
  const reason = await until("the waiting reason", async () => (await api(base, token, "GET", `/api/v1/experiments/${waiting.id}`)).waiting, 20000);
  check(reason.includes("function:nobody_serves_this") && reason.includes("cv"), `the API says why it waits: "${reason}"`);
  check((await api(base, token, "GET", `/api/v1/experiments/${stopped.id}`)).waiting === undefined, "a stopped experiment does not wait");

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const dialogs = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      d.dismiss();
    });
    const pageErrors = [];
    page.on("pageerror", (e) => pageErrors.push(String(e)));

    await page.goto(`${base}/#/`);
    await page.locator("form.signin input#token").fill(token);
    await page.locator("form.signin button[type=submit]").click();
    const row = (id) => page.locator("tr", { has: page.locator(`a[href="#/experiments/${id}"]`) });
    await row(waiting.id).waitFor({ timeout: 10000 });
    check((await row(waiting.id).locator("a.name").textContent()) === HOSTILE, "the list shows the HTML name as text");
    const badge = row(waiting.id).locator(".badge.waiting");
    check((await badge.count()) === 1 && (await badge.textContent()) === "waiting", "the waiting experiment has a waiting badge in the list");
    check((await badge.getAttribute("title")) === reason, "whose title is the reason");
    check((await row(stopped.id).locator(".badge.waiting").count()) === 0, "the stopped one has none");
    await page.screenshot({ path: path.join(OUT, "waiting-list.png"), fullPage: true });

    await page.goto(`${base}/#/experiments/${waiting.id}`);
    const banner = page.locator(".experiment-header .waiting-banner");
    await banner.waitFor({ timeout: 10000 });
    check(await banner.isVisible(), "its page shows a waiting banner");
    check((await banner.locator(".waiting-reason").textContent()) === reason, "with the server's reason, word for word");
    check((await page.locator(".experiment-header h1 .name").textContent()) === HOSTILE, "the page title is the HTML name as text");
    await page.screenshot({ path: path.join(OUT, "waiting-experiment.png"), fullPage: true });

    await page.goto(`${base}/#/experiments/${stopped.id}`);
    await page.locator(".experiment-header h1 .name", { hasText: "stopped one" }).waitFor({ timeout: 10000 });
    check((await page.locator(".waiting-banner").count()) === 0, "a stopped experiment's page has no banner");
    check(!/\bnull\b/.test(await page.locator(".experiment-header").textContent()), "and no stray \"null\" in its header");

    check((await page.locator("#view img").count()) === 0 && (await page.locator("#view b").count()) === 0, "no <img> or <b> was made from the name");
    check(await page.evaluate(() => window.__pwned === undefined), "no injected handler ran");
    check(dialogs.length === 0, "no dialog opened");
    check(pageErrors.length === 0, `no page errors (${pageErrors.join("; ")})`);
  } finally {
    await browser.close();
  }
}

run(main);
