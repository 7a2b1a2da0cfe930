"""Free-text search (institutions/search.py) and the search page."""

import pytest
from django.core.management import get_commands
from django.db import connection

from institutions.facets import rebuild_facet_values
from institutions.models import Organisation, SearchEntry
from institutions.search import MAX_QUERY_LENGTH, clean_query, fold, refresh_search_documents
from tests.search_data import TEXT_QUERIES

postgresql_only = pytest.mark.postgresql


def document(organisation):
    return SearchEntry.objects.get(pk=organisation.pk).document


def slugs(response):
    return [o.slug for o in response.context["page"].object_list]


def every_slug(response):
    """The slugs of every result, on every page (the paginator holds their ids)."""
    ids = list(response.context["page"].paginator.object_list)
    return set(Organisation.objects.filter(pk__in=ids).values_list("slug", flat=True))


def test_fold_removes_accents_case_and_ligatures():
    assert fold("  Décentralisation   ŒUVRE\tÇà ") == "decentralisation oeuvre ca"
    assert fold(None) == ""


def test_clean_query_cuts_long_text_at_a_word():
    q = clean_query("mot " * 2000)
    assert 0 < len(q) <= MAX_QUERY_LENGTH and q.endswith("mot")


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(
    "q",
    [
        "AIMF",
        "aimf",
        "maires francophones",
        "Ouagadougou",
        "décentralisation",
        "decentralisation",
        "DÉCENTRALISATION",
        "Francophone Mayors",
        "Abidjan",
        "ANE-AL",
        "Commission européenne",
        "Paris",
    ],
)
def test_text_finds_aimf(client, directory, lang, q):
    response = client.get(f"/{lang}/", {"q": q}, follow=True)
    assert response.status_code == 200
    assert "aimf" in slugs(response)
    # The unpublished organisation mentions AIMF and Ouagadougou too, and is never shown.
    assert "hid" not in slugs(response)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_text_that_matches_nothing_shows_the_empty_state(client, directory, lang):
    response = client.get(f"/{lang}/", {"q": "zanzibar"}, follow=True)
    assert slugs(response) == []
    assert response.context["page"].paginator.count == 0
    expected = "Aucune organisation ne correspond" if lang == "fr" else "No organisation matches this search."
    assert expected in response.content.decode()


def test_every_word_must_match(client, directory):
    assert set(slugs(client.get("/en/", {"q": "Lyon Dakar"}, follow=True))) == {"ville-de-lyon", "region-de-dakar"}
    assert "aimf" not in slugs(client.get("/en/", {"q": "maires zanzibar"}, follow=True))


def test_name_match_ranks_before_a_description_only_match(client, directory):
    # "Lyon" is the name of one and only in the description of the other.
    assert slugs(client.get("/en/", {"q": "lyon"}, follow=True))[0] == "ville-de-lyon"
    assert slugs(client.get("/fr/", {"q": "Dakar"}, follow=True))[0] == "region-de-dakar"


@postgresql_only
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_postgresql_finds_a_typo(client, directory, lang):
    assert "aimf" in slugs(client.get(f"/{lang}/", {"q": "Ouagadogou"}, follow=True))


@postgresql_only
def test_postgresql_stems_french_and_english(client, directory):
    # French stemming: "maire" (singular) finds "maires"; English: "mayor" finds "Mayors".
    assert "aimf" in slugs(client.get("/fr/", {"q": "maire"}, follow=True))
    assert "aimf" in slugs(client.get("/en/", {"q": "mayor"}, follow=True))


