import { defineConfig } from "@playwright/test";

import * as os from "node:os";
import * as path from "node:path";
import * as fs from "node:fs";

import { ADMIN, ADMIN_STATE } from "./tests/admin";

// End-to-end tests for Reel against the release build (scripts/test.sh builds
// it first with `cargo leptos build --release --split`, exactly what the run command
// serves). Playwright starts that binary on its own port with a fresh data
// directory and waits for /healthz. Set REEL_BASE_URL to test a server you
// started yourself instead. Browsers are not downloaded: Debian's Chromium.
const port = Number(process.env.REEL_E2E_PORT ?? 3900);
const external = process.env.REEL_BASE_URL;
const baseURL = external ?? `http://127.0.0.1:${port}`;
const root = path.resolve(__dirname, "..");
// scripts/test.sh passes a temp dir it removes afterwards; by hand, make one.
const dataDir = external
  ? ""
  : process.env.REEL_E2E_DATA_DIR ?? (process.env.REEL_E2E_DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "reel-e2e-")));

// scripts/test.sh builds with content-hashed /pkg names; a server links them
// only when LEPTOS_HASH_FILES=true (it then reads target/release/hash.txt).
// Set here, in the environment, so that servers a spec starts itself (the
// screenshots) inherit it too. LEPTOS_HASH_FILES=false for an unhashed build.
const hashFiles = (process.env.LEPTOS_HASH_FILES ??= "true");

export default defineConfig({
  testDir: "./tests",
  outputDir: "./test-results",
  globalSetup: "./global-setup.ts",
  // The tests share one server and one database: run them one at a time.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 20_000 },
  reporter: "list",
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  webServer: external
    ? undefined
    : {
        command: path.join(root, "target", "release", "reel"),
        cwd: root,
        url: `${baseURL}/healthz`,
        reuseExistingServer: false,
        timeout: 60_000,
        stdout: "pipe",
        stderr: "pipe",
        env: {
          REEL_LISTEN: `127.0.0.1:${port}`,
          REEL_DATA_DIR: dataDir,
          // Small chunks: the resumable tests see several per file.
          REEL_UPLOAD_CHUNK_SIZE: "1MiB",
          REEL_ADMIN_USER: ADMIN.name,
          REEL_ADMIN_PASSWORD: ADMIN.password,
          LEPTOS_OUTPUT_NAME: "reel",
          LEPTOS_SITE_ROOT: "target/site",
          LEPTOS_SITE_PKG_DIR: "pkg",
          LEPTOS_ENV: "PROD",
          LEPTOS_HASH_FILES: hashFiles,
          RUST_LOG: "info,sqlx=warn,reel::access=warn",
        },
      },
  projects: [
    {
      name: "sign-in",
      testMatch: /auth\.setup\.ts/,
      use: { browserName: "chromium", launchOptions: { executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox"] } },
    },
    {
      name: "chromium",
      dependencies: ["sign-in"],
      use: {
        storageState: ADMIN_STATE,
        browserName: "chromium",
        launchOptions: {
          executablePath: "/usr/bin/chromium",
          args: [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--autoplay-policy=no-user-gesture-required",
          ],
        },
      },
    },
  ],
});
