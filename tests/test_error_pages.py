"""Custom error pages (400/403/404/500/503, CSRF failure): status, language, and that they render when
things are broken (no database for 500/503)."""

from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponse
from django.test import Client
from django.urls import path

from platforma.urls import handler500
from platforma.urls import urlpatterns as site_urlpatterns


def boom(request):
    raise RuntimeError("unexpected bug")


def db_down(request):
    raise OperationalError("connection refused")


def db_interface_down(request):
    raise InterfaceError("connection already closed")


def forbidden(request):
    raise PermissionDenied


def suspicious(request):
    raise SuspiciousOperation("tampered")


def ok(request):
    return HttpResponse("fine")


# Test-only URLconf: the site's URLs plus views that fail on purpose (handler500 must live here too).
urlpatterns = [
    path("test/boom/", boom),
    path("test/db-down/", db_down),
    path("test/db-interface-down/", db_interface_down),
    path("test/forbidden/", forbidden),
    path("test/suspicious/", suspicious),
    path("test/ok/", ok),
    *site_urlpatterns,
]
handler500 = handler500  # re-exported: Django looks it up on ROOT_URLCONF

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def client():
    # Like production: exceptions become error pages instead of propagating into the test.
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    "lang, text", [("fr", "Page introuvable"), ("en", "Page not found")]
)
def test_404_in_each_language(client, lang, text):
    response = client.get(f"/{lang}/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert text in body
    assert f'<html lang="{lang}">' in body


def test_404_for_unknown_organisation_uses_the_custom_page(client):
    response = client.get("/en/organisations/does-not-exist/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize(
    "accept, text", [("fr", "Accès refusé"), ("en", "Access refused")]
)
def test_403_in_each_language(client, accept, text):
    response = client.get("/test/forbidden/", headers={"accept-language": accept})
    assert response.status_code == 403
    assert text in response.content.decode()


@pytest.mark.parametrize(
    "accept, text", [("fr", "Requête incorrecte"), ("en", "Bad request")]
)
def test_400_in_each_language(client, accept, text):
    response = client.get("/test/suspicious/", headers={"accept-language": accept})
    assert response.status_code == 400
    assert text in response.content.decode()


def test_400_for_a_disallowed_host_is_not_a_500(client):
    # The 400 page must not build absolute URLs: that would raise DisallowedHost again.
    response = client.get("/fr/", headers={"host": "evil.example.com"})
    assert response.status_code == 400
    assert "Requête incorrecte" in response.content.decode()


@pytest.mark.parametrize(
    "accept, text", [("fr", "Erreur du serveur"), ("en", "Server error")]
)
def test_500_shows_the_custom_page_with_debug_off(client, settings, accept, text):
    settings.DEBUG = False
    response = client.get("/test/boom/", headers={"accept-language": accept})
    assert response.status_code == 500
    body = response.content.decode()
    assert text in body
    assert "unexpected bug" not in body  # no technical detail leaks
    assert "Traceback" not in body


def test_500_page_renders_without_database(client, settings, django_assert_num_queries):
    settings.DEBUG = False
    with django_assert_num_queries(0):
        response = client.get("/test/boom/")
    assert response.status_code == 500


@pytest.mark.parametrize(
    "accept, text",
    [("fr", "Service temporairement indisponible"), ("en", "Service temporarily unavailable")],
)
def test_database_down_in_a_view_gives_503_then_recovers(client, accept, text):
    response = client.get("/test/db-down/", headers={"accept-language": accept})
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    assert text in response.content.decode()
    # The next request is served normally: nothing stays broken.
    response = client.get("/test/ok/")
    assert response.status_code == 200
    assert client.get(f"/{accept}/").status_code == 200


def test_interface_error_also_gives_503(client):
    response = client.get("/test/db-interface-down/")
    assert response.status_code == 503


def test_database_down_outside_a_view_gives_503(client, settings):
    """A session load in a middleware (a logged-in visitor) fails before any view runs: still a 503."""
    settings.DEBUG = False
    client.cookies["sessionid"] = "x" * 32
    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.load", side_effect=OperationalError("down")
    ):
        response = client.get("/en/")
    assert response.status_code == 503
    assert "Service temporarily unavailable" in response.content.decode()
    del client.cookies["sessionid"]
    assert client.get("/en/").status_code == 200


def test_other_errors_are_not_mistaken_for_an_outage(client, settings):
    settings.DEBUG = False
    assert client.get("/test/boom/").status_code == 500


def test_database_down_is_logged(client, caplog):
    with caplog.at_level("ERROR", logger="platforma.database"):
        client.get("/test/db-down/")
    assert any("database unavailable" in r.getMessage() and r.name == "platforma.database"
               for r in caplog.records)


@pytest.mark.parametrize(
    "lang, text", [("fr", "Formulaire expiré"), ("en", "Form expired")]
)
def test_csrf_failure_page_in_each_language(lang, text):
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/{lang}/partners/login/", {"username": "a@example.org", "password": "x"})
    assert response.status_code == 403
    body = response.content.decode()
    assert text in body
    assert "CSRF" not in body  # the technical reason is logged, not shown


def test_csrf_with_token_is_accepted():
    client = Client(enforce_csrf_checks=True)
    client.get("/en/partners/login/")
    token = client.cookies["csrftoken"].value
    response = client.post("/en/partners/login/", {"username": "a@example.org", "password": "x",
                                                   "csrfmiddlewaretoken": token})
    assert response.status_code == 200  # the form again, with its error: not the CSRF page
    assert "Form expired" not in response.content.decode()
