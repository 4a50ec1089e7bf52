#!/usr/bin/env node
// First-load benchmark (not a test): what a new visitor's headless Chromium
// downloads for a page, and how long until it paints and until the Leptos
// app has hydrated (the app sets `data-hydrated="true"` on <html> then).
//
// Usage:
//   node bench/first_load.mjs [--runs 10] [--path /] [--throttle MBIT,RTT_MS] URL [URL...]
//
// Each URL is a running Reel server, e.g. the release build started as
//   LEPTOS_OUTPUT_NAME=reel LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
//   LEPTOS_ENV=PROD LEPTOS_HASH_FILES=true REEL_DATA_DIR=$(mktemp -d) \
//   REEL_LISTEN=127.0.0.1:3950 target/release/reel
// Give two servers (say, before and after a change) and their loads
// interleave, so that other work on a shared machine slows both alike.
//
// Every load uses a fresh browser context (empty cache); then the same
// context opens the page once more, which shows what a returning visitor
// still downloads. Without --throttle the network is loopback, so the times
// are mostly the browser's own work (parse, compile, hydrate); with
// --throttle 10,40 Chromium limits downloads to 10 Mbit/s with a 40 ms RTT.
// Reports medians over the runs, and the bytes of the first run (they do
// not vary). Needs end2end's npm packages (scripts/setup.sh) and Debian's
// /usr/bin/chromium, launched as the end-to-end tests launch it.

import { createRequire } from "node:module";

// Playwright lives in end2end/node_modules, not next to this script.
const require = createRequire(new URL("../end2end/package.json", import.meta.url));
const { chromium } = require("@playwright/test");

function parseArgs(argv) {
  const options = { runs: 10, path: "/", throttle: null, urls: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--runs") options.runs = Number(argv[++i]);
    else if (arg === "--path") options.path = argv[++i];
    else if (arg === "--throttle") {
      const [mbit, rtt] = argv[++i].split(",").map(Number);
      options.throttle = { mbit, rtt };
    } else if (arg.startsWith("--")) throw new Error(`unknown option ${arg}`);
    else options.urls.push(arg.replace(/\/$/, ""));
  }
  if (options.urls.length === 0 || !(options.runs > 0)) {
    throw new Error("usage: node bench/first_load.mjs [--runs N] [--path P] [--throttle MBIT,RTT_MS] URL [URL...]");
  }
  return options;
}

// Records when the app marks <html> hydrated, in the page's own clock
// (the same one paint timings use), before any page script runs.
function watchHydration() {
  const record = () => {
    if (window.__hydratedAt === undefined && document.documentElement?.dataset.hydrated === "true") {
      window.__hydratedAt = performance.now();
    }
  };
  new MutationObserver(record).observe(document, {
    attributes: true,
    subtree: true,
    childList: true,
    attributeFilter: ["data-hydrated"],
  });
}

// Reads timings and per-resource sizes (Resource Timing: transferSize is
// what came over the wire, headers included; 0 when served from cache).
function collect() {
  const nav = performance.getEntriesByType("navigation")[0];
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  const entries = [nav, ...performance.getEntriesByType("resource")].map((e) => ({
    name: new URL(e.name).pathname,
    transfer: e.transferSize,
    encoded: e.encodedBodySize,
    decoded: e.decodedBodySize,
  }));
  return { fcp: fcp?.startTime ?? NaN, hydrated: window.__hydratedAt, entries };
}

async function load(context, url, throttle) {
  const page = await context.newPage();
  if (throttle) {
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: throttle.rtt,
      downloadThroughput: (throttle.mbit * 1e6) / 8,
      uploadThroughput: (throttle.mbit * 1e6) / 8,
    });
  }
  // Requests still open if the app never hydrates: the likely culprit.
  const pending = new Set();
  page.on("request", (r) => pending.add(r.url()));
  page.on("requestfinished", (r) => pending.delete(r.url()));
  page.on("requestfailed", (r) => pending.delete(r.url()));
  await page.goto(url, { waitUntil: "load" });
  try {
    await page.waitForFunction(() => window.__hydratedAt !== undefined, null, { timeout: 60_000 });
  } catch (error) {
    throw new Error(`${url} did not hydrate; still open: ${[...pending].join(", ") || "nothing"}`, { cause: error });
  }
  const result = await page.evaluate(collect);
  await page.close();
  return result;
}

function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const kb = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;
const ms = (value) => `${value.toFixed(0)} ms`;

function kind(name) {
  if (name.startsWith("/pkg/")) return name.endsWith(".wasm") ? "wasm" : "pkg";
  return "other";
}

function report(url, results) {
  const first = results[0].cold.entries;
  const sum = (entries, key, filter = () => true) =>
    entries.filter((e) => filter(e)).reduce((total, e) => total + e[key], 0);
  console.log(`\n${url}  (${results.length} loads)`);
  console.log(`  first contentful paint  median ${ms(median(results.map((r) => r.cold.fcp)))}`);
  console.log(`  hydrated                median ${ms(median(results.map((r) => r.cold.hydrated)))}`);
  console.log(`  repeat visit hydrated   median ${ms(median(results.map((r) => r.warm.hydrated)))}`);
  console.log("  first load, per resource (wire = transferSize; body = encoded / decoded):");
  for (const e of first) {
    console.log(`    ${e.name.padEnd(48)} wire ${kb(e.transfer).padStart(10)}  body ${kb(e.encoded)} / ${kb(e.decoded)}`);
  }
  console.log(`  first load total on the wire   ${kb(sum(first, "transfer"))}` +
    ` (wasm ${kb(sum(first, "transfer", (e) => kind(e.name) === "wasm"))},` +
    ` js+css ${kb(sum(first, "transfer", (e) => kind(e.name) === "pkg"))},` +
    ` page and the rest ${kb(sum(first, "transfer", (e) => kind(e.name) === "other"))})`);
  const warm = results[0].warm.entries;
  const fetched = warm.filter((e) => e.transfer > 0).map((e) => e.name);
  console.log(`  repeat visit on the wire       ${kb(sum(warm, "transfer"))} (requests that went out: ${fetched.join(", ") || "none"})`);
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const results = new Map(options.urls.map((url) => [url, []]));
  try {
    // One unmeasured load per server first: the server's own caches warm up.
    for (const url of options.urls) {
      const context = await browser.newContext();
      await context.addInitScript(watchHydration);
      await load(context, url + options.path, options.throttle);
      await context.close();
    }
    for (let run = 0; run < options.runs; run++) {
      for (const url of options.urls) {
        const context = await browser.newContext();
        await context.addInitScript(watchHydration);
        const cold = await load(context, url + options.path, options.throttle);
        const warm = await load(context, url + options.path, options.throttle);
        await context.close();
        results.get(url).push({ cold, warm });
      }
    }
  } finally {
    await browser.close();
  }
  console.log(`first load of ${options.path}` + (options.throttle
    ? `, throttled to ${options.throttle.mbit} Mbit/s with ${options.throttle.rtt} ms RTT`
    : ", loopback network"));
  for (const [url, runs] of results) report(url, runs);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
