import { expect, type Page, test } from "@playwright/test";
import { failOnPageErrors, gotoHydrated, mediaCard, mediaFile, uploadViaApi } from "./helpers";

// Choosing cards and working on them at once, then a playlist in the real
// browser: five cards chosen with the keyboard and Shift+click, tagged in
// one go, put into a new playlist, reordered by drag and by the keyboard
// (kept after a reload), and played in that order by the shell's player.

failOnPageErrors();

const rowTitles = (page: Page) => page.getByTestId("collection-item-title").allTextContents();

test("five cards chosen by keyboard and Shift+click are tagged, made a playlist, reordered and played", async ({
  page,
}) => {
  const stamp = Date.now().toString(36);
  const names = ["A", "B", "C", "D", "E"].map((letter) => `${letter} pick ${stamp}`);
  const ids: string[] = [];
  for (const name of names) {
    ids.push(await uploadViaApi(page.request, mediaFile("tone.mp3"), `${name}.mp3`));
  }
  await gotoHydrated(page, `/?q=${stamp}&sort=title`);
  await expect(page.getByTestId("media-card")).toHaveCount(5);

  // The keyboard: Space on the first card's toggle chooses it; Shift+click
  // on the fifth takes every card between.
  const toggle = (n: number) => mediaCard(page, ids[n]).getByTestId("select-card");
  // Toggles are shown to a signed-in person from the server's HTML on.
  await expect(toggle(0)).toBeVisible();
  await toggle(0).focus();
  await page.keyboard.press("Space");
  await expect(toggle(0)).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("selection-count")).toHaveText("1 item chosen");
  await toggle(4).click({ modifiers: ["Shift"] });
  await expect(page.getByTestId("selection-count")).toHaveText("5 items chosen");
  for (let n = 0; n < 5; n++) {
    await expect(toggle(n)).toHaveAttribute("aria-pressed", "true");
  }
  // Escape lets go; Ctrl+A in the grid takes the page again.
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("selection-bar")).toBeHidden();
  await toggle(2).focus();
  await page.keyboard.press("Control+a");
  await expect(page.getByTestId("selection-count")).toHaveText("5 items chosen");

  // One request tags all five.
  const tag = `pick ${stamp}`;
  await page.getByTestId("selection-tags").fill(tag);
  await page.getByTestId("selection-add-tags").click();
  await expect(page.getByTestId("bulk-report")).toContainText("Done for 5 items.");
  for (const id of ids) {
    await expect(mediaCard(page, id).getByTestId("label-chip")).toHaveText([tag]);
  }

  // And puts them, in the page's order, into a new playlist.
  await expect(page.getByTestId("selection-count")).toHaveText("5 items chosen");
  await page.getByTestId("selection-playlist").selectOption("new");
  await page.getByTestId("selection-new-playlist").fill(`Picks ${stamp}`);
  await page.getByTestId("selection-add-to-playlist").click();
  await expect(page.getByTestId("bulk-report")).toContainText("Done for 5 items.");

  await page.getByTestId("collections-link").click();
  await page.getByTestId("collection-name").filter({ hasText: `Picks ${stamp}` }).click();
  await expect(page.getByTestId("collection-heading")).toHaveText(`Picks ${stamp}`);
  await expect.poll(() => rowTitles(page)).toEqual(names);

  // Drag E onto A: E comes first.
  const row = (title: string) => page.getByTestId("collection-item").filter({ hasText: title });
  await row(names[4]).dragTo(row(names[0]));
  const dragged = [names[4], names[0], names[1], names[2], names[3]];
  await expect.poll(() => rowTitles(page)).toEqual(dragged);
  // The keyboard: Alt+↓ on A's handle moves it one down, focus staying on it.
  const handle = row(names[0]).getByTestId("move-handle");
  await handle.focus();
  await page.keyboard.press("Alt+ArrowDown");
  const moved = [names[4], names[1], names[0], names[2], names[3]];
  await expect.poll(() => rowTitles(page)).toEqual(moved);
  await expect(row(names[0]).getByTestId("move-handle")).toBeFocused();

  // The server kept the order.
  await page.reload();
  await expect(page.getByTestId("collection-heading")).toHaveText(`Picks ${stamp}`);
  await expect.poll(() => rowTitles(page)).toEqual(moved);

  // Played in that order through the shell's player.
  await gotoHydrated(page, page.url().replace(/^https?:\/\/[^/]+/, ""));
  await page.getByTestId("play-all").click();
  await expect(page.getByTestId("now-playing-title")).toHaveText(moved[0]);
  await page.getByTestId("queue-toggle").click();
  await expect(page.getByTestId("queue-item")).toHaveCount(5);
  await page.getByTestId("now-playing-next").click();
  await expect(page.getByTestId("now-playing-title")).toHaveText(moved[1]);
  const bar = page.getByTestId("now-playing");
  await expect.poll(async () => Number(await bar.getAttribute("data-time"))).toBeGreaterThan(0);
});
