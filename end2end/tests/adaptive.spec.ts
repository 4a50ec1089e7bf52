import { expect, test, type Locator } from "@playwright/test";
import { callFn, failOnPageErrors, generateMedia, gotoHydrated, originOf, uploadViaApi } from "./helpers";

// Adaptive streaming in the real browser: a video browsers cannot play
// (HEVC) plays from its HLS ladder seconds after the upload, while the
// ladder is still being encoded; once whole, the quality menu switches
// rungs without stopping playback, and a seek far ahead plays at once.
// hls.js comes from Reel's own origin: nothing is fetched from elsewhere.

failOnPageErrors();

const HEVC = "testsrc2-720p-60s-hevc.mkv";
const SECONDS = 60;

const time = (player: Locator) => player.evaluate((el) => (el as HTMLMediaElement).currentTime);

type Item = { state: { state: string }; hls?: string | null; progress?: { fraction: number } | null };

test("an HEVC upload plays from its ladder while it encodes, switches rungs and seeks at once", async ({ page }) => {
  test.setTimeout(300_000);
  const file = generateMedia(HEVC, [
    "-f", "lavfi", "-i", `testsrc2=duration=${SECONDS}:size=1280x720:rate=25`,
    "-f", "lavfi", "-i", `sine=frequency=330:duration=${SECONDS}`,
    "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
    "-c:a", "aac",
    "-shortest",
  ]);
  const origin = await originOf(page.request);
  const elsewhere: string[] = [];
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith("blob:") && !url.startsWith("data:")) elsewhere.push(url);
  });

  const id = await uploadViaApi(page.request, file, "talk-hevc.mkv");
  await gotoHydrated(page, `/media/${id}`);
  const video = page.locator('video[data-testid="player"]');
  await expect(video, "the ladder plays before any whole copy exists").toHaveAttribute(
    "data-ladder",
    new RegExp(`/files/${id}/hls/([^/]+/)?master\\.m3u8$`),
    { timeout: 60_000 },
  );
  await video.evaluate(async (el) => {
    const m = el as HTMLMediaElement;
    m.muted = true;
    await m.play();
  });
  await expect.poll(() => time(video), { message: "playback starts", timeout: 30_000 }).toBeGreaterThan(0.5);
  const early = (await callFn(page.request, "media", { id })) as Item;
  expect(early.state.state, "it plays while the ladder is still being made").toBe("processing");
  expect(early.progress?.fraction ?? 1).toBeLessThan(1);

  // The ladder finishes while it plays.
  await expect
    .poll(async () => ((await callFn(page.request, "media", { id })) as Item).state.state, { timeout: 240_000 })
    .toBe("ready");

  // The quality menu: Auto plus each rung; choosing one switches to it and
  // playback carries on.
  const menu = page.getByTestId("quality");
  await expect(menu.locator("option")).toHaveText([/^Auto/, "720p", "480p", "360p"]);
  // On a slow machine playback can reach the end before the ladder is
  // whole: start again near the beginning so the switch has room to show.
  await video.evaluate(async (el) => {
    const m = el as HTMLMediaElement;
    m.currentTime = 1;
    await m.play();
  });
  await menu.selectOption({ label: "360p" });
  await expect(page.getByTestId("quality-now")).toHaveText("360p", { timeout: 20_000 });
  const afterSwitch = await time(video);
  await expect.poll(() => time(video), { message: "playback continues after the switch" }).toBeGreaterThan(afterSwitch + 1);
  await menu.selectOption({ label: "720p" });
  await expect(page.getByTestId("quality-now")).toHaveText("720p", { timeout: 20_000 });

  // A seek to 80 % plays within a second.
  const took = await video.evaluate(async (el, target) => {
    const m = el as HTMLMediaElement;
    const started = performance.now();
    m.currentTime = target;
    // Bounded, so a stall fails with what the element was doing.
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!m.seeking && !m.paused && m.currentTime > target + 0.1) resolve();
        else if (performance.now() - started > 15_000)
          reject(new Error(`stalled at ${m.currentTime} (seeking ${m.seeking}, paused ${m.paused}, ready ${m.readyState})`));
        else requestAnimationFrame(check);
      };
      check();
    });
    return performance.now() - started;
  }, SECONDS * 0.8);
  expect(took, `the seek took ${Math.round(took)} ms`).toBeLessThan(1000);

  // The keyboard works on the ladder as on any file: ← goes back 5 s.
  const before = await time(video);
  await page.locator("body").press("ArrowLeft");
  await expect.poll(() => time(video)).toBeLessThan(before - 3);

  expect(elsewhere, "requests outside Reel's origin").toEqual([]);
});
