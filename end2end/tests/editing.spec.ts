import * as path from "node:path";
import { expect, test, type APIRequestContext, type Locator, type Page } from "@playwright/test";
import { PROCESSING_TIMEOUT, escapeRegExp, failOnPageErrors, generateMedia, gotoHydrated, mediaFile, uploadViaApi } from "./helpers";

// The Edit panel under the player: a region selected on the waveform is saved
// as a new, trimmed item that links back to its source; an export makes a new
// item in another format; a video's fast cut needs a keyframe start.

const WAV = "sine-6s.wav";
const WAV_SECONDS = 6;
// Edits run as jobs (ffmpeg) after the upload's own processing.
const EDIT_TIMEOUT = 90_000;


function sineWav(): string {
  return generateMedia(WAV, [
    "-f", "lavfi", "-i", `sine=frequency=440:sample_rate=44100:duration=${WAV_SECONDS}`,
    "-af", "volume=0.5",
    "-ac", "1", "-c:a", "pcm_s16le",
  ]);
}

/** Uploads `file` under a name unique to this run and returns the new item's id. */
async function upload(request: APIRequestContext, file: string): Promise<string> {
  const ext = path.extname(file);
  return uploadViaApi(request, file, `${path.basename(file, ext)}-edit-${Date.now().toString(36)}${ext}`);
}

/** "1:02.500" or "62.5" → seconds. */
function seconds(text: string): number {
  return text
    .trim()
    .split(":")
    .reduce((total, part) => total * 60 + Number(part), 0);
}

async function fieldSeconds(field: Locator): Promise<number> {
  return seconds(await field.inputValue());
}

/** Waits for the page to move to another item after a save, and returns its id. */
async function landOnNewItem(page: Page, sourceId: string): Promise<string> {
  await expect(page, "saving goes to the new item").not.toHaveURL(new RegExp(`/media/${sourceId}$`), {
    timeout: 15_000,
  });
  await expect(page).toHaveURL(/\/media\/[0-9a-f]{32}$/);
  const newId = new URL(page.url()).pathname.split("/").pop() ?? "";
  expect(newId).not.toBe(sourceId);
  const edited = page.getByTestId("edited-from");
  await expect(edited).toBeVisible();
  await expect(page.getByTestId("edited-from-link")).toHaveAttribute("href", `/media/${sourceId}`);
  return newId;
}

/** Waits for the item on the page to be ready, failing with its reason if it failed. */
async function expectReady(page: Page): Promise<void> {
  const article = page.locator("article.media");
  await expect(article, "the edit should finish").toHaveAttribute("data-state", /^(ready|failed)$/, {
    timeout: EDIT_TIMEOUT,
  });
  if ((await article.getAttribute("data-state")) === "failed") {
    const reason = await page.getByTestId("failure-reason").allTextContents();
    expect(reason.join(" "), "the edit failed").toBe("");
  }
}

async function metadataLoaded(player: Locator): Promise<void> {
  await expect
    .poll(
      () =>
        player.evaluate((el) => {
          const m = el as HTMLMediaElement;
          if (m.error) return `media error ${m.error.code}: ${m.error.message}`;
          return m.readyState >= 1 ? "metadata" : `readyState ${m.readyState}`;
        }),
      { message: "the player should load the media's metadata", timeout: EDIT_TIMEOUT },
    )
    .toBe("metadata");
}

// Uncaught exceptions in the page (a wasm panic shows up as one) fail the test.
failOnPageErrors();

test("a region selected on the waveform is saved as a new item with the trimmed duration", async ({ page }) => {
  test.setTimeout(180_000);
  const id = await upload(page.request, sineWav());
  const sourceBefore = await (await page.request.get(`/files/${id}/original`)).body();

  await gotoHydrated(page, `/media/${id}`);
  const waveform = page.getByTestId("waveform");
  await expect(waveform, "the waveform appears once drawn").toBeVisible({ timeout: PROCESSING_TIMEOUT });
  const editor = page.getByTestId("editor");
  await expect(editor).toBeVisible();
  await expect(page.getByTestId("editor-tab-trim")).toHaveAttribute("aria-selected", "true");
  await expect(page.getByTestId("editor-tab-normalise")).toBeVisible();
  await expect(page.getByTestId("editor-tab-extract")).toHaveCount(0);
  const audio = page.locator('audio[data-testid="player"]');
  await metadataLoaded(audio);

  // Drag across the waveform from a quarter to three quarters of its width.
  await waveform.scrollIntoViewIfNeeded();
  const box = await waveform.boundingBox();
  expect(box, "the waveform has a size").not.toBeNull();
  const y = box!.y + box!.height / 2;
  await page.mouse.move(box!.x + box!.width * 0.25, y);
  await page.mouse.down();
  await page.mouse.move(box!.x + box!.width * 0.5, y, { steps: 5 });
  await page.mouse.move(box!.x + box!.width * 0.75, y, { steps: 5 });
  await page.mouse.up();

  const start = page.getByTestId("trim-start");
  const end = page.getByTestId("trim-end");
  await expect.poll(() => fieldSeconds(start), { message: "the start follows the drag" }).toBeCloseTo(1.5, 1);
  await expect.poll(() => fieldSeconds(end), { message: "the end follows the drag" }).toBeCloseTo(4.5, 1);
  await expect(page.getByTestId("trim-region")).toBeVisible();
  const startHandle = page.getByTestId("trim-start-handle");
  const endHandle = page.getByTestId("trim-end-handle");
  await expect(startHandle).toHaveAttribute("role", "slider");

  // The keys move a handle; typed times move it back.
  await endHandle.focus();
  await page.keyboard.press("ArrowLeft");
  await expect.poll(async () => Number(await endHandle.getAttribute("aria-valuenow"))).toBeLessThan(4.45);
  await end.fill("0:04.500");
  await expect.poll(async () => Number(await endHandle.getAttribute("aria-valuenow"))).toBeCloseTo(4.5, 2);
  await start.fill("1.5");
  await expect.poll(async () => Number(await startHandle.getAttribute("aria-valuenow"))).toBeCloseTo(1.5, 2);

  // A typing mistake is explained and blocks saving.
  await start.fill("1:7x");
  await expect(page.getByTestId("trim-start-error")).toHaveText(/not a time/);
  await start.fill("0:01.500");
  await expect(page.getByTestId("trim-start-error")).toHaveText("");

  // Preview start seeks the player to the start.
  await page.getByTestId("preview-start").click();
  await expect
    .poll(() => audio.evaluate((el) => (el as HTMLMediaElement).currentTime))
    .toBeCloseTo(1.5, 1);

  await page.getByTestId("mode-exact").check();
  const save = page.getByTestId("trim-save");
  await expect(save).toBeEnabled();
  await save.click();

  const newId = await landOnNewItem(page, id);
  await expect(page.getByTestId("edit-summary")).toHaveText(/Trimmed 0:01\.5–0:04\.5 \(exact cut\)/);
  await expectReady(page);
  const trimmed = page.locator('audio[data-testid="player"]');
  await expect(trimmed).toHaveAttribute("src", new RegExp(`/files/${escapeRegExp(newId)}/`), {
    timeout: EDIT_TIMEOUT,
  });
  await metadataLoaded(trimmed);
  const duration = await trimmed.evaluate((el) => (el as HTMLMediaElement).duration);
  expect(Math.abs(duration - 3.0), `trimmed duration ${duration}`).toBeLessThanOrEqual(0.1);

  // The source is untouched.
  const source = await page.request.get(`/files/${id}/original`);
  expect((await source.body()).equals(sourceBefore)).toBe(true);
});