@postgresql_only
@pytest.mark.parametrize(
    "q,indexes",
    [
        ("ouagadougou", ["searchentry_vector", "searchentry_name_vector", "searchentry_sector_vector"]),
        # (the words table's trigram index is chosen once VACUUM has counted its entries: not in a test)
        ("ouagadogou", ["searchentry_vector", "searchentry_name_vector"]),
    ],
)
def test_postgresql_search_uses_the_indexes(directory, q, indexes):
    """Every query of a search reads an index, and the planner setting forced for them is restored."""
    from django.test.utils import CaptureQueriesContext

    from institutions.search import ranked_ids, suggestion

    with CaptureQueriesContext(connection) as ctx:
        found = ranked_ids(q) or ranked_ids(suggestion(q))  # a typo: the page offers the suggestion
    assert directory["aimf"].pk in found
    searches = [query["sql"] for query in ctx.captured_queries if "institutions_search" in query["sql"]]
    plans = []
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"
        cursor.execute("SET enable_seqscan = off")  # a handful of rows: only then is an index worth it
        for sql in searches:
            cursor.execute("EXPLAIN " + sql)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
        cursor.execute("SET enable_seqscan = on")
    for index in indexes:
        assert any(index in plan for plan in plans), (index, plans)


@postgresql_only
def test_postgresql_facets_of_a_misspelt_search_use_the_typo_search(client, directory):
    response = client.get("/en/", {"q": "Ouagadogou"}, follow=True)
    assert response.context["facets"]["worked_in"] and {
        i["value"] for i in response.context["facets"]["worked_in"]
    } == {
        "CI",
        "BF",
    }


def test_document_follows_experience_funding_and_donor_changes(directory):
    aimf, ec = directory["aimf"], directory["ec"]
    experience = aimf.experiences.get()
    experience.results_fr = "Puits creusés à Tombouctou."
    experience.save()
    assert "tombouctou" in document(aimf)
    ec.name_en = "Europeaid Zebra Programme"
    ec.save()
    assert "zebra" in document(aimf)
    experience.fundings.all().delete()
    assert "zebra" not in document(aimf)
    experience.delete()
    assert "tombouctou" not in document(aimf)
    SearchEntry.objects.filter(pk=aimf.pk).update(document="")
    assert refresh_search_documents(Organisation.objects.filter(pk=aimf.pk)) == 1
    assert document(aimf).startswith("association internationale des maires francophones")
    assert refresh_search_documents(Organisation.objects.filter(pk=aimf.pk)) == 0  # unchanged: no write
    SearchEntry.objects.filter(pk=aimf.pk).delete()
    assert refresh_search_documents(Organisation.objects.filter(pk=aimf.pk)) == 1  # a missing entry is made
    assert document(aimf).startswith("association internationale des maires francophones")


def test_refreshing_the_document_does_not_touch_updated_or_version(directory):
    aimf = Organisation.objects.get(pk=directory["aimf"].pk)
    SearchEntry.objects.filter(pk=aimf.pk).update(document="")
    refresh_search_documents(Organisation.objects.filter(pk=aimf.pk))
    after = Organisation.objects.get(pk=aimf.pk)
    assert (after.updated, after.version) == (aimf.updated, aimf.version)


# --- the page ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lang,heading,count",
    [
        ("fr", "Rechercher", "4 organisations trouvées"),
        ("en", "Search organisations", "4 organisations found"),
    ],
)
def test_search_page_lists_published_organisations(client, directory, lang, heading, count):
    response = client.get(f"/{lang}/", follow=True)
    body = response.content.decode()
    assert response.status_code == 200
    assert set(slugs(response)) == {"aimf", "ville-de-lyon", "region-de-dakar", "ancb"}
    assert count in body and heading in body


def test_results_show_name_acronym_kind_city_country_competences_and_experiences(client, directory):
    en = client.get("/en/", follow=True).content.decode()
    assert "International Association of Francophone Mayors" in en and "(AIMF)" in en
    assert "International network" in en and "Paris, France" in en
    assert "Basic drinking water supply" in en and "1 experience" in en
    fr = client.get("/fr/", follow=True).content.decode()
    assert "Association internationale des maires francophones" in fr
    assert "Réseau international" in fr and "Approvisionnement de base en eau potable" in fr
    assert "Bénin" in fr and "1 expérience" in fr


def test_search_page_links_its_feeds_exports_and_print_view_with_the_criteria(client, directory):
    body = client.get("/en/", {"q": "aimf", "country": ["FR", "ZZ"], "page": "1"}, follow=True).content.decode()
    for url in ("/en/feed/rss/", "/en/feed/atom/", "/en/export.csv", "/en/export.json", "/en/print/"):
        assert f'href="{url}?q=aimf&amp;country=FR"' in body
    assert 'type="application/rss+xml"' in body and 'type="application/atom+xml"' in body
    assert ">RSS feed<" in body and ">Print this page<" in body


