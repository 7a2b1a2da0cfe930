"""Time institutions.search.ranked_ids and suggestion on the current database (read-only).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<a copy of platforma_bench100k> \\
        .venv/bin/python manage.py shell -c "exec(open('scripts/bench_text_search.py').read())"

Each query runs REPEAT times after one warm-up; prints the number of matches, p50 and p95 in ms.
"""

import statistics
import time

from institutions.search import ranked_ids, suggestion

REPEAT = 20
QUERIES = [
    "eau",
    "water",
    "commune",
    "eau potable",
    '"eau potable"',
    "eau -burkina",
    "burkina",
    "mayors cameroon water",
    "ouagadougou",
    "14030",
]


def timed(function, q):
    function(q)
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        result = function(q)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return result, statistics.median(times), times[int(0.95 * (len(times) - 1))]


for q in QUERIES:
    ids, p50, p95 = timed(ranked_ids, q)
    print(f"ranked_ids({q!r}): {len(ids)} matches, p50 {p50:.0f} ms, p95 {p95:.0f} ms")
for q in ["ouagadogou", "eau"]:
    corrected, p50, p95 = timed(suggestion, q)
    print(f"suggestion({q!r}) = {corrected!r}: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
