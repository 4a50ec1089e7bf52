// Seek-to-play latency in headless Chromium (not a test): the item's page
// plays its HLS ladder through hls.js; the same page then plays the
// progressive copy in a plain <video>. Both get the same 20 seeded random
// targets; each seek is timed from setting currentTime until the element
// plays past the target. Prints JSON: {"hls": [ms…], "progressive": [ms…]}.
//
// Usage: node bench/seek.mjs ORIGIN ITEM_ID DURATION_SECS
// The item must be public (the page is opened without signing in).

import { createRequire } from "node:module";

const require = createRequire(new URL("../end2end/package.json", import.meta.url));
const { chromium } = require("@playwright/test");

const [origin, id, durationText] = process.argv.slice(2);
const duration = Number(durationText);
const SEEKS = 20;

// A small linear congruential generator: the same targets every run.
function targets() {
  let state = 12345;
  const out = [];
  for (let i = 0; i < SEEKS; i += 1) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    out.push(5 + (state / 2 ** 31) * (duration - 20));
  }
  return out;
}

async function timeSeeks(page, selector, list) {
  return page.evaluate(
    async ({ selector, list }) => {
      const m = document.querySelector(selector);
      m.muted = true;
      await m.play();
      const took = [];
      for (const target of list) {
        const started = performance.now();
        m.currentTime = target;
        await new Promise((resolve) => {
          const check = () => {
            if (!m.seeking && !m.paused && m.currentTime > target + 0.05) resolve();
            else requestAnimationFrame(check);
          };
          check();
        });
        took.push(performance.now() - started);
      }
      m.pause();
      return took;
    },
    { selector, list },
  );
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"],
});
try {
  const page = await browser.newPage();
  await page.goto(`${origin}/media/${id}`);
  await page.waitForSelector('html[data-hydrated="true"]');
  await page.waitForSelector('video[data-ladder]');
  const list = targets();
  const hls = await timeSeeks(page, 'video[data-testid="player"]', list);
  await page.evaluate((src) => {
    const v = document.createElement("video");
    v.id = "progressive";
    v.preload = "auto";
    v.src = src;
    document.body.append(v);
  }, `${origin}/files/${id}/playable`);
  const progressive = await timeSeeks(page, "#progressive", list);
  console.log(JSON.stringify({ hls, progressive }));
} finally {
  await browser.close();
}
