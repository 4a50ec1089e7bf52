#!/usr/bin/env python3
"""`reel import` benchmark (not a test): the import rate against `cp -r`.

Two folders, each measured in the same run against `cp -r` of the very same
folder onto the same disk, with the page cache dropped before every run:
1. FILES (default 1000) small distinct WAV files (0.5 s, 48 kB each) in
   nested folders;
2. one large file of GIGABYTES (default 10) GB: PCM audio in Matroska,
   written by ffmpeg.
Reel's side is `reel import --user bench FOLDER` into a fresh data directory
with no server running (the queued processing is not part of the import),
then the same with `--link` (hard links: no bytes move), then a second run
(everything already there: each file read once to hash, nothing written).

Usage: bench/import.py [files] [gigabytes]   (BENCH_SKIP_LARGE=1: only 1.)
Needs target/release/reel (scripts/run.sh builds it) and ~3x GIGABYTES free.
"""

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REEL = ROOT / "target" / "release" / "reel"


def drop_caches():
    subprocess.run(["sync"], check=True)
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        print("(cannot drop the page cache: not root; figures include cached reads)")


def sine_wav(n: int, seconds: float = 0.5, rate: int = 48000) -> bytes:
    """A mono 16-bit WAV whose samples depend on n, so every file differs."""
    import math

    frames = int(seconds * rate)
    freq = 200 + n % 3000
    data = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate) + (n % 7)))
        for i in range(frames)
    )
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    header += b"data" + struct.pack("<I", len(data))
    return header + data


def small_folder(root: Path, files: int) -> Path:
    folder = root / "small"
    for n in range(files):
        where = folder / f"Artist {n % 10}" / f"Album {n % 50}"
        where.mkdir(parents=True, exist_ok=True)
        (where / f"{n:04d} tone.wav").write_bytes(sine_wav(n))
    return folder


def large_folder(root: Path, gigabytes: float) -> Path:
    folder = root / "large"
    folder.mkdir(parents=True)
    # 8 channels of 32-bit PCM at 192 kHz: 6.1 MB a second of sound.
    seconds = gigabytes * 1e9 / (192000 * 8 * 4)
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
         "-f", "lavfi", "-i", "anullsrc=r=192000:cl=7.1", "-t", f"{seconds:.1f}",
         "-c:a", "pcm_s32le", str(folder / "long.mkv")],
        check=True,
    )
    return folder


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def timed(args, **kwargs) -> float:
    drop_caches()
    started = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, **kwargs)
    return time.perf_counter() - started


def fresh_reel(root: Path) -> Path:
    data = root / f"data-{time.monotonic_ns()}"
    subprocess.run(
        [str(REEL), "--data-dir", str(data), "user", "add", "bench", "--role", "admin"],
        input=b"a long enough password\n", check=True, stdout=subprocess.DEVNULL,
    )
    return data


def measure(root: Path, folder: Path, label: str):
    files = sum(1 for p in folder.rglob("*") if p.is_file())
    size = size_of(folder)
    copy = root / "copy"
    cp = timed(["cp", "-r", str(folder), str(copy)])
    shutil.rmtree(copy)
    rows = [("cp -r", cp)]
    for name, extra in (("reel import", []), ("reel import --link", ["--link"])):
        data = fresh_reel(root)
        env = dict(os.environ, RUST_LOG="warn")
        took = timed([str(REEL), "--data-dir", str(data), "import", "--user", "bench", *extra,
                      str(folder)], env=env)
        rows.append((name, took))
        if not extra:
            again = timed([str(REEL), "--data-dir", str(data), "import", "--user", "bench",
                           str(folder)], env=env)
            rows.append(("reel import, second run", again))
        shutil.rmtree(data)
    print(f"\n{label}: {files} files, {size / 1e6:.1f} MB")
    print(f"{'':28} {'seconds':>8} {'files/s':>9} {'MB/s':>8} {'vs cp -r':>9}")
    for name, took in rows:
        print(f"{name:28} {took:8.2f} {files / took:9.1f} {size / 1e6 / took:8.1f} {took / cp:8.2f}x")


def main():
    files = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    gigabytes = float(sys.argv[2]) if len(sys.argv) > 2 else 10
    if not REEL.exists():
        sys.exit(f"{REEL} is missing: build it with scripts/run.sh first")
    root = Path(tempfile.mkdtemp(prefix="reel-import-bench-", dir=os.environ.get("BENCH_DIR")))
    try:
        measure(root, small_folder(root, files), f"{files} small files")
        if not os.environ.get("BENCH_SKIP_LARGE"):
            folder = large_folder(root, gigabytes)
            measure(root, folder, f"one {gigabytes:g} GB file")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
