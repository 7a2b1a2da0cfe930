"""The experiences list (/<lang>/experiences/, directory/experience_views.py): each criterion both ways and
matched by the experience itself, sorting, rows linking to the profile at the experience, both languages,
canonical URLs, a fixed number of queries, its print view, feeds and exports."""

import csv
import datetime
import html
import io
import json
from decimal import Decimal

import pytest
from django.db import connection
from factories import refreshed_once
from fuzz_strategies import parameters
from hypothesis import HealthCheck, given, settings
from search_data import EXPERIENCE_TEXT_QUERIES, _experience

from experiences.models import Experience, ExperienceSearchEntry, Funding
from institutions.models import Organisation, Sector

# In English, as the directory fixture's titles are: one experience per organisation.
WATER, SCHOOLS, BOARDS = "Drinking water", "Dakar schools", "Municipal water boards"
ALL = {WATER, SCHOOLS, BOARDS}


def page(client, lang, params=None):
    response = client.get(f"/{lang}/experiences/", params or {}, follow=True)
    assert response.status_code == 200
    return response


def titles(response):
    """The English titles of the page's rows, in order (whatever the page's language)."""
    return english_titles(row.experience.pk for row in response.context["page"].object_list)


def english_titles(pks):
    pks = list(pks)
    found = dict(Experience.objects.filter(pk__in=pks).values_list("pk", "title_en"))
    return [found[pk] for pk in pks]


