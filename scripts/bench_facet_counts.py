"""Time the search's facet counts on the current database (read-only), from the bitmaps (PostgreSQL) and by
GROUP BY over the facet values (what SQLite does), for the same searches.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/platforma_bench .venv/bin/python scripts/bench_facet_counts.py

Prints the median of 7 runs (bitmaps) and of 3 (GROUP BY) per search, the text search done beforehand."""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platforma.settings")

import django  # noqa: E402

django.setup()

from django.http import QueryDict  # noqa: E402

from directory.criteria import OrganisationFilter  # noqa: E402
from institutions import bitmaps  # noqa: E402
from institutions.models import Organisation  # noqa: E402

SEARCHES = [
    "q=eau",
    "country=FR",
    "sector=151&worked_in=BF&worked_in=CI&role=coordinator",
    "q=eau&country=FR&kind=municipality&sector=140",
]


def timed(query, use_bitmaps, runs):
    times = []
    enabled = bitmaps.enabled
    for _ in range(runs):
        search = OrganisationFilter(QueryDict(query), queryset=Organisation.objects.published())
        search.text_ids  # noqa: B018 - the text search is not what is timed
        bitmaps.enabled = enabled if use_bitmaps else (lambda using: False)
        try:
            start = time.perf_counter()
            search.facet_counts()
            times.append((time.perf_counter() - start) * 1000)
        finally:
            bitmaps.enabled = enabled
    return statistics.median(times)


def main():
    print(f"{Organisation.objects.published().count()} published organisations")
    for query in SEARCHES:
        fast = timed(query, True, 7) if bitmaps.enabled("default") else None
        slow = timed(query, False, 3)
        print(f"?{query}: bitmaps {'-' if fast is None else f'{fast:.0f} ms'}, GROUP BY {slow:.0f} ms")


if __name__ == "__main__":
    main()
