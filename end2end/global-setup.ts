// Generates the media files the end-to-end tests upload, with the real ffmpeg.
//
// Files are only made when missing, so a run after the first costs nothing.
// Each file is written under a temporary name in the same directory and then
// renamed into place, so an interrupted run never leaves a half-written file
// behind under the real name.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** Where the generated media lives (gitignored). */
export const MEDIA_DIR = path.resolve(__dirname, ".media");

type Producer = (tmpPath: string) => void;

function ffmpeg(args: string[]): void {
  try {
    execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-nostdin", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === "ENOENT") {
      throw new Error("ffmpeg was not found on PATH; it is needed to generate the test media");
    }
    const stderr = e.stderr ? e.stderr.toString() : "";
    throw new Error(`ffmpeg ${args.join(" ")} failed: ${e.message}\n${stderr}`);
  }
}

/** The generated files, by name. The temp path keeps the extension so ffmpeg picks the muxer. */
const PRODUCERS: Record<string, Producer> = {
  "clip.mp4": (out) =>
    ffmpeg([
      "-y",
      "-f", "lavfi", "-i", "testsrc=duration=10:size=320x240:rate=25",
      "-f", "lavfi", "-i", "sine=frequency=440:duration=10",
      "-c:v", "libx264", "-pix_fmt", "yuv420p",
      "-c:a", "aac",
      "-movflags", "+faststart",
      "-shortest",
      out,
    ]),
  "tone.mp3": (out) =>
    ffmpeg([
      "-y",
      "-f", "lavfi", "-i", "sine=frequency=660:duration=10",
      "-c:a", "libmp3lame", "-b:a", "128k",
      out,
    ]),
  "tone.opus": (out) =>
    ffmpeg([
      "-y",
      "-f", "lavfi", "-i", "sine=frequency=550:duration=10",
      "-c:a", "libopus", "-b:a", "64k",
      "-f", "opus",
      out,
    ]),
  // About 5.8 MB: several chunks at the test server's 1 MiB chunk size, and
  // long enough under a throttled network to pause, resume and reload mid-way.
  "long.wav": (out) =>
    ffmpeg([
      "-y",
      "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=48000:duration=30",
      "-ac", "2", "-c:a", "pcm_s16le",
      out,
    ]),
  "not-media.mp4": (out) => {
    fs.writeFileSync(out, "this is not a video\n".repeat(8));
  },
};

function tmpNameFor(dir: string, name: string): string {
  const ext = path.extname(name);
  const base = path.basename(name, ext);
  return path.join(dir, `.${base}.partial-${process.pid}-${Date.now()}${ext}`);
}

/** Creates every missing media file in `dir`; returns the names it had to create. */
export function ensureTestMedia(dir: string = MEDIA_DIR): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const created: string[] = [];
  for (const [name, produce] of Object.entries(PRODUCERS)) {
    const finalPath = path.join(dir, name);
    if (fs.existsSync(finalPath) && fs.statSync(finalPath).size > 0) continue;
    const tmpPath = tmpNameFor(dir, name);
    try {
      produce(tmpPath);
      if (!fs.existsSync(tmpPath) || fs.statSync(tmpPath).size === 0) {
        throw new Error(`generating ${name} produced no output`);
      }
      fs.renameSync(tmpPath, finalPath);
      created.push(name);
    } finally {
      fs.rmSync(tmpPath, { force: true });
    }
  }
  return created;
}

export default async function globalSetup(): Promise<void> {
  // Each run's tests make their own copies of the media (helpers' `ownCopy`).
  fs.rmSync(path.join(MEDIA_DIR, "own"), { recursive: true, force: true });
  const created = ensureTestMedia(MEDIA_DIR);
  if (created.length > 0) {
    console.log(`[global-setup] generated test media in ${MEDIA_DIR}: ${created.join(", ")}`);
  }
}
