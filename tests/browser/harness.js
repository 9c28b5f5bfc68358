// What the browser tests share: Debian's Chromium driven by playwright-core (a test exits 77,
// "skipped", when either is missing), check(), child processes started and waited for, the
// REST helper with its recorder of JSON answers (for validate_openapi.py), and the run of a
// test's main with its children stopped at the end.
"use strict";

const { spawn } = require("child_process");
const fs = require("fs");

const CHROMIUM = process.env.KRIGE_CHROMIUM || "/usr/bin/chromium";

function skip(reason) {
  console.log(`SKIP: ${reason}`);
  process.exit(77);
}

// playwright-core's chromium, or a skip.
function chromiumOrSkip() {
  let chromium;
  try {
    ({ chromium } = require("playwright-core"));
  } catch (e) {
    skip("playwright-core not installed (npm ci in tests/browser)");
  }
  if (!fs.existsSync(CHROMIUM)) skip(`${CHROMIUM} not installed`);
  return chromium;
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
  console.log(`ok - ${message}`);
}

const children = [];
// Starts `binary` (with `env` added to this process's environment); resolves with the first
// match of `waitFor` on its stdout, or at once when there is none.
function start(binary, args, waitFor, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    children.push(child);
    if (!waitFor) return resolve({ child, match: [] });
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${binary} did not start: ${out}`)), 20000);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = waitFor.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m });
      }
    });
    child.stderr.on("data", (c) => {
      if (process.env.KRIGE_TEST_VERBOSE) process.stderr.write(c);
    });
    child.on("exit", (code) => reject(new Error(`${binary} exited with ${code}: ${out}`)));
  });
}

// The JSON answers seen, as validate_openapi.py reads them.
const recorded = [];
function record(method, url, status, contentType, text) {
  if (!/application\/json/.test(contentType || "")) return;
  const u = new URL(url);
  try {
    recorded.push({ method, path: u.pathname, query: u.search, status, body: JSON.parse(text) });
  } catch (e) {
    // not JSON after all
  }
}

async function api(base, token, method, url, body) {
  const response = await fetch(base + url, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  record(method, base + url, response.status, response.headers.get("content-type"), text);
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`);
  return JSON.parse(text);
}

async function until(what, f, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// Runs the test's main; exits 0 when it resolves, 1 when it throws, its children stopped.
function run(main) {
  const stop = () => {
    for (const c of children) c.kill("SIGTERM");
  };
  main().then(
    () => {
      stop();
      process.exit(0);
    },
    (e) => {
      console.error(e.stack || String(e));
      stop();
      process.exit(1);
    }
  );
}

module.exports = { CHROMIUM, chromiumOrSkip, check, start, api, until, record, recorded, run };
