"""Injection and forgery (issue 7): markup typed into any field is shown as text everywhere, CSV cells
cannot start a formula, every form needs its CSRF token, the login's `next` stays on this site, and search
text reaches the database only as a query parameter."""

import csv
import datetime
import io
import json
from decimal import Decimal
from urllib.parse import urlsplit

import feedparser
import pytest
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.html import escape
from django.utils.http import urlsafe_base64_encode

from experiences.models import Donor, Experience, ExperienceCountry, Funding
from institutions.models import Organisation
from tests.partners.partner_forms import (
    PASSWORD,
)

# Columns shorter than the full payload (PostgreSQL refuses longer text) get a shorter one.
LIMITS = {"zip_code": 20, "telephone": 40, "fax": 40, "acronym": 50, "donor_acronym": 50}


def payload(field):
    """Script and markup, distinct per field so each field's own output can be found, as long as the
    column allows."""
    for candidate in [
        f"<script>alert(\"{field}\")</script>\"'><img src=x onerror=alert('{field}')>",
        f"<img src=x onerror=alert('{field}')>\"'",
        f"<script>{field[:3]}</script>",
    ]:
        if len(candidate) <= LIMITS.get(field, 255):
            return candidate
    raise AssertionError(field)


# What a partner or staff can type: organisation, experience and donor text fields.
ORGANISATION_FIELDS = [
    "name_fr", "name_en", "acronym", "street", "zip_code", "city", "telephone", "fax", "description_fr",
    "description_en",
]  # fmt: skip
EXPERIENCE_FIELDS = ["title_fr", "title_en", "objectives_fr", "objectives_en", "results_fr", "results_en"]
DONOR_FIELDS = ["name_fr", "name_en", "acronym"]


def read(response):
    assert response.status_code == 200, response.status_code
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8-sig")  # CSV exports start with a byte order mark


@pytest.fixture
def hostile(db):
    """An organisation whose every text field, and its experience's and donor's, holds markup."""
    organisation = Organisation.objects.create(
        slug="hostile", kind=Organisation.Kind.MUNICIPALITY, country="FR",
        **{f: payload(f) for f in ORGANISATION_FIELDS},
    )  # fmt: skip
    donor = Donor.objects.create(**{f: payload(f"donor_{f}") for f in DONOR_FIELDS})
    experience = Experience.objects.create(
        organisation=organisation, role=Experience.Role.PARTNER, cost=Decimal("1000"),
        start_date=datetime.date(2015, 1, 1), **{f: payload(f) for f in EXPERIENCE_FIELDS},
    )  # fmt: skip
    ExperienceCountry.objects.create(experience=experience, country="SN")
    Funding.objects.create(experience=experience, donor=donor, amount=Decimal("500"))
    return organisation


def assert_no_live_markup(html):
    """None of the payloads came out as markup (the page's own <script> tags have attributes)."""
    assert "<script>" not in html
    assert "<img src=x" not in html
    assert "</script>\"'>" not in html  # nor did one close the page's JSON-LD <script> early


def assert_shown_escaped(html, fields, prefix=""):
    for field in fields:
        assert escape(payload(prefix + field)) in html, f"{prefix}{field} not shown (escaped)"


# Which fields each page shows in each language (the other language's name and description only as a
# fallback, so not on every page).
PROFILE = {
    "fr": ["name_fr", "acronym", "street", "zip_code", "city", "telephone", "fax", "description_fr"],
    "en": ["name_en", "acronym", "street", "zip_code", "city", "telephone", "fax", "description_en"],
}
PROFILE_EXPERIENCES = {
    "fr": ["title_fr", "objectives_fr", "results_fr"],
    "en": ["title_en", "objectives_en", "results_en"],
}


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("suffix", ["", "print/"])
def test_profile_and_its_print_show_markup_as_text(client, hostile, lang, suffix):
    html = read(client.get(f"/{lang}/organisations/hostile/{suffix}"))
    assert_no_live_markup(html)
    assert_shown_escaped(html, PROFILE[lang] + PROFILE_EXPERIENCES[lang])
    donor_name = "donor_name_fr" if lang == "fr" else "donor_name_en"
    assert escape(payload(donor_name)) in html
    assert escape(payload("donor_acronym")) in html


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("path", ["", "print/"])
def test_search_results_and_their_print_show_markup_as_text(client, hostile, lang, path):
    html = read(client.get(f"/{lang}/{path}", {"q": "script alert"}))
    assert_no_live_markup(html)
    assert_shown_escaped(html, [f"name_{lang}", "acronym", "city"])
    # The search text itself is shown back in the form: escaped as well.
    html = read(client.get(f"/{lang}/{path}", {"q": payload("q")}))
    assert_no_live_markup(html)


