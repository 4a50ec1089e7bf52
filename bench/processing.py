#!/usr/bin/env python3
"""Processing benchmark (not a test).

1. Overhead of Reel's playable-version job (a remux: H.264 in Matroska)
   against running the very same ffmpeg command by hand on the same input.
   Reel logs each command line at debug level; this script reads it back, so
   both runs are identical. (Videos that need a transcode get an HLS ladder
   whose top rung becomes the playable copy: bench/ladder.py measures it.)
2. Time from the last upload byte to playable for a browser-ready MP4: the
   upload's answer already names the original as the play URL, so it is the
   time of the upload request itself (on loopback, transfer included).

Usage: bench/processing.py [seconds]   (input length, default 60; 1280x720)
Builds target/release/reel when missing (REEL_BIN overrides).
"""

import ast
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(os.environ.get("REEL_BIN", ROOT / "target/release/reel"))
SECONDS = int(sys.argv[1]) if len(sys.argv) > 1 else 60


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def make_inputs(work: Path):
    src = ["-f", "lavfi", "-i", f"testsrc2=duration={SECONDS}:size=1280x720:rate=25",
           "-f", "lavfi", "-i", f"sine=frequency=440:duration={SECONDS}"]
    inputs = {
        # Needs only a remux: H.264 in Matroska.
        "remux (H.264 MKV)": work / "h264.mkv",
    }
    ffmpeg(*src, "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
           "-c:a", "aac", "-shortest", str(inputs["remux (H.264 MKV)"]))
    ready = work / "ready.mp4"
    ffmpeg(*src, "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
           "-c:a", "aac", "-movflags", "+faststart", "-shortest", str(ready))
    return inputs, ready


def start_reel(work: Path, port: int):
    log = open(work / "reel.log", "w")
    env = dict(os.environ, REEL_DATA_DIR=str(work / "data"), REEL_LISTEN=f"127.0.0.1:{port}",
               REEL_WORKERS="1", LEPTOS_OUTPUT_NAME="reel", LEPTOS_SITE_ROOT="target/site",
               REEL_ADMIN_USER="bench", REEL_ADMIN_PASSWORD="bench-password-1",
               RUST_LOG="warn,reel::server::media::process=debug", NO_COLOR="1")
    proc = subprocess.Popen([str(BIN)], cwd=ROOT, env=env, stdout=log, stderr=log)
    for _ in range(400):
        if subprocess.run(["curl", "-sf", "-o", "/dev/null", f"http://127.0.0.1:{port}/healthz"]).returncode == 0:
            return proc
        time.sleep(0.05)
    raise SystemExit("reel did not start")


def token(port: int) -> list:
    """curl arguments that sign the benchmark's admin in (none before accounts)."""
    found = subprocess.run([str(ROOT / "bench/token.sh"), f"http://127.0.0.1:{port}"],
                           check=True, capture_output=True, text=True).stdout.strip()
    return ["-H", f"Authorization: Bearer {found}"] if found else []


def upload(port: int, path: Path):
    out = subprocess.run(
        ["curl", "-sf", "-w", "\n%{time_total}", *token(port), "-F", f"file=@{path}",
         f"http://127.0.0.1:{port}/api/uploads"],
        check=True, capture_output=True, text=True).stdout
    body, total = out.rsplit("\n", 1)
    return json.loads(body), float(total)


def wait_playable_job(db: Path, media_id: str):
    """Seconds the item's playable job ran, once it is done."""
    while True:
        with sqlite3.connect(db) as conn:
            row = conn.execute(
                "SELECT state, started_at, finished_at FROM jobs "
                "WHERE media_id = ? AND kind = 'playable'", (media_id,)).fetchone()
        if row and row[0] in ("done", "failed"):
            if row[0] != "done":
                raise SystemExit(f"the playable job failed for {media_id}")
            parse = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00"))
            return (parse(row[2]) - parse(row[1])).total_seconds()
        time.sleep(0.1)


def wait_idle(db: Path):
    while True:
        with sqlite3.connect(db) as conn:
            (active,) = conn.execute(
                "SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')").fetchone()
        if active == 0:
            return
        time.sleep(0.1)


def logged_command(work: Path, stored_input: Path):
    """The argument list Reel ran for the playable job of `stored_input`."""
    for line in (work / "reel.log").read_text().splitlines():
        if "-progress" in line and str(stored_input) in line:
            listed = re.search(r"args=(\[.*\])", line).group(1)
            return ast.literal_eval(listed)
    raise SystemExit("the transcode command is not in the log")


def main():
    if not BIN.exists():
        subprocess.run(["cargo", "build", "--release", "--features", "ssr", "--bin", "reel"],
                       cwd=ROOT, check=True)
    work = Path(tempfile.mkdtemp(prefix="reel-bench-"))
    proc = None
    try:
        inputs, ready = make_inputs(work)
        port = 20000 + os.getpid() % 20000
        proc = start_reel(work, port)
        print(f"Input: {SECONDS} s of 1280x720 25 fps with sound; 1 worker; "
              f"{os.cpu_count()} cores\n")
        print(f"{'case':<26}{'Reel job s':>12}{'by hand s':>12}{'overhead':>10}")
        for label, path in inputs.items():
            created, _ = upload(port, path)
            reel_secs = wait_playable_job(work / "data/reel.db", created["id"])
            # The by-hand run must not share the CPU with the item's other jobs.
            wait_idle(work / "data/reel.db")
            stored = work / "data/files/media" / created["id"][:2] / created["id"] / "original"
            args = logged_command(work, stored)
            out = work / "by-hand.mp4"
            args[-1] = f"file:{out}"
            start = time.monotonic()
            subprocess.run(["ffmpeg", *args], check=True, stdout=subprocess.DEVNULL)
            hand_secs = time.monotonic() - start
            print(f"{label:<26}{reel_secs:>12.2f}{hand_secs:>12.2f}"
                  f"{(reel_secs / hand_secs - 1) * 100:>9.1f}%")

        size_mb = ready.stat().st_size / 1e6
        times = []
        for _ in range(5):
            created, total = upload(port, ready)
            assert created["urls"]["play"].endswith("/original"), created
            times.append(total)
        times.sort()
        print(f"\nBrowser-ready MP4 ({size_mb:.0f} MB): playable in the upload's answer; "
              f"request time median {times[2] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms "
              f"(transfer over loopback included)")
    finally:
        if proc:
            proc.terminate()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
