"""Free text on the demo data (institutions/search.py): what a visitor types finds what they mean, by word,
in both languages, on SQLite and PostgreSQL alike; and every kind of edit reaches the index."""

import io
import os
from decimal import Decimal

import pytest
from django.core import serializers
from django.core.management import call_command

from experiences.models import Donor, Experience, ExperienceCountry, Funding
from institutions.models import Competence, Organisation, SearchEntry, Sector, SectorCategory
from institutions.search import clean_query, experience_ids, ranked_ids, suggestion

postgresql_only = pytest.mark.postgresql


def found(q):
    """Slugs of the published organisations matching q, in relevance order."""
    slugs = dict(Organisation.objects.published().values_list("pk", "slug"))
    return [slugs[pk] for pk in ranked_ids(q) if pk in slugs]


AIMF = "aimf"
KEROUAN = "commune-de-kerouan"
VALMEIRA = "regiao-de-valmeira"
KOSSAMBA = "ville-de-kossamba"
TERANGA = "federation-des-communes-de-la-teranga-nord"
SAHEL = "reseau-sahel-eau-des-villes"
VALDORNA = "consorzio-comuni-della-valdorna"
TARQUENA = "municipalidad-de-villa-tarquena"
ZEMRA = "conseil-regional-de-oued-zemra"
MIRAVAL = "departamento-de-alto-miraval"
NYARUZI = "association-of-lakeshore-local-governments-of-nyaruzi"
TWINS = "reseau-mondial-des-villes-jumelles-pour-la-culture"
LUMEN = "agence-de-cooperation-intercommunale-lumen"
LAC_YEN = "thi-xa-lac-yen"
HIDDEN = "commune-de-saint-fictif-des-pres"  # unpublished
ALL = {
    AIMF, KEROUAN, VALMEIRA, KOSSAMBA, TERANGA, SAHEL, VALDORNA, TARQUENA, ZEMRA, MIRAVAL, NYARUZI, TWINS, LUMEN,
    LAC_YEN,
}  # fmt: skip
WATER = {AIMF, KEROUAN, SAHEL, MIRAVAL}  # basic drinking water (14030, 14031): competence or experience sector
BURKINA = {AIMF, KEROUAN, SAHEL, TWINS}  # Burkina Faso: where they worked (none is based there)
# A competence in category 140 "Water supply & sanitation" / "Distribution d'eau et assainissement"
CATEGORY_140 = {AIMF, KEROUAN, SAHEL, VALDORNA, MIRAVAL, NYARUZI, LAC_YEN}

