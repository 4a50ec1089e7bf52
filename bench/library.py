#!/usr/bin/env python3
"""Library benchmark (not a test): list latency with many items.

Starts the release binary once to create the schema, fills the database
with N generated rows (rows only, no files; a tenth processing with queued
jobs that never fall due, a twentieth failed), starts it again and times, over
one keep-alive connection, p50/p99 of:

  - the JSON list (`POST /api/list_library`): first page, a search typed
    letter by letter, a filtered and sorted page, a deep page;
  - the server-rendered library page (`GET /`).

Usage: bench/library.py [items] [requests]   (default 10000 items, 500 requests)
Builds target/release/reel when missing (REEL_BIN overrides).
"""

import http.client
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(os.environ.get("REEL_BIN", ROOT / "target/release/reel"))
ITEMS = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
REQUESTS = int(sys.argv[2]) if len(sys.argv) > 2 else 500

WORDS = ("holiday beach birthday concert garden interview lecture rehearsal podcast "
         "wedding trip mountain river city night morning family school meeting demo "
         "session episode draft final take live studio remix intro outro").split()


def start_reel(work: Path, port: int):
    log = open(work / "reel.log", "a")
    env = dict(os.environ, REEL_DATA_DIR=str(work / "data"), REEL_LISTEN=f"127.0.0.1:{port}",
               REEL_WORKERS="1", LEPTOS_OUTPUT_NAME="reel", LEPTOS_SITE_ROOT="target/site",
               REEL_ADMIN_USER="bench", REEL_ADMIN_PASSWORD="bench-password-1",
               RUST_LOG="warn", NO_COLOR="1")
    proc = subprocess.Popen([str(BIN)], cwd=ROOT, env=env, stdout=log, stderr=log)
    for _ in range(400):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit("reel did not start")


def stop_reel(proc):
    proc.terminate()
    proc.wait(timeout=30)


def uuid7(ms: int) -> str:
    """A UUIDv7 in Reel's form (32 hex digits) for a given Unix time in ms."""
    rand = random.getrandbits(74)
    value = (ms << 80) | (0x7 << 76) | ((rand >> 62) << 64) | (0b10 << 62) | (rand & ((1 << 62) - 1))
    return uuid.UUID(int=value).hex


def fill(db: Path, count: int):
    random.seed(7)
    start_ms = int(time.time() * 1000) - count * 60_000
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    media, jobs = [], []
    for n in range(count):
        words = random.sample(WORDS, 3)
        title = " ".join(words).capitalize() + f" {2015 + n % 10}"
        filename = "_".join(words) + f"_{n:05d}" + random.choice([".mp4", ".mkv", ".mp3", ".wav"])
        kind = "audio" if filename.endswith((".mp3", ".wav")) else "video"
        roll = random.random()
        state = "processing" if roll < 0.10 else "failed" if roll < 0.15 else "ready"
        media_id = uuid7(start_ms + n * 60_000)
        media.append((media_id, title, filename, random.randint(10_000, 4_000_000_000),
                      "0" * 64, "video/mp4" if kind == "video" else "audio/mpeg", kind,
                      "mov,mp4,m4a,3gp,3g2,mj2", round(random.uniform(1, 7200), 2),
                      1280 if kind == "video" else None, 720 if kind == "video" else None,
                      state, "The file could not be read." if state == "failed" else None,
                      "original" if state == "ready" else None,
                      f"Generated item {n} about {words[0]}.", now, now))
        if state == "processing":
            for job in ("poster", "playable"):
                # Queued but never due: the bench measures reads, not workers.
                jobs.append((media_id, job, 32_503_680_000_000, now, now))
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO media (id, title, original_filename, size_bytes, sha256, content_type,"
            " kind, container, duration_secs, width, height, state, failure_reason,"
            " play_variant, description, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", media)
        conn.executemany(
            "INSERT INTO jobs (media_id, kind, state, run_after, created_at, updated_at)"
            " VALUES (?, ?, 'queued', ?, ?, ?)", jobs)


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# Who asks: the benchmark's admin (set in main; builds from before accounts need none).
AUTH = {}


def measure(conn, method, path, bodies):
    times = []
    for i in range(REQUESTS + 20):
        body = bodies[i % len(bodies)]
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Accept": "application/json"} if method == "POST" else {}
        headers.update(AUTH)
        started = time.perf_counter()
        conn.request(method, path, body=body if method == "POST" else None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise SystemExit(f"{method} {path} {body!r}: {response.status} {data[:300]!r}")
        if i >= 20:  # warm-up excluded
            times.append(elapsed)
    return times, len(data)


def main():
    if not BIN.exists():
        subprocess.run(["cargo", "build", "--release", "--features", "ssr", "--bin", "reel"],
                       cwd=ROOT, check=True)
    work = Path(tempfile.mkdtemp(prefix="reel-library-bench-"))
    port = 20000 + os.getpid() % 20000
    stop_reel(start_reel(work, port))  # creates the schema
    started = time.perf_counter()
    fill(work / "data/reel.db", ITEMS)
    print(f"{ITEMS} rows generated in {time.perf_counter() - started:.1f} s; "
          f"{REQUESTS} requests per case; {os.cpu_count()} cores\n")
    proc = start_reel(work, port)
    token = subprocess.run([str(ROOT / "bench/token.sh"), f"http://127.0.0.1:{port}"],
                           check=True, capture_output=True, text=True).stdout.strip()
    if token:
        AUTH["Authorization"] = f"Bearer {token}"
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        cases = [
            ("list: first page (24, newest)", "POST", "/api/list_library", [""]),
            ("list: search as you type", "POST", "/api/list_library",
             ["q=h", "q=ho", "q=hol", "q=holi", "q=holid", "q=holiday", "q=holiday%20b",
              "q=holiday%20be"]),
            ("list: video+ready, by title, p5", "POST", "/api/list_library",
             ["kind=video&state=ready&sort=title&page=5"]),
            ("list: audio+failed, by size", "POST", "/api/list_library",
             ["kind=audio&state=failed&sort=size"]),
            ("list: last page by duration", "POST", "/api/list_library",
             [f"sort=duration&per_page=100&page={(ITEMS + 99) // 100}"]),
            ("list: search + filter + sort", "POST", "/api/list_library",
             ["q=garden&kind=video&sort=duration&page=2"]),
            ("SSR page GET /", "GET", "/", [""]),
        ]
        print(f"{'case':<36}{'p50 ms':>9}{'p99 ms':>9}{'bytes':>10}")
        for label, method, path, bodies in cases:
            times, size = measure(conn, method, path, bodies)
            print(f"{label:<36}{percentile(times, 50):>9.2f}{percentile(times, 99):>9.2f}"
                  f"{size:>10}")
    finally:
        stop_reel(proc)
    print(f"\nData and log: {work}")


if __name__ == "__main__":
    main()
