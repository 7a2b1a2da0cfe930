"""Several app servers, one PostgreSQL, one Redis: an edit is visible at once through every server.

Two gunicorn processes serve the test database with CACHE_URL on Redis under this run's own key prefix
(conftest.py's shared_cache); the test process edits through the ORM with the same cache, so its signals
bump the shared generation. Skipped unless the tests run on PostgreSQL; Redis on 127.0.0.1:6379 is needed
(a skip outside CI, a failure in CI).
"""

import os
import urllib.request

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.redis,
]


def _get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def _database_url():
    """The test database (test_<name>) pytest-django created, so the servers see the committed test data."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def two_servers(transactional_db, shared_cache, gunicorn):
    env = dict(
        os.environ,
        DATABASE_URL=_database_url(),
        **shared_cache,
        DEBUG="1",
        PUBLIC_PAGE_CACHE="1",
        DB_CONN_MAX_AGE="0",
    )
    return [gunicorn(env) for _ in range(2)]


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