# (query, organisations expected among the first results, organisations that must not appear[, how many
# first results: len(expected) unless given])
MUST_FIND = [
    # sectors, in French and English, by name and by code (competences and experiences)
    ("Approvisionnement en eau potable", WATER, ALL - WATER),
    ("Basic drinking water", WATER, ALL - WATER),
    ("eau potable", WATER, {TWINS, KOSSAMBA}),
    ("14030", {AIMF, SAHEL, KEROUAN}, ALL - {AIMF, SAHEL, KEROUAN}),
    ("15111", {LUMEN, AIMF}, ALL - {LUMEN, AIMF}),
    ("14050", {KEROUAN, VALDORNA, NYARUZI}, {AIMF, SAHEL}),
    # (Valmeira's sectors read "gestion du territoire", "financement", "administration publique": stems)
    ("Gestion des finances publiques", {LUMEN, AIMF, VALMEIRA}, {SAHEL, KEROUAN}),
    ("Public finance management", {LUMEN, AIMF}, {SAHEL, KEROUAN}),
    # sector categories, by name and code
    ("Water supply & sanitation", CATEGORY_140, ALL - CATEGORY_140),
    ("Distribution d'eau et assainissement", CATEGORY_140, ALL - CATEGORY_140),
    ("140", CATEGORY_140, ALL - CATEGORY_140),
    # countries of experiences and of organisations, in both languages
    ("Burkina", BURKINA, ALL - BURKINA),
    ("Burkina Faso", BURKINA, ALL - BURKINA),
    ("Cameroun", {AIMF}, ALL - {AIMF}),
    ("Cameroon", {AIMF}, ALL - {AIMF}),
    ("Sénégal", {TERANGA, SAHEL, TWINS, LUMEN}, {AIMF, KEROUAN}),
    ("senegal", {TERANGA, SAHEL, TWINS, LUMEN}, {AIMF, KEROUAN}),
    ("Suisse", {LUMEN}, ALL - {LUMEN}),
    ("Switzerland", {LUMEN}, ALL - {LUMEN}),
    ("Ouganda", {NYARUZI}, ALL - {NYARUZI}),
    ("Pérou", {TARQUENA}, ALL - {TARQUENA}),
    ("Peru", {TARQUENA}, ALL - {TARQUENA}),
    # donors, by acronym and by name in both languages
    ("ANE-AL", {AIMF, VALMEIRA, TERANGA, SAHEL, VALDORNA, ZEMRA, LUMEN}, {KEROUAN, LAC_YEN}),
    ("AEBA", {KEROUAN, SAHEL, MIRAVAL, LAC_YEN}, {AIMF, TWINS}),
    ("Agence de l'eau du bassin de l'Armorelle", {KEROUAN, SAHEL, MIRAVAL, LAC_YEN}, {AIMF, TWINS}),
    ("Armorelle Basin Water Agency", {KEROUAN, SAHEL, MIRAVAL, LAC_YEN}, {AIMF, TWINS}),
    ("FCU", {TARQUENA, TWINS}, ALL - {TARQUENA, TWINS}),
    # kinds, as their labels read in each language
    # (the kind is in the third band, where PostgreSQL lists by name: AIMF and Lumen mention regions too)
    ("Collectivité régionale", {VALMEIRA, ZEMRA, MIRAVAL}, {KEROUAN, SAHEL}, 5),
    ("Regional authority", {VALMEIRA, ZEMRA, MIRAVAL}, {KEROUAN, SAHEL}, 5),
    ("Réseau international", {TWINS, SAHEL, AIMF}, ALL - {TWINS, SAHEL, AIMF}),
    ("International network", {TWINS, SAHEL, AIMF}, ALL - {TWINS, SAHEL, AIMF}),
    # names, acronyms, cities, experience titles: accents, case, stems
    ("AIMF", {AIMF}, ALL - {AIMF}),
    ("maires francophones", {AIMF}, ALL - {AIMF}),
    ("Kerouan", {KEROUAN}, ALL - {KEROUAN}),
    ("KÉROUAN", {KEROUAN}, ALL - {KEROUAN}),
    ("lac yen", {LAC_YEN}, ALL - {LAC_YEN}),
    ("Liege", {TWINS}, ALL - {TWINS}),
    ("Korhogo", {LUMEN}, ALL - {LUMEN}),
    ("cantine scolaire", {TERANGA}, ALL - {TERANGA}),
    ("mayors Cameroon water", {AIMF}, ALL - {AIMF}),
    # word, not substring: "eau" never finds "Réseau" nor "beau..."
    ("eau", {SAHEL}, {TWINS, KOSSAMBA}),
    ("eaux", {SAHEL}, {TWINS, KOSSAMBA}),
    ("beau", set(), ALL),
    ("réseau", {TWINS, SAHEL}, {MIRAVAL, LAC_YEN}),
    # the unpublished one is found by ranked_ids but never among the published
    ("Saint-Fictif", set(), ALL),
    ("Madagascar", set(), ALL),
]


@pytest.mark.parametrize("case", MUST_FIND, ids=[case[0] for case in MUST_FIND])
def test_must_find(demo, case):
    q, expected, absent, first = (*case, len(case[1]))[:4]
    results = found(q)
    assert expected <= set(results[:first]), results
    assert not set(results) & absent, results


def test_must_find_list_is_long_enough():
    assert len(MUST_FIND) >= 30


