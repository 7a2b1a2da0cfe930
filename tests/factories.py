"""Test data built with the ORM: an organisation shaped like the seed's AIMF profile; refreshed_once() for
fixtures that make many rows."""

import datetime
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

from django.urls import reverse

from experiences.models import Donor, Experience, ExperienceCountry, Funding, Participant
from institutions.models import Competence, Organisation, Sector

AIMF_DESCRIPTION_EN = (
    "AIMF is a network of francophone cities and associations of cities which share common values.\n"
    "Its mission is to mobilise governments at all levels."
)
AIMF_DESCRIPTION_FR = (
    "L'AIMF est un réseau de villes et d'associations de villes francophones "
    "qui partagent des valeurs communes.\n"
    "Sa mission est de mobiliser les gouvernements à tous les niveaux."
)


def make_aimf(**overrides):
    """AIMF as on the seed page (needs the `sectors` fixture)."""
    fields = {
        "name_fr": "Association internationale des maires francophones",
        "name_en": "International Association of Francophone Mayors",
        "acronym": "AIMF",
        "kind": Organisation.Kind.INTERNATIONAL_NETWORK,
        "street": "Rue des Halles 9",
        "zip_code": "75001",
        "city": "Paris",
        "country": "FR",
        "website": "http://www.aimf.asso.fr",
        "email": "sp@aimf.asso.fr",
        "telephone": "+33 14 48 82 288",
        "fax": "33140390662",
        "description_fr": AIMF_DESCRIPTION_FR,
        "description_en": AIMF_DESCRIPTION_EN,
    }
    fields.update(overrides)
    aimf = Organisation.objects.create(**fields)
    for rank, code in enumerate(["14030", "15111", "15112", "15150", "99820"], start=1):
        Competence.objects.create(organisation=aimf, sector=Sector.objects.get(code=code), rank=rank)
    donor = Donor.objects.create(
        acronym="CE – ANE-AL",
        name_en="European Commission – Non-State Actors and Local Authorities",
        name_fr="Commission européenne – Acteurs non étatiques et autorités locales",
    )
    add_experience(
        aimf,
        title_en="Civilian peace-building, conflict prevention and resolution",
        title_fr="Consolidation de la paix, prévention et règlement des conflits",
        objectives_en="(i) Strengthen partnerships and South-South cross-cultural dialogue\n"
        "(ii) Contribution to strengthening the role of local authorities",
        objectives_fr="(i) Renforcer les partenariats et le dialogue interculturel Sud-Sud\n"
        "(ii) Contribuer au renforcement du rôle des collectivités locales",
        results_en="Action and cooperation plans were signed between LAs of both countries.",
        results_fr="Des plans d'action et de coopération ont été signés entre collectivités des deux pays.",
        cost=Decimal("1100000"),
        start_date=datetime.date(2010, 1, 1),
        end_date=datetime.date(2013, 12, 31),
        sectors=["15220", "43030"],
        countries=["CI", "BF"],
        fundings=[(donor, Decimal("830000"))],
    )
    add_experience(
        aimf,
        title_en="Public sector policy and administrative management",
        title_fr="Politiques publiques et gestion administrative",
        objectives_en="Capacity building of Cameroon and Congo local authorities",
        objectives_fr="Renforcement des capacités des collectivités locales du Cameroun et du Congo",
        results_en="The territorial expertise is strengthening.",
        results_fr="L'expertise territoriale se renforce.",
        cost=Decimal("717744.50"),
        start_date=datetime.date(2009, 1, 1),
        end_date=datetime.date(2012, 4, 30),
        sectors=["15110", "43030"],
        countries=["CM", "CG"],
        fundings=[(donor, Decimal("500000"))],
    )
    return aimf


def add_experience(organisation, *, sectors=(), countries=(), fundings=(), **fields):
    """An experience with its sectors, countries and fundings, row by row: the signal handlers refresh after
    each (tests of the handlers call it); a fixture wraps it in refreshed_once()."""
    fields.setdefault("role", Experience.Role.COORDINATOR)
    fields.setdefault("start_date", datetime.date(2015, 1, 1))
    experience = Experience.objects.create(organisation=organisation, **fields)
    experience.sectors.set(Sector.objects.filter(code__in=sectors))
    for code in countries:
        ExperienceCountry.objects.create(experience=experience, country=code)
    for donor, amount in fundings:
        Funding.objects.create(experience=experience, donor=donor, amount=amount)
    return experience


