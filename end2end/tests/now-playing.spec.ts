import { expect, test, type Page } from "@playwright/test";
import { failOnPageErrors, generateMedia, gotoHydrated, mediaCard, uploadViaApi as upload } from "./helpers";

// The player that keeps playing (issue "A library people live in"): one
// player in the app shell, a queue, and the Media Session API. Items get
// titles with a token unique to this run, so a search for the token finds
// exactly them on the shared test server.

test.describe.configure({ mode: "serial" });

const TOKEN = `np${Date.now().toString(36)}`;

/** An MP3 tone `secs` long: browsers play MP3 as uploaded. */
function tone(hz: number, secs: number): string {
  return generateMedia(`now-playing-${hz}-${secs}.mp3`, [
    "-f", "lavfi", "-i", `sine=frequency=${hz}:duration=${secs}`, "-c:a", "libmp3lame", "-b:a", "64k",
  ]);
}

// Short sounds play through the gapless engine (Web Audio), where the
// shell's element stays idle: the bar's data attributes say what plays.
const bar = (page: Page) => page.getByTestId("now-playing");
const time = async (page: Page) => Number(await bar(page).getAttribute("data-time"));
const paused = async (page: Page) => (await bar(page).getAttribute("data-playing")) !== "true";
const queued = (page: Page) =>
  page.getByTestId("queue-item").evaluateAll((items) => items.map((li) => li.getAttribute("data-id")));

/** The shell's player is playing: its time moves on. */
async function keepsPlaying(page: Page, what: string): Promise<void> {
  const before = await time(page);
  await expect
    .poll(() => time(page), { message: `the shell's player should still play ${what}` })
    .toBeGreaterThan(before + 0.25);
  expect(await paused(page)).toBe(false);
}

// Uncaught exceptions in the page (a wasm panic shows up as one) fail the test.
failOnPageErrors();

test("the queue plays on across pages, moves on by itself, reorders, and survives a reload", async ({ page }) => {
  const short = await upload(page.request, tone(330, 2), `Short ${TOKEN}.mp3`);
  const long = await upload(page.request, tone(550, 90), `Long ${TOKEN}.mp3`);
  const third = await upload(page.request, tone(660, 30), `Third ${TOKEN}.mp3`);
  await gotoHydrated(page, `/?q=${TOKEN}`);
  await expect(page.getByTestId("now-playing")).toBeHidden();

  for (const id of [short, long, third]) {
    await mediaCard(page, id).getByTestId("add-to-queue").click();
  }
  const title = page.getByTestId("now-playing-title");
  await expect(page.getByTestId("now-playing")).toBeVisible();
  await expect(title).toHaveText(`Short ${TOKEN}`);
  await expect(page.getByTestId("now-playing-notice")).toContainText("added to the queue");
  expect(await paused(page), "adding does not start playing").toBe(true);

  await page.getByTestId("now-playing-toggle").click();
  // The two-second item ends and the next one starts by itself.
  await expect(title).toHaveText(`Long ${TOKEN}`, { timeout: 15_000 });
  await keepsPlaying(page, "the next item");
  await expect
    .poll(() => page.evaluate(() => navigator.mediaSession.metadata?.title), { message: "media session title" })
    .toBe(`Long ${TOKEN}`);
  expect(await page.evaluate(() => navigator.mediaSession.playbackState)).toBe("playing");

  // Browse: the item's own page, the library and a search, the account page.
  await title.click();
  await expect(page.getByTestId("media-heading")).toHaveText(`Long ${TOKEN}`);
  await keepsPlaying(page, "on the item's page");
  await page.locator("a.brand").click();
  await page.getByTestId("library-search").fill(`Third ${TOKEN}`);
  await expect(page.getByTestId("media-card")).toHaveCount(1);
  await keepsPlaying(page, "after a search");
  await page.getByTestId("account-link").click();
  await expect(page).toHaveURL(/\/account$/);
  await keepsPlaying(page, "on the account page");

  // "Play next" moves an item right after the one playing.
  await page.locator("a.brand").click();
  await page.getByTestId("library-search").fill(TOKEN);
  await expect(page.getByTestId("media-card")).toHaveCount(3);
  await mediaCard(page, third).getByTestId("play-next").click();
  await mediaCard(page, short).getByTestId("play-next").click();
  await page.getByTestId("queue-toggle").click();
  await expect(page.getByTestId("queue-toggle")).toHaveAttribute("aria-expanded", "true");
  await expect.poll(() => queued(page)).toEqual([long, short, third]);
  await expect(page.locator('[data-testid="queue-item"][aria-current="true"]')).toHaveAttribute("data-id", long);

  // Reorder and remove from the list; the item playing stays playing.
  await page.getByRole("button", { name: `Move “Third ${TOKEN}” up` }).click();
  await expect.poll(() => queued(page)).toEqual([long, third, short]);
  await page.getByRole("button", { name: `Remove “Short ${TOKEN}” from the queue` }).click();
  await expect.poll(() => queued(page)).toEqual([long, third]);
  await keepsPlaying(page, "while the queue changes");

  // "Next" plays the next item; a reload keeps the queue and the position, paused.
  await page.getByTestId("now-playing-next").click();
  await expect(title).toHaveText(`Third ${TOKEN}`);
  await keepsPlaying(page, "the item after Next");
  await expect.poll(() => time(page)).toBeGreaterThan(1.5);
  const before = await time(page);
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  await expect(title).toHaveText(`Third ${TOKEN}`);
  await expect
    .poll(async () => Number(await bar(page).getAttribute("data-duration")), { message: "restored item loads" })
    .toBeGreaterThan(0);
  expect(await paused(page), "a reload waits for the person").toBe(true);
  expect(await time(page)).toBeGreaterThanOrEqual(before - 0.1);
  await page.getByTestId("queue-toggle").click();
  expect(await queued(page)).toEqual([long, third]);
});

