"""The order of the search page's results: by name in the page's language (accents and capitals ignored,
the other language's name when one is missing: Organisation.sort_name_<lang>) and, for a text search, name
matches first (institutions/search.py)."""

import pytest
from django.db import connection

from institutions.models import Organisation, SearchEntry
from institutions.search import ranked_ids, refresh_search_documents


def organisation(slug, name_fr="", name_en="", description_fr="", **fields):
    return Organisation.objects.create(
        slug=slug, name_fr=name_fr, name_en=name_en, description_fr=description_fr, country="FR", **fields
    )


def slugs(client, lang, **params):
    return [o.slug for o in client.get(f"/{lang}/", params, follow=True).context["page"].object_list]


@pytest.fixture
def named(db):
    organisation("zurich", "Zurich", "Zurich")
    organisation("evry", "Évry", "Evry")
    organisation("abidjan", "abidjan", "Abidjan")
    organisation("dakar", "Dakar", "")  # French only: listed by its French name in English too
    organisation("oeuvre", "", "Œuvre")  # English only
    organisation("hidden", "Aaa hidden", "Aaa hidden", published=False)


def test_name_order_ignores_accents_and_capitals(client, named):
    assert slugs(client, "fr") == ["abidjan", "dakar", "evry", "oeuvre", "zurich"]


def test_name_order_uses_the_page_language_with_fallback(client, named):
    Organisation.objects.filter(slug="zurich").update(name_en="Bern office")
    Organisation.objects.filter(slug="zurich").first().save()  # a save sets the names lists sort by
    assert slugs(client, "en") == ["abidjan", "zurich", "dakar", "evry", "oeuvre"]
    assert slugs(client, "fr")[-1] == "zurich"


@pytest.fixture
def water(db):
    """Four organisations mentioning water: two in their names, two only in their descriptions."""
    organisation("b-desc", "Bamako", "Bamako", description_fr="Accès à l'eau potable")
    organisation("a-desc", "Accra", "Accra", description_fr="Eau et assainissement")
    organisation("z-name", "Zinder, régie de l'eau", "Zinder water board")
    organisation("m-name", "Maison de l'eau", "Water house")
    organisation("dry", "Désert", "Desert", description_fr="Rien à voir")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_relevance_puts_name_matches_first_then_by_name(client, water, lang):
    assert slugs(client, lang, q="eau") == ["m-name", "z-name", "a-desc", "b-desc"]


def test_sort_by_name_mixes_name_and_description_matches(client, water):
    assert slugs(client, "fr", q="eau", sort="name") == ["a-desc", "b-desc", "m-name", "z-name"]


def test_relevance_pages_continue_across_the_two_groups(client, db):
    """25 results, 3 of them by name: page 1 holds those 3 then 17 others, page 2 the last 5, no repeat."""
    for n in range(22):
        organisation(f"text-{n:02}", f"Commune {n:02}", description_fr="jumelage")
    for n in range(3):
        organisation(f"name-{n}", f"Comité de jumelage {n}")
    first = slugs(client, "fr", q="jumelage")
    second = slugs(client, "fr", q="jumelage", page=2)
    assert first[:3] == ["name-0", "name-1", "name-2"]
    assert first[3:] == [f"text-{n:02}" for n in range(17)]
    assert second == [f"text-{n:02}" for n in range(17, 22)]


def test_ranked_ids_give_every_match_name_matches_first(water):
    by_slug = dict(Organisation.objects.values_list("slug", "pk"))
    ranked = ranked_ids("eau")
    assert sorted(ranked) == sorted(by_slug[s] for s in ["a-desc", "b-desc", "m-name", "z-name"])
    assert sorted(ranked[:2]) == sorted(by_slug[s] for s in ["m-name", "z-name"])
    assert ranked_ids("   ") == []


def test_among_takes_more_ids_than_one_statement_can_have_parameters(water):
    """PostgreSQL refuses more than 65,535 parameters: the lookup sends the ids as one."""
    ids = list(Organisation.objects.values_list("pk", flat=True)) + list(range(10**6, 10**6 + 70_000))
    assert Organisation.objects.filter(pk__among=ids).count() == 5
    assert Organisation.objects.filter(pk__among=[]).count() == 0


def test_deleting_an_organisation_deletes_its_search_entry(water):
    """Its experiences' signals refresh entries during the cascade: they must not bring the entry back."""
    from experiences.models import Experience

    doomed = Organisation.objects.get(slug="m-name")
    Experience.objects.create(organisation=doomed, role="partner", start_date="2020-01-01", title_fr="Puits")
    assert "puits" in SearchEntry.objects.get(pk=doomed.pk).document
    doomed.delete()
    assert not SearchEntry.objects.filter(pk=doomed.pk).exists()


def test_refresh_makes_entries_for_organisations_without_one(water):
    SearchEntry.objects.all().delete()
    assert refresh_search_documents(Organisation.objects.all()) == 5
    assert SearchEntry.objects.count() == 5


@pytest.mark.postgresql  # a PostgreSQL planner setting
def test_planner_setting_is_restored_after_a_search(water):
    with connection.cursor() as cursor:
        ranked_ids("eau")
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_print_view_lists_in_the_page_order_with_experience_counts(client, water, lang):
    from experiences.models import Experience

    house = Organisation.objects.get(slug="m-name")
    for year in (2019, 2020):
        Experience.objects.create(organisation=house, role="partner", start_date=f"{year}-01-01", title_fr="Puits")
    rows = client.get(f"/{lang}/print/", {"q": "eau"}).context["rows"]
    assert [row.slug for row in rows] == slugs(client, lang, q="eau")
    two, none = ("2 expériences", "0 expérience") if lang == "fr" else ("2 experiences", "0 experiences")
    assert [row.experiences for row in rows] == [two, none, none, none]
