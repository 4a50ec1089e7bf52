import * as fs from "node:fs";
import * as path from "node:path";
import { expect, test, type Locator } from "@playwright/test";
import { MEDIA_DIR, callFn, failOnPageErrors, generateMedia, gotoHydrated, uploadViaApi } from "./helpers";

// What a file says about itself, in the real browser: a tagged recording
// with chapters shows its tags under the title, its chapters as a list that
// seeks and as marks, Shift+→ jumps a chapter, and both can be edited.

failOnPageErrors();

const time = (player: Locator) => player.evaluate((el) => (el as HTMLMediaElement).currentTime);

function talkWithChapters(): string {
  fs.mkdirSync(MEDIA_DIR, { recursive: true });
  const chapters = path.join(MEDIA_DIR, "talk-chapters.ffmeta");
  fs.writeFileSync(
    chapters,
    ";FFMETADATA1\n" +
      "[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=4000\ntitle=Welcome\n" +
      "[CHAPTER]\nTIMEBASE=1/1000\nSTART=4000\nEND=8000\ntitle=The idea\n" +
      "[CHAPTER]\nTIMEBASE=1/1000\nSTART=8000\nEND=12000\ntitle=Questions\n",
  );
  return generateMedia("talk-chapters.m4a", [
    "-f", "lavfi", "-i", "sine=frequency=220:duration=12",
    "-i", chapters, "-map", "0", "-map_chapters", "1",
    "-metadata", "title=On Streams",
    "-metadata", "artist=Ada Speaker",
    "-metadata", "album=Reel Conf",
    "-metadata", "date=2026",
    "-c:a", "aac",
  ]);
}

test("tags and chapters from the file show, seek, jump and can be edited", async ({ page }) => {
  const id = await uploadViaApi(page.request, talkWithChapters(), `talk-${Date.now().toString(36)}.m4a`);
  await gotoHydrated(page, `/media/${id}`);
  await expect(page.getByTestId("media-heading")).toHaveText("On Streams");
  await expect(page.getByTestId("media-byline")).toHaveText("Ada Speaker — Reel Conf (2026)");

  const chapters = page.getByTestId("chapter");
  await expect(chapters).toHaveCount(3);
  await expect(chapters.nth(1)).toContainText("The idea");
  await expect(page.getByTestId("chapter-mark")).toHaveCount(2);

  const player = page.getByTestId("player");
  await player.evaluate((el) => ((el as HTMLMediaElement).muted = true));
  // A chapter click seeks there and plays; the list marks it as current.
  await chapters.nth(2).click();
  await expect.poll(() => time(player)).toBeGreaterThanOrEqual(8);
  await expect(chapters.nth(2)).toHaveAttribute("aria-current", "true");
  // Shift+→ jumps to the start of the next chapter.
  await player.evaluate((el) => (el as HTMLMediaElement).pause());
  await player.evaluate((el) => ((el as HTMLMediaElement).currentTime = 1));
  await page.locator("h1").click();
  await page.keyboard.press("Shift+ArrowRight");
  await expect.poll(() => time(player)).toBeCloseTo(4, 1);

  // Edit the chapters: rename one and add one at the current position.
  await page.getByTestId("edit-chapters").click();
  await page.getByTestId("chapter-title").first().fill("Hello");
  await page.getByTestId("chapter-add").click();
  await expect(page.getByTestId("chapter-start").last()).toHaveValue("0:04");
  await page.getByTestId("chapter-start").last().fill("0:06.5");
  await page.getByTestId("chapter-title").last().fill("An aside");
  await page.getByTestId("chapters-save").click();
  await expect(chapters).toHaveCount(4);
  await expect(chapters.first()).toContainText("Hello");
  await expect(chapters.nth(2)).toContainText("An aside");

  // Edit the tags.
  await page.getByTestId("edit-tags").click();
  await page.getByTestId("tag-artist").fill("Ada Lovelace");
  await page.getByTestId("tag-year").fill("nineteen");
  await page.getByTestId("tags-save").click();
  await expect(page.getByRole("alert")).toContainText("year");
  await page.getByTestId("tag-year").fill("2025");
  await page.getByTestId("tags-save").click();
  await expect(page.getByTestId("media-byline")).toHaveText("Ada Lovelace — Reel Conf (2025)");
});

test("an album plays in track order from its page, with its tags in the media session", async ({ page }) => {
  const token = Date.now().toString(36);
  const album = `Album ${token}`;
  // The second track is 12 dB louder than the first.
  const song = (title: string, track: number, secs: number) =>
    generateMedia(`album-${token}-${track}.mp3`, [
      "-f", "lavfi", "-i", `sine=frequency=${300 + track * 100}:duration=${secs}`,
      "-af", `volume=${track === 2 ? 4 : 1}`,
      "-c:a", "libmp3lame", "-b:a", "64k",
      "-metadata", `title=${title}`, "-metadata", `album=${album}`,
      "-metadata", "artist=The Testers", "-metadata", `track=${track}`,
    ]);
  // Uploaded out of order: the album page plays by track number.
  const ids = [
    await uploadViaApi(page.request, song("Second song", 2, 30), `b-${token}.mp3`),
    await uploadViaApi(page.request, song("First song", 1, 2), `a-${token}.mp3`),
  ];
  // Their loudness is measured with the waveform: wait until both are done.
  for (const id of ids) {
    await expect
      .poll(async () => ((await callFn(page.request, "media", { id })) as { state: { state: string } }).state.state)
      .toBe("ready");
  }

  await gotoHydrated(page, "/albums");
  await page.getByTestId("album").filter({ hasText: album }).getByRole("link").click();
  await expect(page.getByTestId("album-heading")).toHaveText(album);
  await expect(page.getByTestId("album-track")).toHaveText([/First song/, /Second song/]);
  await page.getByTestId("play-all").click();
  const title = page.getByTestId("now-playing-title");
  await expect(title).toHaveText("First song");
  await expect
    .poll(() => page.evaluate(() => [navigator.mediaSession.metadata?.artist, navigator.mediaSession.metadata?.album]))
    .toEqual(["The Testers", album]);
  // The two-second first track ends and the second starts by itself, and
  // plays on while the person goes back to the albums.
  await expect(title).toHaveText("Second song", { timeout: 15_000 });
  await page.getByTestId("albums-link").click();
  await expect(page.getByTestId("album").filter({ hasText: album })).toContainText("2 tracks");
  const bar = page.getByTestId("now-playing");
  const time = async () => Number(await bar.getAttribute("data-time"));
  const at = await time();
  await expect.poll(time).toBeGreaterThan(at + 0.25);

  // Matching loudness turns the loud track down to the common level, and
  // is remembered (across a reload too); turned off, it plays as it is again.
  const gain = async () => Number(await bar.getAttribute("data-gain"));
  expect(await gain()).toBe(1);
  await page.getByTestId("match-loudness").click();
  await expect(page.getByTestId("match-loudness")).toHaveAttribute("aria-pressed", "true");
  await expect.poll(gain).toBeLessThan(0.6);
  expect(await page.evaluate(() => localStorage.getItem("reel.match_loudness"))).toBe("true");
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  await expect(page.getByTestId("match-loudness")).toHaveAttribute("aria-pressed", "true");
  await page.getByTestId("match-loudness").click();
  await expect(page.getByTestId("match-loudness")).toHaveAttribute("aria-pressed", "false");
  expect(await page.evaluate(() => localStorage.getItem("reel.match_loudness"))).toBeNull();
});
