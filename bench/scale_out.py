#!/usr/bin/env python3
"""Beyond-one-machine benchmark (not a test), on loopback, in one run:

1. seek latency and full-file throughput: local `sendfile`, Reel proxying
   S3, redirect to S3, S3 directly (bench/object_store.py's measurements);
2. tus ingest into S3: Reel (PostgreSQL + S3 multipart; a web node taking
   the uploads, a worker node processing them) against @tus/server with
   @tus/s3-store on the same S3 server, the same client
   (examples/tus_upload, 8 MiB chunks), alternating rounds; MB/s and peak
   RSS of the server taking the uploads (goal: >= 1.5x, RSS <= 64 MiB);
3. job claim latency, a web node queueing and a worker node claiming, with
   LISTEN/NOTIFY and with polling only (`--queue-notify off`);
4. processing throughput with 1, 2 and 4 worker nodes (one job slot each)
   on the same queue: the same batch of transcodes, queued before the
   workers start.

Needs the release binary, the example client, s3s-fs and PostgreSQL
(scripts/setup.sh installs them; this script starts its own cluster).
Usage: bench/scale_out.py [seek_size_mib] [tus_size_mib] [rounds] [videos]
BENCH_ONLY=tus runs section 2 alone; CLIENT=node uploads with tus-js-client.
"""
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import object_store as common  # noqa: E402  (start_s3, start_reel, token, …)

SEEK_MIB = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
TUS_MIB = int(sys.argv[2]) if len(sys.argv) > 2 else 512
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 3
VIDEOS = int(sys.argv[4]) if len(sys.argv) > 4 else 8
CLIENT = "target/release/examples/tus_upload"
# CLIENT=node: tus-js-client (bench/tus-node/client.mjs) instead, which needs
# no release build of the example but spends as much CPU as the servers.
CLIENT_KIND = os.environ.get("CLIENT", "rust")
CHUNK = 8 << 20
MIB = 1 << 20
common.SIZE_MIB, common.SEEKS = SEEK_MIB, 50


def wait_listening(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port}")


def start_postgres():
    out = subprocess.run(["scripts/postgres.sh", "start"], capture_output=True, text=True,
                         check=True).stdout
    env = dict(re.findall(r"export (\w+)=(\S+)", out))
    return env["REEL_TEST_PG_URL"], env["REEL_TEST_PG_DIR"]


def new_database(base, name):
    subprocess.run(["psql", base, "-q", "-c", f"CREATE DATABASE {name}"], check=True)
    return base.rsplit("/", 1)[0] + "/" + name


def sql(url, query):
    out = subprocess.run(["psql", url, "-At", "-c", query], capture_output=True, text=True,
                         check=True).stdout
    return [line for line in out.splitlines() if line]


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return 0.0


def reset_peak_rss(pid):
    """Starts VmHWM again from the current RSS (Linux: clear_refs 5)."""
    with open(f"/proc/{pid}/clear_refs", "w") as refs:
        refs.write("5")


def tus_upload(endpoint, path, auth):
    client = [CLIENT] if CLIENT_KIND == "rust" else ["node", "bench/tus-node/client.mjs"]
    out = subprocess.run([*client, endpoint, path, str(CHUNK)], capture_output=True, text=True,
                         check=True, env={**os.environ, "REEL_TOKEN": auth or ""}).stdout
    report = json.loads(out)
    assert report["bytes"] == os.path.getsize(path), report
    return report["elapsedMs"], report["url"].rsplit("/", 1)[-1]


def post(port, path, body, auth):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded",
                                      "Authorization": f"Bearer {auth}"})
    answer = conn.getresponse()
    return answer.status, answer.read()


def wait_settled(port, auth, upload_id):
    """Until Reel's upload is an item whose processing is over."""
    for _ in range(6000):
        status, body = post(port, "/api/upload_status", f"upload_id={upload_id}", auth)
        phase = json.loads(body)["phase"] if status == 200 else {}
        if phase.get("phase") == "failed":
            raise SystemExit(f"Reel failed the upload: {phase}")
        if phase.get("phase") == "done":
            if item_state(port, auth, phase["media_id"]) != "processing":
                return
        time.sleep(0.1)
    raise SystemExit("Reel did not finish the upload")


