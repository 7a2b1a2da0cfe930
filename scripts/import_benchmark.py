"""Benchmark of manage.py import_organisations: prints figures, asserts nothing.

    .venv/bin/python scripts/import_benchmark.py                 # 10,000 rows, SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/platforma .venv/bin/python scripts/import_benchmark.py

Works in a throwaway test database (test_<name>, created and destroyed here), so it never touches your data.
The file has one row per experience: 5,000 fictional organisations with two experiences each (the
organisation columns repeated), two competences, two countries and two fundings per experience.
"""

import argparse
import csv
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platforma.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

HEADER = [
    "slug", "name_fr", "name_en", "acronym", "kind", "city", "country", "description_fr", "description_en",
    "competences", "title_fr", "title_en", "role", "start_date", "end_date", "cost", "sectors", "countries",
    "donor_1", "amount_1", "donor_2", "amount_2",
]  # fmt: skip
COUNTRIES = ["SN", "ML", "BF", "CI", "BJ", "TG", "NE", "CM", "MG", "FR"]
SECTORS = ["14030", "15110", "43030", "15150", "16010", "11110", "12220", "31120"]


def write_file(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=HEADER)
        writer.writeheader()
        for i in range(rows):
            n, second = divmod(i, 2)
            org = {
                "slug": f"bench-commune-{n}",
                "name_fr": f"Commune fictive {n}",
                "name_en": f"Fictitious town {n}",
                "acronym": f"CF{n}",
                "kind": "municipality",
                "city": f"Ville {n}",
                "country": COUNTRIES[n % len(COUNTRIES)],
                "description_fr": "Commune fictive engagée dans la coopération décentralisée.",
                "description_en": "A fictitious town engaged in decentralised cooperation.",
                "competences": f"{SECTORS[n % 8]};{SECTORS[(n + 1) % 8]}",
            }
            writer.writerow(
                {
                    **(org if not second else {"slug": org["slug"]}),
                    "title_fr": f"Action {second + 1} de la commune {n}",
                    "title_en": f"Action {second + 1} of town {n}",
                    "role": ["coordinator", "partner", "associate"][i % 3],
                    "start_date": f"{2005 + i % 15}-01-01",
                    "end_date": f"{2008 + i % 15}-12-31",
                    "cost": "100000.00",
                    "sectors": SECTORS[i % 8],
                    "countries": f"{COUNTRIES[i % 10]};{COUNTRIES[(i + 3) % 10]}",
                    "donor_1": "FCD (fictif)",
                    "amount_1": "40000",
                    "donor_2": "AEBA (fictive)",
                    "amount_2": "25000.50",
                }
            )


def timed(*args):
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    call_command("import_organisations", *args, stdout=out, stderr=err)
    return time.perf_counter() - start, out.getvalue().strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        call_command("load_sectors", stdout=io.StringIO())
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "benchmark.csv"
            write_file(path, args.rows)
            print(f"database: {connection.vendor}; file: {args.rows} rows")
            seconds, summary = timed(str(path), "--no-progress")
            print(f"first import: {seconds:.1f} s ({args.rows / seconds:.0f} rows/s)\n  {summary}")
            seconds, summary = timed(str(path), "--no-progress")
            print(f"re-import (no change): {seconds:.1f} s\n  {summary}")
            seconds, summary = timed(str(path), "--no-progress", "--dry-run")
            print(f"dry run: {seconds:.1f} s")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
