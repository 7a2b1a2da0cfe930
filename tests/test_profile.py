"""The public profile page and its print view: every field of the seed page, in both languages."""

import datetime
import html
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from experiences.models import Donor, Experience
from tests.factories import add_experience, make_aimf


def text_of(response):
    """The page as a reader sees it: entities decoded, every kind of space made a plain one."""
    content = html.unescape(response.content.decode())
    return re.sub(r"[\u00a0\u202f]", " ", content)


def profile_url(lang, slug="aimf", name="directory:profile"):
    with translation.override(lang):
        return reverse(name, kwargs={"slug": slug})


# --- Every field of the seed, in English and in French -------------------------------------------


def test_it_shows_every_seed_field_in_english(client, aimf):
    response = client.get(profile_url("en"))
    assert response.status_code == 200
    page = text_of(response)
    for label in [
        "General information", "Organisation", "Acronym / Name", "Street & Number", "ZIP", "City", "Country",
        "Website", "E-mail address organisation", "Telephone number", "Fax number", "General Description",
        "Competences", "Up to 5 fields of competences (OECD Sector Classification)", "Experiences",
        "Action title", "Sector(s)", "Cost of the action (EUR)", "Role in the action", "Donors to the action",
        "Amount contributed by donor", "Dates", "Objectives and results of the action",
        "Print this page", "Last updated:", "International network",
    ]:
        assert label in page, label
    for value in [
        "International Association of Francophone Mayors", "AIMF", "Rue des Halles 9", "75001", "Paris",
        "France", "AIMF is a network of francophone cities",
        # Competences in rank order, English names.
        "Basic drinking water supply and basic sanitation", "Public finance management",
        "Decentralisation and support to subnational government",
        "Democratic participation and civil society",
        "Promotion of development awareness (non-sector allocable)",
        # Experiences.
        "Civilian peace-building, conflict prevention and resolution", "Urban development and management",
        "Ivory Coast", "Burkina Faso", "Cameroon", "Congo", "Coordinator", "CE – ANE-AL",
        "€1,100,000", "€717,744.50", "€830,000", "€500,000",
        "1 Jan 2010 – 31 Dec 2013", "1 Jan 2009 – 30 Apr 2012",
        "Strengthen partnerships and South-South", "The territorial expertise is strengthening.",
    ]:
        assert value in page, value
    assert '<a href="http://www.aimf.asso.fr" rel="external">www.aimf.asso.fr</a>' in page
    assert '<a href="mailto:sp@aimf.asso.fr">sp@aimf.asso.fr</a>' in page
    assert '<a href="tel:+33144882288">+33 14 48 82 288</a>' in page
    assert "33140390662" in page


def test_it_shows_every_seed_field_in_french(client, aimf):
    response = client.get(profile_url("fr"))
    assert response.status_code == 200
    page = text_of(response)
    for label in [
        "Informations générales", "Acronyme / Nom", "Rue et numéro", "Code postal", "Ville", "Pays",
        "Site web", "Adresse e-mail de l'organisation", "Numéro de téléphone", "Numéro de fax",
        "Description générale", "Compétences", "Expériences", "Intitulé de l'action", "Secteur(s)",
        "Coût de l'action (EUR)", "Rôle dans l'action", "Bailleurs de l'action",
        "Montant de la contribution du bailleur", "Objectifs et résultats de l'action",
        "Imprimer cette page", "Réseau international",
    ]:
        assert label in page, label
    for value in [
        "Association internationale des maires francophones", "L'AIMF est un réseau de villes",
        "Approvisionnement en eau potable et assainissement - dispositifs de base",
        "Gestion des finances publiques", "Décentralisation et soutien aux administrations infranationales",
        "Participation démocratique et société civile", "Développement et gestion urbaine",
        "Côte d'Ivoire", "Burkina Faso", "Cameroun", "Coordinateur",
        "1 100 000 €", "717 744,50 €", "830 000 €", "500 000 €",
        "01/01/2010 – 31/12/2013", "01/01/2009 – 30/04/2012",
        "Renforcer les partenariats et le dialogue interculturel Sud-Sud",
    ]:
        assert value in page, value
    assert "€1,100,000" not in page
    assert "Basic drinking water supply" not in page


def test_competences_are_in_rank_order(client, aimf):
    page = text_of(client.get(profile_url("en")))
    positions = [page.index(name) for name in [
        "Basic drinking water supply and basic sanitation", "Public finance management",
        "Decentralisation and support to subnational government",
        "Democratic participation and civil society",
        "Promotion of development awareness",
    ]]
    assert positions == sorted(positions)


