"""The local cluster (scripts/cluster.sh: nginx with its cache, two gunicorn app servers, the PostgreSQL primary
and a streaming replica, Redis) serving the test database, seen from outside as a visitor and a partner:

- an edit a partner posts through app server A reaches an anonymous visitor through nginx and through app
  server B within the advertised delay (PUBLIC_MAX_AGE + PUBLIC_STALE_WHILE_REVALIDATE), in the results, their
  count and the profile; the partner sees it at once;
- anonymous reads do go to the replica; stopping it changes nothing a visitor sees;
- stopping app server A changes nothing a visitor sees (nginx asks B).

PostgreSQL only (the replica is PostgreSQL's), Redis and nginx needed (skipped without them, outside CI).
"""

import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.test import Client

from partners.models import Membership
from tests.factories import make_aimf
from tests.partners.partner_forms import organisation_data

pytestmark = [pytest.mark.postgresql, pytest.mark.redis, pytest.mark.cluster]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "cluster.sh")
MAX_AGE = 3
STALE = 3
ADVERTISED = MAX_AGE + STALE
MAX_LAG, CHECK_INTERVAL = 2, 1
PIN = MAX_LAG + CHECK_INTERVAL + 1  # platforma.replica.pin_seconds(): the primary is read that long after a change


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def database_url():
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def cluster(transactional_db, sectors, shared_cache, settings):
    """The cluster on free ports, in its own folder, serving the test database; stopped after the test."""
    folder = tempfile.mkdtemp(prefix="platforma-cluster-test-")
    os.chmod(folder, 0o755)  # the replica runs as the postgres user
    nginx, nocache, app_a, app_b, replica = free_ports(5)
    # The servers must accept the sessions this process makes: one key for all.
    settings.SECRET_KEY = secrets.token_urlsafe(50)
    with open(os.path.join(folder, "secret_key"), "w") as f:
        f.write(settings.SECRET_KEY)
    env = dict(
        os.environ, **shared_cache, CLUSTER_DIR=folder, CLUSTER_PORT=str(nginx), CLUSTER_NOCACHE_PORT=str(nocache),
        CLUSTER_APP_PORTS=f"{app_a} {app_b}", CLUSTER_REPLICA_PORT=str(replica), CLUSTER_WORKERS="1",
        CLUSTER_SETUP="0", DATABASE_URL=database_url(), STATIC_ROOT=os.path.join(folder, "static"),
        PUBLIC_MAX_AGE=str(MAX_AGE), PUBLIC_STALE_WHILE_REVALIDATE=str(STALE), REPLICA_MAX_LAG=str(MAX_LAG),
        REPLICA_CHECK_INTERVAL=str(CHECK_INTERVAL),
        # Without the app servers' own page cache, a URL nginx has not seen reads the database (primary or
        # replica): what this test watches. tests/test_multiprocess.py covers that cache across servers.
        PUBLIC_PAGE_CACHE="0",
    )  # fmt: skip

    def run(*args):
        result = subprocess.run([SCRIPT, *args], env=env, capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    run("start")
    yield {
        "nginx": f"http://127.0.0.1:{nginx}",
        "a": f"http://127.0.0.1:{app_a}",
        "b": f"http://127.0.0.1:{app_b}",
        "app_a_port": app_a,
        "replica_port": replica,
        "run": run,
        "folder": folder,
    }
    started = time.monotonic()
    run("stop")
    print(f"cluster stopped in {time.monotonic() - started:.1f} s")
    shutil.rmtree(folder, ignore_errors=True)


def get(url, cookies=None):
    response = requests.get(url, cookies=cookies, timeout=20, allow_redirects=False)
    assert response.status_code == 200, (url, response.status_code, response.text[:500])
    return response.text


def found(page):
    """The result count of a search page in English ("3 organisations found"; none: 0)."""
    match = re.search(r"(\d+) organisations? found", page)
    return int(match.group(1)) if match else 0


def replica_commits(port):
    """Transactions committed in the test database on the replica (pg_stat_database), read from another one."""
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "postgres", "-tA",
         "-v", f"name={connection.settings_dict['NAME']}"],
        input="SELECT xact_commit FROM pg_stat_database WHERE datname = :'name';",
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(out.stdout.strip())


