"""The demo data (fixtures/demo_data.json loaded by `manage.py load_demo`).

The AIMF record is checked field by field against the original profile page
(shared seed: institutional-database-profile-page.txt); the texts below are copied from it verbatim.
"""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db.models import Sum
from django.utils import translation

from experiences.models import Donor, Experience, ExperienceCountry
from institutions.models import Competence, Organisation, Sector

DEMO_FILE = Path(django_settings.BASE_DIR) / "fixtures" / "demo_data.json"
AIMF_FR = "Association internationale des maires francophones"
KINDS = {"municipality", "regional", "national_association", "international_network", "other"}

SEED_DESCRIPTION = (
    "AIMF is a network of francophone cities and associations of cities which share common "
    "values. Its objectives are to improve local management, to promote exchange of experience,"
    " to mobilise the expertise acquired by the cities in order to provide services in other "
    "countries and to finance development projects. AIMF has members in 50 countries.\n"
    "Its mission is to mobilise governments at all levels, as well as the civil society and "
    "international partners. Its work is based on two central themes: decentralisation and "
    "local government and sustainable socio-economic development.\n"
    "Since its creation, AIMF supported almost 1000 projects in the domains of water and "
    "decontamination, sustainable development, economic development, health, education and "
    "patrimony."
)

SEED_OBJECTIVES_1 = (
    "(i) Strengthen partnerships and South-South cross-cultural dialogue to consolidate peace "
    "and regional stability\n"
    "(ii) Contribution to strengthening the role of local authorities in the decentralisation "
    "process and enhance their recognition as regional partners on development policies"
)

SEED_RESULTS_1 = (
    "- Formal and informal meetings were held between representatives of the two countries "
    "before, during and after the crisis. They conducted intermediation actions with national "
    "authorities, particularly in the post-crisis period. The Presidents of the mayors of Ivory"
    " Coast and Burkina Faso conducted a joint approach with their Ministers specifying the "
    "role they could play in the convergence of governments (joint ministers councils, joint "
    "major projects, etc. This convergence also facilitated the resolution of obstacles, "
    "especially between these two countries, that were hindering the building and the "
    "recognition of the local authorities Platform in the West African Economic and Monetary "
    "Zone (UEMOA).\n"
    "- Action and cooperation plans were signed between LAs of both countries and CSOs, "
    "especially the organisations of the diaspora: framework agreement between Banfora and "
    "Ferkéssédou, Yamoussoukro and Koudougou, Ouagadougou and Abidjan District, Burkina North "
    "Region with Abidjan District, General Council of Bouaké and Bobo-Dioulasso city and Hauts "
    "Bassins Region. Ouagadougou and Abidjan presented a joint project to the EU. Several local"
    " authorities of IC and BF set up projects that received multilateral funding, especially "
    "from the EU."
)

SEED_OBJECTIVES_2 = (
    "Capacity building of Cameroon and Congo local authorities in order to improve social and "
    "economic living conditions of the populations in a local democratic governance context"
)

SEED_RESULTS_2 = (
    "- The territorial expertise is strengthening and local executives use a management method "
    "focused on results, and they implement local development plans.\n"
    "- The programming of territorial development is strengthening, and goes towards a greater "
    "efficiency of all local development players' actions\n"
    "- The knowledge and access to international funding by local governments is strengthening\n"
    "- Dialogue and exchanges of information and know-how between all local development players"
    " is strengthening at the local, regional and international level."
)


@pytest.fixture
def aimf(demo):
    """The demo's AIMF (the root conftest's `aimf` is built by tests/factories.py instead)."""
    return Organisation.objects.get(slug="aimf")


# -- the AIMF record, as on the original page ---------------------------------------------------------


def test_aimf_general_information(aimf):
    assert aimf.name_en == "International Association of Francophone Mayors"
    assert aimf.name_fr == "Association internationale des maires francophones"
    assert aimf.acronym == "AIMF"
    assert aimf.street == "Rue des Halles 9"
    assert aimf.zip_code == "75001"
    assert aimf.city == "Paris"
    assert aimf.country.code == "FR"
    assert aimf.website == "http://www.aimf.asso.fr"
    assert aimf.email == "sp@aimf.asso.fr"
    assert aimf.telephone == "+33 14 48 82 288"
    assert aimf.fax == "33140390662"
    assert aimf.kind == Organisation.Kind.INTERNATIONAL_NETWORK
    assert aimf.published is True