def consume(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(
    "params,shown,hidden",
    [
        ({"worked_in": "BF"}, {WATER}, {SCHOOLS, BOARDS}),
        ({"worked_in": "SN"}, {SCHOOLS}, {WATER, BOARDS}),
        ({"experience_sector": "14030"}, {WATER}, {SCHOOLS, BOARDS}),
        ({"experience_sector": "151"}, {BOARDS}, {WATER, SCHOOLS}),
        ({"role": "coordinator"}, {WATER}, {SCHOOLS, BOARDS}),
        ({"role": "associate"}, {BOARDS}, {WATER, SCHOOLS}),
        ({"active_from": "2011", "active_to": "2012"}, {WATER}, {SCHOOLS, BOARDS}),
        ({"active_from": "2020"}, {SCHOOLS}, {WATER, BOARDS}),  # no end date = still going
        ({"active_to": "2000"}, {BOARDS}, {WATER, SCHOOLS}),
        ({"active_from": "2012", "active_to": "2011"}, {WATER}, {BOARDS}),  # reversed span is understood
        ({"active_from": "1999", "active_to": "2009"}, set(), ALL),
        ({"country": "FR"}, {WATER, SCHOOLS}, {BOARDS}),
        ({"country": "BJ"}, {BOARDS}, {WATER, SCHOOLS}),
        ({"kind": "international_network"}, {WATER}, {SCHOOLS, BOARDS}),
        ({"kind": "municipality"}, {SCHOOLS}, {WATER, BOARDS}),
        ({"q": "standpipes"}, {WATER}, {SCHOOLS, BOARDS}),  # its results
        ({"q": "bornes-fontaines"}, {WATER}, {SCHOOLS, BOARDS}),  # in French, accents ignored
        ({"q": "ecoles"}, {SCHOOLS}, {WATER, BOARDS}),  # its French title
        ({"q": "sénégal"}, {SCHOOLS}, {WATER, BOARDS}),  # its country, by name
        ({"q": "decentralisation"}, {BOARDS}, {WATER, SCHOOLS}),  # its sector's name
        ({"q": "14030"}, {WATER}, {SCHOOLS, BOARDS}),  # its sector's code
        ({"q": "mayors"}, set(), ALL),  # AIMF's name: not a word of its experience
    ],
)
def test_each_criterion_both_ways(client, directory, lang, params, shown, hidden):
    found = set(titles(page(client, lang, params)))
    assert shown <= found
    assert not hidden & found


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_donor_both_ways(client, directory, lang):
    assert set(titles(page(client, lang, {"donor": directory["ec"].pk}))) == {WATER, BOARDS}
    assert set(titles(page(client, lang, {"donor": directory["afd"].pk}))) == {SCHOOLS}


def test_only_published_organisations_experiences_are_listed(client, directory):
    _experience(directory["hidden"], "partner", datetime.date(2015, 1, 1), countries=["BF"], title_en="Hidden")
    assert "Hidden" not in titles(page(client, "en"))
    Organisation.objects.filter(pk=directory["hidden"].pk).update(published=True)
    assert "Hidden" in titles(page(client, "en"))


@pytest.fixture
def two_experiences(directory):
    """Lyon gets a second experience, in BF, funded by the EC and over by 2005: each criterion below is met
    by one of Lyon's experiences, their combination by none."""
    return _experience(
        directory["lyon"],
        "coordinator",
        datetime.date(2001, 1, 1),
        datetime.date(2005, 12, 31),
        countries=["BF"],
        donor=directory["ec"],
        title_en="Lyon in Burkina",
    )


def test_experience_criteria_are_met_by_one_experience(client, directory, two_experiences):
    """worked_in SN + donor EC: Lyon has an experience in SN (funded by the AFD) and one funded by the EC
    (in BF), so the organisation search finds Lyon; no experience of it is in SN and funded by the EC. The
    same with worked_in SN + active until 2005."""
    combined = {"worked_in": "SN", "donor": directory["ec"].pk}
    assert titles(page(client, "en", combined)) == []
    assert set(titles(page(client, "en", {"worked_in": "BF", "donor": directory["ec"].pk}))) == {
        WATER,
        "Lyon in Burkina",
    }
    assert set(titles(page(client, "en", {"worked_in": "SN", "active_to": "2005"}))) == set()
    assert set(titles(page(client, "en", {"worked_in": "BF", "active_to": "2005"}))) == {"Lyon in Burkina"}
    for params in (combined, {"worked_in": "SN", "active_to": "2005"}):
        organisations = client.get("/en/", params, follow=True).context["page"].object_list
        assert [row.slug for row in organisations] == ["ville-de-lyon"]


def test_values_of_one_criterion_widen_and_criteria_narrow(client, directory):
    assert set(titles(page(client, "en", {"worked_in": ["SN", "BJ"]}))) == {SCHOOLS, BOARDS}
    assert set(titles(page(client, "en", {"worked_in": ["SN", "BJ"], "country": "FR"}))) == {SCHOOLS}
    assert set(titles(page(client, "en", {"experience_sector": ["140", "151"]}))) == {WATER, BOARDS}


def test_the_text_reads_words_as_the_organisation_search_does(client, directory):
    """By word, not by substring ("eau" is not in "Réseau"), with "or", -word and quoted phrases."""
    assert set(titles(page(client, "en", {"q": "water -boards"}))) == {WATER}
    assert set(titles(page(client, "en", {"q": "schools or boards"}))) == {SCHOOLS, BOARDS}
    assert set(titles(page(client, "en", {"q": '"drinking water"'}))) == {WATER}
    assert titles(page(client, "en", {"q": '"water drinking"'})) == []
    assert titles(page(client, "en", {"q": "rese"})) == []


@pytest.fixture
def costs(directory):
    """Costs and fundings that sort differently: WATER costs least but is funded most; BOARDS has no cost."""
    Experience.objects.filter(title_en=WATER).update(cost=Decimal("900000"))
    Experience.objects.filter(title_en=SCHOOLS).update(cost=Decimal("2000000"))
    Experience.objects.filter(title_en=BOARDS).update(cost=None)
    Funding.objects.filter(experience__title_en=WATER).update(amount=Decimal("800000"))
    Funding.objects.filter(experience__title_en=BOARDS).delete()


@pytest.mark.parametrize(
    "sort,expected",
    [
        (None, [SCHOOLS, WATER, BOARDS]),  # newest first
        ("start_date", [BOARDS, WATER, SCHOOLS]),
        ("-end_date", [SCHOOLS, WATER, BOARDS]),  # still going first
        ("-cost", [SCHOOLS, WATER, BOARDS]),  # no cost last
        ("-funded", [WATER, SCHOOLS, BOARDS]),
    ],
)
def test_sort_orders(client, costs, sort, expected):
    assert titles(page(client, "en", {"sort": sort} if sort else {})) == expected


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_row_links_to_its_organisations_profile_at_the_experience(client, directory, lang):
    (row,) = page(client, lang, {"worked_in": "BF"}).context["page"].object_list
    profile, anchor = row.url.split("#")
    assert profile == f"/{lang}/organisations/aimf/"
    assert anchor == f"experience-{row.experience.pk}"
    assert f'id="{anchor}"' in client.get(profile).content.decode()


@pytest.mark.parametrize(
    "lang,names,heading",
    [
        ("fr", ["Côte d'Ivoire", "Burkina Faso"], "1 expérience trouvée"),
        ("en", ["Ivory Coast", "Burkina Faso"], "1 experience found"),
    ],
)
def test_each_language(client, directory, lang, names, heading):
    """Headings, country and sector names in the page's language; a title given in one language only is
    shown in it, marked."""
    response = page(client, lang, {"worked_in": "BF"})
    html = response.content.decode()
    assert heading in html
    (row,) = response.context["page"].object_list
    assert row.experience.countries == names
    sector = Sector.objects.get(code="14030")
    assert row.experience.sectors == [sector.name_fr if lang == "fr" else sector.name_en]
    boards = page(client, "fr", {"worked_in": "BJ"}).content.decode()
    assert 'lang="en">Municipal water boards</a>' in boards


@pytest.mark.parametrize(
    "query,canonical",
    [
        ("?worked_in=BF&q=&sort=-start_date&active_from=", "?worked_in=BF"),
        ("?role=partner&worked_in=SN&worked_in=SN", "?worked_in=SN&role=partner"),
        ("?cb=123", ""),
        ("?sector=140&worked_in=BF", "?worked_in=BF"),  # a competence: not a criterion of experiences
        ("?more=donor&more=sector", "?more=donor"),
        ("?page=1", ""),
    ],
)
def test_a_search_not_written_canonically_is_redirected_once(client, directory, query, canonical):
    response = client.get(f"/en/experiences/{query}")
    assert response.status_code == 301
    assert response["Location"] == f"/en/experiences/{canonical}"
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"worked_in": ["XX", "bf", "ß"], "donor": ["0", "-1", "abc", "²"], "role": "chief"},
        {"active_from": "abc", "active_to": "99999", "sort": "-title", "page": "-3"},
        {"experience_sector": ["1403", "١٤٠", "14030" * 20], "kind": "<script>", "q": "\x00"},
        {"page": "99999999999999999999"},
    ],
)
def test_bad_parameters_are_dropped_not_errors(client, directory, params):
    assert page(client, "en", params).context["page"].paginator.count >= 0


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=parameters(
        [
            "q",
            "country",
            "kind",
            "worked_in",
            "experience_sector",
            "donor",
            "role",
            "active_from",
            "active_to",
            "sort",
            "page",
            "more",
        ]  # fmt: skip
    )
)
def test_no_input_gives_a_server_error(client, directory, params):
    for path in ("/en/experiences/", "/fr/experiences/print/", "/en/experiences/feed/rss/",
                 "/fr/experiences/export.csv", "/en/statistics/", "/fr/statistics.csv"):  # fmt: skip
        response = client.get(path, params, follow=True)
        consume(response)
        assert response.status_code < 500


