"""Shared data for the partner tests: two organisations, their partners, staff, a few sectors and donors.
Made with the ORM so the tests do not depend on the demo data."""

import datetime
from decimal import Decimal

import pytest

from experiences.models import Donor, Experience, Funding
from institutions.models import Membership, Organisation, Sector, SectorCategory

PASSWORD = "correct-horse-battery-9"


@pytest.fixture
def sector_rows(db):
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


def organisation_data(organisation, **changes):
    """What the general-information form posts, from the organisation as stored."""
    data = {
        "version": organisation.version,
        "name_fr": organisation.name_fr,
        "name_en": organisation.name_en or "",
        "acronym": organisation.acronym,
        "kind": organisation.kind,
        "street": organisation.street,
        "zip_code": organisation.zip_code,
        "city": organisation.city,
        "country": organisation.country.code,
        "website": organisation.website,
        "email": organisation.email,
        "telephone": organisation.telephone,
        "fax": organisation.fax,
        "description_fr": organisation.description_fr or "",
        "description_en": organisation.description_en or "",
        "iati_identifier": organisation.iati_identifier,
    }
    data.update(changes)
    return data


def competence_data(organisation, sectors, total=5):
    data = {
        "version": organisation.version,
        "form-TOTAL_FORMS": max(total, len(sectors)),
        "form-INITIAL_FORMS": organisation.competences.count(),
        "form-MIN_NUM_FORMS": 0,
        "form-MAX_NUM_FORMS": 5,
    }
    for i in range(max(total, len(sectors))):
        data[f"form-{i}-sector"] = sectors[i].pk if i < len(sectors) else ""
    return data


def experience_data(experience=None, fundings=(), **changes):
    """What the experience form posts; `fundings` is a list of (donor, amount) for new rows, or
    (funding, donor, amount) for existing ones."""
    data = {
        "version": experience.updated.isoformat() if experience else "",
        "title_fr": "Assainissement à Dakar",
        "title_en": "Sanitation in Dakar",
        "objectives_fr": "",
        "objectives_en": "",
        "results_fr": "",
        "results_en": "",
        "sectors": [],
        "countries": ["SN"],
        "cost": "50000",
        "role": "partner",
        "start_date": "2015-03-01",
        "end_date": "2016-02-28",
    }
    existing = [f for f in fundings if len(f) == 3]
    new = [f for f in fundings if len(f) == 2]
    rows = [(f.pk, d.pk, a) for f, d, a in existing] + [("", d.pk, a) for d, a in new]
    data.update({
        "fundings-TOTAL_FORMS": len(rows),
        "fundings-INITIAL_FORMS": len(existing),
        "fundings-MIN_NUM_FORMS": 0,
        "fundings-MAX_NUM_FORMS": 1000,
    })  # fmt: skip
    for i, (pk, donor, amount) in enumerate(rows):
        data[f"fundings-{i}-id"] = pk
        data[f"fundings-{i}-donor"] = donor
        data[f"fundings-{i}-amount"] = amount
    data.update(changes)
    return data


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Hashing a password properly takes a while on purpose; these tests hash many."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
