import { expect, test } from "@playwright/test";
import { failOnPageErrors, generateMedia, originOf, PROCESSING_TIMEOUT, uploadViaApi } from "./helpers";

// Every page but the library is its own wasm piece (`cargo leptos build
// --split`), loaded before the page hydrates (src/app/pages.rs). The media
// page's piece is held back here until its item is ready, so the item's last
// event goes by while the page is still plain HTML: the hydrated page must
// still show the item ready, and hydrate without a panic.

failOnPageErrors();

// MPEG-4 part 2 in Matroska: converted, so processing lasts long enough for
// the page to be served while the item is still processing.
const MKV = "testsrc-360p-30s-mpeg4.mkv";

test("a media page whose code arrives after its item is ready hydrates and shows it ready", async ({ page }) => {
  test.setTimeout(120_000);
  const file = generateMedia(MKV, [
    "-f", "lavfi", "-i", "testsrc=duration=30:size=640x360:rate=30",
    "-f", "lavfi", "-i", "sine=frequency=330:duration=30",
    "-c:v", "mpeg4", "-q:v", "5",
    "-c:a", "libopus", "-b:a", "64k",
    "-shortest",
  ]);
  const id = await uploadViaApi(page.request, file, "late-piece.mkv");

  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held = 0;
  await page.route(/\/pkg\/split___media_route_view[^/]*\.wasm$/, async (route) => {
    held += 1;
    await released;
    await route.continue();
  });

  const response = await page.goto(`/media/${id}`);
  expect(response?.status()).toBe(200);
  expect(await response!.text(), "served while processing").toContain('data-state="processing"');
  await expect.poll(() => held, { message: "the page asks for its own piece" }).toBe(1);
  await expect(page.locator("html")).not.toHaveAttribute("data-hydrated", "true");

  // The item finishes while the page waits for its piece.
  const origin = await originOf(page.request);
  await expect
    .poll(
      async () => {
        const answer = await page.request.post("/api/media", { headers: { Origin: origin }, form: { id } });
        return (await answer.text()).includes('"state":"ready"');
      },
      { timeout: PROCESSING_TIMEOUT, message: "the item should finish processing" },
    )
    .toBe(true);

  release();
  await expect(page.locator("html"), "the app should hydrate").toHaveAttribute("data-hydrated", "true");
  await expect(page.locator("article.media")).toHaveAttribute("data-state", "ready", { timeout: PROCESSING_TIMEOUT });
  await expect(page.locator('video[data-testid="player"]')).toHaveAttribute(
    "data-ladder",
    new RegExp(`/files/${id}/hls/`),
  );
});
