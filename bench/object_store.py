#!/usr/bin/env python3
"""Object-storage benchmark (not a test), on loopback, in one run:

- seek latency: p50/p95 of random 1 MiB ranges of one large file, through
  `sendfile` on local disk, through Reel proxying S3 (s3s-fs), and by
  redirect straight to the S3 server (the redirect hop counted);
- full-file throughput through Reel's proxy against a direct GET from the
  S3 server (a presigned address); the goal is >= 0.8x.

Needs the release binary and s3s-fs (scripts/setup.sh installs it).
Usage: bench/object_store.py [size_mib] [seeks]   (REEL_BIN, default target/release/reel)
"""
import http.client
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

SIZE_MIB = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
SEEKS = int(sys.argv[2]) if len(sys.argv) > 2 else 50
BIN = os.environ.get("REEL_BIN", "target/release/reel")
KEY_ID, SECRET, BUCKET = "bench", "bench-secret-0123456789", "reel-bench"
NAME, PASSWORD = "bench", "bench-password-1"
MIB = 1 << 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port):
    for _ in range(400):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"nothing answers on port {port}")


def start_s3(root):
    os.makedirs(os.path.join(root, BUCKET))
    proc = subprocess.Popen(
        ["s3s-fs", "--host", "127.0.0.1", "--port", "0",
         "--access-key", KEY_ID, "--secret-key", SECRET, root],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "RUST_LOG": "info", "NO_COLOR": "1"})
    for line in proc.stdout:
        found = re.search(r"server is running at (http://\S+)", line)
        if found:
            # Keep reading its log so that the pipe never fills.
            subprocess.Popen(["cat"], stdin=proc.stdout, stdout=subprocess.DEVNULL)
            return proc, found.group(1)
    raise SystemExit("s3s-fs did not start")