def test_line_breaks_of_objectives_are_kept(client, aimf):
    page = client.get(profile_url("en")).content.decode()
    assert "South-South cross-cultural dialogue<br>(ii) Contribution" in page


def test_an_ongoing_experience_reads_since(client, aimf):
    add_experience(aimf, title_en="Ongoing work", start_date=datetime.date(2020, 1, 1), end_date=None)
    assert "since 1 Jan 2020" in text_of(client.get(profile_url("en")))
    assert "depuis le 01/01/2020" in text_of(client.get(profile_url("fr")))


def test_several_donors_each_show_their_amount(client, aimf):
    other = Donor.objects.create(acronym="AFD", name_en="French Development Agency")
    experience = aimf.experiences.get(cost=Decimal("1100000"))
    experience.fundings.create(donor=other, amount=Decimal("100000"))
    page = text_of(client.get(profile_url("en")))
    assert "CE – ANE-AL: €830,000" in page
    assert "AFD: €100,000" in page
    assert "AFD : 100 000 €" in text_of(client.get(profile_url("fr")))


# --- Fallback to the other language, with a note ------------------------------------------------


def test_english_page_shows_french_text_with_a_note_when_english_is_missing(client, sectors):
    make_aimf(name_en="", description_en="")
    page = client.get(profile_url("en")).content.decode()
    assert "Association internationale des maires francophones" in page
    assert '<div class="prose" lang="fr"><p>L&#x27;AIMF est un réseau' in page
    assert "Available in French only" in page


def test_french_page_shows_english_text_with_a_note_when_french_is_missing(client, sectors):
    make_aimf(description_fr="")
    page = client.get(profile_url("fr")).content.decode()
    assert '<div class="prose" lang="en"><p>AIMF is a network' in page
    assert "Disponible en anglais uniquement" in page


def test_no_fallback_note_when_the_text_exists_in_the_language(client, aimf):
    assert "Available in" not in client.get(profile_url("en")).content.decode()
    assert "Disponible en" not in client.get(profile_url("fr")).content.decode()


def test_experience_title_and_texts_fall_back_too(client, aimf):
    add_experience(aimf, title_fr="Seulement en français", objectives_fr="Objectif français")
    page = client.get(profile_url("en")).content.decode()
    assert 'lang="fr">Seulement en français</h3>' in page
    assert '<div class="prose" lang="fr"><p class="sublabel">Objectives</p><p>Objectif français</p>' in page
    assert page.count("Available in French only") == 2


# --- Who may see what --------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("name", ["directory:profile", "directory:profile_print"])
def test_an_unpublished_organisation_is_not_found(client, sectors, lang, name):
    make_aimf(published=False)
    assert client.get(profile_url(lang, name=name)).status_code == 404


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_an_unknown_slug_is_not_found(client, aimf, lang):
    assert client.get(profile_url(lang, slug="nobody")).status_code == 404


def test_typed_text_is_escaped(client, sectors):
    make_aimf(description_en='<script>alert("x")</script>', name_en="<b>Bold</b>")
    page = client.get(profile_url("en")).content.decode()
    assert '<script>alert("x")' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<b>Bold</b>" not in page


def test_typed_text_of_experiences_and_donors_is_escaped(client, sectors):
    """The experiences' markup is built in Python (experience_articles): every text must still be escaped."""
    organisation = make_aimf()
    donor = Donor.objects.create(acronym="<i>D</i>", name_en='Donor "<u>x</u>"')
    other = Donor.objects.create(name_en="<s>Plain</s>")
    add_experience(
        organisation, title_en="<em>Title</em>", objectives_en="<script>o()</script>\nnext line",
        results_en="a & b", fundings=[(donor, Decimal("5")), (other, Decimal("6"))],
    )
    page = client.get(profile_url("en")).content.decode()
    for raw in ("<em>Title</em>", "<script>o()", "<i>D</i>", "<u>x</u>", "<s>Plain</s>", "a & b"):
        assert raw not in page
    assert "&lt;em&gt;Title&lt;/em&gt;</h3>" in page
    assert "<p>&lt;script&gt;o()&lt;/script&gt;<br>next line</p>" in page
    assert '<abbr title="Donor &quot;&lt;u&gt;x&lt;/u&gt;&quot;">&lt;i&gt;D&lt;/i&gt;</abbr>' in page
    assert "<li>&lt;s&gt;Plain&lt;/s&gt;</li>" in page
    assert "&lt;i&gt;D&lt;/i&gt;: €5" in page
    assert "<p>a &amp; b</p>" in page