@pytest.mark.parametrize("feed", ["rss", "atom"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_feeds_carry_markup_as_text(client, hostile, feed, lang):
    xml = read(client.get(f"/{lang}/feed/{feed}/"))
    assert "<script" not in xml and "<img" not in xml
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.bozo_exception
    (entry,) = [e for e in parsed.entries if "hostile" in e.link]
    # Titles and descriptions are HTML to many feed readers (Django escapes titles by default, ticket
    # #6533; issue 14 finding 9): the name and the city come as escaped text in that HTML (a reader that
    # sanitises would otherwise keep a live <img>, one that does not would run the script).
    for text in [entry.title, entry.summary]:
        assert "<script" not in text and "<img" not in text
    assert entry.summary_detail.type == "text/html"
    assert entry.title.startswith(escape(payload(f"name_{lang}")))
    assert escape(payload("city")) in entry.summary


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_json_export_holds_markup_as_plain_strings(client, hostile, lang):
    (row,) = [r for r in json.loads(read(client.get(f"/{lang}/export.json"))) if r["slug"] == "hostile"]
    for field in ["name_fr", "name_en", "acronym", "street", "zip_code", "city", "telephone", "fax"]:
        assert row[field] == payload(field)


def test_csv_export_holds_markup_as_text(client, hostile):
    rows = list(csv.DictReader(io.StringIO(read(client.get("/en/export.csv")))))
    (row,) = [r for r in rows if r["slug"] == "hostile"]
    for field in ["name_fr", "name_en", "acronym", "street", "zip_code", "city", "telephone", "fax"]:
        assert row[field] == payload(field)  # not a formula start: kept exactly


@pytest.fixture
def admin_client(client, django_user_model):
    superuser = django_user_model.objects.create_superuser("admin@platforma.example", PASSWORD)
    client.force_login(superuser)
    return client


def test_admin_lists_and_change_pages_show_markup_as_text(admin_client, hostile):
    experience = hostile.experiences.get()
    donor = Donor.objects.get()
    pages = {
        "/admin/institutions/organisation/": ["name_fr", "acronym"],
        f"/admin/institutions/organisation/{hostile.pk}/change/": [],
        f"/admin/institutions/organisation/{hostile.pk}/history/": [],
        "/admin/experiences/experience/": ["title_fr"],
        f"/admin/experiences/experience/{experience.pk}/change/": [],
        "/admin/experiences/donor/": ["donor_acronym"],
        f"/admin/experiences/donor/{donor.pk}/change/": [],
    }
    for url, shown in pages.items():
        html = read(admin_client.get(url))
        assert_no_live_markup(html)
        for field in shown:
            assert escape(payload(field)) in html, (url, field)
    # Change pages hold every field in its input, escaped inside the value attribute or textarea.
    html = read(admin_client.get(f"/admin/institutions/organisation/{hostile.pk}/change/"))
    assert_shown_escaped(html, ORGANISATION_FIELDS)
    html = read(admin_client.get(f"/admin/experiences/experience/{experience.pk}/change/"))
    assert_shown_escaped(html, EXPERIENCE_FIELDS)
    html = read(admin_client.get(f"/admin/experiences/donor/{donor.pk}/change/"))
    assert_shown_escaped(html, DONOR_FIELDS, prefix="donor_")


# --- CSV formula injection --------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
@pytest.mark.parametrize("field", ["name_fr", "acronym", "street", "city", "telephone", "fax"])
def test_csv_cells_never_start_a_formula(client, db, start, field):
    value = f'{start}HYPERLINK("http://ev.il")'
    Organisation.objects.create(**{"name_fr": "Formule", "slug": "formule", "country": "FR", **{field: value}})
    (row,) = csv.DictReader(io.StringIO(read(client.get("/fr/export.csv"))))
    assert row[field] == "'" + value  # a leading quote: spreadsheets show the text instead of running it
    # Harmless text is left exactly as typed, and JSON (no spreadsheet) keeps the value as it is.
    assert row["country"] == "FR"
    (item,) = json.loads(read(client.get("/fr/export.json")))
    assert item[field] == value


# --- CSRF ------------------------------------------------------------------------------------------


def partner_url_names():
    """Every URL name of the partners namespace, read from the URL configuration: a new partner page
    without a case below fails test_every_partner_address_is_covered."""
    names = set()
    resolver = get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            for inner in pattern.url_patterns:
                if isinstance(inner, URLResolver) and inner.namespace == "partners":
                    names |= {p.name for p in inner.url_patterns if isinstance(p, URLPattern)}
    return names


def partner_urls(aimf, experience, owner):
    uid = urlsafe_base64_encode(force_bytes(owner.pk))
    token = default_token_generator.make_token(owner)
    base = "/en/partners/organisations/aimf"
    return {
        "home": "/en/partners/",
        "login": "/en/partners/login/",
        "logout": "/en/partners/logout/",
        "password_reset": "/en/partners/password-reset/",
        "password_reset_done": "/en/partners/password-reset/sent/",
        "password_reset_confirm": f"/en/partners/password-reset/{uid}/{token}/",
        "password_reset_complete": "/en/partners/password-reset/done/",
        "password_change": "/en/partners/password/",
        "password_change_done": "/en/partners/password/done/",
        "organisation": f"{base}/",
        "competences": f"{base}/competences/",
        "experiences": f"{base}/experiences/",
        "experience_add": f"{base}/experiences/new/",
        "experience": f"{base}/experiences/{experience.pk}/",
        "experience_delete": f"{base}/experiences/{experience.pk}/delete/",
        "organisation_search": f"{base}/experiences/participants/search/?q=ouaga",
        "donor_propose": f"{base}/donors/propose/",
        "history": f"{base}/changes/",
    }


def test_every_partner_address_is_covered(aimf, experience, owner):
    assert set(partner_urls(aimf, experience, owner)) == partner_url_names()


@pytest.fixture
def csrf_client(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    return client


def test_every_partner_post_without_the_token_is_refused(csrf_client, aimf, experience, owner):
    urls = partner_urls(aimf, experience, owner)
    # The reset link moves its token into the session and sends on to the set-password form.
    set_password = csrf_client.get(urls["password_reset_confirm"])["Location"]
    for name, url in [*urls.items(), ("set_password", set_password)]:
        response = csrf_client.post(url, {"name_fr": "Forged", "new_password1": "x", "new_password2": "x"})
        assert response.status_code == 403, name
        assert "CSRF" not in response.content.decode() or "csrf" in response.templates[0].name
    aimf.refresh_from_db()
    assert aimf.name_fr != "Forged"
    assert Experience.objects.filter(pk=experience.pk).exists()


def test_the_same_post_with_the_token_is_accepted(csrf_client, aimf, owner):
    """The refusals above are the token's doing: with it, the same client gets through."""
    from tests.partners.partner_forms import organisation_data

    csrf_client.get("/en/partners/organisations/aimf/")
    token = csrf_client.cookies["csrftoken"].value
    data = organisation_data(aimf, name_fr="Changed", csrfmiddlewaretoken=token)
    assert csrf_client.post("/en/partners/organisations/aimf/", data).status_code == 302
    aimf.refresh_from_db()
    assert aimf.name_fr == "Changed"


def test_login_without_the_token_is_refused(owner):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/en/partners/login/", {"username": owner.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    client.get("/en/partners/login/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/en/partners/login/", {"username": owner.email, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_admin_login_and_changes_without_the_token_are_refused(django_user_model, aimf):
    superuser = django_user_model.objects.create_superuser("admin@platforma.example", PASSWORD)
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post("/admin/login/", {"username": superuser.email, "password": PASSWORD}).status_code == 403
    staff = Client(enforce_csrf_checks=True)
    staff.force_login(superuser)
    for url in [
        f"/admin/institutions/organisation/{aimf.pk}/change/",
        "/admin/institutions/organisation/add/",
        f"/admin/institutions/organisation/{aimf.pk}/delete/",
        "/admin/institutions/organisation/",  # bulk actions
        "/admin/logout/",
    ]:
        assert staff.post(url, {"name_fr": "Forged", "post": "yes"}).status_code == 403, url
    assert Organisation.objects.get(pk=aimf.pk).name_fr != "Forged"


# --- open redirects --------------------------------------------------------------------------------

OFF_SITE = [
    "//evil.example",
    "//evil.example/en/",
    "https://evil.example",
    "http://evil.example/en/partners/",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "///evil.example",
    "https:/evil.example",
    "https:evil.example",
    " //evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://testserver@evil.example",
]


def assert_stays_here(location):
    parts = urlsplit(location)
    assert parts.scheme in ("", "http", "https") and parts.netloc in ("", "testserver"), location
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert "evil" not in location.split("?")[0] or location.startswith("/en/partners/login/"), location


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_sends_off_site(client, owner, target):
    response = client.post("/en/partners/login/", {"username": owner.email, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/en/partners/"  # the default landing page instead
    # Already logged in, the login page sends straight on: same rule.
    response = client.get("/en/partners/login/", {"next": target})
    assert response.status_code == 302 and response["Location"] == "/en/partners/"
    # Logging out with a `next` too.
    response = client.post("/en/partners/logout/", {"next": target})
    assert_stays_here(response["Location"])


def test_login_follows_a_next_on_this_site(client, owner):
    """The rule above refuses off-site targets only: a page of this site is followed."""
    response = client.post(
        "/en/partners/login/",
        {"username": owner.email, "password": PASSWORD, "next": "/en/partners/organisations/aimf/"},
    )
    assert response["Location"] == "/en/partners/organisations/aimf/"


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil.example"])
def test_admin_login_never_sends_off_site(client, django_user_model, target):
    superuser = django_user_model.objects.create_superuser("admin@platforma.example", PASSWORD)
    response = client.post("/admin/login/", {"username": superuser.email, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert_stays_here(response["Location"])


# --- SQL -------------------------------------------------------------------------------------------

SQL_PAYLOADS = [
    "'; DROP TABLE institutions_organisation; --",
    '"; DROP TABLE institutions_organisation; --',
    "' OR '1'='1",
    "') OR 1=1 --",
    "1 UNION SELECT password FROM accounts_user --",
    "%",
    "_",
    "\\",
    "%' --",
    "\\'",
    "$$; DROP TABLE institutions_organisation; $$",
    "<-> & | ! :*",  # tsquery operators
]
CRITERIA = [
    "q", "country", "kind", "sector", "worked_in", "experience_sector", "donor", "role", "active_from",
    "active_to", "sort", "page",
]  # fmt: skip


@pytest.mark.parametrize("value", SQL_PAYLOADS)
def test_sql_in_any_criterion_is_just_text(client, directory, value):
    before = Organisation.objects.count()
    for criterion in CRITERIA:
        for path in ["/en/", "/fr/export.json"]:
            # A malformed value is dropped: the search page redirects to the search without it.
            assert read(client.get(path, {criterion: value}, follow=True)) is not None, (criterion, path)
    with connection.cursor() as cursor:  # the table is still there, with every row
        cursor.execute("SELECT COUNT(*) FROM institutions_organisation")
        assert cursor.fetchone()[0] == before


@pytest.mark.parametrize("value", ["%", "_", "\\", "' OR '1'='1", "%' --"])
def test_wildcards_and_quotes_match_literally(client, directory, value):
    """`%` or `_` in the search box is not a LIKE wildcard: nothing holds them, so nothing matches."""
    assert json.loads(read(client.get("/en/export.json", {"q": value}))) == []


class Executed:
    """Every (sql, params) pair sent to the database, taken before the driver merges them."""

    def __init__(self):
        self.calls = []

    def __call__(self, execute, sql, params, many, context):
        self.calls.append((sql, params))
        return execute(sql, params, many, context)


def flat(params):
    if params is None:
        return []
    if isinstance(params, dict):
        params = params.values()
    out = []
    for p in params:
        out += flat(p) if isinstance(p, (list, tuple)) else [str(p)]
    return out


@pytest.mark.parametrize("path", ["/en/", "/fr/print/", "/en/feed/rss/", "/en/export.csv", "/fr/export.json"])
def test_search_text_reaches_the_database_only_as_a_parameter(client, directory, path):
    q = 'zqx\'; DROP TABLE institutions_organisation; -- "quoted" 50% off_'
    executed = Executed()
    with connection.execute_wrapper(executed):
        read(client.get(path, {"q": q}))
    assert executed.calls
    folded = 'zqx\'; drop table institutions_organisation; -- "quoted" 50% off_'
    for sql, _params in executed.calls:
        for text in [q, folded, "zqx", "DROP TABLE", "drop table"]:
            assert text not in sql, (text, sql)
    # …and it did reach the database, as a parameter (the search ran).
    assert any("zqx" in p for _sql, params in executed.calls for p in flat(params))
