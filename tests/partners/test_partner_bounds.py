"""Bounds on the partner and admin forms (issue 14, findings 2 and 3): a forged TOTAL_FORMS is refused
with a form error before its forms are built, and an experience lists at most MAX_COUNTRIES countries and
MAX_SECTORS sectors, each bound tested just below and just above, the error in the user's language."""

import pytest
from django.urls import reverse
from django.utils import translation
from django_countries import countries

from experiences.models import MAX_COUNTRIES, MAX_FUNDINGS, MAX_SECTORS, Experience
from institutions.models import MAX_COMPETENCES, Sector
from tests.partners.partner_forms import competence_data, experience_data

FORGED = 100_000


def url(lang, name, *args):
    with translation.override(lang):
        return reverse(f"partners:{name}", args=args)


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("fr", "Une organisation a au plus 5 domaines de compétence."),
        ("en", "An organisation has at most 5 fields of competence."),
    ],
)
def test_a_forged_competence_count_is_a_form_error(client, owner, aimf, sector_rows, lang, message):
    """Finding 3 of issue 14: form-TOTAL_FORMS=100000 built 1,005 forms (19 s)."""
    client.force_login(owner)
    data = competence_data(aimf, [sector_rows["14030"]])
    data["form-TOTAL_FORMS"] = FORGED
    response = client.post(url(lang, "competences", aimf.slug), data)
    assert response.status_code == 200
    assert len(response.context["formset"].forms) <= MAX_COMPETENCES
    assert message in response.content.decode()
    assert not aimf.competences.exists()


@pytest.mark.parametrize(
    ("lang", "message"),
    [("fr", "Une expérience a au plus 20 financements."), ("en", "An experience has at most 20 fundings.")],
)
def test_a_forged_funding_count_is_a_form_error(client, owner, aimf, donors, lang, message):
    """Finding 3 of issue 14: fundings-TOTAL_FORMS=100000 on an experience took 10 s."""
    client.force_login(owner)
    data = experience_data(fundings=[(donors["ce"], "10")])
    data["fundings-TOTAL_FORMS"] = FORGED
    response = client.post(url(lang, "experience_add", aimf.slug), data)
    assert response.status_code == 200
    assert len(response.context["fundings"].forms) <= MAX_FUNDINGS
    assert message in response.content.decode()
    assert not Experience.objects.exists()


@pytest.mark.parametrize(("count", "saved"), [(MAX_FUNDINGS, True), (MAX_FUNDINGS + 1, False)])
def test_fundings_just_below_and_above_the_bound(client, owner, aimf, donors, count, saved):
    client.force_login(owner)
    data = experience_data(fundings=[(donors["ce"], "10")] * count, cost="1000")
    response = client.post(url("en", "experience_add", aimf.slug), data)
    assert (response.status_code == 302) is saved
    if saved:
        assert Experience.objects.get().fundings.count() == MAX_FUNDINGS
    else:
        assert "An experience has at most 20 fundings." in response.content.decode()
        assert not Experience.objects.exists()


COUNTRY_CODES = [code for code, _name in countries][: MAX_COUNTRIES + 1]


@pytest.mark.parametrize(
    ("lang", "message", "help"),
    [
        ("fr", "Une expérience cite au plus 30 pays ; 31 sont choisis. Gardez les principaux.", "Au plus 30 pays"),
        ("en", "An experience lists at most 30 countries; 31 are chosen. Keep the main ones.", "At most 30 countries"),
    ],
)
def test_more_countries_than_the_bound_are_refused(client, owner, aimf, lang, message, help):
    """Finding 2 of issue 14 (form side): one experience with all 250 countries made 498 index bumps."""
    client.force_login(owner)
    assert help in client.get(url(lang, "experience_add", aimf.slug)).content.decode()
    response = client.post(url(lang, "experience_add", aimf.slug), experience_data(countries=COUNTRY_CODES))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert 'selected>' in page  # the choices are kept
    assert not Experience.objects.exists()


def test_countries_up_to_the_bound_are_saved(client, owner, aimf):
    client.force_login(owner)
    data = experience_data(countries=COUNTRY_CODES[:MAX_COUNTRIES])
    assert client.post(url("fr", "experience_add", aimf.slug), data).status_code == 302
    assert Experience.objects.get().countries.count() == MAX_COUNTRIES


