#!/usr/bin/env python
"""Benchmark of the local cluster (`make bench-cluster`, README "A local cluster"): starts it (scripts/cluster.sh,
on DATABASE_URL, default platforma_cluster), drives one mix of URLs with wrk through

  1. nginx with its cache,   2. nginx without its cache,   3. one gunicorn app server directly,

and prints for each: requests/s, p50 and p95 latency, errors, the share of requests nginx's cache answered
(its access log's $upstream_cache_status: HIT, or STALE/UPDATING/REVALIDATED, which also spare the app the
page), and the transactions committed on the primary and on the replica meanwhile (pg_stat_database).

The mix: search pages, profiles and feeds, and a share (--random, default 20 %) of searches for a random word,
which no cache has seen. The cluster is stopped at the end (--keep leaves it running). Figures, not a test.
"""

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIR = Path(os.environ.get("CLUSTER_DIR", "/tmp/platforma-cluster"))
PORTS = {
    "nginx with cache": int(os.environ.get("CLUSTER_PORT", "8100")),
    "nginx without cache": int(os.environ.get("CLUSTER_NOCACHE_PORT", "8099")),
    "one gunicorn": int(os.environ.get("CLUSTER_APP_PORTS", "8101 8102").split()[0]),
}
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/platforma_cluster")
REPLICA_PORT = os.environ.get("CLUSTER_REPLICA_PORT", "5433")

WRK_SCRIPT = """
local paths = {%(paths)s}
local share = %(share)f
local letters = "abcdefghijklmnopqrstuvwxyz"
setup = function(thread) thread:set("seed", math.random(1, 1000000)) end
init = function(args) math.randomseed(os.time() + seed) end
local function word()
  local t = {}
  for i = 1, 7 do local n = math.random(1, 26); t[i] = letters:sub(n, n) end
  return table.concat(t)
end
request = function()
  if math.random() < share then
    return wrk.format("GET", "/" .. (math.random() < 0.5 and "fr" or "en") .. "/?q=" .. word())
  end
  return wrk.format("GET", paths[math.random(#paths)])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def published_paths():
    """Search pages, profiles and feeds of the benchmark database: what a visitor mostly asks for."""
    code = (
        "from institutions.models import Organisation as O;"
        "print('\\n'.join('SLUG ' + s for s in O.objects.filter(published=True).order_by('pk')"
        ".values_list('slug', flat=True)[:40]))"
    )
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True, env=dict(os.environ, DATABASE_URL=DATABASE_URL)).stdout
    slugs = [line.split()[1] for line in out.splitlines() if line.startswith("SLUG ")]
    searches = ["/fr/", "/en/", "/fr/?country=FR", "/en/?country=SN", "/fr/?worked_in=BF",
                "/en/?sector=151", "/fr/?q=eau", "/en/?q=water", "/fr/experiences/", "/en/?sector=140"]
    profiles = [f"/{lang}/organisations/{slug}/" for slug in slugs for lang in ("fr", "en")]
    feeds = ["/fr/feed/rss/", "/en/feed/rss/", "/fr/feed/atom/"]
    return searches + profiles + feeds


def commits():
    """Transactions committed so far in the benchmark's database on the primary and on the replica."""
    name = DATABASE_URL.rsplit("/", 1)[1]
    counts = []
    for port in ("5432", REPLICA_PORT):
        out = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", "postgres", "-tA", "-v", f"name={name}"],
            input="SELECT xact_commit FROM pg_stat_database WHERE datname = :'name';",
            capture_output=True, text=True, check=True,
        ).stdout
        counts.append(int(out.strip() or 0))
    return counts


def cache_statuses(log, offset):
    """{cache status: [nginx's $request_time in ms, ...]} for the log's lines after `offset`."""
    statuses = {}
    with open(log) as f:
        f.seek(offset)
        for line in f:
            status, cache, _upstream, seconds = line.split('" ', 1)[1].split()
            statuses.setdefault(cache, []).append(float(seconds) * 1000)
    return statuses


def ninety_fifth(values):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.95))] if values else 0.0


def run_wrk(port, script, seconds, connections):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", script, f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT"))
    requests_, duration, p50, p95, errors = map(int, line.split()[1:])
    return requests_ / (duration / 1e6), p50 / 1000, p95 / 1000, errors, requests_


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15, help="per configuration (default 15)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--random", type=float, default=0.2, help="share of random searches (default 0.2)")
    parser.add_argument("--keep", action="store_true", help="leave the cluster running")
    args = parser.parse_args(argv)

    subprocess.run([str(ROOT / "scripts" / "cluster.sh"), "start"], cwd=ROOT, check=True,
                   env=dict(os.environ, DATABASE_URL=DATABASE_URL))
    paths = published_paths()
    # After a change the primary is read for a few seconds (platforma/replica.py): let that pass.
    time.sleep(9)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT % {"paths": ", ".join(f'"{p}"' for p in paths), "share": args.random})
    rows, inside = [], ""
    try:
        for label, port in PORTS.items():
            log = DIR / "nginx" / ("access.log" if label == "nginx with cache" else "access-nocache.log")
            offset = log.stat().st_size if log.exists() else 0
            before = commits()
            rate, p50, p95, errors, total = run_wrk(port, f.name, args.seconds, args.connections)
            time.sleep(1)  # statistics reach pg_stat_database within a second
            after = commits()
            hits = "-"
            if label == "nginx with cache":
                statuses = cache_statuses(log, offset)
                cached = [t for s in ("HIT", "STALE", "UPDATING", "REVALIDATED") for t in statuses.get(s, [])]
                others = [t for s, times in statuses.items() if s not in ("HIT", "STALE", "UPDATING", "REVALIDATED")
                          for t in times]
                hits = f"{100 * len(cached) / max(1, len(cached) + len(others)):.0f} %"
                inside = (f"inside nginx (its $request_time): answered from its cache p95 "
                          f"{ninety_fifth(cached):.1f} ms, passed to an app server p95 {ninety_fifth(others):.1f} ms")
            rows.append((label, rate, p50, p95, errors, total, hits, after[0] - before[0], after[1] - before[1]))
    finally:
        os.unlink(f.name)
        if not args.keep:
            subprocess.run([str(ROOT / "scripts" / "cluster.sh"), "stop"], cwd=ROOT, check=False)

    print(f"\n{len(paths)} URLs (searches, profiles, feeds) + {args.random:.0%} random searches; "
          f"{args.seconds} s each, {args.connections} connections, wrk -t2; database {DATABASE_URL.rsplit('/', 1)[1]}")
    print(f"{'':<21}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}{'requests':>10}{'cache':>7}"
          f"{'primary':>9}{'replica':>9}")
    for label, rate, p50, p95, errors, total, hits, primary, replica in rows:
        print(f"{label:<21}{rate:>8.0f}{p50:>9.1f}{p95:>9.1f}{errors:>8}{total:>10}{hits:>7}{primary:>9}{replica:>9}")
    print("primary, replica: transactions committed during the run (pg_stat_database.xact_commit).")
    print(inside)
    print("Repeat: make bench-cluster   (BENCH_SECONDS=30; DATABASE_URL=... for another database)")


if __name__ == "__main__":
    random.seed()
    main()
