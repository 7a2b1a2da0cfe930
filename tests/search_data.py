"""Small ORM data for the search, filter, feed and export tests (no demo data needed): make_directory(), the
`directory` fixture of tests/conftest.py."""

import datetime
from decimal import Decimal

from django.db import connection

from experiences.models import Donor, Experience, ExperienceCountry, Funding
from institutions.models import Competence, Organisation, Sector, SectorCategory

# Queries a free-text search adds to a page: on SQLite two (the matches, then which of them are published);
# on PostgreSQL one statement after SET LOCAL (institutions.search._indexes_only), which inside a test's
# transaction also takes a savepoint, its release and the restore of the setting (2 in production, where no
# transaction is open), then the bitmap of the published organisations (directory/criteria.py): 6.
TEXT_QUERIES = 6 if connection.vendor == "postgresql" else 2
# The experiences list's: the matches only (institutions.search.experience_ids), the same way.
EXPERIENCE_TEXT_QUERIES = 5 if connection.vendor == "postgresql" else 1


def _sector(code, fr, en, category):
    return Sector.objects.create(code=code, name_fr=fr, name_en=en, category=category)


def _experience(organisation, role, start, end=None, countries=(), sectors=(), donor=None, **text):
    experience = Experience.objects.create(
        organisation=organisation, role=role, start_date=start, end_date=end, cost=Decimal("1100000"), **text
    )
    for code in countries:
        ExperienceCountry.objects.create(experience=experience, country=code)
    experience.sectors.set(sectors)
    if donor:
        Funding.objects.create(experience=experience, donor=donor, amount=Decimal("500000"))
    return experience


def make_directory():
    """AIMF (the seed's organisation) and four others, one of them unpublished, with their own few sectors."""
    water = SectorCategory.objects.create(
        code="140", name_fr="Distribution d'eau et assainissement", name_en="Water supply & sanitation"
    )
    education = SectorCategory.objects.create(
        code="111", name_fr="Enseignement, niveau non spécifié", name_en="Education, level unspecified"
    )
    government = SectorCategory.objects.create(
        code="151", name_fr="Gouvernement et société civile", name_en="Government & civil society"
    )
    s14030 = _sector(
        "14030", "Approvisionnement de base en eau potable", "Basic drinking water supply", water
    )
    s14010 = _sector("14010", "Politique de l'eau", "Water sector policy", water)
    s11110 = _sector("11110", "Politique de l'éducation", "Education policy", education)
    s15112 = _sector(
        "15112",
        "Décentralisation et administrations infranationales",
        "Decentralisation and support to subnational government",
        government,
    )
    ec = Donor.objects.create(
        acronym="CE – ANE-AL",
        name_fr="Commission européenne, Acteurs non étatiques",
        name_en="European Commission, Non-State Actors",
    )
    afd = Donor.objects.create(
        acronym="AFD", name_fr="Agence française de développement", name_en="French Development Agency"
    )

    aimf = Organisation.objects.create(
        name_fr="Association internationale des maires francophones",
        name_en="International Association of Francophone Mayors",
        acronym="AIMF",
        kind="international_network",
        city="Paris",
        country="FR",
        street="9 rue des Halles",
        zip_code="75001",
        website="http://www.aimf.asso.fr",
        email="aimf@example.org",
        telephone="+33 1 40 28 00",
        description_fr="Réseau de villes. Décentralisation et renforcement des collectivités locales.",
        description_en="Network of cities. Decentralisation and local government support.",
    )
    Competence.objects.create(organisation=aimf, sector=s14030, rank=1)
    Competence.objects.create(organisation=aimf, sector=s15112, rank=2)
    _experience(
        aimf,
        "coordinator",
        datetime.date(2010, 1, 1),
        datetime.date(2013, 12, 31),
        countries=["CI", "BF"],
        sectors=[s14030],
        donor=ec,
        title_fr="Eau potable pour les quartiers",
        title_en="Drinking water",
        results_fr="Bornes-fontaines installées à Ouagadougou et Abidjan.",
        results_en="Standpipes installed in Ouagadougou and Abidjan.",
    )

    lyon = Organisation.objects.create(
        name_fr="Ville de Lyon",
        name_en="City of Lyon",
        kind="municipality",
        city="Lyon",
        country="FR",
        description_fr="Coopération avec Dakar.",
        description_en="Cooperation with Dakar.",
        telephone='=HYPERLINK("http://evil")',
    )
    Competence.objects.create(organisation=lyon, sector=s11110, rank=1)
    _experience(
        lyon,
        "partner",
        datetime.date(2018, 1, 1),
        None,
        countries=["SN"],
        sectors=[s11110],
        donor=afd,
        title_fr="Écoles de Dakar",
        title_en="Dakar schools",
    )

    dakar = Organisation.objects.create(
        name_fr="Région de Dakar",
        name_en="Dakar Region",
        kind="regional",
        city="Dakar",
        country="SN",
        description_fr="Partenaire de Lyon pour la coopération décentralisée.",
        description_en="Partner of Lyon in decentralised cooperation.",
    )

    benin = Organisation.objects.create(
        name_en="National Association of Municipalities of Benin",
        acronym="ANCB",
        kind="national_association",
        city="Cotonou",
        country="BJ",
        description_en="Umbrella of Benin's municipalities.",
    )
    Competence.objects.create(organisation=benin, sector=s14010, rank=1)
    _experience(
        benin,
        "associate",
        datetime.date(1995, 1, 1),
        datetime.date(1998, 6, 30),
        countries=["BJ"],
        sectors=[s15112],
        donor=ec,
        title_en="Municipal water boards",
    )

    hidden = Organisation.objects.create(
        name_fr="Réseau caché AIMF Ouagadougou",
        acronym="HID",
        kind="international_network",
        city="Paris",
        country="FR",
        published=False,
    )
    Competence.objects.create(organisation=hidden, sector=s14030, rank=1)
    return {
        "aimf": aimf,
        "lyon": lyon,
        "dakar": dakar,
        "benin": benin,
        "hidden": hidden,
        "ec": ec,
        "afd": afd,
    }
