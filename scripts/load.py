#!/usr/bin/env python3
"""Load test (make load): start gunicorn with production settings on 127.0.0.1, drive the main public pages
with many concurrent connections for a bounded time, print requests, errors and latency per URL.

Standard library only. Exits non-zero when any request failed (a status other than 2xx/3xx, 404 included,
or a connection error), so it can gate a release.

    .venv/bin/python scripts/load.py --seconds 30 --concurrency 20
    .venv/bin/python scripts/load.py --url-base http://127.0.0.1:8000 --paths /fr/ /en/

It uses the configured database (DATABASE_URL, else db.sqlite3): run `make db` first so the demo data
(the AIMF profile) exists.
"""

import argparse
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# Exports, printed lists, statistics and networks are limited to a few at once per client (429 beyond):
# scripts/export_load.py loads the exports.
DEFAULT_PATHS = ["/fr/", "/en/?q=eau", "/fr/organisations/aimf/", "/fr/feed/rss/"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env():
    """DEBUG off with a throw-away key; plain HTTP is allowed because this never leaves the machine."""
    env = dict(os.environ)
    env.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="127.0.0.1",
               SECURE_SSL_REDIRECT="0", LOG_LEVEL="WARNING")
    return env


def start_gunicorn(port, workers, env, log):
    collectstatic = [PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"]
    subprocess.run(collectstatic, cwd=ROOT, env=env, check=True)
    gunicorn = Path(PYTHON).with_name("gunicorn")
    command = [str(gunicorn), "platforma.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--timeout", "60", "--graceful-timeout", "5"]
    # Own process group, so stopping it stops its workers and nothing else.
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_until_up(host, port, path, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode}")
        try:
            connection = http.client.HTTPConnection(host, port, timeout=5)
            connection.request("GET", path)
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server on {host}:{port} did not answer within {timeout} s")


def worker(host, port, paths, offset, deadline, results, lock):
    connection = http.client.HTTPConnection(host, port, timeout=30)
    local = []
    i = offset
    while time.monotonic() < deadline:
        path = paths[i % len(paths)]
        i += 1
        start = time.perf_counter()
        try:
            connection.request("GET", path, headers={"Accept-Language": "fr"})
            response = connection.getresponse()
            response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
        except (OSError, http.client.HTTPException) as error:
            status = type(error).__name__
            connection.close()
        local.append((path, status, (time.perf_counter() - start) * 1000))
    connection.close()
    with lock:
        results.extend(local)


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def is_error(status):
    return not (isinstance(status, int) and 200 <= status < 400)


def report(results, paths, elapsed, concurrency):
    by_path = defaultdict(list)
    for path, status, ms in results:
        by_path[path].append((status, ms))
    total = len(results)
    errors = sum(1 for _, status, _ in results if is_error(status))
    print(f"\n{total} requests in {elapsed:.1f} s with {concurrency} connections: "
          f"{total / elapsed:.1f} req/s, {errors} errors")
    print(f"{'URL':32} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for path in paths:
        rows = by_path.get(path, [])
        latencies = sorted(ms for _, ms in rows)
        bad = [status for status, _ in rows if is_error(status)]
        print(f"{path:32} {len(rows):>8} {len(bad):>6} {percentile(latencies, 50):>8.1f} "
              f"{percentile(latencies, 95):>8.1f} {percentile(latencies, 99):>8.1f}")
        if bad:
            kinds = defaultdict(int)
            for status in bad:
                kinds[status] += 1
            print(f"{'':32} errors: {dict(kinds)}")
    every = sorted(ms for _, _, ms in results)
    print(f"{'all':32} {total:>8} {errors:>6} {percentile(every, 50):>8.1f} "
          f"{percentile(every, 95):>8.1f} {percentile(every, 99):>8.1f}")
    return errors


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help="how long to drive the load (default 30)")
    parser.add_argument("--concurrency", type=int, default=20, help="concurrent connections (default 20)")
    parser.add_argument("--url-base", help="use this running server (127.0.0.1 only) instead of starting one")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--paths", nargs="+", default=DEFAULT_PATHS, help="paths to request, round-robin")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.seconds > 3600 or not 1 <= args.concurrency <= 1000:
        parser.error("--seconds must be in (0, 3600] and --concurrency in [1, 1000]")

    process = None
    log = tempfile.NamedTemporaryFile("w+", prefix="platforma-load-", suffix=".log", delete=False)
    if args.url_base:
        parts = urlsplit(args.url_base)
        if parts.scheme != "http" or parts.hostname not in LOCAL_HOSTS:
            parser.error("--url-base must be http://127.0.0.1:PORT (this script only loads this machine)")
        host, port = parts.hostname, parts.port or 80
    else:
        host, port = "127.0.0.1", free_port()
        process = start_gunicorn(port, args.workers, production_env(), log)
        print(f"gunicorn: 127.0.0.1:{port}, {args.workers} workers, DEBUG=0 (log: {log.name})")
    try:
        wait_until_up(host, port, args.paths[0], process)
        print(f"driving {len(args.paths)} URLs, {args.concurrency} connections, {args.seconds:g} s ...")
        results, lock = [], threading.Lock()
        deadline = time.monotonic() + args.seconds
        start = time.monotonic()
        threads = [threading.Thread(target=worker, args=(host, port, args.paths, n, deadline, results, lock))
                   for n in range(args.concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - start
    finally:
        if process is not None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    errors = report(results, args.paths, elapsed, args.concurrency)
    if errors:
        log.seek(0)
        tail = log.read()[-3000:]
        print(f"\nFAILED: {errors} errors." + (f" Server log tail:\n{tail}" if tail else ""))
        return 1
    os.unlink(log.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
