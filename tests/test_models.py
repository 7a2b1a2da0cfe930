"""Every validation rule of the data model: a case that passes and a case refused with a clear message."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from experiences.models import Donor, Experience, Funding
from institutions.models import Competence, Organisation, Sector

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    # Messages are compared in English, whatever catalogue exists for French.
    with translation.override("en"):
        yield


@pytest.fixture
def sectors(sectors):
    return Sector.objects.active()


@pytest.fixture
def org():
    return Organisation.objects.create(
        name_fr="Ville de Lyon", name_en="City of Lyon", acronym="LYON", country="FR"
    )


@pytest.fixture
def experience(org):
    return Experience.objects.create(
        organisation=org,
        title_fr="Eau potable à Ouagadougou",
        role=Experience.Role.COORDINATOR,
        start_date=date(2010, 1, 1),
        end_date=date(2013, 12, 31),
        cost=Decimal("1000.00"),
    )


@pytest.fixture
def donor():
    return Donor.objects.create(name_fr="Commission européenne", name_en="European Commission", acronym="CE")


def messages(excinfo):
    return " ".join(m for msgs in excinfo.value.message_dict.values() for m in msgs)


# Competences ---------------------------------------------------------------------------------------


def test_five_competences_pass_a_sixth_is_refused(org, sectors):
    for rank, sector in enumerate(sectors[:5], start=1):
        competence = Competence(organisation=org, sector=sector, rank=rank)
        competence.full_clean()
        competence.save()
    sixth = Competence(organisation=org, sector=sectors[5], rank=5)
    with pytest.raises(ValidationError) as excinfo:
        sixth.full_clean()
    assert "at most 5 fields of competence" in messages(excinfo)


def test_existing_competence_still_validates_when_there_are_five(org, sectors):
    competences = [
        Competence.objects.create(organisation=org, sector=s, rank=i + 1) for i, s in enumerate(sectors[:5])
    ]
    competences[0].rank = 2
    competences[0].full_clean()


def test_a_sector_may_be_chosen_once(org, sectors):
    Competence.objects.create(organisation=org, sector=sectors[0], rank=1)
    Competence(organisation=org, sector=sectors[1], rank=2).full_clean()
    with pytest.raises(ValidationError) as excinfo:
        Competence(organisation=org, sector=sectors[0], rank=2).full_clean()
    assert "already one of the organisation's competences" in messages(excinfo)


def test_a_sector_twice_is_refused_by_the_database(org, sectors):
    Competence.objects.create(organisation=org, sector=sectors[0], rank=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Competence.objects.create(organisation=org, sector=sectors[0], rank=2)


def test_the_same_sector_for_two_organisations_is_fine(org, sectors):
    other = Organisation.objects.create(name_fr="Ville de Dakar", country="SN")
    Competence.objects.create(organisation=org, sector=sectors[0], rank=1)
    Competence(organisation=other, sector=sectors[0], rank=1).full_clean()


def test_withdrawn_sector_refused_for_a_new_competence(org, sectors):
    withdrawn = Sector.objects.get(code="15120")
    assert withdrawn.withdrawn
    with pytest.raises(ValidationError) as excinfo:
        Competence(organisation=org, sector=withdrawn, rank=1).full_clean()
    assert "withdrawn" in messages(excinfo)
    Competence(organisation=org, sector=Sector.objects.get(code="14030"), rank=1).full_clean()


def test_withdrawn_sector_refused_for_a_new_organisation(sectors):
    org = Organisation(name_fr="Ville de Nantes", country="FR")
    with pytest.raises(ValidationError):
        Competence(organisation=org, sector=Sector.objects.get(code="15120"), rank=1).full_clean(
            exclude=["organisation"]
        )


def test_withdrawn_sector_kept_on_an_existing_competence(org, sectors):
    sector = Sector.objects.get(code="14030")
    competence = Competence.objects.create(organisation=org, sector=sector, rank=1)
    Sector.objects.filter(pk=sector.pk).update(withdrawn=True)
    competence = Competence.objects.get(pk=competence.pk)
    competence.rank = 2
    competence.full_clean()


@pytest.mark.parametrize("rank", [1, 5])
def test_rank_from_1_to_5(org, sectors, rank):
    Competence(organisation=org, sector=sectors[0], rank=rank).full_clean()


@pytest.mark.parametrize("rank", [0, 6])
def test_rank_outside_1_to_5_refused(org, sectors, rank):
    with pytest.raises(ValidationError) as excinfo:
        Competence(organisation=org, sector=sectors[0], rank=rank).full_clean()
    assert "rank" in excinfo.value.message_dict
    assert str(1 if rank == 0 else 5) in messages(excinfo)


def test_rank_6_refused_by_the_database(org, sectors):
    with pytest.raises(IntegrityError), transaction.atomic():
        Competence.objects.create(organisation=org, sector=sectors[0], rank=6)


# Experiences, fundings -----------------------------------------------------------------------------


def test_end_date_on_or_after_start_date(experience):
    experience.end_date = experience.start_date
    experience.full_clean()
    experience.end_date = None
    experience.full_clean()


def test_end_date_before_start_date_refused(experience):
    experience.end_date = date(2009, 12, 31)
    with pytest.raises(ValidationError) as excinfo:
        experience.full_clean()
    assert "The end date cannot be before the start date." in excinfo.value.message_dict["end_date"]


def test_end_date_before_start_date_refused_by_the_database(experience):
    experience.end_date = date(2009, 12, 31)
    with pytest.raises(IntegrityError), transaction.atomic():
        experience.save()


def test_cost_not_negative(experience):
    experience.cost = Decimal("0")
    experience.full_clean()
    experience.cost = Decimal("-1")
    with pytest.raises(ValidationError) as excinfo:
        experience.full_clean()
    assert "greater than or equal to 0" in " ".join(excinfo.value.message_dict["cost"])


def test_negative_cost_refused_by_the_database(experience):
    experience.cost = Decimal("-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        experience.save()


def test_funding_amount_not_negative(experience, donor):
    Funding(experience=experience, donor=donor, amount=Decimal("0")).full_clean()
    with pytest.raises(ValidationError) as excinfo:
        Funding(experience=experience, donor=donor, amount=Decimal("-5")).full_clean()
    assert "greater than or equal to 0" in " ".join(excinfo.value.message_dict["amount"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Funding.objects.create(experience=experience, donor=donor, amount=Decimal("-5"))


def test_fundings_may_add_up_to_the_cost(experience, donor):
    Funding.objects.create(experience=experience, donor=donor, amount=Decimal("600"))
    Funding(experience=experience, donor=donor, amount=Decimal("400")).full_clean()


def test_fundings_over_the_cost_refused(experience, donor):
    Funding.objects.create(experience=experience, donor=donor, amount=Decimal("600"))
    with pytest.raises(ValidationError) as excinfo:
        Funding(experience=experience, donor=donor, amount=Decimal("400.01")).full_clean()
    assert "would total 1,000.01 EUR, more than the cost of the action (1,000.00 EUR)" in messages(excinfo)


def test_editing_a_funding_does_not_count_it_twice(experience, donor):
    funding = Funding.objects.create(experience=experience, donor=donor, amount=Decimal("600"))
    funding.amount = Decimal("1000")
    funding.full_clean()


def test_fundings_without_a_cost_are_not_limited(experience, donor):
    experience.cost = None
    experience.save()
    Funding(experience=experience, donor=donor, amount=Decimal("5000")).full_clean()


def test_cost_lowered_below_the_fundings_refused(experience, donor):
    Funding.objects.create(experience=experience, donor=donor, amount=Decimal("800"))
    experience.cost = Decimal("800")
    experience.full_clean()
    experience.cost = Decimal("799.99")
    with pytest.raises(ValidationError) as excinfo:
        experience.full_clean()
    assert excinfo.value.message_dict["cost"] == [
        "The donors' contributions would total 800.00 EUR, more than the cost of the action (799.99 EUR). "
        "Lower a contribution or raise the cost."
    ]


def test_experience_title_required_in_one_language(experience):
    experience.title_fr, experience.title_en = "", "Drinking water in Ouagadougou"
    experience.full_clean()
    experience.title_fr = experience.title_en = ""
    with pytest.raises(ValidationError):
        experience.full_clean()


# Organisations -------------------------------------------------------------------------------------


def test_valid_email_and_website(org):
    org.email, org.website = "contact@lyon.fr", "https://www.lyon.fr/"
    org.full_clean()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("email", "not-an-address", "valid email"), ("website", "www lyon fr", "valid URL")],
)
def test_invalid_email_or_website_refused(org, field, value, message):
    setattr(org, field, value)
    with pytest.raises(ValidationError) as excinfo:
        org.full_clean()
    assert message in " ".join(excinfo.value.message_dict[field])


@pytest.mark.parametrize("language", ["fr", "en"])
def test_name_in_one_language_is_enough(language):
    org = Organisation(country="FR", **{f"name_{language}": "Lyon"})
    org.full_clean()


def test_name_required_in_one_language():
    org = Organisation(country="FR", name_fr="", name_en="")
    with pytest.raises(ValidationError) as excinfo:
        org.full_clean()
    assert "Give the organisation's name in French or English." in excinfo.value.message_dict["name"]


def test_published_queryset(org):
    hidden = Organisation.objects.create(name_fr="Brouillon", country="FR", published=False)
    published = Organisation.objects.published()
    assert org in published
    assert hidden not in published


def test_slug_from_acronym_and_unique():
    first = Organisation.objects.create(
        name_fr="Association internationale des maires francophones", acronym="AIMF"
    )
    second = Organisation.objects.create(name_fr="Autre AIMF", acronym="AIMF")
    assert first.slug == "aimf"
    assert second.slug == "aimf-2"


def test_slug_from_name_without_acronym():
    org = Organisation.objects.create(name_fr="Région Île-de-France", country="FR")
    assert org.slug == "region-ile-de-france"


def test_slug_kept_when_acronym_changes(org):
    slug = org.slug
    org.acronym = "GL"
    org.save()
    assert org.slug == slug


def test_version_increments_on_save(org):
    assert org.version == 1
    org.city = "Lyon"
    org.save()
    org.refresh_from_db()
    assert org.version == 2
    org.save()
    org.refresh_from_db()
    assert org.version == 3
