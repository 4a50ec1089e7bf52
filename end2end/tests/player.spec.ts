import * as path from "node:path";
import { expect, test, type Locator, type Page } from "@playwright/test";
import { PROCESSING_TIMEOUT, failOnPageErrors, gotoHydrated, mediaFile, uploadViaApi as upload } from "./helpers";

// The media page's player in the real browser: keyboard shortcuts, speed,
// remembered volume and position, and the links to the neighbouring items.
// Items are uploaded through the multipart API (POST /api/uploads) under
// names unique to this file, so the tests do not depend on each other.


function unique(base: string): string {
  const ext = path.extname(base);
  return `${path.basename(base, ext)}-${Date.now().toString(36)}${ext}`;
}

const time = (player: Locator) => player.evaluate((el) => (el as HTMLMediaElement).currentTime);
const paused = (player: Locator) => player.evaluate((el) => (el as HTMLMediaElement).paused);

async function metadataLoaded(player: Locator): Promise<void> {
  await expect
    .poll(() => player.evaluate((el) => (el as HTMLMediaElement).readyState), {
      message: "the player should load its metadata",
    })
    .toBeGreaterThanOrEqual(1);
}

/** Seeks while paused and waits until the element got there. */
async function seekTo(player: Locator, secs: number): Promise<void> {
  await player.evaluate((el, secs) => {
    (el as HTMLMediaElement).currentTime = secs;
  }, secs);
  await expect.poll(() => time(player)).toBeCloseTo(secs, 1);
}

// Uncaught exceptions in the page (a wasm panic shows up as one) fail the test.
failOnPageErrors();

async function openVideo(page: Page, name: string): Promise<{ id: string; video: Locator }> {
  const id = await upload(page.request, mediaFile("clip.mp4"), unique(name));
  await gotoHydrated(page, `/media/${id}`);
  const video = page.locator('video[data-testid="player"]');
  await expect(video).toHaveCount(1);
  await metadataLoaded(video);
  return { id, video };
}

test("keyboard shortcuts drive the video player", async ({ page }) => {
  const { video } = await openVideo(page, "keys.mp4");
  await expect(page.getByTestId("playback-speed")).toBeVisible();

  // Focus is on the page itself.
  await page.locator("body").click({ position: { x: 2, y: 2 } });
  expect(await paused(video)).toBe(true);
  await page.keyboard.press("k");
  await expect.poll(() => paused(video), { message: "k plays" }).toBe(false);
  await page.keyboard.press("k");
  await expect.poll(() => paused(video), { message: "k pauses" }).toBe(true);

  // Space toggles too, and does not scroll the page.
  await page.setViewportSize({ width: 800, height: 400 });
  const scrolled = () => page.evaluate(() => window.scrollY);
  expect(await scrolled()).toBe(0);
  await page.keyboard.press("Space");
  await expect.poll(() => paused(video), { message: "Space plays" }).toBe(false);
  await page.keyboard.press("Space");
  await expect.poll(() => paused(video), { message: "Space pauses" }).toBe(true);
  expect(await scrolled(), "Space must not scroll the page").toBe(0);

  // Arrows move 5 s.
  await seekTo(video, 2);
  await page.keyboard.press("ArrowRight");
  await expect.poll(() => time(video), { message: "→ seeks 5 s forward" }).toBeCloseTo(7, 1);
  await page.keyboard.press("ArrowLeft");
  await expect.poll(() => time(video), { message: "← seeks 5 s back" }).toBeCloseTo(2, 1);

  // m mutes and unmutes.
  const muted = () => video.evaluate((el) => (el as HTMLMediaElement).muted);
  await page.keyboard.press("m");
  await expect.poll(muted, { message: "m mutes" }).toBe(true);
  await page.keyboard.press("m");
  await expect.poll(muted, { message: "m unmutes" }).toBe(false);

  // f fills the screen with the video, and f again leaves.
  const fullscreen = () => page.evaluate(() => document.fullscreenElement?.tagName ?? null);
  await page.keyboard.press("f");
  await expect.poll(fullscreen, { message: "f requests fullscreen" }).toBe("VIDEO");
  await page.keyboard.press("f");
  await expect.poll(fullscreen, { message: "f leaves fullscreen" }).toBeNull();

  // The speed selector sets the rate; while it has focus, keys are its own.
  const speed = page.getByTestId("playback-speed");
  await expect(speed).toHaveAttribute("aria-label", "Playback speed");
  await speed.selectOption("1.5");
  await expect.poll(() => video.evaluate((el) => (el as HTMLMediaElement).playbackRate)).toBe(1.5);
  await speed.focus();
  await page.keyboard.press("k");
  expect(await paused(video), "k in the speed selector does not play").toBe(true);
  // A rate set elsewhere (the native controls' menu) shows in the selector.
  await video.evaluate((el) => {
    (el as HTMLMediaElement).playbackRate = 0.5;
  });
  await expect(speed).toHaveValue("0.5");
});

