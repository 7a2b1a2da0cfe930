"""sitemap.xml, robots.txt and /healthz: the pages for machines, outside the language prefixes."""

import xml.etree.ElementTree as ET
from unittest import mock

import pytest
from django.db import OperationalError, connection

from tests.factories import make_aimf

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}


def sitemap_sections(client):
    """The index's section addresses, in its order."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    return [loc.text for loc in ET.fromstring(response.content).findall("s:sitemap/s:loc", NS)]


def sitemap_urls(client, section_url):
    response = client.get(section_url.removeprefix("http://testserver"))
    assert response.status_code == 200
    return ET.fromstring(response.content).findall("s:url", NS)


def test_sitemap_lists_published_profiles_and_search_in_both_languages(client, aimf, sectors):
    make_aimf(acronym="HIDDEN", published=False)
    urls = [url for section in sitemap_sections(client) for url in sitemap_urls(client, section)]
    locations = {url.find("s:loc", NS).text for url in urls}
    assert "http://testserver/fr/organisations/aimf/" in locations
    assert "http://testserver/en/organisations/aimf/" in locations
    assert "http://testserver/fr/" in locations
    assert "http://testserver/en/" in locations
    assert not any("hidden" in loc for loc in locations)
    alternates = {(link.get("hreflang"), link.get("href")) for url in urls for link in url.findall("x:link", NS)}
    assert ("en", "http://testserver/en/organisations/aimf/") in alternates
    assert ("fr", "http://testserver/fr/organisations/aimf/") in alternates


@pytest.mark.parametrize("size", [3, 4])
def test_sitemap_sections_hold_at_most_the_limit_and_every_page_works(client, sectors, settings, size):
    """Finding 1: the sitemap was one 27.8 MB page of at most 50,000 URLs and ?p=2 was a 404. It is now an
    index of sections of at most SITEMAP_SECTION_SIZE URLs (3 or 4 here, 7 organisations: 14 URLs), every
    page listed works, and every published profile is in it once per language."""
    settings.SITEMAP_SECTION_SIZE = size
    slugs = [make_aimf(acronym=f"ORG{n}").slug for n in range(7)]
    sections = sitemap_sections(client)
    profile_pages = [url for url in sections if "/sitemap-organisations.xml" in url]
    pages = -(-14 // size)  # 5 pages of 3, 4 of 4
    assert profile_pages == ["http://testserver/sitemap-organisations.xml"] + [
        f"http://testserver/sitemap-organisations.xml?p={page}" for page in range(2, pages + 1)
    ]
    locations = []
    for page in profile_pages:
        urls = sitemap_urls(client, page)
        assert 1 <= len(urls) <= size
        locations += [url.find("s:loc", NS).text for url in urls]
    expected = [f"http://testserver/{lang}/organisations/{slug}/" for slug in slugs for lang in ("fr", "en")]
    assert sorted(locations) == sorted(expected)  # each once
    assert client.get(f"/sitemap-organisations.xml?p={pages + 1}").status_code == 404
    assert client.get("/sitemap-people.xml").status_code == 404


def test_sitemap_has_no_language_prefix(client, db):
    assert client.get("/fr/sitemap.xml").status_code == 404
    assert client.get("/sitemap.xml").status_code == 200


def test_sitemap_query_count_does_not_grow_with_organisations(client, sectors, django_assert_num_queries):
    """Guards against N+1 in the sitemap: one query for the profiles, whatever their number (and one for
    their latest change in the index)."""
    make_aimf()
    with django_assert_num_queries(2):
        client.get("/sitemap.xml")
    with django_assert_num_queries(1):
        client.get("/sitemap-organisations.xml")
    for n in range(5):
        make_aimf(acronym=f"ORG{n}")
    with django_assert_num_queries(1):
        client.get("/sitemap-organisations.xml")


@pytest.mark.page_cache
def test_sitemap_is_cached_until_the_directory_changes(
    client, sectors, django_assert_num_queries, django_capture_on_commit_callbacks
):
    make_aimf()
    first = client.get("/sitemap-organisations.xml").content
    index = client.get("/sitemap.xml").content
    with django_assert_num_queries(0):
        assert client.get("/sitemap-organisations.xml").content == first
        assert client.get("/sitemap.xml").content == index
    with django_capture_on_commit_callbacks(execute=True):  # a new directory generation when it commits
        new = make_aimf(acronym="NEW")
    assert f"/organisations/{new.slug}/".encode() in client.get("/sitemap-organisations.xml").content


def test_robots_points_to_the_sitemap_and_keeps_private_pages_out(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in body
    assert "Disallow: /fr/partners/" in body
    assert "Disallow: /en/partners/" in body
    assert "Disallow: /fr/alerts/" in body and "Disallow: /en/alerts/" in body
    assert "Disallow: /fr/organisations/" not in body


def test_robots_never_names_a_secret_admin_path(client, db, settings):
    """Finding 11 of issue 14: robots.txt is public, so it must not disclose ADMIN_URL."""
    settings.ADMIN_URL = "staff-7f3k9q/"
    body = client.get("/robots.txt").content.decode()
    assert "staff-7f3k9q" not in body
    assert "admin" not in body
    assert "Disallow: /fr/partners/" in body


def test_healthz_says_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "not configured"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_says_503_when_the_database_fails(client, db):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("connection refused")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_healthz_reports_an_unreachable_cache_but_stays_200(client, db, settings):
    """The site is correct without its cache (only slower): the instance stays in the load balancer."""
    settings.CACHE_URL = "redis://127.0.0.1:9/0"
    closed = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": settings.CACHE_URL}
    settings.CACHES = {"default": closed, "state": closed}
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "unreachable"}


def test_healthz_reports_a_working_cache(client, db, settings):
    settings.CACHE_URL = "locmem://"
    assert client.get("/healthz").json() == {"database": "ok", "cache": "ok"}
