"""Several app servers, one PostgreSQL, one Redis: an edit is visible at once through every server.

Two gunicorn processes serve the test database with CACHE_URL on Redis (database 15, used only by tests);
the test process edits through the ORM with the same cache, so its signals bump the shared generation.
Skipped unless the tests run on PostgreSQL and Redis answers on 127.0.0.1:6379.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_up():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
    pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379"),
]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def _database_url():
    """The test database (test_<name>) pytest-django created, so the servers see the committed test data."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def shared_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL},
        "state": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL},
    }
    from django.core.cache import cache

    cache.clear()  # database 15 belongs to the tests
    yield cache
    cache.clear()


@pytest.fixture
def two_servers(transactional_db, shared_cache):
    env = dict(
        os.environ,
        DATABASE_URL=_database_url(),
        CACHE_URL=REDIS_URL,
        DEBUG="1",
        PUBLIC_PAGE_CACHE="1",
        DB_CONN_MAX_AGE="0",
    )
    servers = []
    try:
        for _ in range(2):
            port = _free_port()
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "platforma.wsgi",
                    "--workers",
                    "1",
                    "--bind",
                    f"127.0.0.1:{port}",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            servers.append((process, f"http://127.0.0.1:{port}"))
        for process, base in servers:
            deadline = time.monotonic() + 60
            while True:
                try:
                    _get(base + "/fr/")
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"app server {base} did not start")
                    time.sleep(0.3)
        yield [base for _p, base in servers]
    finally:
        for process, _base in servers:
            process.terminate()
        for process, _base in servers:
            process.wait(timeout=30)


def test_edit_is_visible_at_once_through_every_server(two_servers):
    from institutions.models import Organisation

    org = Organisation.objects.create(name_fr="Ville de Kaya", country="BF", slug="kaya")
    one, two = two_servers
    for base in (one, two):
        assert "Ville de Kaya" in _get(f"{base}/fr/organisations/kaya/")

    # The page is cached, and shared: a change that sends no signal is not seen by either server...
    Organisation.objects.filter(pk=org.pk).update(name_fr="Changé sans signal")
    for base in (one, two):
        assert "Ville de Kaya" in _get(f"{base}/fr/organisations/kaya/")

    # ...while a real edit (a save, as the partner and admin forms do) is seen at once by both.
    org.refresh_from_db()
    org.name_fr = "Commune de Kaya"
    org.save()
    for base in (two, one):
        body = _get(f"{base}/fr/organisations/kaya/")
        assert "Commune de Kaya" in body
        assert "Ville de Kaya" not in body