test("arrow keys on the waveform slider seek once, by the slider", async ({ page }) => {
  const id = await upload(page.request, mediaFile("tone.mp3"), unique("slider.mp3"));
  await gotoHydrated(page, `/media/${id}`);
  const audio = page.locator('audio[data-testid="player"]');
  await metadataLoaded(audio);
  const waveform = page.getByTestId("waveform");
  // The waveform is drawn once its job is done; reload until then.
  await expect(async () => {
    if ((await waveform.count()) === 0) await gotoHydrated(page, `/media/${id}`);
    await expect(waveform).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: PROCESSING_TIMEOUT });
  await metadataLoaded(audio);

  await seekTo(audio, 1);
  await waveform.focus();
  await page.keyboard.press("ArrowRight");
  await expect.poll(() => time(audio)).toBeCloseTo(6, 1);
  // Nothing else moved it further.
  await expect(waveform).toHaveAttribute("aria-valuenow", "6.0");
  expect(await time(audio)).toBeCloseTo(6, 1);

  // k still plays from the slider: only its arrows are its own.
  await page.keyboard.press("k");
  await expect.poll(() => paused(audio)).toBe(false);
  await page.keyboard.press("k");
  await expect.poll(() => paused(audio)).toBe(true);
});

test("volume and the position are remembered across reloads", async ({ page }) => {
  const { id, video } = await openVideo(page, "resume.mp4");
  await expect(page.getByTestId("resume-notice")).toBeHidden();

  await video.evaluate((el) => {
    (el as HTMLMediaElement).volume = 0.3;
  });
  await seekTo(video, 4);
  await expect
    .poll(() => page.evaluate((id) => localStorage.getItem(`reel.position.${id}`), id), {
      message: "the position is saved",
    })
    .not.toBeNull();
  await expect.poll(() => page.evaluate(() => localStorage.getItem("reel.volume"))).toBe("0.300");

  await gotoHydrated(page, `/media/${id}`);
  await metadataLoaded(video);
  await expect.poll(() => video.evaluate((el) => (el as HTMLMediaElement).volume)).toBeCloseTo(0.3, 2);
  await expect.poll(() => time(video), { message: "playback resumes where it was" }).toBeCloseTo(4, 0);
  const notice = page.getByTestId("resume-notice");
  await expect(notice).toBeVisible();
  await expect(notice).toContainText("Resumed at 0:04");

  // Start over: back to 0, notice gone, nothing left to resume.
  await page.getByTestId("start-over").click();
  await expect.poll(() => time(video)).toBeLessThan(0.5);
  await expect(notice).toBeHidden();
  await gotoHydrated(page, `/media/${id}`);
  await metadataLoaded(video);
  expect(await time(video)).toBeLessThan(0.5);
  await expect(notice).toBeHidden();

  // The volume is the viewer's, not the item's: another item gets it too.
  const audioId = await upload(page.request, mediaFile("tone.mp3"), unique("volume.mp3"));
  await gotoHydrated(page, `/media/${audioId}`);
  const audio = page.locator('audio[data-testid="player"]');
  await metadataLoaded(audio);
  await expect.poll(() => audio.evaluate((el) => (el as HTMLMediaElement).volume)).toBeCloseTo(0.3, 2);
});

test("previous and next go to the neighbouring items, by link and by key", async ({ page }) => {
  // Uploaded oldest first; the library lists newest first.
  const names = ["older", "middle", "newer"].map((n) => unique(`${n}.mp3`));
  const ids: string[] = [];
  for (const name of names) ids.push(await upload(page.request, mediaFile("tone.mp3"), name));
  const [older, middle, newer] = ids;
  const title = (i: number) => path.basename(names[i], ".mp3");

  await gotoHydrated(page, `/media/${middle}`);
  const previous = page.getByTestId("previous-item");
  const next = page.getByTestId("next-item");
  await expect(previous).toHaveAttribute("href", `/media/${newer}`);
  await expect(next).toHaveAttribute("href", `/media/${older}`);
  await expect(next).toHaveAttribute("aria-label", new RegExp(title(0)));

  await next.click();
  await expect(page).toHaveURL(new RegExp(`/media/${older}$`));
  await expect(page.getByTestId("media-heading")).toHaveText(title(0));
  await expect(previous).toHaveAttribute("href", `/media/${middle}`);

  await previous.click();
  await expect(page).toHaveURL(new RegExp(`/media/${middle}$`));
  await expect(page.getByTestId("media-heading")).toHaveText(title(1));

  // n and p do the same from anywhere on the page.
  await expect(previous).toHaveAttribute("href", `/media/${newer}`);
  await page.keyboard.press("p");
  await expect(page).toHaveURL(new RegExp(`/media/${newer}$`));
  await expect(page.getByTestId("media-heading")).toHaveText(title(2));
  await expect(next).toHaveAttribute("href", `/media/${middle}`);
  await page.keyboard.press("n");
  await expect(page).toHaveURL(new RegExp(`/media/${middle}$`));
  await expect(page.getByTestId("media-heading")).toHaveText(title(1));
});
