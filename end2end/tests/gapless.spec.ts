import { expect, test, type Page } from "@playwright/test";
import { callFn, failOnPageErrors, generateMedia, gotoHydrated, uploadViaApi as upload } from "./helpers";

// Gapless playback (issue "A library people live in"): one generated sine
// cut at a sample boundary into two files plays back as one unbroken sine.
// The page's audio output is tapped sample by sample (a ScriptProcessor put
// between the player's graph and the speakers, by this test only), and the
// join is measured: the silence inserted and the click (the largest jump
// in the wave's second difference, against a clean sine's).

failOnPageErrors();

const TOKEN = `gl${Date.now().toString(36)}`;
const HZ = 440;
const RATE = 48_000;
/** Where the sine is cut: 1.5 s, a sample boundary. */
const CUT = 72_000;
const TOTAL = 2 * CUT;

/** One half of the sine: `part` 0 is samples [0, CUT), 1 is [CUT, TOTAL). */
function half(part: 0 | 1, ext: string, codec: string[]): string {
  const trim = part === 0 ? `atrim=end_sample=${CUT}` : `atrim=start_sample=${CUT},asetpts=N/SR/TB`;
  return generateMedia(`gapless-${part}.${ext}`, [
    "-f", "lavfi", "-i", `sine=frequency=${HZ}:sample_rate=${RATE}:duration=${TOTAL / RATE}`,
    "-af", trim, ...codec,
  ]);
}

type Join = { rate: number; soundingMs: number; expectedMs: number; longestQuietMs: number; clickDb: number };

/** Records what the page plays: every AudioDestinationNode gets a tap. */
async function tapOutput(page: Page): Promise<void> {
  await page.addInitScript(() => {
    // Only the newest tapped context is recorded (a page may make another).
    const tap = { rate: 0, chunks: [] as Float32Array[], current: null as ScriptProcessorNode | null };
    (window as unknown as { __tap: typeof tap }).__tap = tap;
    const taps = new WeakMap<BaseAudioContext, ScriptProcessorNode>();
    const connect = AudioNode.prototype.connect as (this: AudioNode, ...args: unknown[]) => unknown;
    AudioNode.prototype.connect = function (this: AudioNode, ...args: unknown[]) {
      const dest = args[0];
      if (dest instanceof AudioDestinationNode) {
        const ctx = dest.context;
        let proc = taps.get(ctx);
        if (!proc) {
          const made = ctx.createScriptProcessor(4096, 1, 1);
          tap.rate = ctx.sampleRate;
          tap.current = made;
          tap.chunks = [];
          made.onaudioprocess = (e) => {
            const input = e.inputBuffer.getChannelData(0);
            if (tap.current === made) tap.chunks.push(new Float32Array(input));
            e.outputBuffer.getChannelData(0).set(input);
          };
          connect.call(made, dest);
          taps.set(ctx, made);
          proc = made;
        }
        return connect.call(this, proc);
      }
      return connect.apply(this, args);
    } as typeof AudioNode.prototype.connect;
  });
}

/** Measures the join in what was recorded (in the page: it is megabytes). */
function measure(page: Page, hz: number, totalSecs: number): Promise<Join> {
  return page.evaluate(
    ([hz, totalSecs]) => {
      const tap = (window as unknown as { __tap: { rate: number; chunks: Float32Array[] } }).__tap;
      const length = tap.chunks.reduce((n, c) => n + c.length, 0);
      const x = new Float32Array(length);
      let at = 0;
      for (const c of tap.chunks) {
        x.set(c, at);
        at += c.length;
      }
      const loud = (v: number) => Math.abs(v) > 0.01;
      let first = x.findIndex(loud);
      let last = x.length - 1;
      while (last > first && !loud(x[last])) last--;
      // Silence inside the sound: a clean sine is this quiet for a sample
      // at most, at each zero crossing.
      let longest = 0;
      let run = 0;
      let d2 = 0;
      for (let i = first; i <= last; i++) {
        if (Math.abs(x[i]) < 0.002) {
          run++;
          longest = Math.max(longest, run);
        } else {
          run = 0;
        }
        if (i >= first + 2) d2 = Math.max(d2, Math.abs(x[i] - 2 * x[i - 1] + x[i - 2]));
      }
      const amplitude = x.slice(first, last + 1).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const clean = amplitude * (2 * Math.PI * hz / tap.rate) ** 2;
      if (first < 0) first = 0;
      return {
        rate: tap.rate,
        soundingMs: ((last - first + 1) / tap.rate) * 1000,
        expectedMs: totalSecs * 1000,
        longestQuietMs: (longest / tap.rate) * 1000,
        clickDb: 20 * Math.log10(d2 / clean),
      };
    },
    [hz, totalSecs] as const,
  );
}