@pytest.fixture
def many(directory):
    """45 more experiences in BF, each with two countries, two sectors and a funding."""
    sectors = list(Sector.objects.filter(code__in=["14030", "14010"]))
    with refreshed_once():
        for n in range(45):
            _experience(
                directory["aimf"], "partner", datetime.date(2000 + n % 20, 1, 1), countries=["BF", "ML"],
                sectors=sectors, donor=directory["afd"], title_en=f"Action {n}",
            )  # fmt: skip


@pytest.mark.parametrize("params", [{}, {"worked_in": "BF", "role": "partner", "active_from": "2005"}])
def test_the_list_takes_a_fixed_number_of_queries(client, many, params, django_assert_max_num_queries):
    """Guards against N+1: a page of 20 rows with every detail, its facets and its count in 9 queries (the
    rows: 1 for the page's ids, 6 for their values, participants included; 1 for the count, 1 for all the
    facets); the sector, donor and partner labels are read once per generation."""
    with django_assert_max_num_queries(9 + 3):
        response = page(client, "en", params)
    assert len(response.context["page"].object_list) == 20


def test_a_text_search_adds_the_text_queries_only(client, many, django_assert_max_num_queries):
    """The text adds the experiences' text search (their index), whatever the number of experiences it
    matches: no experience's texts are read."""
    with django_assert_max_num_queries(11 + EXPERIENCE_TEXT_QUERIES):
        response = page(client, "en", {"q": "action"})
    assert response.context["page"].paginator.count == 45


