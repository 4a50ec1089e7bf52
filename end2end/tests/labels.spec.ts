import { expect, test } from "@playwright/test";
import { failOnPageErrors, gotoHydrated, mediaCard, mediaFile, uploadViaApi } from "./helpers";

// Tags and favourites in the real browser: tags added on an item's page
// show as chips, a chip opens the library filtered by that tag (the Tag
// filter follows), a tag is removed with its ×, a broken tag is refused
// with the rule, and the star makes an item a favourite the library can
// filter by.

failOnPageErrors();

test("tags added on the page filter the library, and a favourite is kept", async ({ page }) => {
  const stamp = Date.now().toString(36);
  const tag = `trip ${stamp}`;
  const id = await uploadViaApi(page.request, mediaFile("tone.mp3"), `tagged-${stamp}.mp3`);
  const other = await uploadViaApi(page.request, mediaFile("tone.mp3"), `untagged-${stamp}.mp3`);

  await gotoHydrated(page, `/media/${id}`);
  const input = page.getByTestId("label-input");
  await input.fill(`${tag}, Live,  live `);
  await page.getByTestId("label-add").click();
  const chips = page.getByTestId("labels").getByTestId("label-chip");
  await expect(chips).toHaveText(["Live", tag]);
  await expect(input).toHaveValue("");

  // A comma inside one tag cannot be typed as one; a 41-character tag is refused.
  await input.fill("x".repeat(41));
  await page.getByTestId("label-add").click();
  await expect(page.getByTestId("label-error")).toContainText("at most 40 characters");
  await expect(chips).toHaveCount(2);

  // The × removes one.
  await page.getByRole("button", { name: "Remove the tag Live" }).click();
  await expect(chips).toHaveText([tag]);

  // The star.
  const star = page.getByTestId("favourite");
  await expect(star).toHaveAttribute("aria-pressed", "false");
  await star.click();
  await expect(star).toHaveAttribute("aria-pressed", "true");

  // The chip opens the library with that tag: only this item.
  await chips.first().click();
  await expect(page).toHaveURL(new RegExp(`[?&]tag=${encodeURIComponent(tag).replace(/%20/g, "%20")}`));
  await expect(page.getByTestId("library-tag")).toHaveValue(tag);
  await expect(mediaCard(page, id)).toBeVisible();
  await expect(mediaCard(page, other)).toHaveCount(0);
  await expect(mediaCard(page, id).getByTestId("label-chip")).toHaveText([tag]);
  await expect(mediaCard(page, id).getByTestId("favourite-mark")).toBeVisible();

  // Favourites only, any tag: this item, not the other.
  await page.getByTestId("library-tag").selectOption("");
  await expect(mediaCard(page, other)).toBeVisible();
  await page.getByTestId("library-favourites").check();
  await expect(page).toHaveURL(/[?&]favourites=1/);
  await expect(mediaCard(page, id)).toBeVisible();
  await expect(mediaCard(page, other)).toHaveCount(0);
});