def test_the_cluster_serves_edits_in_time_and_survives_losing_the_replica_and_an_app_server(
    cluster, django_user_model
):
    aimf = make_aimf()
    partner = django_user_model.objects.create_user("partner@aimf.example", "correct-horse-battery-9")
    Membership.objects.create(user=partner, organisation=aimf)
    browser = Client()
    browser.force_login(partner, backend="django.contrib.auth.backends.ModelBackend")
    logged_in = {settings.SESSION_COOKIE_NAME: browser.cookies[settings.SESSION_COOKIE_NAME].value}

    nginx, a, b = cluster["nginx"], cluster["a"], cluster["b"]
    profile, search = "/fr/organisations/aimf/", "/en/?country=SN"
    new_name = "Association des maires francophones, renommée"

    # A visitor's pages, cached by nginx (and by the app servers' page cache) before the edit.
    for base in (nginx, b):
        assert "renommée" not in get(base + profile)
        assert found(get(base + search)) == 0
    assert requests.get(nginx + profile, timeout=10).headers["X-Cache-Status"] == "HIT"

    # The partner edits through app server A: the name and the country (Senegal now).
    form = requests.get(f"{a}/fr/partners/organisations/aimf/", cookies=logged_in, timeout=10)
    assert form.status_code == 200, form.text[:500]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    aimf.refresh_from_db()
    answer = requests.post(
        f"{a}/fr/partners/organisations/aimf/",
        data={**organisation_data(aimf, name_fr=new_name, country="SN"), "csrfmiddlewaretoken": token},
        cookies={**logged_in, "csrftoken": form.cookies["csrftoken"]},
        timeout=10,
        allow_redirects=False,
    )
    edited = time.monotonic()
    assert answer.status_code == 302, answer.text[:1000]
    assert answer.cookies.get("platforma_primary") == "1"  # read-your-writes

    # The partner sees it at once, through nginx and through either server.
    for base in (nginx, a, b):
        assert new_name in get(base + profile, cookies=logged_in)

    # A visitor sees it through nginx and through B within the advertised delay: profile, results, count.
    def visitor_sees_it():
        for base in (nginx, b):
            if new_name not in get(base + profile):
                return False
            page = get(base + search)
            if found(page) != 1 or "AIMF" not in page:
                return False
        return True

    while not visitor_sees_it():
        # (+3 s: the requests themselves, on a loaded CI machine)
        assert time.monotonic() - edited < ADVERTISED + 3, "a visitor did not see the edit in time"
        time.sleep(0.5)

    # Searches that match AIMF and that neither nginx nor anything else has seen yet: each reads the database.
    fresh = iter(
        [f"/en/?country=SN&experience_sector={code}" for code in ("15220", "43030", "15110", "152", "430", "151")]
        + [f"/en/?country=SN&sector={code}" for code in ("14030", "15111", "15112", "15150", "99820", "140")]
        + [f"/en/?country=SN&worked_in={code}" for code in ("CI", "BF", "CM", "CG")]
    )

    # Once the edit is old enough for the replica to hold it, anonymous reads that miss every cache go to it.
    time.sleep(max(0.0, PIN + 1 - (time.monotonic() - edited)))
    before = replica_commits(cluster["replica_port"])
    for _ in range(5):
        assert found(get(nginx + next(fresh))) == 1
    assert replica_commits(cluster["replica_port"]) > before

    # The replica stops: a visitor sees the same pages (reads go to the primary).
    cluster["run"]("stop", "replica")
    for base in (nginx, nginx, nginx, b, b):
        assert found(get(base + next(fresh))) == 1
    assert new_name in get(f"{b}/fr/organisations/aimf/")

    # App server A stops: nginx asks B; a visitor sees the same pages, without an error.
    cluster["run"]("stop", f"app:{cluster['app_a_port']}")
    for _ in range(6):
        assert found(get(nginx + next(fresh))) == 1
        assert new_name in get(f"{nginx}/fr/organisations/aimf/", cookies=logged_in)