def test_aimf_name_follows_language_and_base_column_is_french(aimf):
    with translation.override("en"):
        assert Organisation.objects.get(pk=aimf.pk).name == "International Association of Francophone Mayors"
    with translation.override("fr"):
        assert Organisation.objects.get(pk=aimf.pk).name == AIMF_FR
    raw = Organisation.objects.filter(pk=aimf.pk).values_list("name", flat=True).get()
    assert raw == AIMF_FR


def test_aimf_description(aimf):
    assert aimf.description_en == SEED_DESCRIPTION
    assert aimf.description_en.count("\n") == 2  # three paragraphs
    assert aimf.description_fr.count("\n") == 2
    assert aimf.description_fr.startswith("L'AIMF est un réseau de villes")
    assert "décentralisation" in aimf.description_fr
    assert "50 pays" in aimf.description_fr


def test_aimf_competences_in_order(aimf):
    competences = list(aimf.competences.order_by("rank").select_related("sector"))
    assert [(c.rank, c.sector.code) for c in competences] == [
        (1, "14030"),
        (2, "15111"),
        (3, "15112"),
        (4, "15150"),
        (5, "99820"),
    ]
    assert [c.sector.name_en for c in competences] == [
        "Basic drinking water supply and basic sanitation",
        "Public finance management (PFM)",
        "Decentralisation and support to subnational government",
        "Democratic participation and civil society",
        "Promotion of development awareness (non-sector allocable)",
    ]


def _experience(org, title_en):
    return org.experiences.get(title_en=title_en)


def test_aimf_experience_peace_building(aimf):
    exp = _experience(aimf, "Civilian peace-building, conflict prevention and resolution")
    assert exp.title_fr
    assert sorted(s.code for s in exp.sectors.all()) == ["15220", "43030"]
    assert sorted(c.country.code for c in exp.countries.all()) == ["BF", "CI"]
    assert exp.cost == Decimal("1100000.00")
    assert isinstance(exp.cost, Decimal)
    assert exp.role == Experience.Role.COORDINATOR
    assert exp.start_date == date(2010, 1, 1)
    assert exp.end_date == date(2013, 12, 31)
    fundings = list(exp.fundings.select_related("donor"))
    assert len(fundings) == 1
    assert fundings[0].donor.acronym == "CE – ANE-AL"  # en dash
    assert fundings[0].amount == Decimal("830000.00")
    assert exp.objectives_en == SEED_OBJECTIVES_1
    assert exp.results_en == SEED_RESULTS_1
    assert exp.objectives_fr.startswith("(i) ") and "\n(ii) " in exp.objectives_fr
    assert exp.results_fr.startswith("- ") and exp.results_fr.count("\n- ") == 1


def test_aimf_experience_public_sector(aimf):
    exp = _experience(aimf, "Public sector policy and administrative management")
    assert exp.title_fr
    assert sorted(s.code for s in exp.sectors.all()) == ["15110", "43030"]
    assert sorted(c.country.code for c in exp.countries.all()) == ["CG", "CM"]
    assert exp.cost == Decimal("717744.50")
    assert exp.role == Experience.Role.COORDINATOR
    assert exp.start_date == date(2009, 1, 1)
    assert exp.end_date == date(2012, 4, 30)
    fundings = list(exp.fundings.select_related("donor"))
    assert [(f.donor.acronym, f.amount) for f in fundings] == [("CE – ANE-AL", Decimal("500000.00"))]
    assert exp.objectives_en == SEED_OBJECTIVES_2
    assert exp.results_en == SEED_RESULTS_2
    assert exp.objectives_fr and exp.results_fr.count("\n- ") == 3


def test_aimf_has_exactly_the_two_experiences(aimf):
    assert aimf.experiences.count() == 2


