"""What each search result shows (institutions/views.py result_rows, the result_items tag) and which facet
values the page offers (filters.facet_vocabulary), in both languages."""

import datetime

import pytest
from django.utils import timezone

from experiences.models import Experience
from institutions.models import Competence, Organisation, Sector, SectorCategory

TRANSLATED = {
    "fr": {"kind": "Commune", "place": "Thiès, Sénégal", "water": "Eau potable", "policy": "Politique de l'eau"},
    "en": {"kind": "Municipality", "place": "Thiès, Senegal", "water": "Drinking water", "policy": "Water policy"},
}


@pytest.fixture
def thies(no_sectors):
    water = SectorCategory.objects.create(code="140", name_fr="Eau", name_en="Water")
    drinking = Sector.objects.create(code="14030", name_fr="Eau potable", name_en="Drinking water", category=water)
    policy = Sector.objects.create(code="14010", name_fr="Politique de l'eau", name_en="Water policy", category=water)
    other = Sector.objects.create(code="14020", name_fr="Assainissement", name_en="Sanitation", category=water)
    thies = Organisation.objects.create(
        slug="thies", name_fr="Ville de Thiès", name_en="City of Thiès", acronym="VDT", kind="municipality",
        city="Thiès", country="SN",
    )
    # Created out of rank order; two share rank 2, so the first created of them comes first.
    Competence.objects.create(organisation=thies, sector=other, rank=3)
    Competence.objects.create(organisation=thies, sector=policy, rank=2)
    Competence.objects.create(organisation=thies, sector=drinking, rank=1)
    Experience.objects.create(organisation=thies, role="partner", start_date=datetime.date(2020, 1, 1))
    return thies


def row(client, lang, **params):
    response = client.get(f"/{lang}/", params, follow=True)
    assert response.status_code == 200
    (found,) = [r for r in response.context["page"].object_list if r.slug == "thies"]
    return found, response.content.decode()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_result_shows_name_kind_place_competences_by_rank_experiences_and_date(client, thies, lang):
    words = TRANSLATED[lang]
    found, html = row(client, lang)
    assert found.url == f"/{lang}/organisations/thies/"
    assert found.name == ("Ville de Thiès" if lang == "fr" else "City of Thiès")
    assert (found.acronym, found.kind, found.place) == ("VDT", words["kind"], words["place"])
    assert found.competences == [words["water"], words["policy"], "Assainissement" if lang == "fr" else "Sanitation"]
    assert found.experiences == ("1 expérience" if lang == "fr" else "1 experience")
    assert f'<a href="/{lang}/organisations/thies/">{found.name}</a> <span class="acronym">(VDT)</span>' in html
    assert ("Codes détaillés" if lang == "fr" else "Detailed codes") in html  # the sector codes' list
    updated = timezone.localtime(thies.updated).date().isoformat()  # a valid datetime value: the day
    assert f'<time datetime="{updated}">' in html


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_experience_count_is_plural_from_two(client, thies, lang):
    Experience.objects.create(organisation=thies, role="partner", start_date=datetime.date(2021, 1, 1))
    found, _html = row(client, lang)
    assert found.experiences == ("2 expériences" if lang == "fr" else "2 experiences")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_same_row_comes_from_the_sql_sorts(client, thies, lang):
    """sort=-updated is ordered by SQL, not the facet index: the row is built the same way."""
    assert row(client, lang, sort="-updated")[0] == row(client, lang)[0]


def test_a_result_without_city_or_competence_shows_neither(client, db):
    Organisation.objects.create(slug="thies", name_fr="Thiès", country="SN")
    found, html = row(client, "fr")
    assert (found.place, found.competences) == ("Sénégal", [])
    assert "Compétences" not in html.split('<ol class="result-list"')[1]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_row_follows_edits_at_once(client, thies, lang):
    """The number of experiences and the competences come from the facet index (index.summary): an edit
    shows on the next page, as it does in SQL."""
    words = TRANSLATED[lang]
    Experience.objects.create(organisation=thies, role="partner", start_date=datetime.date(2021, 1, 1))
    first = Competence.objects.get(organisation=thies, sector__code="14030")
    first.rank = 4
    first.save()
    found, _html = row(client, lang)
    assert found.experiences == ("2 expériences" if lang == "fr" else "2 experiences")
    assert found.competences == [words["policy"], "Assainissement" if lang == "fr" else "Sanitation", words["water"]]
    Experience.objects.filter(organisation=thies).delete()
    Competence.objects.filter(organisation=thies).exclude(sector__code="14010").delete()
    found, _html = row(client, lang)
    assert (found.experiences, found.competences) == (("0 expérience" if lang == "fr" else "0 experiences"),
                                                      [words["policy"]])


