"""HTTP caching (issue 21): public pages tell browsers and proxies how long they may keep them and how to ask
again; a page not changed since answers 304 without touching the database; everything else is private."""

import pytest
from django.utils.http import http_date

from institutions.models import Organisation

PUBLIC_PAGES = ["/{lang}/", "/{lang}/?country=BF", "/{lang}/organisations/kaya/", "/{lang}/feed/rss/"]


@pytest.fixture
def kaya(db):
    return Organisation.objects.create(slug="kaya", name_fr="Commune de Kaya", kind="municipality", country="BF")


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_a_public_page_says_how_to_keep_it_and_answers_304_without_a_query(
    client, kaya, lang, page, settings, django_assert_num_queries
):
    url = page.format(lang=lang)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == (
        f"public, max-age={settings.PUBLIC_MAX_AGE}, stale-while-revalidate={settings.PUBLIC_STALE_WHILE_REVALIDATE}"
    )
    assert response["ETag"] and response["Last-Modified"]
    with django_assert_num_queries(0):
        again = client.get(url, headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == response["ETag"] and again["Cache-Control"] == response["Cache-Control"]
    with django_assert_num_queries(0):
        since = client.get(url, headers={"If-Modified-Since": response["Last-Modified"]})
    assert since.status_code == 304


def test_head_gives_the_same_validators(client, kaya):
    get, head = client.get("/fr/"), client.head("/fr/")
    assert head.status_code == 200 and head.content == b""
    assert (head["ETag"], head["Cache-Control"]) == (get["ETag"], get["Cache-Control"])


def test_an_edit_changes_the_etag_and_the_old_one_gets_the_new_page(
    client, kaya, django_capture_on_commit_callbacks
):
    before = client.get("/en/organisations/kaya/")
    with django_capture_on_commit_callbacks(execute=True):
        kaya.name_en = "Kaya Town Council"
        kaya.save()
    after = client.get("/en/organisations/kaya/", headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200 and "Kaya Town Council" in after.content.decode()
    assert after["ETag"] != before["ETag"]
    modified = client.get("/en/organisations/kaya/", headers={"If-Modified-Since": http_date(0)})
    assert modified.status_code == 200


def test_another_etag_gets_the_page(client, kaya):
    response = client.get("/fr/", headers={"If-None-Match": '"1"'})
    assert response.status_code == 200 and "Commune de Kaya" in response.content.decode()


def test_a_logged_in_visitor_gets_private_pages_and_no_304(client, kaya, django_user_model):
    etag = client.get("/fr/")["ETag"]
    client.force_login(django_user_model.objects.create_user("someone@example.org", "pw-correct-horse-battery"))
    response = client.get("/fr/", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert {part.strip() for part in response["Cache-Control"].split(",")} == {"private", "no-cache"}
    assert not response.has_header("ETag")


@pytest.mark.parametrize("url", ["/fr/partners/", "/en/accounts/login/", "/admin/login/", "/fr/no-such-page/"])
def test_other_pages_are_never_kept_by_a_proxy(client, db, url):
    response = client.get(url)
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_without_the_cache_pages_have_no_validators_and_still_answer(client, kaya, settings):
    closed = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}
    settings.CACHES = {"default": closed, "state": closed}
    response = client.get("/fr/", headers={"If-None-Match": '"1"'})
    assert response.status_code == 200 and "Commune de Kaya" in response.content.decode()
    assert not response.has_header("ETag") and response["Cache-Control"].startswith("public")


def test_the_api_is_public_too(client, kaya, settings):
    response = client.get("/api/v1/organisations/")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public, max-age=")
    assert client.get("/api/v1/organisations/", headers={"If-None-Match": response["ETag"]}).status_code == 304