def test_facet_counts_are_numbers_of_experiences(client, many):
    facets = page(client, "en", {"worked_in": "BF"}).context["facets"]
    assert {item["value"]: item["count"] for item in facets["worked_in"]}["BF"] == 46
    assert {item["value"]: item["count"] for item in facets["worked_in"]}["ML"] == 45  # its own ignored
    assert {item["value"]: item["count"] for item in facets["experience_sector_category"]} == {"140": 46}
    assert {item["value"]: item["count"] for item in facets["country"]} == {"FR": 46}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_organisation_search_and_the_list_link_with_their_shared_criteria(client, directory, lang):
    search = client.get(f"/{lang}/", {"worked_in": "BF", "sector": "140", "sort": "-updated"}, follow=True)
    link = search.context["links"]["experiences"]
    assert link == f"/{lang}/experiences/?worked_in=BF"
    assert f'href="{link}"' in search.content.decode()
    back = page(client, lang, {"worked_in": "BF", "sort": "-cost"}).context["links"]["organisations"]
    assert back == f"/{lang}/?worked_in=BF"
    assert f'href="/{lang}/experiences/"' in search.content.decode()  # the header's navigation


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_print_view_lists_every_match(client, directory, lang):
    response = client.get(f"/{lang}/experiences/print/", {"donor": directory["ec"].pk})
    assert english_titles(row.experience.pk for row in response.context["rows"]) == [WATER, BOARDS]
    assert "Dakar schools" not in response.content.decode()


def test_print_view_is_bounded(client, many, monkeypatch):
    from directory import views

    monkeypatch.setattr(views, "PRINT_LIMIT", 46)
    assert not client.get("/en/experiences/print/", {"worked_in": "BF"}).context["truncated"]  # 46 match
    monkeypatch.setattr(views, "PRINT_LIMIT", 45)
    response = client.get("/en/experiences/print/", {"worked_in": "BF"})
    assert response.context["truncated"]
    assert len(response.context["rows"]) == 45


@pytest.mark.parametrize("feed", ["rss", "atom"])
def test_feeds_follow_the_criteria(client, directory, feed):
    body = client.get(f"/en/experiences/feed/{feed}/", {"worked_in": "SN"}).content.decode()
    assert "Dakar schools" in body
    assert "Drinking water" not in body
    assert "/en/organisations/ville-de-lyon/#experience-" in body