# --- facet values -----------------------------------------------------------------------------------


def facet(response, name):
    return [(i["value"], i["label"], i["count"], i["selected"]) for i in response.context["facets"][name]]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_chosen_value_that_names_nothing_is_shown_ticked(client, thies, lang):
    """A shared link may carry a sector code or donor that does not exist: it stays visible, so it can be
    unticked, instead of silently emptying the results."""
    response = client.get(f"/{lang}/", {"sector": "99999", "donor": "424242"}, follow=True)
    assert response.context["page"].paginator.count == 0
    assert ("99999", "99999", 0, True) in facet(response, "sector")
    assert facet(response, "donor") == [("424242", "424242", 0, True)]
    html = response.content.decode()
    assert 'name="donor" value="424242" id="id_donor_424242" checked' in html
    # Without them, neither is offered.
    plain = client.get(f"/{lang}/", follow=True)
    assert "99999" not in [v for v, *_ in facet(plain, "sector")]
    assert facet(plain, "donor") == []


def test_countries_are_listed_by_name_ignoring_accents(client, db):
    for code in ("ES", "EG", "DK"):
        Organisation.objects.create(slug=code.lower(), name_fr=code, country=code)
    # French: Danemark, Égypte, Espagne (É with the E's, not after Z).
    assert [v for v, *_ in facet(client.get("/fr/", follow=True), "country")] == ["DK", "EG", "ES"]
    # English: Denmark, Egypt, Spain.
    assert [v for v, *_ in facet(client.get("/en/", follow=True), "country")] == ["DK", "EG", "ES"]
    Organisation.objects.create(slug="ee", name_fr="EE", country="EE")  # Estonie / Estonia
    assert [v for v, *_ in facet(client.get("/fr/", follow=True), "country")] == ["DK", "EG", "ES", "EE"]
    assert [v for v, *_ in facet(client.get("/en/", follow=True), "country")] == ["DK", "EG", "EE", "ES"]


# --- page links and facet markup built in Python -----------------------------------------------------


def test_page_links_mark_the_current_page_name_the_others_and_escape_urls():
    from django.template.loader import render_to_string

    html = render_to_string("directory/_page_links.html", {"page_links": [
        {"number": 1, "url": "/en/?q=a&b", "current": False},
        {"gap": True},
        {"number": 7, "url": "/en/?page=7", "current": True},
        {"number": 8, "url": '/en/?q="8"', "current": False},
    ]})
    assert html.strip().split("\n") == [
        '<li><a href="/en/?q=a&amp;b" aria-label="Page 1">1</a></li>',
        '<li><span aria-hidden="true">…</span></li>',
        '<li><a href="/en/?page=7" aria-current="page">7</a></li>',
        '<li><a href="/en/?q=&quot;8&quot;" aria-label="Page 8">8</a></li>',
    ]


@pytest.mark.parametrize(("lang", "label"), [("fr", "Page 2"), ("en", "Page 2")])
def test_the_search_page_links_its_other_pages_by_name(client, db, lang, label):
    for i in range(25):
        Organisation.objects.create(slug=f"o-{i}", name_fr=f"Org {i:02}", name_en=f"Org {i:02}", country="SN")
    html = client.get(f"/{lang}/", follow=True).content.decode()
    assert f'<a href="/{lang}/" aria-current="page">1</a>' in html
    assert f'<a href="/{lang}/?page=2" aria-label="{label}">2</a>' in html


def test_a_facet_name_is_escaped_once():
    from django.template.loader import render_to_string

    items = [{"value": "v", "label": "L", "count": 1, "selected": False}]
    html = render_to_string("directory/_facet.html", {"name": "a&b", "legend": "Legend", "items": items})
    assert 'id="facet-a&amp;b"' in html and 'name="a&amp;b"' in html
    assert "&amp;amp;" not in html