def item_state(port, auth, media_id):
    status, body = post(port, "/api/media", f"id={media_id}", auth)
    assert status == 200, body[:200]
    return json.loads(body)["state"]["state"]


def wav(work, name, seconds):
    path = os.path.join(work, name)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency=440:sample_rate=48000:duration={seconds}",
                    "-ac", "2", "-c:a", "pcm_s16le", path], check=True)
    return path


def video(work, name, seconds):
    """A clip browsers cannot play (MPEG-4 Part 2 in AVI): Reel transcodes it."""
    path = os.path.join(work, name)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc=size=640x360:rate=25:duration={seconds}", "-f", "lavfi", "-i",
                    f"sine=frequency=330:duration={seconds}", "-c:v", "mpeg4", "-c:a",
                    "mp3", "-shortest", path], check=True)
    return path


def tus_section(work, endpoint, s3_env, pg):
    path = wav(work, "tus.wav", TUS_MIB * MIB // 192000)
    size = os.path.getsize(path)
    # A web node takes the uploads and a worker node processes them, as in
    # deploy/: the web node's peak RSS is the ingest's own, comparable with
    # @tus/server's (which processes nothing). The worker's is shown apart.
    env = {**s3_env, "REEL_STORAGE": f"s3://{common.BUCKET}/tus",
           "REEL_DATABASE_URL": new_database(pg, "tus")}
    reel, port = common.start_reel(os.path.join(work, "tus-reel"), {**env, "REEL_ROLE": "web"})
    worker, _ = common.start_reel(os.path.join(work, "tus-worker"),
                                  {**env, "REEL_ROLE": "worker"})
    auth = common.token(port)
    node_port = common.free_port()
    node = subprocess.Popen(["node", "bench/tus-node/s3-server.mjs", str(node_port), endpoint,
                             common.BUCKET, common.KEY_ID, common.SECRET],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(node_port)
        reel_ms, node_ms = [], []
        receiving, finalising = [], []
        for round_ in range(ROUNDS):
            reset_peak_rss(reel.pid)
            elapsed, upload_id = tus_upload(f"http://127.0.0.1:{port}/api/tus", path, auth)
            reel_ms.append(elapsed)
            # The web node's peak while the PATCHes came in, then while it
            # finalised (the original read back from S3 to be hashed and probed).
            receiving.append(peak_rss_mib(reel.pid))
            reset_peak_rss(reel.pid)
            wait_settled(port, auth, upload_id)
            finalising.append(peak_rss_mib(reel.pid))
            elapsed, _ = tus_upload(f"http://127.0.0.1:{node_port}/files", path, None)
            node_ms.append(elapsed)
            print(f"  tus round {round_ + 1}: reel {reel_ms[-1]} ms, node {node_ms[-1]} ms",
                  file=sys.stderr)
        reel_rate = size / 1e6 / (statistics.median(reel_ms) / 1000)
        node_rate = size / 1e6 / (statistics.median(node_ms) / 1000)
        reel_rss, node_rss = max(receiving + finalising), peak_rss_mib(node.pid)
        worker_rss = peak_rss_mib(worker.pid)
        print(f"\ntus into S3: {size / 1e6:.0f} MB in 8 MiB chunks, median of {ROUNDS} rounds")
        print(f"  Reel (PostgreSQL + S3 multipart)  {reel_rate:7.1f} MB/s  peak RSS {reel_rss:6.1f} MiB"
              f"  (web node; the worker node that processed them: {worker_rss:.1f} MiB)")
        print(f"    web node's peak while receiving {max(receiving):.1f} MiB, "
              f"while finalising {max(finalising):.1f} MiB")
        print(f"  @tus/server + @tus/s3-store       {node_rate:7.1f} MB/s  peak RSS {node_rss:6.1f} MiB")
        print(f"  Reel / node: {reel_rate / node_rate:.2f}x throughput (goal >= 1.5x), "
              f"{reel_rss / node_rss:.2f}x peak RSS (goal <= 64 MiB)")
    finally:
        reel.kill()
        worker.kill()
        node.kill()


def claim_section(work, s3_env, pg):
    print("\njob claim latency (web node queues, worker node claims), 20 items each")
    for notify in ["on", "off"]:
        database = new_database(pg, f"claim_{notify}")
        env = {**s3_env, "REEL_STORAGE": f"s3://{common.BUCKET}/claim-{notify}",
               "REEL_DATABASE_URL": database}
        web, port = common.start_reel(os.path.join(work, f"claim-web-{notify}"),
                                      {**env, "REEL_ROLE": "web"})
        worker, _ = common.start_reel(os.path.join(work, f"claim-worker-{notify}"),
                                      {**env, "REEL_ROLE": "worker", "REEL_QUEUE_NOTIFY": notify})
        try:
            auth = common.token(port)
            clip = wav(work, "short.wav", 1)
            for _ in range(20):
                common.upload(port, auth, clip)
            waits = [float(ms) for ms in sql(database, (
                "SELECT extract(epoch FROM started_at - created_at) * 1000 FROM jobs "
                "WHERE started_at IS NOT NULL ORDER BY id"))]
            waits.sort()
            print(f"  NOTIFY {notify:<3}  p50 {statistics.median(waits):8.1f} ms"
                  f"  p95 {waits[int(0.95 * (len(waits) - 1))]:8.1f} ms  ({len(waits)} jobs)")
        finally:
            web.kill()
            worker.kill()


def workers_section(work, s3_env, pg):
    clips = [video(work, f"clip{n}.avi", 20) for n in range(VIDEOS)]
    print(f"\nprocessing throughput: {VIDEOS} transcodes of a 20 s 640x360 clip, queued first")
    base = None
    for count in [1, 2, 4]:
        database = new_database(pg, f"workers_{count}")
        env = {**s3_env, "REEL_STORAGE": f"s3://{common.BUCKET}/workers-{count}",
               "REEL_DATABASE_URL": database}
        web, port = common.start_reel(os.path.join(work, f"w{count}-web"),
                                      {**env, "REEL_ROLE": "web"})
        workers = []
        try:
            auth = common.token(port)
            for clip in clips:
                out = subprocess.run(
                    ["curl", "-sf", "-H", f"Authorization: Bearer {auth}", "-F",
                     f"file=@{clip}", f"http://127.0.0.1:{port}/api/uploads"],
                    capture_output=True, text=True, check=True)
                assert json.loads(out.stdout)["id"]
            began = time.perf_counter()
            for n in range(count):
                proc, _ = common.start_reel(os.path.join(work, f"w{count}-worker{n}"), {
                    **env, "REEL_ROLE": "worker", "REEL_WORKERS": "1"})
                workers.append(proc)
            while sql(database, "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')") != ["0"]:
                time.sleep(0.2)
            elapsed = time.perf_counter() - began
            failed = sql(database, "SELECT count(*) FROM jobs WHERE state != 'done'")
            base = base or elapsed
            print(f"  {count} worker node(s)  {elapsed:6.1f} s  {VIDEOS / elapsed * 60:5.1f} items/min"
                  f"  {base / elapsed:.2f}x of one  (jobs not done: {failed[0]})")
        finally:
            web.kill()
            for proc in workers:
                proc.kill()


def main():
    for tool in ["s3s-fs", "psql", "node", "ffmpeg", "curl"]:
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: run scripts/setup.sh")
    if not os.path.exists("bench/tus-node/node_modules/@tus/s3-store/package.json"):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd="bench/tus-node", check=True)
    if CLIENT_KIND == "rust" and not os.path.exists(CLIENT):
        subprocess.run(["cargo", "build", "-q", "--release", "--features", "ssr", "--example",
                        "tus_upload"], check=True)
    print(f"{os.cpu_count()} cores; every server on loopback, data on the same disk")
    only_tus = os.environ.get("BENCH_ONLY") == "tus"
    if not only_tus:
        common.main()  # section 1, with its own S3 server
    work = tempfile.mkdtemp()
    pg, pg_dir = start_postgres()
    s3 = None
    try:
        s3, endpoint = common.start_s3(os.path.join(work, "s3"))
        s3_env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": common.KEY_ID,
                  "AWS_SECRET_ACCESS_KEY": common.SECRET, "AWS_REGION": "us-east-1"}
        tus_section(work, endpoint, s3_env, pg)
        if not only_tus:
            claim_section(work, s3_env, pg)
            workers_section(work, s3_env, pg)
    finally:
        if s3:
            s3.kill()
        subprocess.run(["scripts/postgres.sh", "stop", pg_dir], check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