def test_ranked_ids_includes_unpublished_organisations(demo):
    hidden = Organisation.objects.get(slug=HIDDEN)
    assert ranked_ids("Saint-Fictif") == [hidden.pk]
    assert ranked_ids("") == [] and ranked_ids("  \x1b ") == []


def test_name_matches_come_first_then_sectors_then_the_rest(demo):
    # "water": in the name of the Sahel network; in a sector or category name of the other organisations
    # of category 140; only in the text of Valmeira ("water supply" in an experience).
    results = found("water")
    assert results[0] == SAHEL
    assert set(results[1 : len(CATEGORY_140)]) == CATEGORY_140 - {SAHEL}
    assert results[len(CATEGORY_140) :] == [VALMEIRA]


def test_a_query_of_several_words_needs_them_all(demo):
    assert found("Cameroon Burkina") == [AIMF]
    assert found("Cameroon Peru") == []


@postgresql_only
def test_postgresql_phrase_and_exclusion(demo):
    # In quotes, the words side by side; -word excludes.
    assert set(found('"eau potable"')) == WATER
    assert not set(found('"potable eau"')) & WATER
    assert set(found("eau -Burkina")) == set(found("eau")) - BURKINA
    assert set(found("Cameroun or Pérou")) == {AIMF, TARQUENA}


def test_phrase_and_exclusion_on_sqlite_too(demo):
    assert set(found("eau -Burkina")) == set(found("eau")) - BURKINA
    assert set(found('"eau potable"')) == WATER
    assert set(found("Cameroun or Pérou")) == {AIMF, TARQUENA}


def test_a_query_that_only_excludes_finds_nothing_on_either_database(demo):
    """PostgreSQL alone would match every document without the word, SQLite nothing: both find nothing."""
    assert found("eau") and found("-eau") == [] and found("-eau -burkina") == []
    assert experience_ids("eau") and experience_ids("-eau") == []


@postgresql_only
def test_postgresql_suggests_a_known_word_for_a_typo(demo):
    assert "ouagadougou" in suggestion("Ouagadogou")
    assert suggestion("eau Ouagadogou") == "eau ouagadougou"
    assert suggestion("Ouagadougou") is None  # every word matches
    assert suggestion("") is None


@pytest.mark.sqlite
def test_sqlite_makes_no_suggestion(demo):
    assert suggestion("Ouagadogou") is None


# --- every kind of edit reaches the index ------------------------------------------------------------


def test_partner_style_save_of_experience_countries_and_sectors(demo):
    """What the partner form saves: the experience, its countries (rows) and its sectors (m2m)."""
    experience = Organisation.objects.get(slug=TARQUENA).experiences.first()
    assert TARQUENA not in found("Madagascar") and TARQUENA not in found("43081")
    ExperienceCountry.objects.create(experience=experience, country="MG")
    experience.sectors.add(Sector.objects.get(code="43081"))
    assert TARQUENA in found("Madagascar") and TARQUENA in found("43081")
    experience.countries.filter(country="MG").delete()
    experience.sectors.remove(Sector.objects.get(code="43081"))
    assert TARQUENA not in found("Madagascar") and TARQUENA not in found("43081")


def test_competence_change(demo):
    lumen = Organisation.objects.get(slug=LUMEN)
    assert LUMEN not in found("14010")
    competence = Competence.objects.create(organisation=lumen, sector=Sector.objects.get(code="14010"), rank=5)
    assert LUMEN in found("14010")
    competence.delete()
    assert LUMEN not in found("14010")


def test_a_fixture_load_refreshes_after_it_not_row_by_row(demo):
    """loaddata saves raw rows (the database may be half loaded): no entry is refreshed for them, until
    manage.py refresh_search, as the facet values."""
    lumen = Organisation.objects.get(slug=LUMEN)
    lumen.city = "Zigouzouville"
    (raw,) = serializers.deserialize("json", serializers.serialize("json", [lumen]))
    raw.save()
    competence = Competence(organisation=lumen, sector=Sector.objects.get(code="14010"), rank=5)
    (raw,) = serializers.deserialize("json", serializers.serialize("json", [competence]))
    raw.save()
    assert LUMEN not in found("Zigouzouville") and LUMEN not in found("14010")
    call_command("refresh_search", stdout=io.StringIO())
    assert LUMEN in found("Zigouzouville") and LUMEN in found("14010")


