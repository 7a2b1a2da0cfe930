"""Full-page cache of public pages (institutions/cache.py): served to anonymous visitors only, one entry per
language and query, and stale the moment data changes."""

import datetime
import os
from decimal import Decimal

import pytest
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import RequestFactory

from accounts.models import User
from experiences.models import MAX_COUNTRIES, Donor, Experience, ExperienceCountry, Funding
from institutions.cache import cache_public_page, generation
from institutions.models import Competence, Organisation, Sector

pytestmark = [pytest.mark.django_db, pytest.mark.page_cache]


@pytest.fixture
def org(db):
    return Organisation.objects.create(
        name_fr="Ville de Kaya", name_en="City of Kaya", country="BF", slug="kaya"
    )


@pytest.fixture
def sector(no_sectors):
    from institutions.models import SectorCategory

    category = SectorCategory.objects.create(code="140", name_fr="Eau", name_en="Water")
    return Sector.objects.create(
        code="14030", category=category, name_fr="Eau potable", name_en="Drinking water"
    )


def test_second_anonymous_request_is_served_from_cache(client, org, django_assert_num_queries):
    first = client.get("/fr/organisations/kaya/", follow=True)
    assert first.status_code == 200
    with django_assert_num_queries(0):
        second = client.get("/fr/organisations/kaya/", follow=True)
    assert second.status_code == 200
    assert second.content == first.content


@pytest.mark.parametrize(
    "lang,old,new", [("fr", "Ville de Kaya", "Commune de Kaya"), ("en", "City of Kaya", "Kaya Municipality")]
)
def test_edit_shows_at_once_on_profile_and_search(client, org, lang, old, new, django_capture_on_commit_callbacks):
    for url in (f"/{lang}/organisations/kaya/", f"/{lang}/"):
        assert old in client.get(url, follow=True).content.decode()
    setattr(org, f"name_{lang}", new)
    with django_capture_on_commit_callbacks(execute=True):
        org.save()
    for url in (f"/{lang}/organisations/kaya/", f"/{lang}/"):
        body = client.get(url, follow=True).content.decode()
        assert new in body
        assert old not in body


def test_deleted_organisation_is_gone_at_once(client, org, django_capture_on_commit_callbacks):
    assert client.get("/fr/organisations/kaya/", follow=True).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        org.delete()
    assert client.get("/fr/organisations/kaya/", follow=True).status_code == 404
    assert "Ville de Kaya" not in client.get("/fr/", follow=True).content.decode()


def test_unpublishing_hides_at_once(client, org, django_capture_on_commit_callbacks):
    assert "Ville de Kaya" in client.get("/fr/", follow=True).content.decode()
    org.published = False
    with django_capture_on_commit_callbacks(execute=True):
        org.save()
    assert "Ville de Kaya" not in client.get("/fr/", follow=True).content.decode()
    assert client.get("/fr/organisations/kaya/", follow=True).status_code == 404


def _make_experience(org):
    return Experience.objects.create(
        organisation=org,
        title_fr="Eau à Kaya",
        role="partner",
        cost=Decimal("1000"),
        start_date=datetime.date(2010, 1, 1),
    )


# Every kind of change a public page can show makes the cached pages stale (a new generation), and the
# next request renders again (it queries the database) instead of being served the old page.
CHANGES = {
    "organisation saved": lambda org, sector: org.save(),
    "competence added": lambda org, sector: Competence.objects.create(organisation=org, sector=sector),
    "experience added": lambda org, sector: _make_experience(org),
    "experience sectors changed": lambda org, sector: _make_experience(org).sectors.add(sector),
    "experience country added": lambda org, sector: ExperienceCountry.objects.create(
        experience=_make_experience(org), country="ML"
    ),
    "funding added": lambda org, sector: Funding.objects.create(
        experience=_make_experience(org), donor=Donor.objects.create(name_fr="AFD"), amount=Decimal("10")
    ),
    "donor renamed": lambda org, sector: Donor.objects.create(name_fr="AFD").save(),
    "sector renamed": lambda org, sector: sector.save(),
    "category renamed": lambda org, sector: sector.category.save(),
    "experience deleted": lambda org, sector: _make_experience(org).delete(),
}