test("leaving an item's page while it plays carries it on in the bar, from the same moment", async ({ page }) => {
  const id = await upload(page.request, tone(440, 60), `Handover ${TOKEN}.mp3`);
  await gotoHydrated(page, `/media/${id}`);
  const player = page.locator('audio[data-testid="player"]');
  await player.evaluate((el) => (el as HTMLMediaElement).play());
  await expect.poll(() => player.evaluate((el) => (el as HTMLMediaElement).currentTime)).toBeGreaterThan(1);
  const left = await player.evaluate((el) => (el as HTMLMediaElement).currentTime);

  await page.locator("p.back a").click();
  await expect(page.getByTestId("media-grid")).toBeVisible();
  await expect(page.getByTestId("now-playing-title")).toHaveText(`Handover ${TOKEN}`);
  await keepsPlaying(page, "the item from the page that was left");
  expect(await time(page)).toBeGreaterThanOrEqual(left);

  // Playing on an item's page pauses the bar: never two at once.
  await page.getByTestId("now-playing-title").click();
  const again = page.locator('audio[data-testid="player"]');
  await again.evaluate((el) => (el as HTMLMediaElement).play());
  await expect.poll(() => paused(page), { message: "the bar pauses" }).toBe(true);
});

test("Play all plays a search result in its order", async ({ page }) => {
  const token = `${TOKEN}all`;
  const first = await upload(page.request, tone(770, 2), `One ${token}.mp3`);
  const second = await upload(page.request, tone(880, 30), `Two ${token}.mp3`);
  await gotoHydrated(page, `/?q=${token}&sort=title`);
  await expect(page.getByTestId("media-card")).toHaveCount(2);
  await page.getByTestId("play-all").click();
  await expect(page.getByTestId("now-playing-title")).toHaveText(`One ${token}`);
  await page.getByTestId("queue-toggle").click();
  expect(await queued(page)).toEqual([first, second]);
  // The first ends and the second follows.
  await expect(page.getByTestId("now-playing-title")).toHaveText(`Two ${token}`, { timeout: 15_000 });
  await keepsPlaying(page, "the second of the result");
});
