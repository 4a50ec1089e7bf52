import * as fs from "node:fs";
import * as path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { MEDIA_DIR, PROCESSING_TIMEOUT, dropFiles, failOnPageErrors, generateMedia, gotoHydrated, mediaCard, uploadRow, uploadViaApi as upload } from "./helpers";

// The library page in a real browser: search as you type (and the URL that
// holds it), sorting, paging, filters, editing a title in place, deleting
// with confirmation, and drops anywhere on the page. The items get names
// with a token unique to this run, so a search for the token finds exactly
// them on the shared test server.

test.describe.configure({ mode: "serial" });

const TOKEN = `k${Date.now().toString(36)}`;
// Uploaded in this order, so "newest first" is Quokka, Aardvark, Zebra.
const ANIMALS = [
  { key: "zebra", title: `Zebra ${TOKEN}`, hz: 300 },
  { key: "aardvark", title: `Aardvark ${TOKEN}`, hz: 400 },
  { key: "quokka", title: `Quokka ${TOKEN}`, hz: 500 },
] as const;
const ids: Record<string, string> = {};

/** A short MP3 with its own tone (so no two files are the same bytes). */
function tone(hz: number): string {
  return generateMedia(`library-tone-${hz}.mp3`, [
    "-f", "lavfi", "-i", `sine=frequency=${hz}:duration=2`, "-c:a", "libmp3lame", "-b:a", "64k",
  ]);
}


/** The titles of the cards on the page, in order. */
function titles(page: Page): Promise<string[]> {
  return page.getByTestId("media-title").allTextContents().then((all) => all.map((t) => t.trim()));
}

// Uncaught exceptions in the page (a wasm panic shows up as one) fail the test.
failOnPageErrors();

test.beforeAll(async ({ request }) => {
  for (const animal of ANIMALS) {
    ids[animal.key] = await upload(request, tone(animal.hz), `${animal.title}.mp3`);
  }
});

test("search narrows the grid as you type, and the URL holds the search", async ({ page }) => {
  await gotoHydrated(page, "/");
  const cards = page.getByTestId("media-card");
  await expect(mediaCard(page, ids.quokka)).toBeVisible();
  const historyBefore = await page.evaluate(() => history.length);

  const search = page.getByTestId("library-search");
  await expect(search).toHaveAccessibleName("Search");
  await search.click();
  await search.pressSequentially(`quokka ${TOKEN}`, { delay: 40 });
  await expect(page).toHaveURL(new RegExp(`[?&]q=quokka%20${TOKEN}($|&)`));
  await expect(cards).toHaveCount(1);
  await expect(mediaCard(page, ids.quokka)).toBeVisible();
  await expect(page.getByTestId("library-count")).toHaveText(`1 result for “quokka ${TOKEN}”`);
  // The search replaces the history entry instead of adding one per letter.
  expect(await page.evaluate(() => history.length), "history entries").toBe(historyBefore);

  // The URL is shareable: loading it shows the same narrowed grid, from the server.
  const url = page.url();
  const html = await (await page.request.get(url)).text();
  expect(html).toContain(`data-id="${ids.quokka}"`);
  expect(html).not.toContain(`data-id="${ids.zebra}"`);
  await gotoHydrated(page, url);
  await expect(cards).toHaveCount(1);
  await expect(mediaCard(page, ids.quokka)).toBeVisible();
  await expect(page.getByTestId("library-search")).toHaveValue(`quokka ${TOKEN}`);

  // Widening the search finds all three; a search that finds nothing says so.
  await page.getByTestId("library-search").fill(TOKEN);
  await expect(cards).toHaveCount(3);
  await page.getByTestId("library-search").fill(`nothing${TOKEN}`);
  await expect(page.getByTestId("library-no-results")).toContainText(`Nothing matches “nothing${TOKEN}”`);
  await expect(cards).toHaveCount(0);
  await page.getByTestId("library-clear").click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("library-search")).toHaveValue("");
  await expect(mediaCard(page, ids.quokka)).toBeVisible();
});

test("sorting by title orders the cards, and kind filters them", async ({ page }) => {
  await gotoHydrated(page, `/?q=${TOKEN}`);
  const [zebra, aardvark, quokka] = ANIMALS.map((a) => a.title);
  await expect.poll(() => titles(page)).toEqual([quokka, aardvark, zebra]);

  await page.getByTestId("library-sort").selectOption("title");
  await expect(page).toHaveURL(/[?&]sort=title(&|$)/);
  await expect.poll(() => titles(page)).toEqual([aardvark, quokka, zebra]);
  await gotoHydrated(page, page.url());
  await expect(page.getByTestId("library-sort")).toHaveValue("title");
  await expect.poll(() => titles(page)).toEqual([aardvark, quokka, zebra]);

  await page.getByLabel("Kind").selectOption("video");
  await expect(page).toHaveURL(/[?&]kind=video(&|$)/);
  await expect(page.getByTestId("library-no-results")).toBeVisible();
  await page.getByLabel("Kind").selectOption("audio");
  await expect(page.getByTestId("media-card")).toHaveCount(3);
  await page.goBack();
  await expect(page).toHaveURL(/[?&]kind=video(&|$)/);
  await expect(page.getByLabel("Kind")).toHaveValue("video");
});