@pytest.mark.parametrize("change", CHANGES)
def test_every_change_makes_cached_pages_stale(
    client, org, sector, change, django_assert_num_queries, django_capture_on_commit_callbacks
):
    client.get("/fr/organisations/kaya/", follow=True)
    with django_assert_num_queries(0):  # cached
        client.get("/fr/organisations/kaya/", follow=True)
    before = generation()
    with django_capture_on_commit_callbacks(execute=True):
        CHANGES[change](org, sector)
        assert generation() == before  # not before the transaction commits
    assert generation() == before + 1  # once, however many rows the change touched
    response = client.get("/fr/organisations/kaya/", follow=True)
    assert response.status_code == 200
    with django_assert_num_queries(0):  # cached again under the new generation
        client.get("/fr/organisations/kaya/", follow=True)


def test_unrelated_read_keeps_the_cache(client, org, django_assert_num_queries):
    client.get("/fr/organisations/kaya/", follow=True)
    before = generation()
    list(Organisation.objects.all())
    assert generation() == before
    with django_assert_num_queries(0):
        client.get("/fr/organisations/kaya/", follow=True)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_logged_in_user_never_gets_nor_stores_a_cached_page(
    client, org, lang, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    user = User.objects.create_user("partner@example.org", "a-long-password-1")
    url = f"/{lang}/organisations/kaya/"
    anonymous_page = client.get(url, follow=True).content.decode()  # now cached for anonymous visitors
    assert "partners/login" in anonymous_page
    client.force_login(user)
    body = client.get(url, follow=True).content.decode()
    assert "partners/logout" in body  # rendered for this user, not the anonymous copy
    client.logout()
    with django_capture_on_commit_callbacks(execute=True):
        org.save()  # new generation: the next anonymous request must render, not find the logged-in page
    client.force_login(user)
    client.get(url, follow=True)
    client.logout()
    client.cookies.clear()
    body = client.get(url, follow=True).content.decode()
    assert "partners/logout" not in body
    assert "partners/login" in body


def test_languages_are_separate_entries(client, org, django_assert_num_queries):
    assert "Ville de Kaya" in client.get("/fr/organisations/kaya/", follow=True).content.decode()
    body = client.get("/en/organisations/kaya/", follow=True).content.decode()
    assert "City of Kaya" in body
    assert "Ville de Kaya" not in body


def test_queries_are_separate_entries_but_order_does_not_matter(client, org, django_assert_num_queries):
    client.get("/fr/?country=BF&kind=municipality", follow=True)
    with django_assert_num_queries(0):
        client.get("/fr/?kind=municipality&country=BF", follow=True)  # the same search, written in another order
    with django_assert_num_queries(0):
        client.get("/fr/?country=BF&kind=municipality", follow=True)
    response = client.get("/fr/?country=ML", follow=True)  # another search: rendered, not the cached one
    assert response.status_code == 200
    with django_assert_num_queries(0):
        client.get("/fr/?country=ML", follow=True)


def test_page_numbers_are_separate_entries(client, db):
    Organisation.objects.bulk_create(
        [Organisation(name_fr=f"Commune {i:02d}", country="FR", slug=f"c{i}") for i in range(25)]
    )
    first = client.get("/fr/").content.decode()
    second = client.get("/fr/?page=2").content.decode()
    assert "Commune 00" in first and "Commune 00" not in second
    assert "Commune 24" in second and "Commune 24" not in first


def test_visitor_with_pending_messages_is_not_served_from_cache(client, org, django_assert_max_num_queries):
    client.get("/fr/organisations/kaya/", follow=True)
    client.cookies["messages"] = "something"
    org.__class__.objects.filter(pk=org.pk).update(name_fr="Changé sans signal")  # cached page now differs
    assert "Changé sans signal" in client.get("/fr/organisations/kaya/", follow=True).content.decode()


def test_cache_off_by_setting(client, org, settings):
    settings.PUBLIC_PAGE_CACHE = False
    client.get("/fr/organisations/kaya/", follow=True)
    Organisation.objects.filter(pk=org.pk).update(name_fr="Sans signal")  # no bump: only no cache shows it
    assert "Sans signal" in client.get("/fr/organisations/kaya/", follow=True).content.decode()


def test_cache_on_serves_stored_page_until_a_change(client, org):
    """The counterpart of the test above: with the cache on, a change that sends no signal is not seen,
    which is why bulk writers call bump_generation() (generate_directory does)."""
    client.get("/fr/organisations/kaya/", follow=True)
    Organisation.objects.filter(pk=org.pk).update(name_fr="Sans signal")
    assert "Sans signal" not in client.get("/fr/organisations/kaya/", follow=True).content.decode()
    from institutions.cache import bump_generation

    bump_generation()
    assert "Sans signal" in client.get("/fr/organisations/kaya/", follow=True).content.decode()


# The decorator on its own, with views that must not be stored.


def _calls(view, n=2, **extra):
    calls = []

    def counted(request):
        calls.append(1)
        return view(request)

    wrapped = cache_public_page(60)(counted)
    for _ in range(n):
        wrapped(RequestFactory().get("/fr/x/", **extra))
    return len(calls)


def test_stores_a_plain_page():
    assert _calls(lambda r: HttpResponse("ok")) == 1


def test_does_not_store_a_page_that_sets_a_cookie():
    def view(request):
        response = HttpResponse("ok")
        response.set_cookie("seen", "1")
        return response

    assert _calls(view) == 2


def test_does_not_store_a_page_with_a_csrf_token():
    def view(request):
        return HttpResponse(get_token(request))

    assert _calls(view) == 2


def test_does_not_store_errors_or_private_pages():
    assert _calls(lambda r: HttpResponse("no", status=404)) == 2
    private = HttpResponse("mine")
    private["Cache-Control"] = "private"
    assert _calls(lambda r: private) == 2


def test_does_not_serve_requests_with_a_session_cookie():
    assert _calls(lambda r: HttpResponse("ok"), HTTP_COOKIE="sessionid=abc") == 2


def test_post_is_never_cached():
    calls = []

    def view(request):
        calls.append(1)
        return HttpResponse("ok")

    wrapped = cache_public_page(60)(view)
    for _ in range(2):
        wrapped(RequestFactory().post("/fr/x/"))
    assert len(calls) == 2


def test_generation_is_shared_between_processes_without_redis(settings, shared_state_cache):
    """Each gunicorn worker is its own process: a change made through one must make the pages cached by
    the others stale, even with no CACHE_URL (the generation lives in the file-based "state" cache)."""
    import subprocess
    import sys
    from pathlib import Path

    from institutions.cache import generation

    before = generation()
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from institutions.cache import bump_generation; bump_generation()"],
        cwd=Path(settings.BASE_DIR), check=True, capture_output=True, env={**os.environ, "CACHE_URL": ""},
    )
    assert generation() != before


