import { expect, test } from "@playwright/test";
import { dropFiles, expectRowReady, failOnPageErrors, generateMedia, gotoHydrated, uploadRow } from "./helpers";

// Live processing in the browser: the waveform of an audio file seeks its
// player, and a video that must be converted shows moving progress until the
// converted copy plays. The media is generated here with the real ffmpeg.

const DROP_ZONE = '[data-testid="drop-zone"]';
const WAV = "sine-8s.wav";
const WAV_SECONDS = 8;
// MPEG-4 part 2 in Matroska: no browser plays it, so the server converts it.
const MKV = "testsrc-720p-mpeg4.mkv";


// Uncaught exceptions in the page (a wasm panic shows up as one) fail the test.
failOnPageErrors();

test("an audio file's waveform is drawn and seeks its player by click and keys", async ({ page }) => {
  const file = generateMedia(WAV, [
    "-f", "lavfi", "-i", `sine=frequency=440:sample_rate=44100:duration=${WAV_SECONDS}`,
    "-af", "volume=0.8",
    "-ac", "1", "-c:a", "pcm_s16le",
  ]);
  await gotoHydrated(page, "/");
  await dropFiles(page, DROP_ZONE, [file]);
  const id = await expectRowReady(uploadRow(page, WAV));

  // A fresh load: the waveform must be in the server-rendered page.
  await gotoHydrated(page, `/media/${id}`);
  const waveform = page.getByTestId("waveform");
  await expect(waveform).toBeVisible();
  await expect(waveform).toHaveAttribute("role", "slider");
  expect(await waveform.locator("rect").count(), "bars are drawn").toBeGreaterThan(20);
  const playhead = page.getByTestId("waveform-playhead");
  await expect(playhead).toHaveCount(1);

  const audio = page.locator('audio[data-testid="player"]');
  await expect(audio).toHaveCount(1);
  await expect
    .poll(() => audio.evaluate((el) => (el as HTMLMediaElement).readyState), {
      message: "the audio's metadata should load",
    })
    .toBeGreaterThanOrEqual(1);
  const duration = await audio.evaluate((el) => (el as HTMLMediaElement).duration);
  expect(Math.abs(duration - WAV_SECONDS), `duration ${duration}`).toBeLessThan(0.3);

  const box = await waveform.boundingBox();
  expect(box, "the waveform has a size").not.toBeNull();
  await waveform.click({ position: { x: box!.width * 0.75, y: box!.height / 2 } });
  await expect
    .poll(() => audio.evaluate((el) => (el as HTMLMediaElement).currentTime), {
      message: "a click at 75 % should seek to 75 % of the duration",
    })
    .toBeCloseTo(duration * 0.75, 0);
  const time = await audio.evaluate((el) => (el as HTMLMediaElement).currentTime);
  expect(Math.abs(time - duration * 0.75), `currentTime ${time} vs ${duration * 0.75}`).toBeLessThan(0.25);

  // The playhead and the slider's value follow.
  await expect
    .poll(async () => parseFloat((await playhead.getAttribute("style"))?.match(/left:\s*([\d.]+)%/)?.[1] ?? "NaN"))
    .toBeCloseTo(75, -0.5);
  await expect(waveform).toHaveAttribute("aria-valuenow", /^\d+(\.\d+)?$/);
  expect(Math.abs(Number(await waveform.getAttribute("aria-valuenow")) - time)).toBeLessThan(0.3);

  // Keys: left goes back 5 s, End to the end.
  await waveform.focus();
  await page.keyboard.press("ArrowLeft");
  await expect
    .poll(() => audio.evaluate((el) => (el as HTMLMediaElement).currentTime))
    .toBeLessThan(time - 4);
  await page.keyboard.press("ArrowRight");
  await expect
    .poll(() => audio.evaluate((el) => (el as HTMLMediaElement).currentTime))
    .toBeGreaterThan(time - 0.5);
});

