#!/usr/bin/env python3
"""Sign-in latency (not a test): starts the release binary on a temp data
directory with a first admin, then times sequential sign-ins (argon2id
verification dominates) and the cost of being signed in on an ordinary
server-function call (session lookup) against the same call made
anonymously. Prints p50/p99 in milliseconds.

Usage: bench/sign_in.py [runs]   (REEL_BIN, default target/release/reel)
"""
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 50
BIN = os.environ.get("REEL_BIN", "target/release/reel")
NAME, PASSWORD = "bench", "bench-password-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(conn, method, path, body=None, headers=None):
    started = time.perf_counter()
    conn.request(method, path, body=body, headers=headers or {})
    answer = conn.getresponse()
    answer.read()
    return (time.perf_counter() - started) * 1000, answer


def main():
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        env = dict(os.environ, REEL_DATA_DIR=data, REEL_LISTEN=f"127.0.0.1:{port}",
                   REEL_ADMIN_USER=NAME, REEL_ADMIN_PASSWORD=PASSWORD,
                   LEPTOS_OUTPUT_NAME="reel", LEPTOS_SITE_ROOT="target/site", RUST_LOG="warn")
        server = subprocess.Popen([BIN], env=env, stdout=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                    break
                except OSError:
                    time.sleep(0.05)
            form = urllib.parse.urlencode({"username": NAME, "password": PASSWORD})
            plain = {"Content-Type": "application/x-www-form-urlencoded"}
            conn = http.client.HTTPConnection("127.0.0.1", port)
            sign_ins, cookie = [], None
            for n in range(RUNS + 3):
                ms, answer = timed(conn, "POST", "/api/login", form, plain)
                assert answer.status == 200, answer.status
                cookie = answer.getheader("set-cookie").split(";")[0]
                if n >= 3:
                    sign_ins.append(ms)
            origin = {"Origin": f"http://127.0.0.1:{port}"}
            signed = dict(plain, Cookie=cookie, **origin)
            anonymous = dict(plain, **origin)
            calls = {"signed-in call": [], "anonymous call": []}
            for n in range(RUNS * 10 + 20):
                for label, headers in (("signed-in call", signed), ("anonymous call", anonymous)):
                    ms, answer = timed(conn, "POST", "/api/me", "", headers)
                    assert answer.status == 200, (label, answer.status)
                    if n >= 20:
                        calls[label].append(ms)
            print(f"{'what':<16} {'runs':>5} {'p50 ms':>8} {'p99 ms':>8}")
            for label, values in [("sign-in", sign_ins), *calls.items()]:
                print(f"{label:<16} {len(values):>5} {statistics.median(values):>8.2f} {percentile(values, 99):>8.2f}")
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
