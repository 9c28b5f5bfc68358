// Driven by dashboard_bench.cpp: opens an experiment page in headless Chromium and measures,
// with the Performance API (performance.now() counts from the navigation), when the
// optimization history and the parallel coordinates were drawn; then, `live` times, asks the
// bench program to complete one more trial (dashboard_bench --insert) and measures until the
// page has drawn it. Prints one JSON line.
//   node dashboard_bench.js BASE_URL EXPERIMENT_ID NAVIGATIONS LIVE INSERT_COMMAND...
"use strict";
const path = require("path");
const { execFileSync } = require("child_process");
const { chromium } = require(path.join(__dirname, "../browser/node_modules/playwright-core"));

const [base, id, navigations, live, ...insert] = process.argv.slice(2);

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.KRIGE_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const out = { history_ms: [], parcoords_ms: [], loaded_ms: [], live_ms: [], live_with_insert_ms: [] };
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    for (let i = 0; i < Number(navigations); i++) {
      await page.goto("about:blank");
      await page.goto(`${base}/#/experiments/${id}`);
      await page.waitForFunction(() => {
        const h = document.querySelector("[data-plot=history]");
        const p = document.querySelector(".parcoords");
        return h && p && h.dataset.drawn && p.dataset.drawn;
      }, null, { timeout: 120000, polling: 50 });
      const t = await page.evaluate(() => ({
        history: Number(document.querySelector("[data-plot=history]").dataset.drawn),
        parcoords: Number(document.querySelector(".parcoords").dataset.drawn),
        loaded: Number(document.querySelector(".experiment-page").dataset.loaded),
        points: Number(document.querySelector("[data-plot=history]").dataset.points),
        lines: Number(document.querySelector(".parcoords").dataset.lines),
      }));
      out.history_ms.push(t.history);
      out.parcoords_ms.push(t.parcoords);
      out.loaded_ms.push(t.loaded);
      out.points = t.points;
      out.lines = t.lines;
    }
    await page.waitForFunction(() => document.querySelector(".live").dataset.live === "open", null, { timeout: 30000 });
    for (let i = 0; i < Number(live); i++) {
      const before = await page.evaluate(() => Number(document.querySelector("[data-plot=history]").dataset.points));
      const start = Date.now();
      const printed = execFileSync(insert[0], insert.slice(1), { encoding: "utf8" });
      const committed = Number((/committed_ms=(\d+)/.exec(printed) || [])[1]);
      if (!committed) throw new Error(`the insert printed no commit time: ${printed}`);
      try {
        await page.waitForFunction((n) => Number(document.querySelector("[data-plot=history]").dataset.points) > n, before, { timeout: 30000, polling: 10 });
      } catch (e) {
        const state = await page.evaluate(() => ({ ...document.querySelector(".experiment-page").dataset, live: document.querySelector(".live").dataset.live, points: document.querySelector("[data-plot=history]").dataset.points }));
        throw new Error(`no live update within 30 s (before: ${before}, page: ${JSON.stringify(state)})`);
      }
      const seen = Date.now();
      out.live_ms.push(seen - committed);
      out.live_with_insert_ms.push(seen - start);
      await page.waitForTimeout(300);
    }
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(out));
}
main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
