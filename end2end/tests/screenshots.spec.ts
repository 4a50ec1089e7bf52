import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { ADMIN } from "./admin";
import { PROCESSING_TIMEOUT, failOnPageErrors, generateMedia, gotoHydrated, mediaFile, uploadRow, uploadViaApi } from "./helpers";

// Screenshots of the library and the media page as a person sees them, at
// phone (390×844) and desktop (1280×800) widths, light and dark. They are
// written to end2end/screenshots/ (gitignored); CI keeps that directory as an
// artifact. Look at them: the tests only check that nothing shifts or spills.
//
// The shared test server already holds other tests' items, so this file runs
// its own server (the same release binary) on a fresh, empty data directory:
// first the empty library, then one upload in flight, then 20 items.

export const SHOTS_DIR = path.resolve(__dirname, "..", "screenshots");
const root = path.resolve(__dirname, "..", "..");
const port = Number(process.env.REEL_SHOTS_PORT ?? 3917);
const baseURL = `http://127.0.0.1:${port}`;

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const SIZES = { phone: PHONE, desktop: DESKTOP } as const;
const SCHEMES = ["light", "dark"] as const;

test.describe.configure({ mode: "serial" });
test.use({ baseURL });

let server: ChildProcess | undefined;
let dataDir = "";
let serverLog = "";
let session = "";

test.beforeAll(async () => {
  test.setTimeout(90_000);
  const binary = path.join(root, "target", "release", "reel");
  test.skip(!fs.existsSync(binary), `no release build at ${binary}`);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "reel-shots-"));
  fs.mkdirSync(SHOTS_DIR, { recursive: true });
  server = spawn(binary, [], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      REEL_LISTEN: `127.0.0.1:${port}`,
      REEL_DATA_DIR: dataDir,
      REEL_UPLOAD_CHUNK_SIZE: "1MiB",
      REEL_ADMIN_USER: ADMIN.name,
      REEL_ADMIN_PASSWORD: ADMIN.password,
      LEPTOS_OUTPUT_NAME: "reel",
      LEPTOS_SITE_ROOT: "target/site",
      LEPTOS_SITE_PKG_DIR: "pkg",
      LEPTOS_ENV: "PROD",
      RUST_LOG: "warn",
    },
  });
  const keep = (chunk: Buffer) => {
    serverLog = (serverLog + chunk.toString()).slice(-8_000);
  };
  server.stdout?.on("data", keep);
  server.stderr?.on("data", keep);
  await expect
    .poll(
      async () => {
        if (server?.exitCode !== null) return `exited: ${serverLog}`;
        try {
          return (await fetch(`${baseURL}/healthz`)).status;
        } catch {
          return "down";
        }
      },
      { message: "the screenshot server should start", timeout: 60_000 },
    )
    .toBe(200);
  // This server's own session (the shared server's cookie means nothing here).
  const login = await fetch(`${baseURL}/api/login`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username: ADMIN.name, password: ADMIN.password }),
  });
  expect(login.status).toBe(200);
  session = (login.headers.get("set-cookie") ?? "").split(";")[0].split("=")[1] ?? "";
  expect(session).not.toBe("");
});

test.beforeEach(async ({ context }) => {
  await context.clearCookies();
  await context.addCookies([{ name: "reel_session", value: session, url: baseURL }]);
});

test.afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

// Uncaught exceptions in the page (a wasm panic shows up as one) fail the test.
failOnPageErrors();

/** Counts layout shifts from the first byte (cumulative layout shift). */
async function watchLayoutShift(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __cls: number };
    w.__cls = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[]) {
        if (!entry.hadRecentInput) w.__cls += entry.value;
      }
    }).observe({ type: "layout-shift", buffered: true });
  });
}

async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => Array.from(document.images).every((img) => img.complete));
  await page.evaluate(() => document.fonts.ready);
}

/** The page never scrolls sideways. */
async function expectNoOverflow(page: Page, what: string): Promise<void> {
  const widths = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    view: document.documentElement.clientWidth,
  }));
  expect(widths.scroll, `${what} spills sideways`).toBeLessThanOrEqual(widths.view);
}

/** Takes the shot at every size and scheme asked for, checking each. */
async function shoot(
  page: Page,
  name: string,
  sizes: (keyof typeof SIZES)[] = ["phone", "desktop"],
  schemes: readonly (typeof SCHEMES)[number][] = SCHEMES,
): Promise<void> {
  for (const size of sizes) {
    await page.setViewportSize(SIZES[size]);
    for (const scheme of schemes) {
      await page.emulateMedia({ colorScheme: scheme });
      await settled(page);
      await expectNoOverflow(page, `${name} at ${size} width (${scheme})`);
      await page.screenshot({ path: path.join(SHOTS_DIR, `${name}-${size}-${scheme}.png`), fullPage: true });
    }
  }
}

