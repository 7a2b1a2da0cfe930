"""Production serving: hashed static files cached for a year or more and compressed; gunicorn settings
from the environment."""

import re
import runpy
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def production_static(settings, tmp_path):
    """DEBUG off with the production storage, static files collected into a temporary folder."""
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    return Client()  # a new client builds the middleware, so whitenoise scans the new STATIC_ROOT


@pytest.mark.django_db
def test_hashed_static_file_is_cached_for_a_year_and_compressed(production_static):
    page = production_static.get("/fr/").content.decode()
    css = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page)
    assert css, "the page links the hashed stylesheet"
    response = production_static.get(css.group(1), HTTP_ACCEPT_ENCODING="gzip")
    response.close()  # a file response: its file is not read here
    assert response.status_code == 200
    max_age = int(re.search(r"max-age=(\d+)", response["Cache-Control"]).group(1))
    assert max_age >= 31536000
    assert "immutable" in response["Cache-Control"]
    assert response["Content-Encoding"] == "gzip"


@pytest.mark.django_db
def test_unhashed_static_file_is_cached_briefly(production_static):
    # The same file under its plain name may change with the next deploy: a short lifetime only.
    response = production_static.get("/static/css/site.css")
    response.close()
    assert response.status_code == 200
    max_age = int(re.search(r"max-age=(\d+)", response["Cache-Control"]).group(1))
    assert max_age < 3600


def test_gunicorn_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("PORT", "9000")
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert conf["workers"] == 3
    assert conf["bind"] == "0.0.0.0:9000"
    assert conf["preload_app"] is True
    assert conf["accesslog"] is None  # the access log is Django's platforma.requests: one line per request
    assert conf["errorlog"] == "-"
    assert conf["max_requests_jitter"] > 0


def test_gunicorn_default_workers_follow_the_cores(monkeypatch):
    import multiprocessing

    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert conf["workers"] == multiprocessing.cpu_count() * 2 + 1
    assert conf["bind"] == "0.0.0.0:8000"


@pytest.mark.django_db
def test_benchmark_view_is_not_routed_unless_asked(client, settings):
    assert settings.BENCHMARK_VIEW is False  # BENCHMARK unset, as in production
    assert client.get("/bench/bare/").status_code == 404
