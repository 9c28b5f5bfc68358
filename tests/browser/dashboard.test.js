// Loads the dashboard from a web_demo_server (fake service seeded with hostile strings) in
// headless Chromium and checks that user strings render as text, never as markup.
//   node dashboard.test.js path/to/web_demo_server
// Exit 0: pass, 1: fail, 77: skipped (no chromium or playwright-core).
"use strict";

const { spawn } = require("child_process");
const fs = require("fs");

const CHROMIUM = process.env.KRIGE_CHROMIUM || "/usr/bin/chromium";

function skip(reason) {
  console.log(`SKIP: ${reason}`);
  process.exit(77);
}

let chromium;
try {
  ({ chromium } = require("playwright-core"));
} catch (e) {
  skip("playwright-core not installed (npm install in tests/browser)");
}
if (!fs.existsSync(CHROMIUM)) skip(`${CHROMIUM} not installed`);

function startServer(binary) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    const timer = setTimeout(() => reject(new Error("server did not start")), 10000);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = /listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, address: m[1] });
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
  console.log(`ok - ${message}`);
}

async function main() {
  const binary = process.argv[2];
  if (!binary) throw new Error("usage: dashboard.test.js path/to/web_demo_server");
  const { child, address } = await startServer(binary);
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync"],
    });
    const page = await browser.newPage();
    const dialogs = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      d.dismiss();
    });
    const pageErrors = [];
    page.on("pageerror", (e) => pageErrors.push(String(e)));

    await page.goto(`http://${address}/`);
    const link = page.locator("a.name", { hasText: "<b>x</b>" });
    await link.waitFor({ timeout: 10000 });
    check((await link.textContent()) === "<b>x</b>", "experiment name renders as literal text");
    check((await page.locator("#view b").count()) === 0, "no <b> element was created from the name");
    check((await page.locator("a.name").count()) === 2, "both experiments are listed");

    await link.click();
    await page.waitForFunction(() => /#\/experiments\/\d+$/.test(location.hash));
    const title = page.locator("#view h1 .name");
    await title.waitFor({ timeout: 10000 });
    check((await title.textContent()) === "<b>x</b>", "experiment page title is literal text");
    await page.locator("#view tbody tr td.params").first().waitFor({ timeout: 10000 });
    const params = await page.locator("#view td.params").allTextContents();
    check(params.some((p) => p.includes("<script>alert(1)</script>")), "a <script> param shows as text");
    check(params.some((p) => p.includes("onerror")), "an <img onerror> param shows as text");
    check((await page.locator("#view tbody tr").count()) >= 4, "trials table has the seeded rows");
    check((await page.locator("#view script, #view img").count()) === 0, "no script/img injected");
    check((await page.locator("text=0.95").count()) >= 1, "best value is shown");

    await page.waitForTimeout(2500); // one auto-refresh cycle
    check(/updated/.test(await page.locator("#status").textContent()), "auto-refresh reports success");
    check(await page.evaluate(() => window.__pwned === undefined), "no injected handler ran");
    check(dialogs.length === 0, "no alert() ran");
    check(pageErrors.length === 0, `no page errors (${pageErrors.join("; ")})`);
  } finally {
    if (browser) await browser.close();
    child.kill("SIGKILL");
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e.stack || String(e));
    process.exit(1);
  }
);
