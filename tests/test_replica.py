"""The read-replica rules (platforma/replica.py), one test per rule. The replica itself is faked here (the
alias exists only when DATABASE_REPLICA_URL is set); tests/test_cluster.py reads a real streaming replica."""

import time

import pytest
from django.core.cache import caches
from django.db import DatabaseError
from django.http import HttpResponse
from django.test import RequestFactory

from institutions.cache import CHANGED_KEY
from platforma import replica

factory = RequestFactory()


@pytest.fixture(autouse=True)
def _fresh_health(settings):
    settings.REPLICA_MAX_LAG = 5
    settings.REPLICA_CHECK_INTERVAL = 2
    replica._health.update(checked=float("-inf"), ready=False)
    yield
    replica._health.update(checked=float("-inf"), ready=False)


def changed_ago(seconds):
    caches["state"].set(CHANGED_KEY, int(time.time() - seconds), timeout=None)


def test_pin_lasts_longer_than_the_lag_bound_and_the_check_interval():
    assert replica.pin_seconds() == 5 + 2 + 1


def test_anonymous_get_of_a_public_page_may_read_the_replica():
    changed_ago(60)
    for path in ("/fr/", "/en/organisations/aimf/", "/fr/feed/rss/", "/api/v1/organisations/", "/sitemap.xml"):
        assert replica.may_read_replica(factory.get(path)), path
    assert replica.may_read_replica(factory.head("/fr/"))


def test_writes_read_the_primary():
    changed_ago(60)
    assert not replica.may_read_replica(factory.post("/fr/"))


def test_logged_in_visitors_read_the_primary(settings):
    changed_ago(60)
    request = factory.get("/fr/")
    request.COOKIES[settings.SESSION_COOKIE_NAME] = "abc"
    assert not replica.may_read_replica(request)


def test_a_request_after_its_own_write_reads_the_primary():
    changed_ago(60)
    request = factory.get("/fr/organisations/aimf/")
    request.COOKIES[replica.PIN_COOKIE] = "1"
    assert not replica.may_read_replica(request)


@pytest.mark.parametrize("path", ["/admin/", "/fr/partners/", "/en/partners/organisation/", "/fr/accounts/login/",
                                  "/en/alerts/confirm/x/"])
def test_admin_partner_and_account_pages_read_the_primary(path):
    changed_ago(60)
    assert not replica.may_read_replica(factory.get(path))


def test_right_after_a_change_everyone_reads_the_primary():
    changed_ago(replica.pin_seconds() - 1)
    assert not replica.may_read_replica(factory.get("/fr/"))
    changed_ago(replica.pin_seconds() + 2)
    assert replica.may_read_replica(factory.get("/fr/"))


class FakeReplica:
    def __init__(self, lag=0.0, error=None):
        self.lag, self.error, self.queries, self.closed = lag, error, 0, False

    def cursor(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql):
        self.queries += 1
        if self.error:
            raise self.error

    def fetchone(self):
        return (self.lag,)

    def close(self):
        self.closed = True


def use(monkeypatch, fake):
    monkeypatch.setattr(replica, "connections", {replica.REPLICA: fake})
    return fake


@pytest.mark.parametrize(("lag", "ready"), [(0, True), (4.9, True), (5, True), (5.1, False), (None, False)])
def test_replica_is_read_only_within_the_lag_bound(monkeypatch, lag, ready):
    use(monkeypatch, FakeReplica(lag=lag))
    assert replica.replica_ready() is ready


def test_unreachable_replica_is_not_read(monkeypatch):
    fake = use(monkeypatch, FakeReplica(error=DatabaseError("connection refused")))
    assert replica.replica_ready() is False
    assert fake.closed


def test_lag_is_checked_at_most_once_per_interval(monkeypatch):
    fake = use(monkeypatch, FakeReplica(lag=0))
    assert replica.replica_ready() and replica.replica_ready()
    assert fake.queries == 1
    replica._health["checked"] -= 2.1  # the interval has passed
    fake.lag = 60
    assert replica.replica_ready() is False
    assert fake.queries == 2


def test_router_sends_allowed_reads_to_a_ready_replica_and_everything_else_to_the_primary(monkeypatch):
    router = replica.ReplicaRouter()
    monkeypatch.setattr(replica, "replica_ready", lambda: True)
    assert router.db_for_read(None) == "default"  # outside a request: commands, the worker, tests
    token = replica._request.set({"allowed": True, "used": False})
    try:
        assert router.db_for_read(None) == replica.REPLICA
        assert router.db_for_write(None) == "default"
        monkeypatch.setattr(replica, "replica_ready", lambda: False)
        assert router.db_for_read(None) == "default"
    finally:
        replica._request.reset(token)
    token = replica._request.set({"allowed": False, "used": False})
    try:
        monkeypatch.setattr(replica, "replica_ready", lambda: True)
        assert router.db_for_read(None) == "default"
    finally:
        replica._request.reset(token)
    assert router.allow_migrate("default", "institutions")
    assert not router.allow_migrate(replica.REPLICA, "institutions")


@pytest.fixture
def configured(monkeypatch):
    monkeypatch.setattr(replica, "configured", lambda: True)
    monkeypatch.setattr(replica, "replica_ready", lambda: True)
    changed_ago(60)


def test_a_write_sets_the_short_cookie_that_pins_to_the_primary(configured):
    middleware = replica.ReplicaMiddleware(lambda request: HttpResponse())
    response = middleware(factory.post("/fr/partners/organisation/"))
    cookie = response.cookies[replica.PIN_COOKIE]
    assert cookie["max-age"] == replica.pin_seconds()
    assert cookie["httponly"]
    assert replica.PIN_COOKIE not in middleware(factory.get("/fr/")).cookies


def test_a_replica_failing_during_a_request_is_retried_on_the_primary_once(configured):
    seen = []

    def view(request):
        database = replica.ReplicaRouter().db_for_read(None)
        seen.append(database)
        return HttpResponse(status=503 if database == replica.REPLICA else 200)

    response = replica.ReplicaMiddleware(view)(factory.get("/fr/"))
    assert response.status_code == 200
    assert seen == [replica.REPLICA, "default"]
    assert replica._health["ready"] is False  # marked down until the next check


def test_a_primary_failure_is_not_retried(configured):
    calls = []

    def view(request):
        calls.append(1)
        return HttpResponse(status=503)

    request = factory.get("/fr/")
    request.COOKIES[replica.PIN_COOKIE] = "1"
    assert replica.ReplicaMiddleware(view)(request).status_code == 503
    assert len(calls) == 1


def test_without_a_replica_nothing_changes(client, settings, db):
    assert replica.REPLICA not in settings.DATABASES
    assert not replica.configured()
    response = client.post("/fr/partners/login/", {"username": "x", "password": "y"})
    assert replica.PIN_COOKIE not in response.cookies