def test_donor_ce_ane_al(demo):
    donor = Donor.objects.get(acronym="CE – ANE-AL")
    assert donor.name_en == "European Commission – Non-State Actors and Local Authorities programme"
    assert donor.name_fr == "Commission européenne – Programme Acteurs non étatiques et autorités locales"


def test_french_texts_present(aimf):
    assert aimf.name_fr and aimf.description_fr
    for exp in aimf.experiences.all():
        assert exp.title_fr and exp.objectives_fr and exp.results_fr
        assert exp.title_fr != exp.title_en


# -- the fictional organisations ------------------------------------------------------------------------


def test_at_least_twelve_other_organisations(demo):
    assert Organisation.objects.exclude(slug="aimf").count() >= 12


def test_every_kind_and_ten_countries(demo):
    assert set(Organisation.objects.values_list("kind", flat=True)) == KINDS
    assert Organisation.objects.values("country").distinct().count() >= 10


def test_fictional_contacts_use_example_domains(demo):
    for org in Organisation.objects.exclude(slug="aimf"):
        assert ".example." in org.website or org.website.endswith((".example.org", ".example.com")), org.slug
        assert org.email.endswith(("example.org", "example.com")), org.slug


def test_each_organisation_has_competences_and_experiences(demo):
    for org in Organisation.objects.all():
        ranks = list(org.competences.order_by("rank").values_list("rank", flat=True))
        assert 1 <= len(ranks) <= 5, org.slug
        assert ranks == list(range(1, len(ranks) + 1)), org.slug
        assert 1 <= org.experiences.count() <= 4, org.slug
        for exp in org.experiences.all():
            assert exp.sectors.exists(), (org.slug, exp.pk)
            assert 1 <= exp.countries.count() <= 3, (org.slug, exp.pk)
            assert exp.cost is not None and exp.role in Experience.Role.values


def test_all_sector_codes_are_active(demo):
    used = set(Competence.objects.values_list("sector__code", flat=True))
    used |= set(Experience.sectors.through.objects.values_list("sector__code", flat=True))
    assert used
    assert all(len(code) == 5 for code in used)
    assert not Sector.objects.filter(code__in=used, withdrawn=True).exists()


def test_fundings_never_exceed_costs(demo):
    for exp in Experience.objects.annotate(total=Sum("fundings__amount")):
        assert (exp.total or Decimal("0")) <= exp.cost, exp.title


def test_some_experiences_are_ongoing(demo):
    assert Experience.objects.filter(end_date__isnull=True).exists()
    assert Experience.objects.filter(end_date__isnull=False).exists()


def test_content_in_one_language_only_for_fallback(demo):
    assert Organisation.objects.filter(description_en="").exclude(description_fr="").exists()
    assert Organisation.objects.filter(description_fr="").exclude(description_en="").exists()
    assert Experience.objects.filter(title_en="").exclude(title_fr="").exists()
    assert Experience.objects.filter(title_fr="").exclude(title_en="").exists()
    # The base column falls back to the other language, so nothing is blank in either language.
    only_en = Experience.objects.filter(title_fr="").exclude(title_en="").first()
    with translation.override("fr"):
        assert Experience.objects.get(pk=only_en.pk).title == only_en.title_en


def test_at_least_one_unpublished(demo):
    assert Organisation.objects.filter(published=False).exists()
    assert Organisation.objects.published().count() < Organisation.objects.count()


def test_material_for_searches(demo):
    others = Organisation.objects.exclude(slug="aimf")
    assert others.filter(description_fr__contains="décentralisation").exists()
    assert others.filter(description_en__contains="decentralisation").exists()
    elsewhere = ExperienceCountry.objects.exclude(experience__organisation__slug="aimf")
    assert elsewhere.filter(country="BF").exists()
    assert elsewhere.filter(country="CI").exists()
    assert Donor.objects.count() >= 3


def test_file_is_plain_data_with_natural_keys():
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    assert {d["acronym"] for d in data["donors"]} >= {"CE – ANE-AL"}
    for org in data["organisations"]:
        assert org["kind"] in KINDS
        assert all(isinstance(code, str) and len(code) == 5 for code in org["competences"])
        for exp in org["experiences"]:
            date.fromisoformat(exp["start_date"])
            assert all(len(c) == 2 for c in exp["countries"])
