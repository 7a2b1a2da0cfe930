#!/usr/bin/env python
"""Benchmark of the public directory on the configured database (DATABASE_URL): `make bench`.

1. Server time, in process (django.test.Client, DEBUG off): p50/p95 over repeated requests for fixed
   scenarios, with the page cache off ("cold") and on ("warm"), plus the number of
   SQL queries per request. A scenario whose URL answers 404 (page not built yet) is reported "missing".
2. Peak memory of the CSV export, in a subprocess that streams it (VmHWM from /proc/self/status).
3. Throughput under gunicorn (2 workers) measured with wrk, for the search page and for a bare Django
   view (same middleware, no work) in the same run: the ratio says how close the page is to the
   framework's own ceiling. Once with the page cache off, once with it on (warm).

Prints a table and the command to repeat it, and writes JSON with the machine's description to
bench/results/<date>-<database>-<organisations>.json. Figures, not tests: nothing here fails a build.
"""

import argparse
import json
import math
import os
import platform
import re
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Measured as in production: DEBUG off (no query log, no debug pages), hashed static files. The same
# environment is given to collectstatic, the memory probe and gunicorn.
BENCH_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "BENCHMARK": "1",  # enables the bare view (settings.BENCHMARK_VIEW); never set in production
    "API_THROTTLE_RATE": "1000000/minute",  # every request comes from one address here
    "DJANGO_SETTINGS_MODULE": "platforma.settings",
}
for key, value in BENCH_ENV.items():
    os.environ.setdefault(key, value)
BENCH_ENV.update({k: os.environ[k] for k in BENCH_ENV})

# p95 with the page cache off. Search: 150 ms up to 10,000 organisations, 600 ms at 100,000 (issue 13).
# API: at 10,000 (issue 18); statistics: 17; partnerships (the network of a search): at 10,000 (issue 20).
TARGETS_MS = {"profile": 20, "feed": 30, "api": 100, "statistics": 600, "partnerships": 600}
SEARCH_TARGET_MS = {10_000: 150, 100_000: 600}
SLOWEST_MS = 1000  # no single request, the first after a start or an edit included, may take longer
WORKER_RSS_MIB = 150  # resident memory of one gunicorn worker after the throughput runs
MAX_QUERIES = 10
PAGE_SIZE = 20
EXPORT_ROWS = 10_000


def setup_django():
    import logging

    import django

    django.setup()
    logging.getLogger("django.request").setLevel(logging.ERROR)  # a "missing" page is not a warning here


# ---------------------------------------------------------------- scenarios


def scenarios():
    """(name, kind, URL) for the data in this database; kind picks the target that applies."""
    from institutions.models import Organisation

    published = Organisation.objects.published()
    total = published.count()
    last_page = max(1, math.ceil(total / PAGE_SIZE))
    profile = (
        published.filter(slug__startswith="gen-").order_by("pk").first() or published.order_by("pk").first()
    )
    return [
        ("no criteria", "search", "/fr/"),
        ("text query", "search", "/fr/?q=eau"),
        ("text + 3 criteria", "search", "/fr/?q=eau&country=FR&kind=municipality&sector=140"),
        ("facet-heavy", "search", "/en/?sector=151&worked_in=BF&worked_in=CI&role=coordinator"),
        (f"deep page ({min(200, last_page)})", "search", f"/fr/?page={min(200, last_page)}"),
        ("profile", "profile", f"/fr/organisations/{profile.slug}/" if profile else None),
        ("RSS feed", "feed", "/fr/feed/rss/"),
        ("CSV export", "export", "/fr/export.csv" + export_criteria(published, total)),
        ("API list", "api", "/api/v1/organisations/?lang=fr"),
        ("API list + 3 criteria", "api", "/api/v1/organisations/?country=FR&kind=municipality&sector=140"),
        ("API detail", "api", f"/api/v1/organisations/{profile.slug}/" if profile else None),
        ("API experiences", "api", f"/api/v1/organisations/{profile.slug}/experiences/" if profile else None),
        ("IATI XML of the profile", "iati", f"/fr/organisations/{profile.slug}/iati.xml" if profile else None),
        ("experiences: no criteria", "experiences", "/fr/experiences/"),
        ("experiences: text query", "experiences", "/fr/experiences/?q=eau"),
        ("experiences: facet-heavy", "experiences", "/en/experiences/?worked_in=BF&worked_in=CI&role=coordinator"),
        ("experiences: by cost", "experiences", "/en/experiences/?sort=-cost"),
        ("statistics: no criteria", "statistics", "/fr/statistics/"),
        ("statistics: a country", "statistics", "/en/statistics/?worked_in=BF"),
        ("network: no criteria", "partnerships", "/fr/partnerships/"),
        ("network: a country", "partnerships", "/en/partnerships/?country=FR"),
        ("network: text query", "partnerships", "/fr/partnerships/?q=eau"),
    ]