@pytest.fixture
def many_sectors(sector_rows):
    category = sector_rows["14010"].category
    for n in range(MAX_SECTORS + 1):
        Sector.objects.create(code=f"990{n:02d}", category=category, name_fr=f"Secteur {n}", name_en=f"Sector {n}")
    return list(Sector.objects.filter(code__startswith="990").order_by("code"))


@pytest.mark.parametrize(
    ("lang", "message", "help"),
    [
        ("fr", "Une expérience cite au plus 10 secteurs ; 11 sont choisis. Gardez les principaux.",
         "Au plus 10 secteurs"),
        ("en", "An experience lists at most 10 sectors; 11 are chosen. Keep the main ones.", "At most 10 sectors"),
    ],
)
def test_more_sectors_than_the_bound_are_refused(client, owner, aimf, many_sectors, lang, message, help):
    client.force_login(owner)
    assert help in client.get(url(lang, "experience_add", aimf.slug)).content.decode()
    data = experience_data(sectors=[s.pk for s in many_sectors])
    response = client.post(url(lang, "experience_add", aimf.slug), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Experience.objects.exists()


def test_sectors_up_to_the_bound_are_saved(client, owner, aimf, many_sectors):
    client.force_login(owner)
    data = experience_data(sectors=[s.pk for s in many_sectors[:MAX_SECTORS]])
    assert client.post(url("fr", "experience_add", aimf.slug), data).status_code == 302
    assert Experience.objects.get().sectors.count() == MAX_SECTORS


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss@platforma.example", "pw-correct-horse-battery")
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def admin_experience_data(experience, **changes):
    data = {
        "organisation": experience.organisation_id,
        "title_fr": experience.title_fr,
        "title_en": experience.title_en or "",
        "role": experience.role,
        "start_date": experience.start_date.isoformat(),
        "end_date": "",
        "cost": "",
        "objectives_fr": "",
        "objectives_en": "",
        "results_fr": "",
        "results_en": "",
        "countries-TOTAL_FORMS": 0,
        "countries-INITIAL_FORMS": 0,
        "fundings-TOTAL_FORMS": 0,
        "fundings-INITIAL_FORMS": 0,
        "participants-TOTAL_FORMS": 0,
        "participants-INITIAL_FORMS": 0,
        "seen_version": experience.updated.isoformat(),  # the version the form was opened on
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("prefix", ["countries", "fundings", "participants"])
def test_admin_inlines_refuse_a_forged_count(admin_client, other_experience, prefix):
    """Finding 3 of issue 14, in the admin: every inline has an absolute maximum."""
    address = reverse("admin:experiences_experience_change", args=[other_experience.pk])
    response = admin_client.post(address, admin_experience_data(other_experience, **{f"{prefix}-TOTAL_FORMS": FORGED}))
    assert response.status_code == 200
    formsets = {f.formset.prefix: f.formset for f in response.context["inline_admin_formsets"]}
    assert len(formsets[prefix].forms) <= 2 * max(MAX_COUNTRIES, MAX_FUNDINGS)
    assert formsets[prefix].non_form_errors()


@pytest.mark.parametrize(("count", "saved"), [(MAX_COUNTRIES, True), (MAX_COUNTRIES + 1, False)])
def test_admin_countries_just_below_and_above_the_bound(admin_client, other_experience, count, saved):
    address = reverse("admin:experiences_experience_change", args=[other_experience.pk])
    data = admin_experience_data(other_experience, **{"countries-TOTAL_FORMS": count})
    for i, code in enumerate(COUNTRY_CODES[:count]):
        data[f"countries-{i}-country"] = code
    response = admin_client.post(address, data)
    assert (response.status_code == 302) is saved
    assert other_experience.countries.count() == (count if saved else 0)
    if not saved:
        assert "An experience lists at most 30 countries." in response.content.decode()


def test_admin_refuses_more_sectors_than_the_bound(admin_client, other_experience, many_sectors):
    address = reverse("admin:experiences_experience_change", args=[other_experience.pk])
    data = admin_experience_data(other_experience, sectors=[s.pk for s in many_sectors])
    response = admin_client.post(address, data)
    assert response.status_code == 200
    assert "An experience lists at most 10 sectors; 11 are chosen." in response.content.decode()
    data["sectors"] = [s.pk for s in many_sectors[:MAX_SECTORS]]
    other_experience.refresh_from_db()
    data["seen_version"] = other_experience.updated.isoformat()
    assert admin_client.post(address, data).status_code == 302
    assert other_experience.sectors.count() == MAX_SECTORS