test("the pager moves through pages by URL", async ({ page }) => {
  await gotoHydrated(page, `/?q=${TOKEN}&per_page=2`);
  await expect(page.getByTestId("media-card")).toHaveCount(2);
  await expect(page.getByTestId("library-page")).toHaveText("Page 1 of 2");
  await expect(page.getByTestId("library-previous")).toHaveCount(0);
  await page.getByTestId("library-next").click();
  await expect(page).toHaveURL(/[?&]page=2(&|$)/);
  await expect(page.getByTestId("library-page")).toHaveText("Page 2 of 2");
  await expect(page.getByTestId("media-card")).toHaveCount(1);
  await expect(mediaCard(page, ids.zebra)).toBeVisible();
  await expect(page.getByTestId("library-next")).toHaveCount(0);
  await page.getByTestId("library-previous").click();
  await expect(page.getByTestId("library-page")).toHaveText("Page 1 of 2");
});

test("editing a title checks it, saves it, and it persists after reload", async ({ page }) => {
  await gotoHydrated(page, `/?q=${TOKEN}`);
  const card = mediaCard(page, ids.aardvark);
  await card.getByTestId("edit-item").click();
  const title = card.getByTestId("edit-title");
  await expect(title).toBeFocused();
  await expect(title).toHaveValue(`Aardvark ${TOKEN}`);
  await expect(card.getByLabel("Title")).toHaveCount(1);
  await expect(card.getByLabel("Description")).toHaveCount(1);

  // An empty title is refused with a message by the field.
  await title.fill("   ");
  await card.getByTestId("edit-save").click();
  await expect(card.getByTestId("edit-title-error")).toHaveText("The title cannot be empty.");
  await expect(title).toHaveAttribute("aria-invalid", "true");
  await expect(title).toBeFocused();

  const renamed = `Armadillo ${TOKEN}`;
  await title.fill(renamed);
  await expect(card.getByTestId("edit-title-error")).toHaveCount(0);
  await card.getByTestId("edit-description").fill("Renamed by the library test.");
  await title.press("Enter");
  await expect(card.getByTestId("edit-form")).toHaveCount(0);
  await expect(card.getByTestId("media-title")).toHaveText(renamed);
  await expect(card.getByTestId("edit-item")).toBeFocused();

  await gotoHydrated(page, `/?q=${TOKEN}`);
  await expect(mediaCard(page, ids.aardvark).getByTestId("media-title")).toHaveText(renamed);
  const html = await (await page.request.get(`/?q=${TOKEN}`)).text();
  expect(html).toContain(renamed);
  // The description came back too; Escape closes the form unchanged.
  await mediaCard(page, ids.aardvark).getByTestId("edit-item").click();
  await expect(mediaCard(page, ids.aardvark).getByTestId("edit-description")).toHaveValue("Renamed by the library test.");
  await page.keyboard.press("Escape");
  await expect(mediaCard(page, ids.aardvark).getByTestId("edit-form")).toHaveCount(0);
  await expect(mediaCard(page, ids.aardvark).getByTestId("media-title")).toHaveText(renamed);
});

test("deleting asks first, removes the card, and the item's URLs answer 404", async ({ page }) => {
  const id = ids.zebra;
  await gotoHydrated(page, `/?q=${TOKEN}`);
  const card = mediaCard(page, id);
  await expect(card).toBeVisible();

  // Keeping it changes nothing.
  await card.getByTestId("delete-item").click();
  const dialog = page.getByRole("alertdialog", { name: "Delete this item?" });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText(`Zebra ${TOKEN}`);
  await expect(page.getByTestId("cancel-delete")).toBeFocused();
  await page.getByTestId("cancel-delete").click();
  await expect(dialog).toHaveCount(0);
  await expect(card).toBeVisible();
  expect((await page.request.get(`/media/${id}`)).status()).toBe(200);

  await card.getByTestId("delete-item").click();
  await page.getByTestId("confirm-delete").click();
  await expect(dialog).toHaveCount(0);
  await expect(card).toHaveCount(0);
  await expect(page.getByTestId("media-card")).toHaveCount(2);

  await expect.poll(async () => (await page.request.get(`/media/${id}`)).status()).toBe(404);
  await expect.poll(async () => (await page.request.get(`/files/${id}/original`)).status()).toBe(404);
  await gotoHydrated(page, `/?q=${TOKEN}`);
  await expect(page.getByTestId("media-card")).toHaveCount(2);
  await expect(mediaCard(page, id)).toHaveCount(0);
});

test("files dropped anywhere on the page upload, with an overlay while dragging", async ({ page }) => {
  await gotoHydrated(page, `/?q=${TOKEN}`);
  const overlay = page.locator(".drop-overlay");
  await expect(overlay).toBeHidden();

  // Dragging files over the library (not the zone) shows the overlay.
  const dataTransfer = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(["x"], "x.mp3", { type: "audio/mpeg" }));
    return dt;
  });
  const heading = page.locator("#library-heading");
  await heading.dispatchEvent("dragenter", { dataTransfer });
  await expect(overlay).toBeVisible();
  await heading.dispatchEvent("dragleave", { dataTransfer });
  await expect(overlay).toBeHidden();
  await dataTransfer.dispose();

  const name = `Ibis ${TOKEN}.mp3`;
  const file = path.join(MEDIA_DIR, name);
  fs.copyFileSync(tone(600), file);
  try {
    await dropFiles(page, "#library-heading", [file]);
  } finally {
    fs.rmSync(file, { force: true });
  }
  const row = uploadRow(page, name);
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute("data-state", /^(processing|ready)$/, { timeout: PROCESSING_TIMEOUT });
  await expect(overlay).toBeHidden();
  await expect(
    page.getByTestId("media-title").filter({ hasText: new RegExp(`^\\s*Ibis ${TOKEN}\\s*$`) }),
  ).toHaveCount(1);
});