@contextmanager
def refreshed_once():
    """Data made inside refreshes each organisation's facet values and search entry once, at the end, instead
    of after each of its rows as the signal handlers do (the same rows: tests/test_factories.py; a fixture
    of a few organisations takes a third of the time). For fixtures only: the handlers themselves are tested
    with them connected."""
    from institutions import facets, search

    facet_ids, search_ids = set(), set()

    def note_facets(organisation_ids, using="default", bitmaps=True):
        facet_ids.update(organisation_ids)

    def note_search(organisations, create=False):
        search_ids.update(organisations.values_list("pk", flat=True))

    # Inside another refreshed_once(), these are the outer one's: the outer refreshes once for both.
    real_facets, real_search = facets.refresh_facet_values, search._refresh
    with (
        mock.patch.object(facets, "refresh_facet_values", note_facets),
        mock.patch.object(search, "_refresh", note_search),
    ):
        yield
    real_facets(facet_ids)
    real_search(Organisation.objects.filter(pk__in=search_ids), create=True)


def admin_url(model, view, *args):
    """The admin page of a model: view is "changelist", "add", "change", "history", "delete"…"""
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def form_data(response):
    """The POST data of an admin change page as rendered: the main form and the existing inline rows."""
    data = {}

    def add(form):
        for name in form.fields:
            field = form[name]
            value = field.value()
            if value is None or value is False:
                continue
            if value is True:
                data[field.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[field.html_name] = [str(v) for v in value]
            else:
                data[field.html_name] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for form in formset.initial_forms:
            add(form)
        initial = len(formset.initial_forms)
        data.update(
            {
                f"{formset.prefix}-TOTAL_FORMS": str(initial),
                f"{formset.prefix}-INITIAL_FORMS": str(initial),
                f"{formset.prefix}-MIN_NUM_FORMS": "0",
                f"{formset.prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data


def make_lyon():
    """The City of Lyon with three competences (needs the `sectors` fixture)."""
    org = Organisation.objects.create(
        name_fr="Ville de Lyon", name_en="City of Lyon", acronym="LYON", country="FR"
    )
    for rank, code in enumerate(["14030", "15110", "43030"], start=1):
        Competence.objects.create(organisation=org, sector=Sector.objects.get(code=code), rank=rank)
    return org


def make_lyon_experience(org):
    """An experience of `org` with a sector, a country and a funding."""
    experience = Experience.objects.create(
        organisation=org,
        title_fr="Eau potable à Ouagadougou",
        title_en="Drinking water in Ouagadougou",
        role=Experience.Role.COORDINATOR,
        start_date=datetime.date(2010, 1, 1),
        end_date=datetime.date(2013, 12, 31),
        cost=Decimal("1000.00"),
    )
    experience.sectors.add(Sector.objects.get(code="14030"))
    ExperienceCountry.objects.create(experience=experience, country="BF")
    donor = Donor.objects.create(name_fr="Commission européenne", name_en="European Commission", acronym="CE")
    Funding.objects.create(experience=experience, donor=donor, amount=Decimal("600.00"))
    return experience


def organisation(name, kind="municipality", country="FR", published=True):
    """The city of `name` (tests/test_partnerships_page.py)."""
    return Organisation.objects.create(
        name_fr=f"Ville de {name}", name_en=f"City of {name}", kind=kind, country=country, published=published
    )


def action(owner, *members, countries=("BF",), start=2012, end=None, role="partner"):
    """An experience of `owner` with `members` as its listed participants."""
    experience = add_experience(
        owner,
        title_en=f"Action of {owner.name_en}",
        countries=countries,
        start_date=datetime.date(start, 3, 1),
        end_date=datetime.date(end, 6, 30) if end else None,
    )
    for member in members:
        Participant.objects.create(experience=experience, organisation=member, role=role)
    return experience


def make_web():
    """Five published organisations in France and Burkina Faso and one unpublished, with actions shared
    among them, an unlisted participant, and one organisation with no partner."""
    lyon = organisation("Lyon", country="FR")
    ouaga = organisation("Ouagadougou", country="BF")
    banfora = organisation("Banfora", kind="regional", country="BF")
    cites = organisation("Cités Unies", kind="national_association", country="FR")
    hidden = organisation("Secret", country="FR", published=False)
    alone = organisation("Seule", country="FR")
    action(lyon, ouaga, banfora, countries=("BF",), start=2010, end=2013)
    action(lyon, ouaga, countries=("BF", "CI"), start=2015)
    action(ouaga, cites, hidden, countries=("ML",), start=2018, end=2019)
    unlisted = action(banfora, countries=("NE",), start=2020)
    Participant.objects.create(experience=unlisted, name="Commune de Nulle-Part", role="partner")
    action(alone, countries=("SN",))
    return {"lyon": lyon, "ouaga": ouaga, "banfora": banfora, "cites": cites, "hidden": hidden, "alone": alone}
