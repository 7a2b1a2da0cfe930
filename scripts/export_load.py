#!/usr/bin/env python3
"""Export load test (issue 14): gunicorn with production settings on 127.0.0.1 (gunicorn.conf.py, 2 workers,
DEBUG=0), N clients asking for the full export over and over for a bounded time, while a probe fetches
/healthz and a profile (a different one each time, so not a cached page) every second.

Prints the probe's p50/p95/max per URL (target: p95 ≤ 1 s), the number of 5xx answers (must be 0), and
checks every export that finished: its size is its Content-Length, it parses, and its number of rows is its
X-Row-Count. Exits non-zero when any of these fails. Standard library only.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/platforma_bench \\
        .venv/bin/python scripts/export_load.py --seconds 60 --clients 20

It first runs `manage.py build_exports` (which returns at once when the files are up to date) and reads
the sitemap (timed: an index, then its first section, where it takes the profiles to probe).
"""

import argparse
import csv
import gzip
import hashlib
import http.client
import io
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import PYTHON, ROOT, free_port, percentile, production_env, wait_until_up  # noqa: E402

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
PROBE_TARGET_MS = 1000


def start_gunicorn(port, workers, env, log):
    """gunicorn as production runs it (gunicorn.conf.py: 30 s timeout, facet index built before forking)."""
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    env = dict(env, HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY=str(workers))
    gunicorn = Path(PYTHON).with_name("gunicorn")
    return subprocess.Popen([str(gunicorn), "platforma.wsgi"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def get(host, port, path, headers=None, timeout=120):
    """(status, headers dict, body bytes, ms) of one GET on a fresh connection."""
    start = time.perf_counter()
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Accept-Language": "fr", **(headers or {})})
        response = connection.getresponse()
        body = response.read()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers, body, (time.perf_counter() - start) * 1000
    finally:
        connection.close()


def check_export(headers, body, fmt):
    """None when the file is whole, else what is wrong with it."""
    if "content-length" in headers and int(headers["content-length"]) != len(body):
        return f"{len(body)} bytes of {headers['content-length']}"
    if headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    advertised = int(headers["x-row-count"])
    try:
        if fmt == "json":
            rows = len(json.loads(body))
        else:
            rows = sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8-sig")))) - 1  # minus the header
    except (ValueError, csv.Error) as error:
        return f"does not parse: {error}"
    return None if rows == advertised else f"{rows} rows, {advertised} advertised"


def exporter(host, port, path, deadline, results, lock, honour_retry_after):
    """Ask for the export over and over. Each finished file is kept only by its digest (and the first
    body with that digest, checked after the run: checking while the load runs would take this process's
    CPU, and the probe's timing with it)."""
    local = []
    while time.monotonic() < deadline:
        try:
            status, headers, body, ms = get(host, port, path, {"Accept-Encoding": "gzip"})
            if status == 302:
                status, headers, body, more = get(host, port, urlsplit(headers["location"]).path,
                                                  {"Accept-Encoding": "gzip"})
                ms += more
            digest = None
            if status == 200:
                digest = hashlib.sha256(body).hexdigest()
                with lock:
                    bodies.setdefault(digest, (headers, body))
                if "content-length" in headers and int(headers["content-length"]) != len(body):
                    digest = f"truncated: {len(body)} bytes of {headers['content-length']}"
            local.append((status, ms, digest, int(headers.get("x-row-count", 0))))
            if status == 429 and honour_retry_after:
                time.sleep(float(headers.get("retry-after", 1)))
        except (OSError, http.client.HTTPException) as error:
            local.append((type(error).__name__, 0, None, 0))
    with lock:
        results.extend(local)


bodies = {}  # digest -> (headers, body) of the first export with these bytes


def prober(host, port, profiles, seconds, queue):
    """In its own process, so the exporters' work in this one cannot delay it: every second, /healthz and
    a profile (a different one each time)."""
    probes = defaultdict(list)
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        started = time.monotonic()
        for name, path in (("/healthz", "/healthz"), ("profile", profiles[n % len(profiles)])):
            try:
                status, _headers, _body, ms = get(host, port, path, timeout=60)
            except (OSError, http.client.HTTPException) as error:
                status, ms = type(error).__name__, float("nan")
            probes[name].append((status, ms))
        n += 1
        time.sleep(max(0.0, 1 - (time.monotonic() - started)))
    queue.put(dict(probes))


def is_5xx(status):
    return not isinstance(status, int) or status >= 500


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="how long to drive the load (default 60)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent export clients (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--path", default="/fr/export.csv", help="the export asked for (default /fr/export.csv)")
    parser.add_argument("--honour-retry-after", action="store_true",
                        help="clients wait as a 429 asks (default: they ask again at once, as an attacker would)")
    parser.add_argument("--no-build", action="store_true", help="do not run build_exports first")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 3600 or not 1 <= args.clients <= 500:
        parser.error("--seconds must be in (0, 3600] and --clients in [1, 500]")

    env = production_env()
    if not args.no_build:
        started = time.monotonic()
        subprocess.run([PYTHON, "manage.py", "build_exports"], cwd=ROOT, env=env, check=True)
        print(f"build_exports: {time.monotonic() - started:.1f} s")
    host, port = "127.0.0.1", free_port()
    log = tempfile.NamedTemporaryFile("w+", prefix="platforma-export-load-", suffix=".log", delete=False)
    process = start_gunicorn(port, args.workers, env, log)
    print(f"gunicorn: 127.0.0.1:{port}, {args.workers} workers, DEBUG=0 (log: {log.name})")
    try:
        wait_until_up(host, port, "/healthz", process, timeout=300)
        status, _h, index, ms = get(host, port, "/sitemap.xml")
        sections = [loc.text for loc in ET.fromstring(index).findall("s:sitemap/s:loc", SITEMAP_NS)]
        print(f"sitemap index: {status}, {len(sections)} sections, {ms:.0f} ms (cold)")
        status, _h, section, ms = get(host, port, urlsplit(sections[0]).path)
        locations = [loc.text for loc in ET.fromstring(section).findall("s:url/s:loc", SITEMAP_NS)]
        print(f"first section: {status}, {len(locations)} URLs, {len(section) / 1e6:.1f} MB, {ms:.0f} ms (cold)")
        profiles = [urlsplit(url).path for url in locations if "/organisations/" in url][::7]
        print(f"{args.clients} clients asking for {args.path} for {args.seconds:g} s; probe every second ...",
              flush=True)
        results, lock, queue = [], threading.Lock(), multiprocessing.Queue()
        probe = multiprocessing.Process(target=prober, args=(host, port, profiles, args.seconds, queue))
        probe.start()
        deadline = time.monotonic() + args.seconds
        threads = [threading.Thread(target=exporter, args=(host, port, args.path, deadline, results, lock,
                                                           args.honour_retry_after)) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        probes = queue.get(timeout=120)
        probe.join()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    fmt = args.path.rsplit(".", 1)[-1].split("?")[0]
    problems = {digest: check_export(headers, body, fmt) for digest, (headers, body) in bodies.items()}
    statuses = Counter(status for status, *_ in results)
    finished = [(ms, rows, problems.get(digest, digest)) for status, ms, digest, rows in results if status == 200]
    broken = [problem for _ms, _rows, problem in finished if problem]
    print(f"\nexports: {len(results)} answers: {dict(statuses)}")
    if finished:
        times = sorted(ms for ms, _rows, _problem in finished)
        print(f"finished exports: {len(finished)}, {len(finished) - len(broken)} whole "
              f"({finished[0][1]:,} rows each; {len(bodies)} distinct files checked), "
              f"time p50 {percentile(times, 50):.0f} ms, p95 {percentile(times, 95):.0f} ms")
    for problem in broken[:5]:
        print(f"  BROKEN: {problem}")
    failures = len(broken) + (not finished)
    five_xx = sum(count for status, count in statuses.items() if is_5xx(status))
    print(f"\n{'probe':10} {'requests':>8} {'5xx':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, rows in probes.items():
        latencies = sorted(ms for status, ms in rows if isinstance(status, int))
        bad = sum(1 for status, _ms in rows if is_5xx(status))
        five_xx += bad
        p95 = percentile(latencies, 95)
        failures += p95 > PROBE_TARGET_MS or any(status != 200 for status, _ms in rows)
        print(f"{name:10} {len(rows):>8} {bad:>5} {percentile(latencies, 50):>8.1f} {p95:>8.1f} "
              f"{latencies[-1] if latencies else float('nan'):>8.1f}")
    print(f"\n5xx answers: {five_xx} (must be 0); probe p95 target ≤ {PROBE_TARGET_MS} ms")
    if five_xx or failures:
        log.seek(0)
        print("FAILED. Server log tail:\n" + log.read()[-3000:])
        return 1
    print("ok")
    os.unlink(log.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