def test_feed_titles_are_escaped(client, directory):
    Experience.objects.filter(title_en=SCHOOLS).update(title_en="<b>Schools</b> & co")
    body = client.get("/en/experiences/feed/rss/").content.decode()
    assert "<title>&amp;lt;b&amp;gt;Schools&amp;lt;/b&amp;gt; &amp;amp; co</title>" in body  # HTML, escaped
    assert "<b>Schools" not in body


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_exports_are_the_lists_results_in_its_order(client, costs, lang):
    response = client.get(f"/{lang}/experiences/export.csv", {"sort": "-cost"})
    rows = list(csv.DictReader(io.StringIO(consume(response).decode("utf-8-sig"))))
    assert [row["title_en"] for row in rows] == [SCHOOLS, WATER, BOARDS]
    assert response["X-Row-Count"] == "3"
    data = json.loads(consume(client.get(f"/{lang}/experiences/export.json", {"worked_in": "BF"})))
    assert [row["title_en"] for row in data] == [WATER]
    assert data[0]["country_names"] == (
        ["Burkina Faso", "Côte d'Ivoire"] if lang == "fr" else ["Burkina Faso", "Ivory Coast"]
    )
    xlsx = client.get(f"/{lang}/experiences/export.xlsx", {"role": "associate"})
    assert xlsx["X-Row-Count"] == "1"
    consume(xlsx)


def test_an_export_over_the_limit_is_refused_not_cut(client, directory, settings):
    settings.EXPORT_STREAM_LIMIT = 3
    response = client.get("/en/experiences/export.csv", {"active_to": "2030"})
    assert response.status_code == 200
    assert response["X-Row-Count"] == "3"
    consume(response)
    settings.EXPORT_STREAM_LIMIT = 2
    assert client.get("/en/experiences/export.csv", {"active_to": "2030"}).status_code == 400


def test_exports_are_limited_like_the_others(client, directory, settings):
    settings.EXPENSIVE_PER_CLIENT = 1
    held = client.get("/en/experiences/export.csv")  # streaming: holds its slot until read
    assert client.get("/en/experiences/export.json").status_code == 429
    consume(held)
    consume(client.get("/en/experiences/export.json"))


@pytest.mark.page_cache
@pytest.mark.parametrize(
    "url",
    [
        "/en/experiences/?worked_in=BF",
        "/fr/experiences/print/?worked_in=BF",
        "/en/experiences/feed/rss/",
        "/fr/experiences/feed/atom/?role=partner",
        "/fr/statistics/?worked_in=BF",
        "/en/statistics.csv?worked_in=BF",
    ],
)
def test_the_pages_are_cached_like_the_search_pages(client, directory, url, django_assert_num_queries):
    first = client.get(url)
    assert first.status_code == 200
    with django_assert_num_queries(0):
        second = client.get(url)
    assert second.content == first.content


@pytest.mark.page_cache
def test_a_non_canonical_url_shares_the_canonical_ones_cache_entry(client, directory, django_assert_num_queries):
    client.get("/en/experiences/?worked_in=SN&role=partner")
    with django_assert_num_queries(0):
        assert client.get("/en/experiences/?worked_in=SN&role=partner&cb=1", follow=True).status_code == 200


def test_the_text_index_follows_every_edit(client, directory):
    """The experiences' entries (institutions.search.experience_ids) change with the experience, its sectors,
    its countries and the sectors' names, and go with a deleted experience (SQLite: its FTS5 row too)."""
    water = Experience.objects.get(title_en=WATER)
    water.title_fr, water.title_en = "Puits propres", "Clean wells"
    water.save()
    assert titles(page(client, "en", {"q": "wells"})) == ["Clean wells"]
    assert titles(page(client, "en", {"q": "quartiers"})) == []  # a word of its former French title
    water.countries.create(country="NE")
    assert titles(page(client, "en", {"q": "niger"})) == ["Clean wells"]
    assert titles(page(client, "en", {"q": "11110"})) == [SCHOOLS]
    water.sectors.add(Sector.objects.get(code="11110"))
    assert set(titles(page(client, "en", {"q": "11110"}))) == {SCHOOLS, "Clean wells"}
    sector = Sector.objects.get(code="11110")
    sector.name_en = "Primary schooling"
    sector.save()
    assert set(titles(page(client, "en", {"q": "schooling"}))) == {SCHOOLS, "Clean wells"}
    water.delete()
    assert titles(page(client, "en", {"q": "wells"})) == []
    assert set(titles(page(client, "en"))) == {SCHOOLS, BOARDS}
    Experience.objects.get(title_en=SCHOOLS).organisation.delete()  # its experiences go, and their entries
    assert titles(page(client, "en", {"q": "schools"})) == []
    assert ExperienceSearchEntry.objects.count() == Experience.objects.count() == 1
    if connection.vendor == "sqlite":  # and their FTS5 rows
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM experiences_experiencesearchentry_fts")
            assert cursor.fetchone() == (1,)