def test_print_view_lists_every_match_without_pagination(client, directory):
    from experiences.models import Experience  # noqa: F401

    Organisation.objects.bulk_create(
        [Organisation(name_fr=f"Commune {n:02}", slug=f"commune-{n}", country="FR") for n in range(25)]
    )
    rebuild_facet_values()  # bulk writes send no signals
    response = client.get("/fr/print/", {"country": "FR"}, follow=True)
    assert response.status_code == 200
    assert len(response.context["rows"]) == 27
    body = response.content.decode()
    assert "Commune 24" in body and "Ville de Lyon" in body and "Région de Dakar" not in body
    assert client.get("/en/print/", {"q": "zanzibar"}, follow=True).context["rows"] == []


# The search page's queries, whatever the number of results and of criteria: the page's ids (1); the
# page's organisations with their numbers of experiences, and their competences (2); on SQLite the total (1) and
# the facet counts (1: one UNION ALL over the facets whose criterion is not in force and one part per
# criterion in force); on PostgreSQL the bitmaps of the values chosen (1), which also give the total, and
# the counts from every value's bitmap (1); "Worked with" counted from its facet values (1; the names of the
# organisations it lists: 1 more when there are any, none here). The names of sectors and donors (2 more)
# are kept in the cache for the directory's generation.
PAGE_QUERIES = 6
LABEL_QUERIES = 2


@pytest.mark.parametrize("size", [5, 40])
def test_search_page_query_count_does_not_grow_with_results(
    client, directory, django_assert_num_queries, django_assert_max_num_queries, size
):
    """Guards against N+1: competences, sectors and experience counts are fetched per page, not per row."""
    from institutions.models import Competence, Sector

    sector = Sector.objects.get(code="14030")
    organisations = Organisation.objects.bulk_create(
        [Organisation(name_fr=f"Commune {n:02}", slug=f"c-{n}", country="FR") for n in range(size)]
    )
    Competence.objects.bulk_create([Competence(organisation=o, sector=sector) for o in organisations])
    refresh_search_documents(Organisation.objects.all())
    rebuild_facet_values()
    with django_assert_num_queries(PAGE_QUERIES + LABEL_QUERIES):
        response = client.get("/en/?country=FR&page=2")
    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get("/en/?country=FR")
    assert len(response.context["page"].object_list) == min(size + 2, 20)
    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get("/en/?country=FR&sort=-updated")
    assert len(response.context["page"].object_list) == min(size + 2, 20)
    # Relevance: the text's ids in order, then which of them meet the other criteria (no COUNT, no page query).
    # (the first page in French: its sector and donor names are not in the cache yet)
    with django_assert_max_num_queries(PAGE_QUERIES + TEXT_QUERIES + LABEL_QUERIES):
        response = client.get("/fr/?q=commune&sector=140&page=2")
    assert response.context["page"].paginator.count == size


# --- with the demo data (run once load_demo has landed) ---------------------------------------------

demo_data = pytest.mark.skipif("load_demo" not in get_commands(), reason="needs manage.py load_demo")


@demo_data
@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(
    "params",
    [
        {"q": "AIMF"},
        {"q": "maires francophones"},
        {"q": "Ouagadougou"},
        {"q": "décentralisation"},
        {"q": "decentralisation"},
        {"sector": "14030"},
        {"sector": "140"},
        {"worked_in": "CI"},
    ],
)
def test_demo_aimf_is_found(client, demo, lang, params):
    assert "aimf" in every_slug(client.get(f"/{lang}/", {**params, "page": "1"}, follow=True))


@demo_data
def test_demo_aimf_is_not_in_education_policy(client, demo):
    response = client.get("/en/", {"sector": "11110"}, follow=True)
    assert "aimf" not in every_slug(response)


@demo_data
@postgresql_only
def test_demo_typo_finds_aimf(client, demo):
    response = client.get("/fr/", {"q": "Ouagadogou"}, follow=True)
    assert "aimf" in every_slug(response)
