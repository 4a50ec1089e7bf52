#!/usr/bin/env python3
"""Adaptive-streaming benchmark (not a test), on a video browsers cannot play.

For MINUTES (default 10) of 1920x1080 25 fps HEVC with sound, uploaded to a
Reel with one worker:
1. Time from the upload's answer (the last byte is in and probed) to the
   moment a player has everything for its first frame from the ladder (the
   master playlist, the smallest rung's playlist, its init section and first
   segment), against waiting for a whole transcode as Reel did before the
   ladder (its former playable command, x264 veryfast CRF 23, by hand).
2. The ladder job's encode time against the very same ffmpeg command run by
   hand (read back from Reel's debug log), and against encoding each rung
   (and the sound) in a separate ffmpeg run.
3. The download copy: copied from the top rung (what Reel does) against a
   transcode of its own (the former playable job).
4. Seek-to-play latency of 20 random seeks in Chromium: HLS through hls.js
   against the progressive MP4 (bench/seek.mjs).

Usage: bench/ladder.py [minutes]
BENCH_QUICK=1 measures only 1 (the ladder's side) and 2 against the same
command by hand.
Needs target/release/reel and target/site (scripts/run.sh builds both).
"""

import ast
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(os.environ.get("REEL_BIN", ROOT / "target/release/reel"))
MINUTES = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
SECONDS = int(MINUTES * 60)
MEDIA = Path(tempfile.gettempdir()) / "reel-bench-media"


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def timed(args):
    started = time.monotonic()
    subprocess.run(["ffmpeg", *args], check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def source() -> Path:
    """The HEVC input, made once and kept between runs."""
    MEDIA.mkdir(exist_ok=True)
    path = MEDIA / f"hevc-1080p-{SECONDS}s.mkv"
    if not path.exists():
        part = path.with_suffix(".part.mkv")
        ffmpeg("-f", "lavfi", "-i", f"testsrc2=duration={SECONDS}:size=1920x1080:rate=25",
               "-f", "lavfi", "-i", f"sine=frequency=330:duration={SECONDS}",
               "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
               "-c:a", "aac", "-shortest", str(part))
        part.rename(path)
    return path


def start_reel(work: Path, port: int):
    log = open(work / "reel.log", "w")
    env = dict(os.environ, REEL_DATA_DIR=str(work / "data"), REEL_LISTEN=f"127.0.0.1:{port}",
               REEL_WORKERS="1", LEPTOS_OUTPUT_NAME="reel", LEPTOS_SITE_ROOT="target/site",
               LEPTOS_SITE_PKG_DIR="pkg", LEPTOS_HASH_FILES="true",
               REEL_ADMIN_USER="bench", REEL_ADMIN_PASSWORD="bench-password-1",
               RUST_LOG="warn,reel::server::media::process=debug", NO_COLOR="1")
    proc = subprocess.Popen([str(BIN)], cwd=ROOT, env=env, stdout=log, stderr=log)
    for _ in range(400):
        if subprocess.run(["curl", "-sf", "-o", "/dev/null",
                           f"http://127.0.0.1:{port}/healthz"]).returncode == 0:
            return proc
        time.sleep(0.05)
    raise SystemExit("reel did not start")


def get(url: str, byte_range=None) -> bytes:
    request = urllib.request.Request(url)
    if byte_range:
        offset, length = byte_range
        request.add_header("Range", f"bytes={offset}-{offset + length - 1}")
    with urllib.request.urlopen(request) as answer:
        return answer.read()


def byterange(text: str):
    length, offset = text.strip('"').split("@")
    return int(offset), int(length)


def first_frame_ready(origin: str, master_url: str) -> bool:
    """Fetches what a player needs for its first frame; False if not there yet."""
    try:
        master = get(origin + master_url).decode()
        base = master_url.rsplit("/", 1)[0]
        variants = [line for line in master.splitlines() if line.endswith(".m3u8")
                    and not line.startswith("#")]
        playlist = get(f"{origin}{base}/{variants[-1]}").decode()
        init = re.search(r'#EXT-X-MAP:URI="([^"]+)",BYTERANGE="([^"]+)"', playlist)
        first = re.search(r"#EXT-X-BYTERANGE:(\S+)", playlist)
        if not init or not first:
            return False
        get(f"{origin}{base}/{init.group(1)}", byterange(init.group(2)))
        get(f"{origin}{base}/{init.group(1)}", byterange(first.group(1)))
        return True
    except urllib.error.HTTPError:
        return False


def item(origin: str, auth: list, media_id: str) -> dict:
    out = subprocess.run(["curl", "-sf", *auth, "-H", f"Origin: {origin}", "-d", f"id={media_id}",
                          f"{origin}/api/media"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def job_seconds(db: Path, media_id: str, kind: str) -> float:
    with sqlite3.connect(db) as conn:
        started, finished = conn.execute(
            "SELECT started_at, finished_at FROM jobs WHERE media_id = ? AND kind = ?",
            (media_id, kind)).fetchone()
    parse = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00"))
    return (parse(finished) - parse(started)).total_seconds()


def logged(work: Path, marker: str) -> list:
    for line in (work / "reel.log").read_text().splitlines():
        if marker in line and "args=" in line:
            return ast.literal_eval(re.search(r"args=(\[.*\])", line).group(1))
    raise SystemExit(f"no command with {marker} in the log")


def rung_commands(ladder_args: list, source_path: Path, out: Path, plan: dict) -> list:
    """One ffmpeg command per rung (and one for the sound), same settings."""
    head = ["-nostdin", "-v", "error", "-y", "-i", str(source_path)]
    tail = ["-force_key_frames", "expr:gte(t,n_forced*4)", "-sc_threshold", "0",
            "-f", "hls", "-hls_time", "4", "-hls_playlist_type", "vod",
            "-hls_segment_type", "fmp4", "-hls_flags", "single_file"]
    commands = []
    for n, rung in enumerate(plan["rungs"]):
        side, kbps = rung["short_side"], rung["kbps"]
        commands.append(head + [
            "-map", "0:V:0", "-vf",
            f"scale=w='if(gte(iw,ih),-2,{side})':h='if(gte(iw,ih),{side},-2)',setsar=1",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            "-b:v", f"{kbps}k", "-maxrate", f"{round(kbps * 1.07)}k", "-bufsize", f"{kbps * 2}k",
            "-an", *tail, "-hls_segment_filename", str(out / f"r{n}.mp4"), str(out / f"r{n}.m3u8")])
    if plan["audio"]:
        commands.append(head + ["-map", "0:a:0", "-vn", "-c:a", "aac", "-ac", "2", "-b:a", "128k",
                                *tail, "-hls_segment_filename", str(out / "a.mp4"),
                                str(out / "a.m3u8")])
    return commands


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main():
    work = Path(tempfile.mkdtemp(prefix="reel-bench-"))
    proc = None
    try:
        src = source()
        port = 20000 + os.getpid() % 20000
        origin = f"http://127.0.0.1:{port}"
        proc = start_reel(work, port)
        found = subprocess.run([str(ROOT / "bench/token.sh"), origin], check=True,
                               capture_output=True, text=True).stdout.strip()
        auth = ["-H", f"Authorization: Bearer {found}"]
        print(f"Input: {MINUTES:g} min of 1920x1080 25 fps HEVC with AAC "
              f"({src.stat().st_size / 1e6:.0f} MB); 1 worker; {os.cpu_count()} cores\n")

        out = subprocess.run(["curl", "-sf", *auth, "-F", "visibility=public",
                              "-F", f"file=@{src}", f"{origin}/api/uploads"],
                             check=True, capture_output=True, text=True).stdout
        answered = time.monotonic()
        media_id = json.loads(out)["id"]
        while True:
            master = (item(origin, auth, media_id)["urls"] or {}).get("hls")
            if master and first_frame_ready(origin, master):
                break
            time.sleep(0.05)
        first_frame = time.monotonic() - answered
        # Read from the database, not over HTTP: polling must not take CPU
        # from the encode it times.
        db = work / "data/reel.db"
        while True:
            with sqlite3.connect(db) as conn:
                (state,) = conn.execute("SELECT state FROM media WHERE id = ?",
                                        (media_id,)).fetchone()
            if state != "processing":
                break
            time.sleep(0.5)
        whole = time.monotonic() - answered
        ladder_job = job_seconds(db, media_id, "ladder")
        with sqlite3.connect(db) as conn:
            (params,) = conn.execute("SELECT params FROM jobs WHERE media_id = ? AND kind = "
                                     "'ladder'", (media_id,)).fetchone()
        plan = json.loads(params)

        quick = os.environ.get("BENCH_QUICK") == "1"
        # 4. Seeks, while nothing else runs.
        seeks = {"hls": [0.0], "progressive": [0.0]} if quick else json.loads(subprocess.run(
            ["node", str(ROOT / "bench/seek.mjs"), origin, media_id, str(SECONDS)],
            check=True, capture_output=True, text=True).stdout)

        # 2. The same ladder command by hand, writing to a folder of its own.
        ladder_args = logged(work, "-hls_segment_filename")
        hls_dir = next(a for a in ladder_args if a.endswith("/v%v.mp4"))[len("file:"):-len("/v%v.mp4")]
        by_hand_dir = work / "by-hand"
        by_hand_dir.mkdir()
        hand_args = [a.replace(hls_dir, str(by_hand_dir)) for a in ladder_args]
        ladder_by_hand = timed(hand_args)
        separate_dir = work / "separate"
        separate_dir.mkdir()
        separately = 0.0 if quick else sum(
            timed(c) for c in rung_commands(ladder_args, src, separate_dir, plan))

        # 1 and 3: the whole transcode Reel waited for before the ladder.
        full = 1.0 if quick else timed(["-nostdin", "-v", "error", "-y", "-i", str(src), "-map", "0:V:0",
                      "-map", "0:a:0", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
                      "-pix_fmt", "yuv420p", "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2,setsar=1",
                      "-c:a", "aac", "-b:a", "160k", "-movflags", "+faststart",
                      str(work / "transcode.mp4")])
        copy_args = logged(work, "+faststart")
        copy_args = [a.replace(hls_dir, str(by_hand_dir)) for a in copy_args]
        copy_args[-1] = f"file:{work / 'copy.mp4'}"
        copy = timed(copy_args)

        rungs = ", ".join(f"{r['short_side']}p {r['kbps']} kb/s" for r in plan["rungs"])
        print(f"Ladder: {rungs}{', AAC 128 kb/s' if plan['audio'] else ''}\n")
        print(f"{'measured':<58}{'seconds':>10}")
        rows = [
            ("upload answered -> first frame's bytes fetchable (ladder)", first_frame),
            ("whole transcode by hand (what playback waited for before)", full),
            ("upload answered -> item ready (ladder + copy)", whole),
            ("ladder job in Reel", ladder_job),
            ("same ladder command by hand", ladder_by_hand),
            ("each rung and the sound in its own ffmpeg run, summed", separately),
            ("download copy from the top rung (stream copy)", copy),
        ]
        for label, secs in rows:
            print(f"{label:<58}{secs:>10.2f}")
        print(f"\nfirst frame {full / first_frame:.1f}x sooner than a whole transcode (goal >= 10x)")
        print(f"ladder job overhead over the same command by hand: "
              f"{(ladder_job / ladder_by_hand - 1) * 100:.1f}% (goal <= 5%)")
        print(f"one ladder run against separate runs: {separately / ladder_by_hand:.2f}x the time")
        print(f"download copy: {copy:.1f} s copied vs {full:.1f} s transcoded")
        for name in ("hls", "progressive"):
            values = seeks[name]
            print(f"seek to play, {name:<12} p50 {statistics.median(values):7.0f} ms   "
                  f"p95 {percentile(values, 0.95):7.0f} ms")
    finally:
        if proc:
            proc.terminate()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