/** Small media of different colours and pitches, made once. */
function tinyMedia(i: number): string {
  const video = i % 2 === 0;
  const name = video ? `tiny-${i}.mp4` : `tiny-${i}.mp3`;
  const args = video
    ? [
        "-f", "lavfi", "-i", `testsrc2=duration=2:size=320x180:rate=10,hue=h=${i * 18}`,
        "-f", "lavfi", "-i", `sine=frequency=${300 + i * 20}:duration=2`,
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-movflags", "+faststart",
      ]
    : ["-f", "lavfi", "-i", `sine=frequency=${300 + i * 20}:duration=3`, "-c:a", "libmp3lame", "-b:a", "64k"];
  return generateMedia(name, args);
}

const TITLES = [
  "Sunrise over the harbour", "Kitchen radio", "Bike ride — long version with a very long title that wraps",
  "Birthday", "Voice memo 12", "Snow", "Rehearsal take 3", "Piano", "Garden timelapse", "Podcast intro",
  "Drone shot", "Rain on the roof", "Beach", "Interview", "Fireworks 2025", "Night walk", "Cat", "Lecture",
  "Skate park", "Demo tape",
];

test("the empty library", async ({ page }) => {
  await watchLayoutShift(page);
  await gotoHydrated(page, "/");
  await expect(page.getByTestId("library-empty")).toBeVisible();
  await shoot(page, "library-empty");
});

test("the library during an upload", async ({ page }) => {
  await gotoHydrated(page, "/");
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 20,
    downloadThroughput: -1,
    uploadThroughput: 300 * 1024,
  });
  await page.getByTestId("file-input").setInputFiles(mediaFile("long.wav"));
  const row = uploadRow(page, "long.wav");
  await expect
    .poll(async () => Number((await row.getByTestId("upload-progress").getAttribute("value")) ?? 0), {
      timeout: 30_000,
    })
    .toBeGreaterThanOrEqual(10);
  await shoot(page, "library-uploading", ["phone", "desktop"], ["light"]);
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: -1,
  });
  await expect(row).toHaveAttribute("data-state", /^(processing|ready)$/, { timeout: 60_000 });
});

test("the library with 20 items", async ({ page }) => {
  test.setTimeout(240_000);
  for (let i = 0; i < TITLES.length; i++) {
    const file = tinyMedia(i);
    await uploadViaApi(page.request, file, `${TITLES[i]}${path.extname(file)}`);
  }
  await watchLayoutShift(page);
  await gotoHydrated(page, "/");
  const cards = page.getByTestId("media-card");
  await expect.poll(() => cards.count()).toBeGreaterThanOrEqual(20);
  await expect(page.locator('[data-testid="media-card"][data-state="processing"]')).toHaveCount(0, {
    timeout: 180_000,
  });
  // A fresh load with every poster there: nothing may move while they load.
  await gotoHydrated(page, "/");
  await settled(page);
  const cls = await page.evaluate(() => (window as unknown as { __cls: number }).__cls);
  expect(cls, "cumulative layout shift of the library").toBeLessThan(0.05);
  await shoot(page, "library-20-items");
});

for (const kind of ["video", "audio"] as const) {
  test(`the media page of ${kind === "audio" ? "an" : "a"} ${kind}`, async ({ page }) => {
    // Long enough for scrub previews (the tiny clips above are too short).
    const file = mediaFile(kind === "video" ? "clip.mp4" : "tone.mp3");
    const name = kind === "video" ? "Harbour at dawn.mp4" : "Morning tone.mp3";
    const id = await uploadViaApi(page.request, file, name);

    // The seek widget shows once its job is done: load again until then.
    const widget = page.getByTestId(kind === "video" ? "scrub-bar" : "waveform");
    await expect(async () => {
      await gotoHydrated(page, `/media/${id}`);
      await expect(widget).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: PROCESSING_TIMEOUT });

    // Measured on a fresh load with everything in place.
    await watchLayoutShift(page);
    await gotoHydrated(page, `/media/${id}`);
    const player = page.locator(`${kind}[data-testid="player"]`);
    await expect
      .poll(() => player.evaluate((el) => (el as HTMLMediaElement).readyState))
      .toBeGreaterThanOrEqual(1);
    await settled(page);
    const cls = await page.evaluate(() => (window as unknown as { __cls: number }).__cls);
    expect(cls, `cumulative layout shift of the ${kind} page`).toBeLessThan(0.05);
    await shoot(page, `media-${kind}`);

    // Keyboard focus is visible: tab to the speed selector and look.
    await page.setViewportSize(DESKTOP);
    await page.emulateMedia({ colorScheme: "light" });
    await page.getByTestId("playback-speed").focus();
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Tab");
    const outline = await page
      .getByTestId("playback-speed")
      .evaluate((el) => getComputedStyle(el).outlineStyle);
    expect(outline, "the focused selector shows a focus ring").not.toBe("none");
    await page.screenshot({ path: path.join(SHOTS_DIR, `media-${kind}-focus-desktop-light.png`) });
  });
}
