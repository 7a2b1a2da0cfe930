"""scripts/export_load.py at a small scale: gunicorn (2 workers, DEBUG=0) on the test database, clients
asking for the full export over and over while a probe fetches /healthz and profiles. No 5xx, and every
export that finished is whole (its rows are its X-Row-Count). Latency is printed, not asserted (tests never
assert times). PostgreSQL only: the servers must see the test database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from institutions.models import Organisation

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.postgresql


def _database_url():
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def test_full_exports_under_load_are_whole_and_never_a_server_error(transactional_db, settings, tmp_path):
    Organisation.objects.bulk_create(
        [Organisation(name_fr=f"Commune {n:03}", slug=f"commune-{n:03}", country="FR") for n in range(30)]
    )
    settings.EXPORT_STREAM_LIMIT = 10  # the whole directory (30) is served from its file
    call_command("build_exports", verbosity=0)
    env = dict(
        os.environ,
        DATABASE_URL=_database_url(),
        EXPORTS_DIR=str(settings.EXPORTS_DIR),
        STATIC_ROOT=str(tmp_path / "static"),  # never the checkout's, which another test may be collecting
        EXPORT_STREAM_LIMIT="10",
        DB_CONN_MAX_AGE="0",
    )
    command = [sys.executable, "scripts/export_load.py", "--seconds", "4", "--clients", "4", "--no-build"]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    print(run.stdout, run.stderr)
    assert "5xx answers: 0 " in run.stdout
    assert "BROKEN" not in run.stdout
    assert "30 rows each" in run.stdout  # at least one export finished, with every row