def test_an_experience_shows_only_the_fields_it_has(client, aimf):
    """No sector, country, cost, donor or text: those lines are left out, the title, role and dates stay."""
    Experience.objects.filter(organisation=aimf).delete()
    add_experience(aimf, title_en="Bare action", role=Experience.Role.PARTNER, start_date=datetime.date(2011, 2, 3),
                   end_date=datetime.date(2012, 3, 4))
    page = text_of(client.get(profile_url("en")))
    assert "Bare action" in page
    assert "Partner" in page
    assert "3 Feb 2011 – 4 Mar 2012" in page
    for label in ("Sector(s)", "Cost of the action", "Donors to the action", "Amount contributed", "Objectives"):
        assert label not in page
    assert "No experience recorded yet." not in page


@pytest.mark.parametrize(("lang", "empty"), [("en", "No experience recorded yet."),
                                             ("fr", "Aucune expérience enregistrée pour l'instant.")])
def test_an_organisation_without_experiences_says_so(client, aimf, lang, empty):
    assert empty not in text_of(client.get(profile_url(lang)))
    Experience.objects.filter(organisation=aimf).delete()
    assert empty in text_of(client.get(profile_url(lang)))


def test_experiences_are_newest_first(client, aimf):
    add_experience(aimf, title_en="Oldest one", start_date=datetime.date(1990, 1, 1))
    add_experience(aimf, title_en="Newest one", start_date=datetime.date(2030, 1, 1))
    titles = re.findall(r'<h3 id="experience-\d+">(.*?)</h3>', client.get(profile_url("en")).content.decode())
    assert titles == [
        "Newest one",
        "Civilian peace-building, conflict prevention and resolution",  # 2010
        "Public sector policy and administrative management",  # 2009
        "Oldest one",
    ]


# --- Structured data ---------------------------------------------------------------------------------


def jsonld_of(response):
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S)
    assert match, "no JSON-LD block"
    return json.loads(match.group(1))


@pytest.mark.parametrize(("lang", "name"), [
    ("en", "International Association of Francophone Mayors"),
    ("fr", "Association internationale des maires francophones"),
])
def test_it_has_schema_org_jsonld(client, aimf, lang, name):
    data = jsonld_of(client.get(profile_url(lang)))
    assert data["@type"] == "Organization"
    assert data["name"] == name
    assert data["alternateName"] == "AIMF"
    assert data["email"] == "sp@aimf.asso.fr"
    assert data["address"]["postalCode"] == "75001"
    assert data["address"]["addressCountry"] == "FR"
    assert data["url"].endswith(f"/{lang}/organisations/aimf/")


def test_jsonld_cannot_close_its_script_element(client, sectors):
    make_aimf(description_en="</script><script>alert(1)</script> & more")
    response = client.get(profile_url("en"))
    assert "</script><script>alert(1)" not in response.content.decode()
    assert jsonld_of(response)["description"].startswith("</script><script>alert(1)</script> & more")


# --- Print view --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "expected"), [("en", "€1,100,000"), ("fr", "1 100 000 €")])
def test_print_view_has_the_content_without_the_navigation(client, aimf, lang, expected):
    response = client.get(profile_url(lang, name="directory:profile_print"))
    assert response.status_code == 200
    page = text_of(response)
    assert expected in page
    assert "sp@aimf.asso.fr" in page
    assert 'class="site-header"' not in page
    assert "partners/login" not in page


@pytest.mark.parametrize(("lang", "label"), [("en", "Print this page"), ("fr", "Imprimer cette page")])
def test_profile_links_its_print_view(client, aimf, lang, label):
    page = text_of(client.get(profile_url(lang)))
    assert f'<a href="{profile_url(lang, name="directory:profile_print")}">{label}</a>' in page


# --- Query count -------------------------------------------------------------------------------------


def test_profile_query_count_does_not_grow_with_experiences(client, aimf, django_assert_num_queries):
    """Guards against N+1: sectors, countries, donors and participants of every experience come in one query
    each; the actions as a partner in one, who it worked with in one (tests/test_partnerships.py)."""
    with django_assert_num_queries(9):
        assert client.get(profile_url("en")).status_code == 200
    donor = Donor.objects.first()
    for n in range(10):
        add_experience(aimf, title_en=f"More {n}", sectors=["15112"], countries=["SN", "ML"],
                       fundings=[(donor, Decimal("10"))])
    with django_assert_num_queries(9):
        response = client.get(profile_url("en"))
    assert text_of(response).count("Action title") == 12
    with django_assert_num_queries(9):
        assert client.get(profile_url("en", name="directory:profile_print")).status_code == 200
