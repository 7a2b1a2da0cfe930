"""Fixtures of the partner tests: two organisations, their partners, staff, a few sectors and donors. Made with
the ORM so the tests do not depend on the demo data. `aimf` and `staff` here override the root conftest's:
a bare organisation its partner owns, and a staff member who is neither a superuser nor logged in."""

import datetime
from decimal import Decimal

import pytest

from experiences.models import Donor, Experience, Funding
from institutions.models import Competence, Organisation, Sector, SectorCategory
from partners.models import Membership
from tests.factories import add_experience, refreshed_once
from tests.partners.partner_forms import PASSWORD


@pytest.fixture
def sector_rows(no_sectors):
    water = SectorCategory.objects.create(
        code="140", name_fr="Eau et assainissement", name_en="Water and sanitation"
    )
    gov = SectorCategory.objects.create(code="151", name_fr="Gouvernement", name_en="Government")
    rows = {}
    for code, cat, fr, en, withdrawn in [
        ("14010", water, "Politique de l'eau", "Water sector policy", False),
        ("14030", water, "Eau potable de base", "Basic drinking water supply", False),
        ("14031", water, "Eau potable – ancien code", "Old water code", True),
        ("15110", gov, "Politique du secteur public", "Public sector policy", False),
        ("15112", gov, "Décentralisation", "Decentralisation", False),
        ("15150", gov, "Participation démocratique", "Democratic participation", False),
        ("15160", gov, "Droits de la personne", "Human rights", False),
    ]:
        rows[code] = Sector.objects.create(
            code=code, category=cat, name_fr=fr, name_en=en, withdrawn=withdrawn
        )
    return rows


@pytest.fixture
def donors(db):
    return {
        "ce": Donor.objects.create(
            name_fr="Commission européenne", name_en="European Commission", acronym="CE"
        ),
        "afd": Donor.objects.create(
            name_fr="Agence française de développement", name_en="French Development Agency", acronym="AFD"
        ),
    }


@pytest.fixture
def aimf(db):
    return Organisation.objects.create(
        name_fr="Association internationale des maires francophones",
        name_en="International Association of Francophone Mayors",
        acronym="AIMF",
        kind=Organisation.Kind.INTERNATIONAL_NETWORK,
        city="Paris",
        country="FR",
        description_fr="Réseau de villes.",
    )


@pytest.fixture
def ouaga(db):
    return Organisation.objects.create(name_fr="Commune de Ouagadougou", acronym="OUAGA", country="BF")


@pytest.fixture
def owner(django_user_model, aimf):
    user = django_user_model.objects.create_user("owner@aimf.example", PASSWORD)
    Membership.objects.create(user=user, organisation=aimf)
    return user


@pytest.fixture
def other_partner(django_user_model, ouaga):
    user = django_user_model.objects.create_user("partner@ouaga.example", PASSWORD)
    Membership.objects.create(user=user, organisation=ouaga)
    return user


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("staff@platforma.example", PASSWORD, is_staff=True)


@pytest.fixture
def experience(aimf, donors):
    experience = Experience.objects.create(
        organisation=aimf,
        title_fr="Eau pour tous",
        title_en="Water for all",
        role=Experience.Role.COORDINATOR,
        cost=Decimal("100000"),
        start_date=datetime.date(2010, 1, 1),
        end_date=datetime.date(2013, 12, 31),
    )
    Funding.objects.create(experience=experience, donor=donors["ce"], amount=Decimal("60000"))
    return experience


@pytest.fixture
def other_experience(ouaga):
    return Experience.objects.create(
        organisation=ouaga, title_fr="Marché central", role="partner", start_date=datetime.date(2012, 5, 1)
    )


@pytest.fixture
def api_data(aimf, ouaga, sector_rows, donors):
    """AIMF's competences and experiences, refreshed once at the end (tests/factories.py refreshed_once)."""
    with refreshed_once():
        Competence.objects.create(organisation=aimf, sector=sector_rows["15112"], rank=1)
        Competence.objects.create(organisation=aimf, sector=sector_rows["14030"], rank=2)
        add_experience(
            aimf,
            title_fr="Eau à Bamako",
            title_en="Water in Bamako",
            cost=Decimal("1000.50"),
            start_date=datetime.date(2019, 1, 1),
            end_date=datetime.date(2020, 6, 30),
            sectors=["14030", "14010"],
            countries=["ML"],
            fundings=[(donors["ce"], Decimal("500"))],
        )
        add_experience(aimf, title_fr="Décentralisation", start_date=datetime.date(2021, 1, 1), countries=["SN"])
        return {"aimf": aimf, "ouaga": ouaga}
