"""Structured request log (one JSON line per request, no personal data) and security events."""

import json
import logging

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from platforma.logging import JsonFormatter
from platforma.middleware import email_fingerprint

pytestmark = pytest.mark.django_db


@pytest.fixture
def logs(caplog):
    """Capture the two project loggers (they do not propagate to the root logger caplog listens on)."""
    loggers = [logging.getLogger("platforma.requests"), logging.getLogger("platforma.security")]
    for logger in loggers:
        logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO)
    yield caplog
    for logger in loggers:
        logger.removeHandler(caplog.handler)


def lines(caplog, logger, event=None):
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records
            if r.name == logger and (event is None or r.getMessage() == event)]


def test_one_json_line_per_request_without_query_values(client, logs):
    client.get("/en/?q=jane.doe%40example.org&country=FR&country=SN")  # a canonical search URL: no redirect
    [entry] = lines(logs, "platforma.requests")
    assert entry["event"] == "request"
    assert entry["method"] == "GET"
    assert entry["path"] == "/en/"
    assert entry["query_keys"] == ["country", "q"]
    assert entry["status"] == 200
    assert isinstance(entry["duration_ms"], float)
    assert entry["user_id"] is None
    raw = JsonFormatter().format(logs.records[0])
    assert "jane.doe" not in raw and "SN" not in raw  # values may be personal data: never logged
    assert "127.0.0.1" not in raw  # nor the address


def test_request_log_names_the_authenticated_user(client, logs):
    user = get_user_model().objects.create_user("partner@example.org", "a-long-password-1")
    client.force_login(user)
    client.get("/fr/")
    [entry] = lines(logs, "platforma.requests")
    assert entry["user_id"] == user.pk
    assert "partner@example.org" not in json.dumps(entry)


def test_request_log_costs_no_query(client, logs, django_assert_num_queries):
    with django_assert_num_queries(0):
        client.get("/static-not-there/")  # a 404 that never loads the user
    assert lines(logs, "platforma.requests")[0]["status"] == 404


def test_failed_login_logs_a_hash_not_the_address(logs):
    Client().post("/en/partners/login/", {"username": "Someone@Example.org", "password": "wrong"})
    [entry] = lines(logs, "platforma.security", "login_failed")
    assert entry["login_hash"] == email_fingerprint("someone@example.org")  # case-insensitive, like login
    assert entry["login_hash"] != email_fingerprint("other@example.org")
    raw = json.dumps(entry).lower()
    assert "someone" not in raw and "wrong" not in raw


def test_successful_login_is_not_a_security_event(logs):
    get_user_model().objects.create_user("ok@example.org", "a-long-password-1")
    response = Client().post("/en/partners/login/", {"username": "ok@example.org",
                                                     "password": "a-long-password-1"})
    assert response.status_code == 302
    assert lines(logs, "platforma.security") == []


def test_partner_page_refusal_is_logged(client, logs):
    # Logged in (an anonymous visitor is sent to the login page first), asking for someone else's page.
    client.force_login(get_user_model().objects.create_user("partner@example.org", "x-long-password-1"))
    client.get("/fr/partners/organisations/not-mine/")  # 404 under /partners/
    [entry] = lines(logs, "platforma.security", "permission_refused")
    assert entry["status"] == 404 and entry["path"] == "/fr/partners/organisations/not-mine/"


def test_public_404_is_not_a_security_event(client, logs):
    client.get("/fr/organisations/no-such-organisation/")
    assert lines(logs, "platforma.security") == []


def test_403_is_logged(logs):
    Client(enforce_csrf_checks=True).post("/en/partners/login/", {"username": "a@b.org", "password": "x"})
    events = {e["event"] for e in lines(logs, "platforma.security")}
    assert events == {"permission_refused", "csrf_failure"}


def test_runserver_writes_no_second_access_line():
    """runserver's "GET / 200" line would repeat the JSON line of platforma.requests (errors included)."""
    server = logging.getLogger("django.server")
    assert not server.isEnabledFor(logging.WARNING)  # a 404 is a warning there
    assert logging.getLogger("platforma.requests").isEnabledFor(logging.INFO)