test("two halves of one sine play back as one: no gap and no click at the join", async ({ page }) => {
  await tapOutput(page);
  const flac = ["-c:a", "flac"];
  const a = await upload(page.request, half(0, "flac", flac), `Join A ${TOKEN}.flac`);
  const b = await upload(page.request, half(1, "flac", flac), `Join B ${TOKEN}.flac`);
  await gotoHydrated(page, `/?q=${TOKEN}&sort=title`);
  await expect(page.getByTestId("media-card")).toHaveCount(2);
  const bar = page.getByTestId("now-playing");
  await page.getByTestId("play-all").click();
  await expect(bar).toHaveAttribute("data-engine", "gapless");
  await page.getByTestId("queue-toggle").click();
  await expect(page.getByTestId("queue-item")).toHaveCount(2);
  expect(await page.getByTestId("queue-item").evaluateAll((li) => li.map((l) => l.getAttribute("data-id")))).toEqual([a, b]);
  // The second half takes over by itself and the queue ends with it.
  await expect(page.getByTestId("now-playing-title")).toHaveText(`Join B ${TOKEN}`, { timeout: 15_000 });
  await expect(bar).toHaveAttribute("data-playing", "false", { timeout: 15_000 });

  const join = await measure(page, HZ, TOTAL / RATE);
  console.log(
    `gapless join (FLAC, ${join.rate} Hz output): sounding ${join.soundingMs.toFixed(2)} ms of ${join.expectedMs} ms, ` +
      `longest silence inside ${join.longestQuietMs.toFixed(3)} ms, click ${join.clickDb.toFixed(1)} dB over a clean sine's largest step`,
  );

  // For comparison, what Reel did before (and media elements do): the
  // second file starts when the first one's element says it ended.
  const plays = await Promise.all(
    [a, b].map(async (id) => ((await callFn(page.request, "media", { id })) as { urls: { play: string } }).urls.play),
  );
  await page.evaluate(async ([first, second]) => {
    const ctx = new AudioContext();
    const [one, two] = [first, second].map((src) => {
      const el = new Audio(src);
      el.preload = "auto";
      ctx.createMediaElementSource(el).connect(ctx.destination);
      return el;
    });
    await new Promise<void>((done) => {
      one.onended = () => void two.play();
      two.onended = () => done();
      void one.play();
    });
    // What the tap's buffer still holds reaches it within a few quanta.
    await new Promise((done) => setTimeout(done, 300));
  }, plays);
  const element = await measure(page, HZ, TOTAL / RATE);
  console.log(
    `element join, for comparison: sounding ${element.soundingMs.toFixed(2)} ms of ${element.expectedMs} ms, ` +
      `longest silence inside ${element.longestQuietMs.toFixed(3)} ms, click ${element.clickDb.toFixed(1)} dB`,
  );

  expect(join.longestQuietMs, "silence at the join").toBeLessThan(10);
  expect(Math.abs(join.soundingMs - join.expectedMs), "time added or lost at the join").toBeLessThan(10);
  // A one-sample hole at this level would be ~+50 dB; resampling's ripple a few dB.
  expect(join.clickDb, "a click at the join").toBeLessThan(12);
});

test("matched levels raise a quiet sound, and what comes out is that much louder", async ({ page }) => {
  await tapOutput(page);
  const token = `${TOKEN}quiet`;
  // A sine at 0.05 of full scale: about 11 dB under the common level.
  const quiet = generateMedia("gapless-quiet.flac", [
    "-f", "lavfi", "-i", `sine=frequency=${HZ}:sample_rate=${RATE}:duration=6`, "-af", "volume=0.4", "-c:a", "flac",
  ]);
  const id = await upload(page.request, quiet, `Quiet ${token}.flac`);
  // Its loudness is measured with its waveform, after the upload.
  let lufs = NaN;
  await expect
    .poll(async () => {
      const item = (await callFn(page.request, "media", { id })) as { loudness_lufs: number | null };
      lufs = item.loudness_lufs ?? NaN;
      return Number.isFinite(lufs);
    })
    .toBe(true);
  const expected = Math.min(10 ** ((-18 - lufs) / 20), 4);
  expect(expected, `a quiet sound (${lufs} LUFS) is raised`).toBeGreaterThan(2);

  await gotoHydrated(page, `/?q=${token}`);
  await page.getByTestId("play-all").click();
  const bar = page.getByTestId("now-playing");
  await expect(bar).toHaveAttribute("data-playing", "true");
  expect(Number(await bar.getAttribute("data-gain")), "as it is until matching is on").toBe(1);
  // Turned on while it plays: the sounding track is raised at once.
  await page.getByTestId("match-loudness").click();
  await expect(page.getByTestId("match-loudness")).toHaveAttribute("aria-pressed", "true");
  await expect.poll(async () => Number(await bar.getAttribute("data-gain"))).toBeCloseTo(expected, 2);
  await expect(bar).toHaveAttribute("data-playing", "false", { timeout: 15_000 });
  const loudest = await page.evaluate(() => {
    const tap = (window as unknown as { __tap: { chunks: Float32Array[] } }).__tap;
    return tap.chunks.reduce((m, c) => c.reduce((n, v) => Math.max(n, Math.abs(v)), m), 0);
  });
  console.log(`quiet sound at ${lufs} LUFS raised ${(20 * Math.log10(expected)).toFixed(1)} dB: peak 0.050 -> ${loudest.toFixed(3)}`);
  expect(loudest / 0.05).toBeCloseTo(expected, 1);
});
