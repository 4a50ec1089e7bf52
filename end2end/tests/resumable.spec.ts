import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { expect, test, type CDPSession, type Locator, type Page } from "@playwright/test";
import { expectRowReady, gotoHydrated, mediaFile, uploadRow } from "./helpers";

// Resumable uploads in the real browser: a throttled network, pause and
// resume, a reload mid-upload, and choosing the same file again.

const FILE = "long.wav";

async function throttle(page: Page, bytesPerSecond: number): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 20,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond,
  });
  return cdp;
}

async function percentOf(row: Locator): Promise<number> {
  return Number(await row.getByTestId("upload-progress").getAttribute("value"));
}

async function serverOffset(page: Page): Promise<number> {
  // The upload's address is remembered in localStorage under the file's fingerprint.
  const url = await page.evaluate(() => {
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i) ?? "";
      if (key.startsWith("reel.tus::long.wav::")) return localStorage.getItem(key);
    }
    return null;
  });
  expect(url, "the upload address is remembered for this file").not.toBeNull();
  const head = await page.request.head(url!, { headers: { "Tus-Resumable": "1.0.0" } });
  expect(head.status()).toBe(200);
  return Number(head.headers()["upload-offset"]);
}

test("a throttled upload pauses, resumes, survives a reload and finishes where it was", async ({ page }) => {
  test.setTimeout(120_000);
  const path = mediaFile(FILE);
  const size = fs.statSync(path).size;

  await gotoHydrated(page, "/");
  await throttle(page, 400 * 1024);
  const input = page.getByTestId("file-input");
  await input.setInputFiles(path);

  const row = uploadRow(page, FILE);
  await expect(row).toHaveAttribute("data-state", "uploading");
  await expect.poll(() => percentOf(row), { timeout: 30_000 }).toBeGreaterThanOrEqual(10);
  await expect(row.getByTestId("upload-detail")).toContainText(/\/s/); // a speed is shown

  // Pause: the row says so, and the server keeps what it received.
  await row.getByTestId("upload-pause").click();
  await expect(row).toHaveAttribute("data-state", "paused");
  const kept = await serverOffset(page);
  expect(kept, "bytes received before the pause are kept").toBeGreaterThan(0);
  expect(await serverOffset(page), "nothing moves while paused").toBe(kept);

  // Resume: it goes on from there.
  await row.getByTestId("upload-resume").click();
  await expect(row).toHaveAttribute("data-state", "uploading");
  const resumedAt = await percentOf(row);
  await expect.poll(() => percentOf(row), { timeout: 30_000 }).toBeGreaterThan(Math.max(resumedAt, 40));

  // Reload mid-upload, then choose the same file again.
  const beforeReload = await serverOffset(page);
  expect(beforeReload).toBeLessThan(size);
  await page.reload();
  await page.waitForSelector('html[data-hydrated="true"]');
  await expect(uploadRow(page, FILE)).toHaveCount(0);
  await page.getByTestId("file-input").setInputFiles(path);

  const again = uploadRow(page, FILE);
  await expect(again.getByTestId("upload-note")).toContainText(/Resumed at \d+ %/);
  const note = (await again.getByTestId("upload-note").textContent()) ?? "";
  const resumedPercent = Number(/Resumed at (\d+) %/.exec(note)?.[1]);
  expect(resumedPercent, "it resumed from where it was, not from zero").toBeGreaterThanOrEqual(
    Math.floor((beforeReload * 100) / size),
  );

  const id = await expectRowReady(again);
  const stored = await page.request.get(`/files/${id}/original`);
  expect(stored.status()).toBe(200);
  const want = crypto.createHash("sha256").update(fs.readFileSync(path)).digest("hex");
  const got = crypto.createHash("sha256").update(await stored.body()).digest("hex");
  expect(got, "the stored file is byte-identical").toBe(want);
});

test("cancelling an upload removes it", async ({ page }) => {
  await gotoHydrated(page, "/");
  await throttle(page, 200 * 1024);
  await page.getByTestId("file-input").setInputFiles(mediaFile(FILE));
  const row = uploadRow(page, FILE);
  await expect.poll(() => percentOf(row), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
  const url = await page.evaluate(() => {
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i) ?? "";
      if (key.startsWith("reel.tus::long.wav::")) return localStorage.getItem(key);
    }
    return null;
  });
  await row.getByTestId("upload-cancel").click();
  await expect(row).toHaveAttribute("data-state", "cancelled");
  // Termination: the server forgets the upload.
  await expect
    .poll(async () => (await page.request.head(url!, { headers: { "Tus-Resumable": "1.0.0" } })).status())
    .toBe(404);
});