test("a video that needs converting shows moving progress, then plays from its ladder", async ({ page }) => {
  test.setTimeout(240_000);
  const file = generateMedia(MKV, [
    "-f", "lavfi", "-i", "testsrc=duration=20:size=1280x720:rate=30",
    "-f", "lavfi", "-i", "sine=frequency=330:duration=20",
    "-c:v", "mpeg4", "-q:v", "5",
    "-c:a", "libopus", "-b:a", "64k",
    "-shortest",
  ]);

  // Record every value the progress bars take, from the first byte of each page.
  await page.addInitScript(() => {
    const w = window as unknown as { __percents: string[] };
    w.__percents = [];
    const record = () => {
      for (const bar of document.querySelectorAll('[data-testid="processing-progress"]')) {
        const value = bar.getAttribute("data-percent");
        const aria = bar.getAttribute("aria-valuenow");
        if (value !== null && w.__percents[w.__percents.length - 1] !== `${value}|${aria}`) {
          w.__percents.push(`${value}|${aria}`);
        }
      }
    };
    new MutationObserver(record).observe(document, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ["data-percent", "aria-valuenow"],
    });
  });

  await gotoHydrated(page, "/");
  await dropFiles(page, DROP_ZONE, [file]);
  const row = uploadRow(page, MKV);
  const link = row.getByTestId("upload-link");
  await expect(link, "the upload becomes an item").toHaveAttribute("href", /^\/media\//, { timeout: 60_000 });
  const id = decodeURIComponent(((await link.getAttribute("href")) ?? "").slice("/media/".length));

  await gotoHydrated(page, `/media/${id}`);
  // Events for this item only, straight from the stream.
  await page.evaluate((id) => {
    const w = window as unknown as { __events: { id: string; state: string }[] };
    w.__events = [];
    const source = new EventSource(`/api/events?id=${encodeURIComponent(id)}`);
    source.addEventListener("media", (e) => w.__events.push(JSON.parse((e as MessageEvent).data)));
  }, id);

  const video = page.locator('video[data-testid="player"]');
  // It plays from its HLS ladder; a private item's ladder address carries
  // its signature in the path (`/hls/<sig>/master.m3u8`).
  const ladder = new RegExp(`/files/${id}/hls/([^/]+/)?master\\.m3u8$`);
  if ((await video.count()) === 0) {
    // Nothing plays yet: the converting panel with its progress bar.
    await expect(page.getByTestId("converting")).toBeVisible();
    const bar = page.getByTestId("processing-progress");
    await expect(bar).toHaveAttribute("role", "progressbar");
    await expect(page.getByTestId("cancel-processing")).toBeVisible();
    await expect(page.getByTestId("processing-stage")).toHaveText(/\S/);
  }

  await expect(video, "the ladder should replace the panel").toHaveAttribute("data-ladder", ladder, {
    timeout: 180_000,
  });
  // The progress goes on above the player until the ladder is whole.
  await expect(page.locator("article.media")).toHaveAttribute("data-state", "ready", { timeout: 180_000 });
  const seen = await page.evaluate(() => (window as unknown as { __percents: string[] }).__percents);
  const values = seen.map((s) => s.split("|"));
  for (const [value, aria] of values) {
    expect(aria, "aria-valuenow matches data-percent").toBe(value);
    expect(Number(value)).toBeGreaterThanOrEqual(0);
    expect(Number(value)).toBeLessThanOrEqual(100);
  }
  const distinct = new Set(values.map(([v]) => v).filter((v) => Number(v) > 0 && Number(v) < 100));
  expect(distinct.size, `the progress should be seen moving (saw ${seen.join(", ")})`).toBeGreaterThanOrEqual(2);

  // It plays.
  await expect
    .poll(
      () =>
        video.evaluate((el) => {
          const m = el as HTMLMediaElement;
          if (m.error) return `media error ${m.error.code}: ${m.error.message}`;
          return m.readyState >= 2 ? "data" : `readyState ${m.readyState}`;
        }),
      { message: "the ladder should load", timeout: 30_000 },
    )
    .toBe("data");
  await video.evaluate(async (el) => {
    const m = el as HTMLMediaElement;
    m.muted = true;
    await m.play();
  });
  await expect.poll(() => video.evaluate((el) => (el as HTMLMediaElement).currentTime)).toBeGreaterThan(0);

  const events = await page.evaluate(() => (window as unknown as { __events: { id: string }[] }).__events);
  expect(events.length, "media events arrived on the filtered stream").toBeGreaterThan(0);
  expect(events.every((e) => e.id === id), "the filter lets only this item through").toBe(true);
});