test("an audio item exported as MP3 becomes a new item to download", async ({ page }) => {
  test.setTimeout(180_000);
  const id = await upload(page.request, mediaFile("tone.opus"));
  await gotoHydrated(page, `/media/${id}`);
  await expect(page.getByTestId("editor")).toBeVisible({ timeout: PROCESSING_TIMEOUT });

  const tab = page.getByTestId("editor-tab-export");
  await tab.click();
  await expect(tab).toHaveAttribute("aria-selected", "true");
  await expect(page.getByTestId("editor-panel-export")).toBeVisible();
  await expect(page.getByTestId("editor-panel-trim")).toBeHidden();
  // Audio formats only.
  await expect(page.getByTestId("export-format").locator("option")).toHaveText([
    "MP3", "Opus", "AAC (M4A)", "FLAC", "WAV",
  ]);
  await expect(page.getByTestId("export-height")).toHaveCount(0);
  await page.getByTestId("export-format").selectOption("mp3");
  await page.getByTestId("export-save").click();

  const newId = await landOnNewItem(page, id);
  await expect(page.getByTestId("edit-summary")).toHaveText("Exported as MP3");
  await expectReady(page);
  const download = page.getByTestId("download");
  await expect(download).toHaveAttribute(
    "href",
    new RegExp(`^/files/${escapeRegExp(newId)}/original\\?(sig=[^&]+&)?download$`),
  );
  const file = await page.request.get(`/files/${newId}/original`);
  expect(file.status()).toBe(200);
  expect(file.headers()["content-type"]).toMatch(/audio\/mpeg/);
});

test("a video's fast cut needs a keyframe start, and the keys move between the edit tabs", async ({ page }) => {
  const id = await upload(page.request, mediaFile("clip.mp4"));
  await gotoHydrated(page, `/media/${id}`);
  await expect(page.getByTestId("editor")).toBeVisible({ timeout: PROCESSING_TIMEOUT });
  await expect(page.getByTestId("trim-bar")).toBeVisible();

  // Tabs: a video with sound can have its audio extracted, but not normalised.
  await expect(page.getByTestId("editor-tab-normalise")).toHaveCount(0);
  await page.getByTestId("editor-tab-trim").focus();
  await page.keyboard.press("End");
  await expect(page.getByTestId("editor-tab-extract")).toBeFocused();
  await expect(page.getByTestId("editor-panel-extract")).toBeVisible();
  await page.keyboard.press("ArrowRight");
  await expect(page.getByTestId("editor-tab-trim")).toBeFocused();
  await expect(page.getByTestId("editor-panel-trim")).toBeVisible();

  // The test clip has one keyframe, at the start.
  await page.getByTestId("trim-start").fill("1");
  await page.getByTestId("trim-end").fill("3");
  const note = page.getByTestId("fast-needs-keyframe");
  await expect(note).toContainText("Fast cut needs a keyframe start: nearest 0:00.000");
  await expect(page.getByTestId("mode-fast")).toBeDisabled();
  await expect(page.getByTestId("trim-region")).toBeVisible();

  await page.getByTestId("snap-keyframe").first().click();
  await expect(page.getByTestId("trim-start")).toHaveValue("0:00.000");
  await expect(note).toHaveCount(0);
  await expect(page.getByTestId("mode-fast")).toBeEnabled();
  await page.getByTestId("mode-fast").check();
  await expect(page.getByTestId("mode-fast")).toBeChecked();

  // Moving the start off the keyframe falls back to an exact cut.
  await page.getByTestId("trim-start-handle").focus();
  await page.keyboard.press("ArrowRight");
  await expect(page.getByTestId("trim-start")).toHaveValue("0:00.100");
  await expect(page.getByTestId("mode-exact")).toBeChecked();
});