def export_criteria(published, total):
    """The criterion (one or two countries, or one or two kinds: values of one criterion widen) matching
    closest to EXPORT_ROWS organisations without exceeding EXPORT_STREAM_LIMIT; no criterion when there are
    fewer than that."""
    from itertools import combinations

    from django.conf import settings
    from django.db.models import Count

    if total <= EXPORT_ROWS:
        return ""
    candidates = []
    for field in ("country", "kind"):
        # order_by(): the model's default ordering would otherwise split the groups by name.
        counts = dict(published.order_by().values_list(field).annotate(n=Count("pk")))
        for size in (1, 2):
            for values in combinations(sorted(counts), size):
                rows = sum(counts[v] for v in values)
                query = "?" + "&".join(f"{field}={v}" for v in values)
                if rows <= settings.EXPORT_STREAM_LIMIT:  # more is not made on demand (a 400 page)
                    candidates.append((abs(rows - EXPORT_ROWS), query))
    return min(candidates)[1]


# ---------------------------------------------------------------- in-process timing


def fetch(client, url):
    """One request, body fully read (streamed responses included). Returns (status, bytes)."""
    response = client.get(url)
    if response.streaming:
        size = sum(len(chunk) for chunk in response.streaming_content)
    else:
        size = len(response.content)
    response.close()
    return response.status_code, size


def percentile(values, p):
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def time_requests(client, url, runs, warmup, clear_cache):
    """clear_cache: measure with the page cache off ("cold": every request renders the page). The cache
    itself is not flushed (the first request after an edit is measured apart: time_first_after_an_edit)."""
    from django.test import override_settings

    slowest = 0.0
    with override_settings(PUBLIC_PAGE_CACHE=not clear_cache):
        for _ in range(warmup):
            started = time.perf_counter()
            fetch(client, url)
            slowest = max(slowest, (time.perf_counter() - started) * 1000)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            fetch(client, url)
            timings.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 95), 2),
        "max_ms": round(max([slowest, *timings]), 2),
        "runs": runs,
    }


def count_queries(client, url, clear_cache):
    from django.db import connection
    from django.test import override_settings
    from django.test.utils import CaptureQueriesContext

    fetch(client, url)  # labels and counts of the first page cached for this generation, as in production
    with override_settings(PUBLIC_PAGE_CACHE=not clear_cache), CaptureQueriesContext(connection) as ctx:
        fetch(client, url)
    return len(ctx.captured_queries)


def time_first_after_an_edit(client, url):
    """Milliseconds of the first request after an edit (a new directory generation: nothing cached),
    the cache on: what the next visitor pays. Nothing is rebuilt in a request, so it is an ordinary page."""
    from django.test import override_settings

    from institutions.cache import bump_generation

    with override_settings(PUBLIC_PAGE_CACHE=True):
        bump_generation()
        started = time.perf_counter()
        fetch(client, url)
        return round((time.perf_counter() - started) * 1000, 1)


def search_target(organisations):
    """The target of the nearest size measured: 10,000 generated organisations plus the demo's 15 are the
    10,000 of the target, not "more than 10,000"."""
    return SEARCH_TARGET_MS[min(SEARCH_TARGET_MS, key=lambda size: abs(size - organisations))]


def measure_in_process(args):
    from django.test import Client

    client = Client()
    results = []
    for name, kind, url in scenarios():
        if args.only and not any(part in name for part in args.only):
            continue
        if args.skip and any(part in name for part in args.skip):
            continue
        row = {"scenario": name, "kind": kind, "url": url}
        results.append(row)
        if url is None:
            row["status"] = "missing (no organisation)"
            continue
        status, size = fetch(client, url)
        if status == 404:
            row["status"] = "missing"
            continue
        row["status"] = status
        row["bytes"] = size
        runs = args.runs if kind != "export" else max(5, args.runs // 3)  # an export takes seconds
        print(f"  {name}: {url}", flush=True)
        row["queries_cold"] = count_queries(client, url, clear_cache=True)
        row["cold"] = time_requests(client, url, runs, args.warmup, clear_cache=True)
        row["queries_warm"] = count_queries(client, url, clear_cache=False)
        row["warm"] = time_requests(client, url, runs, 1, clear_cache=False)
        if kind != "export":
            row["first_after_edit_ms"] = time_first_after_an_edit(client, url)
        target = search_target(args.organisations) if kind in ("search", "experiences") else TARGETS_MS.get(kind)
        if target:
            row["target_p95_ms"] = target
            row["meets_target"] = row["cold"]["p95_ms"] <= target and row["queries_cold"] <= MAX_QUERIES
        if kind == "export":
            row["rss"] = probe_export_memory(url)
    return results


# ---------------------------------------------------------------- export memory


def rss_probe(url):
    """Run in a subprocess: stream one response and report memory from /proc/self/status."""
    setup_django()
    from django.test import Client

    def status(field):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024  # kB -> MiB
        return None

    client = Client()
    client.get("/fr/")  # code and templates loaded: what is left is the export's own memory
    baseline = status("VmRSS")
    response = client.get(url)
    size, chunks = 0, 0
    if response.streaming:
        for chunk in response.streaming_content:
            size += len(chunk)
            chunks += 1
    else:
        size = len(response.content)
    response.close()
    print(
        json.dumps(
            {
                "baseline_mib": baseline,
                "peak_mib": status("VmHWM"),
                "bytes": size,
                "chunks": chunks,
                "streaming": bool(response.streaming),
            }
        )
    )


def probe_export_memory(url):
    if not Path("/proc/self/status").exists():
        return None
    out = subprocess.run(
        [sys.executable, __file__, "--rss-probe", url],
        capture_output=True,
        text=True,
        env=os.environ,
        cwd=ROOT,
        timeout=600,
    )
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"error": (out.stderr or out.stdout)[-500:]}


