#!/usr/bin/env python3
"""Editing benchmark (not a test).

Times a fast cut (stream copy from a keyframe) and an exact cut (re-encode)
of 60 s from a 10-minute 1280x720 H.264 video with a keyframe every 2 s,
through Reel's `Media::run_edit`, and the identical ffmpeg argument list by
hand (built by the same code: `reel::server::media::edit::edit_args`).

The work is the `#[ignore]`d test `bench_edit_timings` in src/server/media/tests/edits/refusals.rs;
this script runs it in release mode. The input is generated once (ultrafast
x264) into $REEL_BENCH_DIR (default: the system temp dir, reel-edit-bench)
and reused.

Usage: bench/edit.py
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

command = [
    "cargo", "test", "--release", "--features", "ssr", "--lib",
    "--", "--ignored", "--nocapture", "bench_edit_timings",
]
print("+", " ".join(command), flush=True)
sys.exit(subprocess.run(command, cwd=ROOT, env=os.environ.copy()).returncode)