@pytest.mark.parametrize("lang, notice", [
    ("en", "is in too many experiences to count them by criterion here"),
    ("fr", "figure dans trop d’expériences pour les compter ici par critère"),
])  # fmt: skip
def test_a_text_in_too_many_experiences_is_listed_without_facet_counts(client, directory, monkeypatch, lang, notice):
    """Bounded work: the facets are counted over at most MAX_TEXT_MATCHES experiences matching the text (here
    "water" is in two experiences' texts); beyond, the experiences are still listed, uncounted, and the page
    says so. Statistics, exports and feeds are not bound."""
    from directory import experience_criteria

    monkeypatch.setattr(experience_criteria, "MAX_TEXT_MATCHES", 2)  # just at the bound: counted
    response = page(client, lang, {"q": "water"})
    assert set(titles(response)) == {WATER, BOARDS}
    assert {item["value"]: item["count"] for item in response.context["facets"]["role"]} == {
        "coordinator": 1,
        "associate": 1,
    }
    assert notice not in html.unescape(response.content.decode())
    monkeypatch.setattr(experience_criteria, "MAX_TEXT_MATCHES", 1)  # just above: listed, uncounted, said
    response = page(client, lang, {"q": "water"})
    assert set(titles(response)) == {WATER, BOARDS}
    assert list(response.context["facets"]["role"]) == []
    assert notice in html.unescape(response.content.decode())
    statistics = client.get(f"/{lang}/statistics/", {"q": "water"}).context["tables"]
    assert next(table for table in statistics if table.name == "role").total_count == 2
    csv_rows = list(
        csv.DictReader(
            io.StringIO(consume(client.get(f"/{lang}/experiences/export.csv", {"q": "water"})).decode("utf-8-sig"))
        )
    )
    assert len(csv_rows) == 2


def test_accents_written_as_marks_of_their_own_are_folded(client, directory):
    schools = Experience.objects.get(title_en=SCHOOLS)
    schools.title_fr = "E\u0301coles de Dakar"  # "É" as E + mark
    schools.save()
    assert set(titles(page(client, "fr", {"q": "écoles"}))) == {SCHOOLS}


@pytest.mark.page_cache
def test_the_first_pages_facet_counts_are_kept_for_the_generation(directory, django_assert_num_queries):
    """Without criteria the counts are the same for every visitor until the data changes: read once per
    directory generation. With a criterion they are counted each time."""
    from django.http import QueryDict

    from directory.experience_criteria import ExperienceFilter
    from institutions.cache import bump_generation

    assert ExperienceFilter(QueryDict()).facet_counts()["worked_in"]["BF"] == 1
    with django_assert_num_queries(0):
        assert ExperienceFilter(QueryDict()).facet_counts()["worked_in"]["BF"] == 1
    _experience(directory["benin"], "partner", datetime.date(2015, 1, 1), countries=["BF"], title_en="New")
    bump_generation()  # what the commit of that change does
    assert ExperienceFilter(QueryDict()).facet_counts()["worked_in"]["BF"] == 2
    with django_assert_num_queries(1):
        ExperienceFilter(QueryDict("role=partner")).facet_counts()
    with django_assert_num_queries(1):
        ExperienceFilter(QueryDict("role=partner")).facet_counts()