# ---------------------------------------------------------------- gunicorn + wrk


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def wrk(url, seconds, connections):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    match = re.search(r"Requests/sec:\s+([\d.]+)", out.stdout)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out.stdout)
    return {"rps": float(match.group(1)) if match else None, "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def measure_throughput(args, search_url):
    if not shutil.which("wrk"):
        print("  wrk not found: install it with `sudo apt-get install -y wrk` to measure throughput.")
        return {"skipped": "wrk not installed (sudo apt-get install -y wrk)"}
    results = {}
    for label, page_cache in (("cache off", "0"), ("cache warm", "1")):
        port = free_port()
        env = dict(os.environ, PORT=str(port), WEB_CONCURRENCY="2", PUBLIC_PAGE_CACHE=page_cache)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "platforma.wsgi",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--access-logfile",
                "-",
                "--error-logfile",
                "-",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            if not wait_until_up(base + "/bench/bare/"):
                results[label] = {"error": "gunicorn did not start"}
                continue
            wrk(base + search_url, 2, args.connections)  # warm-up: connections, caches, code paths
            bare = wrk(base + "/bench/bare/", args.duration, args.connections)
            search = wrk(base + search_url, args.duration, args.connections)
            ratio = (search["rps"] / bare["rps"]) if bare["rps"] and search["rps"] else None
            target = 0.15 if page_cache == "0" else 0.60  # issue 13 asks ≥ 0.60 warm
            results[label] = {
                "bare": bare,
                "search": search,
                "ratio": round(ratio, 3) if ratio else None,
                "target_ratio": target,
                "met": ratio is not None and ratio >= target,  # judged unrounded: 0.1497 is not 0.15
            }
            results[label]["worker_rss_mib"] = worker_rss_mib(server.pid)
            print(f"  {label}: bare {bare['rps']} req/s, search {search['rps']} req/s", flush=True)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    return results


def worker_rss_mib(master_pid):
    """Resident memory (MiB) of each gunicorn worker: the master's children, read from /proc."""
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(master_pid):
            sizes.append(round(int(fields["VmRSS"].split()[0]) / 1024, 1))
    return sorted(sizes)


# ---------------------------------------------------------------- machine and output


def machine():
    from django import get_version
    from django.db import connection

    from experiences.models import Experience
    from institutions.models import Organisation

    cpu = "unknown"
    if Path("/proc/cpuinfo").exists():
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = None
    if Path("/proc/meminfo").exists():
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        db_version = cursor.fetchone()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": get_version(),
        "database": f"{connection.vendor} {db_version}",
        "database_name": connection.settings_dict["NAME"],
        "organisations": Organisation.objects.count(),
        "published_organisations": Organisation.objects.published().count(),
        "experiences": Experience.objects.count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def fmt(value, unit=""):
    return "-" if value is None else f"{value}{unit}"


def format_table(rows, throughput, info):
    lines = []
    out = lines.append  # built as text: printed and saved next to the JSON
    out("")
    out(
        f"{info['organisations']} organisations, {info['experiences']} experiences on {info['database']}; "
        f"{info['cpu']}, {info['cores']} cores, load average {info['load_average_at_start']} at start"
    )
    header = (
        f"{'scenario':<22} {'status':>7} {'cold p50':>9} {'cold p95':>9} {'warm p50':>9} {'warm p95':>9} "
        f"{'SQL':>5} {'target':>16}"
    )
    out(header)
    out("-" * len(header))
    for row in rows:
        if "cold" not in row:
            out(f"{row['scenario']:<22} {row['status']:>7}")
            continue
        target = ""
        if "target_p95_ms" in row:
            target = f"<={row['target_p95_ms']} ms " + ("ok" if row["meets_target"] else "MISSED")
        queries = f"{row['queries_cold']}/{row['queries_warm']}"
        cold, warm = row["cold"], row["warm"]
        out(
            f"{row['scenario']:<22} {row['status']:>7} {cold['p50_ms']:>7.1f}ms {cold['p95_ms']:>7.1f}ms "
            f"{warm['p50_ms']:>7.1f}ms {warm['p95_ms']:>7.1f}ms {queries:>5} {target:>16}"
        )
        if row.get("rss"):
            rss = row["rss"]
            if "error" in rss:
                out(f"{'':<22} export memory probe failed: {rss['error'][-200:]}")
            else:
                out(
                    f"{'':<22} export: {rss['bytes']} bytes, streaming={rss['streaming']}, RSS "
                    f"{rss['baseline_mib']} MiB before, peak {rss['peak_mib']} MiB"
                )
    out(
        "(times in ms of server time per request, cold = page cache off, warm = page cache on; SQL = queries "
        "cold/warm; target = p95 cold, ≤10 queries)"
    )
    slowest = max((row[key]["max_ms"] for row in rows for key in ("cold", "warm") if key in row), default=0)
    after_edit = max((row.get("first_after_edit_ms", 0) for row in rows), default=0)
    verdict = "ok" if max(slowest, after_edit) <= SLOWEST_MS else "MISSED"
    out(
        f"slowest request (first ones included) {slowest:.0f} ms, slowest first request after an edit "
        f"{after_edit:.0f} ms (target ≤{SLOWEST_MS} ms: {verdict})"
    )
    out("")
    for label, result in throughput.items():
        if not isinstance(result, dict) or "bare" not in result:
            out(f"throughput {label}: {result}")
            continue
        ratio = result["ratio"]
        verdict = "ok" if result["met"] else "MISSED"
        out(
            f"throughput {label:<10}: search {fmt(result['search']['rps'])} req/s, bare view "
            f"{fmt(result['bare']['rps'])} req/s, ratio {fmt(ratio)} (target ≥{result['target_ratio']}: "
            f"{verdict})"
        )
        rss = result.get("worker_rss_mib") or []
        rss_verdict = "ok" if rss and max(rss) <= WORKER_RSS_MIB else "MISSED"
        out(f"{'':<12} gunicorn workers' memory {rss} MiB RSS (target ≤{WORKER_RSS_MIB}: {rss_verdict})")
    return "\n".join(lines)


def masked_database_url():
    url = os.environ.get("DATABASE_URL", "")
    return re.sub(r"://([^:/@]+):[^@]+@", r"://\1:***@", url)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=30, help="timed requests per scenario (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first (default 3)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--no-wrk", action="store_true", help="skip the gunicorn/wrk throughput part")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"), help="folder for the JSON result")
    parser.add_argument(
        "--only", action="append", help="only the scenarios whose name contains this (repeatable): --only network"
    )
    parser.add_argument(
        "--skip", action="append", help="not the scenarios whose name contains this (repeatable): --skip statistics"
    )
    parser.add_argument("--rss-probe", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_probe:
        return rss_probe(args.rss_probe)

    print("collectstatic (hashed, compressed files, as in production)...", flush=True)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True)
    setup_django()
    info = machine()
    print(f"Server time in process ({args.runs} runs after {args.warmup} warm-up, DEBUG off):", flush=True)
    args.organisations = info["organisations"]
    rows = measure_in_process(args)
    throughput = {}
    if not args.no_wrk:
        print("Throughput under gunicorn (2 workers) with wrk:", flush=True)
        throughput = measure_throughput(args, "/fr/")
    table = format_table(rows, throughput, info)
    print(table)

    python = Path(sys.executable)
    python = python.relative_to(ROOT) if python.is_relative_to(ROOT) else python
    run = "make bench" if not sys.argv[1:] else f"{python} scripts/bench.py {' '.join(sys.argv[1:])}"
    # The settings given in the environment that change what is measured go into the command to repeat.
    if "FACET_COUNTS_CACHE" in os.environ:
        run = f"FACET_COUNTS_CACHE={shlex.quote(os.environ['FACET_COUNTS_CACHE'])} {run}"
    command = f"DATABASE_URL={masked_database_url()} {run}" if os.environ.get("DATABASE_URL") else run
    from django.db import connection

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{date.today().isoformat()}-{connection.vendor}-{info['organisations']}.json"
    path.write_text(
        json.dumps(
            {
                "command": command,
                "machine": info,
                "scenarios": rows,
                "throughput": throughput,
                "date": date.today().isoformat(),
            },
            indent=2,
        )
        + "\n"
    )
    path.with_suffix(".txt").write_text(f"$ {command}\n{table}\n")
    print(f"\nWritten to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} (and .txt)")
    print(f"Repeat with: {command}")


if __name__ == "__main__":
    main()