def test_a_transaction_touching_many_rows_bumps_the_generation_once(org, django_capture_on_commit_callbacks):
    """One partner save of an experience with 250 countries used to bump it once per row (issue 14, #2). The
    forms now accept MAX_COUNTRIES; one row more than that is enough to tell: a bump per row would make one
    bump per country, not one in all."""
    from django.db import transaction
    from django_countries import countries

    before = generation()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        experience = _make_experience(org)
        for code, _name in list(countries)[: MAX_COUNTRIES + 1]:
            ExperienceCountry.objects.create(experience=experience, country=code)
    assert generation() == before + 1


def test_parameters_the_page_ignores_do_not_make_new_entries(client, org, django_assert_num_queries):
    """`?cb=<random>` used to bypass the cache and grow it without bound (issue 14, #13): it is answered
    with a redirect to the canonical search, which is the one cached entry."""
    response = client.get("/fr/?cb=12345&country=BF&q=")
    assert response.status_code == 301
    assert response["Location"] == "/fr/?country=BF"
    client.get("/fr/?country=BF")
    with django_assert_num_queries(0):
        assert client.get("/fr/?country=BF").status_code == 200
    for url in ("/fr/print/?country=BF&cb=1", "/fr/print/?cb=2&country=BF"):
        client.get(url)
    with django_assert_num_queries(0):
        assert client.get("/fr/print/?country=BF&cb=3").status_code == 200


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_pages_are_served_when_the_cache_is_unreachable(client, org, settings, lang, caplog):
    """Redis down (a closed port): every public page is computed from the database, never a 500."""
    from institutions import cache as page_cache

    closed = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}
    settings.CACHES = {"default": closed, "state": closed}
    page_cache._last_warning[0] = 0.0
    for url in (f"/{lang}/", f"/{lang}/?q=Kaya", f"/{lang}/organisations/kaya/", f"/{lang}/print/",
                f"/{lang}/feed/rss/", f"/{lang}/organisations/nobody/"):
        response = client.get(url)
        assert response.status_code == (404 if "nobody" in url else 200), url
    assert "Kaya" in client.get(f"/{lang}/").content.decode()
    assert "cache unreachable" in caplog.text
