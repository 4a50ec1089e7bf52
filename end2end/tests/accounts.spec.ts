import { expect, test, type Browser, type Page } from "@playwright/test";

import {
  PROCESSING_TIMEOUT,
  callFn,
  expectPlaysAndSeeks,
  failOnPageErrors,
  gotoHydrated,
  mediaCard,
  mediaFile,
  uploadRow,
  uploadViaApi,
} from "./helpers";

// Accounts in the browser: a second user sees only what they may; a share
// link plays a private item for someone with no account, until revoked.

failOnPageErrors();

/** A page in a new browser context with no session (someone else's browser). */
async function freshPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  return context.newPage();
}

async function signIn(page: Page, name: string, password: string): Promise<void> {
  await gotoHydrated(page, "/login");
  await page.getByTestId("sign-in-name").fill(name);
  await page.getByTestId("sign-in-password").fill(password);
  await page.getByTestId("sign-in-submit").click();
  await expect(page.getByTestId("account-link")).toHaveText(name);
}

test("a member sees their own library, not the admin's private items", async ({ page, browser }) => {
  const stamp = Date.now().toString(36);
  const secret = await uploadViaApi(page.request, mediaFile("clip.mp4"), `secret-${stamp}.mp4`, "private");
  const shared = await uploadViaApi(page.request, mediaFile("clip.mp4"), `everyone-${stamp}.mp4`, "internal");
  const name = `member-${stamp}`;
  await callFn(page.request, "create_user", { username: name, password: "member password", role: "member" });

  const member = await freshPage(browser);
  // A visitor is asked to sign in and sees nothing.
  await gotoHydrated(member, "/");
  await expect(member.getByTestId("library-sign-in")).toBeVisible();
  expect((await member.request.get(`/media/${secret}`)).status()).toBe(404);
  expect((await member.request.get(`/files/${secret}/original`)).status()).toBe(404);

  await signIn(member, name, "member password");
  await gotoHydrated(member, `/?q=${stamp}`);
  await expect(mediaCard(member, shared)).toBeVisible();
  await expect(mediaCard(member, secret)).toHaveCount(0);
  // Theirs to see, not to change: no Edit or Delete on the admin's item.
  await expect(mediaCard(member, shared).getByTestId("edit-item")).toHaveCount(0);
  const missing = await member.goto(`/media/${secret}`);
  expect(missing?.status()).toBe(404);
  expect((await member.request.get(`/files/${secret}/original`)).status()).toBe(404);
  // The member's own upload zone is there, and their upload is theirs.
  await gotoHydrated(member, "/");
  await expect(member.getByTestId("drop-zone")).toBeVisible();

  await member.getByTestId("sign-out").click();
  await expect(member.getByTestId("sign-in-link")).toBeVisible();
  await expect(member.getByTestId("library-sign-in")).toBeVisible();
  await member.context().close();
});

test("a share link plays a private item for someone without an account, until revoked", async ({ page, browser }) => {
  const id = await uploadViaApi(page.request, mediaFile("clip.mp4"), "shared-clip.mp4", "private");
  await gotoHydrated(page, `/media/${id}`);
  await expect(page.locator("article.media")).toHaveAttribute("data-state", "ready", { timeout: PROCESSING_TIMEOUT });
  await page.getByTestId("share-open").click();
  await page.getByTestId("share-create").click();
  const link = await page.getByTestId("share-link").inputValue();
  expect(link).toMatch(/\/s\/[A-Za-z0-9_-]{43}$/);

  const visitor = await freshPage(browser);
  await gotoHydrated(visitor, new URL(link).pathname);
  await expect(visitor.getByTestId("media-heading")).toHaveText("shared-clip");
  await expectPlaysAndSeeks(visitor.getByTestId("shared-player"), 10);
  // The item itself stays private to the visitor.
  expect((await visitor.request.get(`/media/${id}`)).status()).toBe(404);

  await page.getByTestId("share-revoke").click();
  await expect(page.getByTestId("share")).toHaveCount(0);
  // Revoked: the page answers 404 and says the link is gone.
  const gone = await visitor.goto(new URL(link).pathname);
  expect(gone?.status()).toBe(404);
  await expect(visitor.locator("html")).toHaveAttribute("data-hydrated", "true");
  await expect(visitor.locator(".notice.error")).toHaveAttribute("data-code", "not-found");
  await visitor.context().close();
});

test("the visibility chosen on the upload zone is the new item's", async ({ page }) => {
  await gotoHydrated(page, "/");
  await page.getByTestId("upload-visibility").selectOption("unlisted");
  await page.getByTestId("file-input").setInputFiles(mediaFile("clip.mp4"));
  const link = uploadRow(page, "clip.mp4").getByTestId("upload-link");
  await expect(link).toBeVisible({ timeout: PROCESSING_TIMEOUT });
  const href = await link.getAttribute("href");
  await gotoHydrated(page, href!);
  await expect(page.getByTestId("visibility-badge")).toHaveText("Unlisted");
});
