// Loads the dashboard from a web_demo_server (fake service seeded with hostile strings, auth on
// with one read token) in headless Chromium: signs in with the token, and checks that user
// strings render as text, never as markup.
//   node dashboard.test.js path/to/web_demo_server
// Exit 0: pass, 1: fail, 77: skipped (no chromium or playwright-core).
"use strict";

const { spawn } = require("child_process");
const fs = require("fs");

const { chromiumOrSkip, check, CHROMIUM } = require("./harness");

const TOKEN = "krg_browser_test_" + Math.random().toString(36).slice(2);
const chromium = chromiumOrSkip();

function startServer(binary) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, KRIGE_DEMO_TOKEN: TOKEN },
    });
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
    const requests = [];
    page.on("request", (r) => requests.push({ url: r.url(), auth: r.headers()["authorization"] }));

    const response = await page.goto(`http://${address}/`);
    const headers = response.headers();
    check(/script-src 'self'/.test(headers["content-security-policy"] || ""), "the page has a CSP allowing only its own scripts");
    check(headers["x-frame-options"] === "DENY", "the page cannot be framed");

    // Without a token the API answers 401 and the page asks for one.
    const input = page.locator("form.signin input#token");
    await input.waitFor({ timeout: 10000 });
    check((await page.locator("a.name").count()) === 0, "nothing is listed before signing in");
    await input.fill("krg_wrong");
    await page.locator("form.signin button[type=submit]").click();
    await page.locator("form.signin .error-text, section .error-text").first().waitFor({ timeout: 10000 });
    check(await input.isVisible(), "a wrong token is refused and the form shown again");

    await page.locator("form.signin input#token").fill(TOKEN);
    await page.locator("form.signin button[type=submit]").click();
    const imgName = page.locator("a.name", { hasText: "<img src=x onerror=alert(1)>" });
    await imgName.waitFor({ timeout: 10000 });
    check((await imgName.textContent()) === "<img src=x onerror=alert(1)>", "an <img onerror> experiment name renders as text");
    check((await page.locator("#view img").count()) === 0, "no <img> element was created from the name");
    check(await page.evaluate(() => sessionStorage.getItem("krige.token")) === TOKEN, "the token is kept in sessionStorage");
    check(await page.locator("#signout").isVisible(), "a sign-out button is shown");
    const apiCalls = requests.filter((r) => r.url.includes("/api/v1/"));
    check(apiCalls.length > 0 && apiCalls.every((r) => !r.url.includes(TOKEN)), "the token never appears in a URL");
    check(apiCalls.some((r) => r.auth === `Bearer ${TOKEN}`), "the token goes as a Bearer header");

    // A reload keeps the session (sessionStorage), no second sign-in.
    await page.reload();
    await page.locator("a.name", { hasText: "<b>x</b>" }).waitFor({ timeout: 10000 });

    const link = page.locator("a.name", { hasText: "<b>x</b>" });
    await link.waitFor({ timeout: 10000 });
    check((await link.textContent()) === "<b>x</b>", "experiment name renders as literal text");
    check((await page.locator("#view b").count()) === 0, "no <b> element was created from the name");
    check((await page.locator("a.name").count()) === 3, "all three experiments are listed");

    await link.click();
    await page.waitForFunction(() => /#\/experiments\/\d+$/.test(location.hash));
    const title = page.locator("#view h1 .name");
    await title.waitFor({ timeout: 10000 });
    check((await title.textContent()) === "<b>x</b>", "experiment page title is literal text");
    await page.locator(".trial-table tbody tr td.param").first().waitFor({ timeout: 10000 });
    const params = await page.locator(".trial-table td.param").allTextContents();
    check(params.some((p) => p.includes("<script>alert(1)</script>")), "a <script> param shows as text");
    check(params.some((p) => p.includes("onerror")), "an <img onerror> param shows as text");
    check((await page.locator(".trial-table tbody tr").count()) >= 4, "trials table has the seeded rows");
    check((await page.locator("#view script, #view img").count()) === 0, "no script/img injected");
    check((await page.locator("text=0.95").count()) >= 1, "best value is shown");

    await page.waitForTimeout(2500); // one auto-refresh cycle
    check(/updated/.test(await page.locator("#status").textContent()), "auto-refresh reports success");
    check(await page.evaluate(() => window.__pwned === undefined), "no injected handler ran");
    check(dialogs.length === 0, "no alert() ran");
    check(pageErrors.length === 0, `no page errors (${pageErrors.join("; ")})`);

    // Signing out forgets the token.
    await page.locator("#signout").click();
    await page.locator("form.signin input#token").waitFor({ timeout: 10000 });
    check(await page.evaluate(() => sessionStorage.getItem("krige.token")) === null, "sign-out clears the token");
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
