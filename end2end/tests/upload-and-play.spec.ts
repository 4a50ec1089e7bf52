import { expect, test } from "@playwright/test";
import {
  dropFiles,
  expectCard,
  expectFullProgress,
  expectMediaPage,
  expectPlaysAndSeeks,
  expectRowReady,
  gotoHydrated,
  mediaCard,
  mediaFile,
  uploadRow,
  waitForRowToSettle,
} from "./helpers";

const DROP_ZONE = '[data-testid="drop-zone"]';

// Uncaught exceptions in the page (a wasm panic shows up as one) fail the test.
let pageErrors: string[] = [];
test.beforeEach(({ page }) => {
  pageErrors = [];
  page.on("pageerror", (err) => pageErrors.push(err.stack ?? err.message));
});
test.afterEach(() => {
  expect(pageErrors, "uncaught errors in the page").toEqual([]);
});

test.describe("upload and play", () => {
  test("dropping a video uploads it, lists it without a reload, and it plays and seeks on its page", async ({
    page,
  }) => {
    await gotoHydrated(page, "/");
    // Marker that survives only if the page is never reloaded.
    await page.evaluate(() => {
      (window as unknown as { __reelNoReload?: boolean }).__reelNoReload = true;
    });

    await dropFiles(page, DROP_ZONE, [mediaFile("clip.mp4")]);

    const row = uploadRow(page, "clip.mp4");
    await expect(row).toHaveCount(1);
    await expect(row).toHaveAttribute("data-state", /^(uploading|processing|ready)$/);
    await expectFullProgress(row);
    const id = await expectRowReady(row);

    await expectCard(page, id, "clip", "video");
    expect(
      await page.evaluate(() => (window as unknown as { __reelNoReload?: boolean }).__reelNoReload),
      "the card must appear without reloading the page",
    ).toBe(true);

    await row.getByTestId("upload-link").click();
    const player = await expectMediaPage(page, { id, title: "clip", kind: "video", file: mediaFile("clip.mp4") });

    // The poster: present, served as an image, and decodable by the browser.
    await expect(player).toHaveAttribute("poster", /\S/);
    const poster = (await player.getAttribute("poster"))!;
    const posterResponse = await page.request.get(poster);
    expect(posterResponse.status(), `GET ${poster}`).toBe(200);
    expect(posterResponse.headers()["content-type"] ?? "", "poster content type").toMatch(/^image\//);
    expect((await posterResponse.body()).length, "poster size").toBeGreaterThan(0);
    const posterSize = await page.evaluate(
      (src) =>
        new Promise<{ width: number; height: number }>((resolve, reject) => {
          const img = new Image();
          img.onload = () => resolve({ width: img.naturalWidth, height: img.naturalHeight });
          img.onerror = () => reject(new Error(`poster ${src} could not be decoded`));
          img.src = src;
        }),
      poster,
    );
    expect(posterSize.width, "poster width").toBeGreaterThan(0);
    expect(posterSize.height, "poster height").toBeGreaterThan(0);

    await expectPlaysAndSeeks(player, 10);
    const dims = await player.evaluate((el) => {
      const v = el as HTMLVideoElement;
      return { width: v.videoWidth, height: v.videoHeight };
    });
    expect(dims, "decoded video size").toEqual({ width: 320, height: 240 });
  });

  for (const [file, title] of [
    ["tone.mp3", "tone"],
    ["tone.opus", "tone"],
  ] as const) {
    test(`dropping ${file} uploads it and it plays and seeks in the audio player`, async ({ page }) => {
      await gotoHydrated(page, "/");
      await dropFiles(page, DROP_ZONE, [mediaFile(file)]);

      const row = uploadRow(page, file);
      await expect(row).toHaveCount(1);
      await expectFullProgress(row);
      const id = await expectRowReady(row);
      await expectCard(page, id, title, "audio");

      await row.getByTestId("upload-link").click();
      const player = await expectMediaPage(page, { id, title, kind: "audio", file: mediaFile(file) });
      await expectPlaysAndSeeks(player, 10);
    });
  }

  test("dropping several files at once makes one row per file and all become ready", async ({ page }) => {
    await gotoHydrated(page, "/");
    await dropFiles(page, DROP_ZONE, [mediaFile("clip.mp4"), mediaFile("tone.mp3")]);

    await expect(page.getByTestId("upload-row")).toHaveCount(2);
    const clipRow = uploadRow(page, "clip.mp4");
    const toneRow = uploadRow(page, "tone.mp3");
    await expect(clipRow).toHaveCount(1);
    await expect(toneRow).toHaveCount(1);

    const [clipId, toneId] = await Promise.all([expectRowReady(clipRow), expectRowReady(toneRow)]);
    expect(clipId, "the two uploads are different items").not.toBe(toneId);
    await expectFullProgress(clipRow);
    await expectFullProgress(toneRow);

    await expectCard(page, clipId, "clip", "video");
    await expectCard(page, toneId, "tone", "audio");
  });

  test("choosing a file with the file input uploads it", async ({ page }) => {
    await gotoHydrated(page, "/");
    const input = page.locator(`${DROP_ZONE} input[data-testid="file-input"]`);
    await expect(input).toHaveCount(1);
    await expect(input).toHaveAttribute("type", "file");
    await expect(input).toHaveJSProperty("multiple", true);
    const accept = ((await input.getAttribute("accept")) ?? "").split(",").map((s) => s.trim());
    expect(accept, "accept attribute").toEqual(expect.arrayContaining(["audio/*", "video/*"]));

    await input.setInputFiles(mediaFile("tone.opus"));

    const row = uploadRow(page, "tone.opus");
    await expect(row).toHaveCount(1);
    await expectFullProgress(row);
    const id = await expectRowReady(row);
    await expectCard(page, id, "tone", "audio");
  });

  test("a file that is not media fails with a clear message and is not listed", async ({ page }) => {
    await gotoHydrated(page, "/");
    await dropFiles(page, DROP_ZONE, [mediaFile("not-media.mp4")]);

    const row = uploadRow(page, "not-media.mp4");
    await expect(row).toHaveCount(1);
    const state = await waitForRowToSettle(row);
    expect(state, "a text file named .mp4 must not become a ready item").toBe("failed");
    const error = row.getByTestId("upload-error");
    await expect(error).toBeVisible();
    await expect(error).toHaveText(/not an audio or video file/i);

    await gotoHydrated(page, "/");
    await expect(page.locator(DROP_ZONE)).toBeVisible();
    const notMediaCards = page
      .getByTestId("media-card")
      .filter({ has: page.getByTestId("media-title").filter({ hasText: /^\s*not-media\s*$/ }) });
    await expect(notMediaCards).toHaveCount(0);
  });

  test("a file already in the library is not stored again: its row says so and opens the item", async ({
    page,
  }) => {
    await gotoHydrated(page, "/");
    await dropFiles(page, DROP_ZONE, [mediaFile("tone.mp3")]);
    const id = await expectRowReady(uploadRow(page, "tone.mp3"));

    await dropFiles(page, DROP_ZONE, [mediaFile("tone.mp3")]);
    // The newest row is on top; the first stays as it was.
    const again = uploadRow(page, "tone.mp3").nth(0);
    await expect(uploadRow(page, "tone.mp3")).toHaveCount(2);
    await expect(again).toHaveAttribute("data-state", "duplicate", { timeout: 30_000 });
    await expect(again).toContainText("Already in your library");
    await expect(again.getByTestId("upload-link")).toHaveAttribute("href", `/media/${id}`);
    await expect(uploadRow(page, "tone.mp3").nth(1)).toHaveAttribute("data-state", "ready");
    await expect(mediaCard(page, id)).toHaveCount(1);
  });

  test("the library page is server-rendered with the uploaded items", async ({ page }) => {
    await gotoHydrated(page, "/");
    await dropFiles(page, DROP_ZONE, [mediaFile("tone.mp3")]);
    const id = await expectRowReady(uploadRow(page, "tone.mp3"));
    await expect(mediaCard(page, id)).toBeVisible();

    // Plain HTTP, no JavaScript: the HTML as the server sends it.
    const response = await page.request.get("/");
    expect(response.status(), "GET /").toBe(200);
    expect(response.headers()["content-type"] ?? "", "content type of /").toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('data-testid="media-card"');
    expect(html).toContain("tone");

    // The card for this very item is in the HTML, with its title and link.
    const at = html.indexOf(`data-id="${id}"`);
    expect(at, `the server-rendered HTML should contain the card with data-id="${id}"`).toBeGreaterThanOrEqual(0);
    const cardStart = html.lastIndexOf("<", at);
    const nextCard = html.indexOf('data-testid="media-card"', at);
    const cardHtml = html.slice(cardStart, nextCard > at ? nextCard : at + 4000);
    expect(cardHtml, "the card's own tag").toMatch(/^<[^>]*data-testid="media-card"/);
    expect(cardHtml, "a finished item is rendered as ready").toMatch(/^<[^>]*data-state="ready"/);
    expect(cardHtml, "an MP3 is rendered as audio").toMatch(/^<[^>]*data-kind="audio"/);
    expect(cardHtml).toContain('data-testid="media-title"');
    expect(cardHtml).toContain(`href="/media/${id}"`);
    const cardText = cardHtml
      .replace(/<!--[\s\S]*?-->/g, "")
      .replace(/<[^>]*>/g, " ")
      .replace(/\s+/g, " ");
    expect(cardText, "the card's text").toMatch(/(^|\s)tone(\s|$)/);
  });
});