def start_reel(data, extra_env):
    port = free_port()
    env = {**os.environ, "REEL_DATA_DIR": data, "REEL_LISTEN": f"127.0.0.1:{port}",
           "LEPTOS_OUTPUT_NAME": "reel", "LEPTOS_SITE_ROOT": "target/site",
           "REEL_ADMIN_USER": NAME, "REEL_ADMIN_PASSWORD": PASSWORD, "RUST_LOG": "warn",
           **extra_env}
    proc = subprocess.Popen([BIN], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_up(port)
    return proc, port


def token(port):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    body = urllib.parse.urlencode({"username": NAME, "password": PASSWORD})
    conn.request("POST", "/api/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
    answer = conn.getresponse()
    answer.read()
    cookie = answer.getheader("Set-Cookie").split(";")[0]
    origin = f"http://127.0.0.1:{port}"
    conn.request("POST", "/api/create_token", "name=bench",
                 {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
                  "Origin": origin})
    return json.loads(conn.getresponse().read())["token"]


def upload(port, auth, path):
    """Uploads with curl (streams the file) and waits for processing to end."""
    out = subprocess.run(
        ["curl", "-sf", "-H", f"Authorization: Bearer {auth}", "-F", f"file=@{path}",
         f"http://127.0.0.1:{port}/api/uploads"], capture_output=True, text=True, check=True)
    item = json.loads(out.stdout)
    for _ in range(6000):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("POST", "/api/media", f"id={item['id']}",
                     {"Content-Type": "application/x-www-form-urlencoded",
                      "Authorization": f"Bearer {auth}"})
        answer = conn.getresponse()
        body = answer.read()
        if answer.status != 200:
            raise SystemExit(f"/api/media answered {answer.status}: {body[:200]!r}")
        state = json.loads(body)["state"]["state"]
        if state != "processing":
            return item["urls"]["original"]
        time.sleep(0.1)
    raise SystemExit("processing did not end")


def split(url):
    parsed = urllib.parse.urlsplit(url)
    target = parsed.path + ("?" + parsed.query if parsed.query else "")
    return parsed.hostname, parsed.port, target


def seek_latencies(url, size, follow_redirect=False, keep_alive=False):
    """Milliseconds per random 1 MiB range, each on a fresh connection (a
    seek in a player usually opens one), or all on one kept-alive one."""
    rng = random.Random(7)
    times = []
    kept = None
    for _ in range(SEEKS):
        start = rng.randrange(0, size - MIB)
        headers = {"Range": f"bytes={start}-{start + MIB - 1}"}
        began = time.perf_counter()
        host, port, target = split(url)
        if keep_alive:
            kept = kept or http.client.HTTPConnection(host, port)
            conn = kept
        else:
            conn = http.client.HTTPConnection(host, port)
        conn.request("GET", target, headers=headers)
        answer = conn.getresponse()
        if follow_redirect and answer.status == 307:
            answer.read()
            host, port, target = split(answer.getheader("Location"))
            conn = http.client.HTTPConnection(host, port)
            conn.request("GET", target, headers=headers)
            answer = conn.getresponse()
        body = answer.read()
        times.append((time.perf_counter() - began) * 1000)
        assert answer.status == 206 and len(body) == MIB, (url, answer.status, body[:100])
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def throughput(url, size, runs=3):
    """MB/s of whole-file GETs (best of `runs`)."""
    best = 0.0
    for _ in range(runs):
        host, port, target = split(url)
        conn = http.client.HTTPConnection(host, port)
        began = time.perf_counter()
        conn.request("GET", target)
        answer = conn.getresponse()
        got = 0
        while chunk := answer.read(4 * MIB):
            got += len(chunk)
        assert got == size, (got, size)
        best = max(best, size / 1e6 / (time.perf_counter() - began))
    return best


def main():
    if not shutil.which("s3s-fs"):
        raise SystemExit("s3s-fs is missing: run scripts/setup.sh")
    work = tempfile.mkdtemp()
    procs = []
    try:
        seconds = SIZE_MIB * MIB // 192000
        wav = os.path.join(work, "big.wav")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"sine=frequency=440:sample_rate=48000:duration={seconds}",
                        "-ac", "2", "-c:a", "pcm_s16le", wav], check=True)
        size = os.path.getsize(wav)
        s3, endpoint = start_s3(os.path.join(work, "s3"))
        procs.append(s3)
        s3_env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": KEY_ID,
                  "AWS_SECRET_ACCESS_KEY": SECRET}
        # A prefix per library: each one's start-up sweep removes objects
        # its own database does not know.
        setups = [("local disk (sendfile)", {}),
                  ("Reel proxying S3", {**s3_env, "REEL_STORAGE": f"s3://{BUCKET}/proxy"}),
                  ("redirect to S3", {**s3_env, "REEL_STORAGE": f"s3://{BUCKET}/redirect",
                                      "REEL_SERVE_MODE": "redirect"})]
        urls = {}
        for name, env in setups:
            proc, port = start_reel(os.path.join(work, f"data-{len(urls)}"), env)
            procs.append(proc)
            auth = token(port)
            urls[name] = f"http://127.0.0.1:{port}" + upload(port, auth, wav)
        # The direct GET from the S3 server: the presigned address a redirect gives.
        host, port, target = split(urls["redirect to S3"])
        conn = http.client.HTTPConnection(host, port)
        conn.request("GET", target)
        presigned = conn.getresponse().getheader("Location")

        print(f"file: {size} bytes; {SEEKS} seeks of 1 MiB; {os.cpu_count()} cores")
        print(f"{'seek (fresh connection)':<28} {'p50 ms':>8} {'p95 ms':>8}")
        for name, _ in setups:
            p50, p95 = seek_latencies(urls[name], size, follow_redirect=True)
            print(f"{name:<28} {p50:8.2f} {p95:8.2f}")
        p50, p95 = seek_latencies(presigned, size)
        print(f"{'S3 server directly':<28} {p50:8.2f} {p95:8.2f}")
        # Reel keeps its connections to the store open; so does this row.
        p50, p95 = seek_latencies(presigned, size, keep_alive=True)
        print(f"{'S3 directly, kept-alive':<28} {p50:8.2f} {p95:8.2f}")
        proxied = throughput(urls["Reel proxying S3"], size)
        direct = throughput(presigned, size)
        local = throughput(urls["local disk (sendfile)"], size)
        print(f"full file: Reel proxying S3 {proxied:.0f} MB/s, S3 server directly "
              f"{direct:.0f} MB/s: {proxied / direct:.2f}x (goal >= 0.8x); local sendfile {local:.0f} MB/s")
    finally:
        for proc in procs:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