def test_sector_and_category_renames_as_load_sectors_saves_them(demo):
    """load_sectors saves each changed sector or category: the organisations using it follow."""
    sector = Sector.objects.get(code="14030")
    sector.name_fr, sector.name_en = "Zigouzou potable", "Zigouzou drinking"
    sector.save()
    assert set(found("zigouzou")) == {AIMF, SAHEL, KEROUAN}
    category = SectorCategory.objects.get(code="151")
    category.name_en = "Quuxgovernance"
    category.save()
    assert AIMF in found("quuxgovernance") and KOSSAMBA in found("quuxgovernance")


def test_donor_rename(demo):
    donor = Donor.objects.get(acronym="FCU")
    donor.acronym = "XYZZY"
    donor.save()
    assert set(found("xyzzy")) == {TARQUENA, TWINS}
    assert not found("FCU")


def test_new_reference_rows_refresh_no_entry(demo, django_assert_num_queries):
    """A new donor, sector or category names no organisation yet: adding one writes its row (and a donor's
    history row), nothing else; a sector's search text and facet values follow its later changes (above)."""
    category = SectorCategory(code="999", name_fr="Zigouzou", name_en="Zigouzou")
    donor, sector = Donor(name_fr="Zigouzou", name_en="Zigouzou"), Sector(code="99901", category=category)
    for row, writes in [(donor, 2), (category, 1), (sector, 1)]:
        with django_assert_num_queries(writes):
            row.save()
    assert not found("zigouzou")


def test_funding_and_experience_changes(demo):
    sahel = Organisation.objects.get(slug=SAHEL)
    experience = sahel.experiences.get(title_fr__startswith="Université")
    donor = Donor.objects.get(acronym="FCU")
    funding = Funding.objects.create(experience=experience, donor=donor, amount=Decimal("1"))
    assert SAHEL in found("FCU")
    funding.delete()
    assert SAHEL not in found("FCU")
    experience.results_en = "Flibbertigibbet"
    experience.save()
    assert found("flibbertigibbet") == [SAHEL]
    experience.delete()
    assert found("flibbertigibbet") == []


def test_organisation_edit_and_delete(demo):
    kossamba = Organisation.objects.get(slug=KOSSAMBA)
    kossamba.country = "GH"
    kossamba.save()
    assert KOSSAMBA in found("Ghana")
    pk = kossamba.pk
    kossamba.delete()
    assert pk not in ranked_ids("Kossamba")


def test_bulk_refresh_search_command(demo):
    """Text changed without signals (an update() or an import that bypasses them) shows once the command
    has run; the command writes only what changed."""
    Experience.objects.filter(organisation__slug=AIMF).update(title_en="Quokka programme")
    assert found("quokka") == []
    with open(os.devnull, "w") as quiet:
        call_command("refresh_search", stdout=quiet)
    assert found("quokka") == [AIMF]
    assert SearchEntry.objects.filter(document__contains="quokka").count() == 1


@pytest.mark.parametrize("q", ["- " * 100, "-" * 150, "eau - - -", "--eau"])
def test_dashes_that_exclude_no_word_are_no_error(client, directory, q):
    """Many "-" starting no word overflowed PostgreSQL's websearch parser ("tsquery stack too small"): a 500
    on both search pages. A dash that starts no word excludes nothing, so it is dropped; "--eau" is "-eau"."""
    for url in ("/fr/", "/fr/experiences/"):
        assert client.get(url, {"q": q}, follow=True).status_code == 200, url
    assert clean_query("--eau") == "-eau" and clean_query("eau - -").split() == ["eau"]
