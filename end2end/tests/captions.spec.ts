import * as fs from "node:fs";
import * as path from "node:path";
import { expect, test, type Locator } from "@playwright/test";
import { MEDIA_DIR, PROCESSING_TIMEOUT, failOnPageErrors, generateMedia, gotoHydrated, uploadViaApi } from "./helpers";

// Captions in the real browser: a video's own subtitle stream shows as a
// track, the menu switches it on and off, a SubRip file added on the page
// becomes a second track, and a library search for what was said opens the
// video at that moment.

failOnPageErrors();

const SRT =
  "1\n00:00:00,200 --> 00:00:03,000\nThe quick brown fox\n\n" +
  "2\n00:00:04,000 --> 00:00:07,500\njumps over the lazy dog\n";

function subtitledVideo(): string {
  fs.mkdirSync(MEDIA_DIR, { recursive: true });
  const srt = path.join(MEDIA_DIR, "captions-talk.srt");
  fs.writeFileSync(srt, SRT);
  return generateMedia("captions-talk.mp4", [
    "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=8",
    "-f", "lavfi", "-i", "sine=frequency=440:duration=8",
    "-i", srt,
    "-map", "0", "-map", "1", "-map", "2",
    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
    "-c:a", "aac", "-c:s", "mov_text", "-metadata:s:s:0", "language=eng",
    "-movflags", "+faststart", "-shortest",
  ]);
}

/** Each subtitle track of the video as "label:mode". */
const modes = (player: Locator) =>
  player.evaluate((el) =>
    Array.from((el as HTMLVideoElement).textTracks)
      .filter((t) => t.kind === "subtitles")
      .map((t) => `${t.label}:${t.mode}`),
  );

/** The text of the cues showing now. */
const showing = (player: Locator) =>
  player.evaluate((el) =>
    Array.from((el as HTMLVideoElement).textTracks)
      .filter((t) => t.mode === "showing")
      .flatMap((t) => Array.from(t.activeCues ?? []).map((c) => (c as VTTCue).text)),
  );

test("a video's captions show, switch, can be added, and what was said is found", async ({ page }) => {
  const stamp = Date.now().toString(36);
  const id = await uploadViaApi(page.request, subtitledVideo(), `captions-${stamp}.mp4`);
  await gotoHydrated(page, `/media/${id}`);
  const player = page.getByTestId("player");
  const menu = page.getByTestId("caption-menu");
  // The file's stream is read with the poster: the menu appears once it is.
  await expect(menu.locator("option")).toHaveText(["Off", "English"], { timeout: PROCESSING_TIMEOUT });
  await expect.poll(() => modes(player)).toEqual(["English:disabled"]);

  await player.evaluate((el) => {
    const video = el as HTMLVideoElement;
    video.muted = true;
    video.pause();
    video.currentTime = 1;
  });
  await menu.selectOption({ label: "English" });
  await expect.poll(() => modes(player)).toEqual(["English:showing"]);
  await expect.poll(() => showing(player)).toEqual(["The quick brown fox"]);
  await menu.selectOption({ label: "Off" });
  await expect.poll(() => modes(player)).toEqual(["English:disabled"]);

  // Add a SubRip file on the page: it becomes a second track.
  await page.getByTestId("captions-panel").locator("summary").click();
  await page.getByTestId("caption-file").setInputFiles({
    name: "notes.srt",
    mimeType: "application/x-subrip",
    buffer: Buffer.from(`1\n00:00:00,500 --> 00:00:02,000\nDirector's note ${stamp}\n`),
  });
  await page.getByTestId("caption-label").fill("Notes");
  await page.getByTestId("caption-add").click();
  await expect(page.getByTestId("caption-row")).toHaveCount(2);
  await expect(menu.locator("option")).toHaveText(["Off", "English", "Notes"]);
  await menu.selectOption({ label: "Notes" });
  await expect.poll(() => modes(player)).toEqual(["English:disabled", "Notes:showing"]);
  await expect.poll(() => showing(player)).toEqual([`Director's note ${stamp}`]);

  // A broken file is refused with the line that is wrong.
  await page.getByTestId("caption-file").setInputFiles({
    name: "broken.srt",
    mimeType: "application/x-subrip",
    buffer: Buffer.from("1\n00:00:01,000 -> 00:00:02,000\nBad arrow\n"),
  });
  await page.getByTestId("caption-add").click();
  await expect(page.getByTestId("caption-error")).toContainText("line 2");
  await expect(page.getByTestId("caption-row")).toHaveCount(2);

  // The choice is remembered: another visit shows the same track.
  await gotoHydrated(page, `/media/${id}`);
  await expect.poll(() => modes(player)).toEqual(["English:disabled", "Notes:showing"]);

  // Search the library for what was said; the hit opens the video there.
  await gotoHydrated(page, `/?q=${encodeURIComponent("lazy dog")}`);
  const hit = page.getByTestId("caption-hit").filter({ hasText: `captions-${stamp}` });
  await expect(hit).toContainText("jumps over the lazy dog");
  await hit.click();
  await expect(page).toHaveURL(new RegExp(`/media/${id}\\?t=4$`));
  await expect
    .poll(() => player.evaluate((el) => (el as HTMLMediaElement).currentTime))
    .toBeGreaterThanOrEqual(4);
});
