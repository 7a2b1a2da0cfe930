"""Staff admin: every page answers, inlines enforce the same rules as the models, no N+1 on changelists."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from accounts.models import User
from experiences.models import Donor, Experience, Funding
from institutions.models import Competence, Organisation, Sector
from partners.models import Membership
from tests.factories import admin_url, form_data

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def add_rows(data, prefix, rows):
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    for i, row in enumerate(rows, start=total):
        data.update({f"{prefix}-{i}-{key}": str(value) for key, value in row.items()})
    data[f"{prefix}-TOTAL_FORMS"] = str(total + len(rows))
    return data


def errors_of(response):
    """Every error message shown on an admin change page: main form and inline formsets."""
    messages = list(response.context["adminform"].form.non_field_errors())
    messages += [m for errors in response.context["adminform"].form.errors.values() for m in errors]
    for inline in response.context["inline_admin_formsets"]:
        messages += list(inline.formset.non_form_errors())
        for form_errors in inline.formset.errors:
            messages += [m for errors in form_errors.values() for m in errors]
    return messages


# Smoke -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [model for model, _ in REGISTERED], ids=lambda m: m._meta.label)
def test_changelist_and_add_page_for_staff(client, staff, rf, model):
    assert client.get(admin_url(model, "changelist")).status_code == 200
    request = rf.get("/")
    request.user = staff
    can_add = admin.site._registry[model].has_add_permission(request)
    # Some read-only logs (django-axes) offer no add page, even to a superuser.
    assert client.get(admin_url(model, "add")).status_code == (200 if can_add else 403)


@pytest.mark.parametrize("model", [model for model, _ in REGISTERED], ids=lambda m: m._meta.label)
def test_changelist_and_add_page_redirect_anonymous_to_login(client, model):
    for view in ("changelist", "add"):
        response = client.get(admin_url(model, view))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_organisation_change_and_history_pages(client, staff, experience):
    org = experience.organisation
    Membership.objects.create(user=User.objects.create_user("partner@example.org"), organisation=org)
    response = client.get(admin_url(Organisation, "change", org.pk))
    assert response.status_code == 200
    content = response.content.decode()
    for text in [
        "14030",
        "15110",
        "43030",
        "partner@example.org",
        "Drinking water",
        "Ville de Lyon",
        "City of Lyon",
    ]:
        assert text in content
    assert admin_url(Experience, "change", experience.pk) in content
    assert client.get(admin_url(Organisation, "history", org.pk)).status_code == 200


def test_experience_change_and_history_pages(client, staff, experience):
    response = client.get(admin_url(Experience, "change", experience.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Drinking water in Ouagadougou" in content
    assert "600.00" in content
    assert client.get(admin_url(Experience, "history", experience.pk)).status_code == 200


def test_organisation_change_page_links_to_the_public_profile(client, staff, org, monkeypatch):
    monkeypatch.setattr(Organisation, "get_absolute_url", lambda self: f"/fr/organisations/{self.slug}/")
    response = client.get(admin_url(Organisation, "change", org.pk))
    assert response.status_code == 200
    assert 'href="/fr/organisations/lyon/"' in response.content.decode()


def test_organisation_change_page_without_public_profile_url(client, staff, org, monkeypatch):
    """The public profile URL may not be wired up yet: the change page still renders, without the link."""

    def missing(self):
        raise NoReverseMatch("directory:profile")

    monkeypatch.setattr(Organisation, "get_absolute_url", missing)
    response = client.get(admin_url(Organisation, "change", org.pk))
    assert response.status_code == 200
    assert not response.context["has_absolute_url"]


def test_unchanged_organisation_saves(client, staff, experience):
    org = experience.organisation
    response = client.get(admin_url(Organisation, "change", org.pk))
    response = client.post(admin_url(Organisation, "change", org.pk), form_data(response))
    assert response.status_code == 302, errors_of(response)
    org.refresh_from_db()
    assert org.version == 2


def test_changelists_have_no_n_plus_1(client, staff, sectors):
    """Guards against N+1: the query count of the changelists does not grow with the number of rows."""
    donor = Donor.objects.create(name_fr="AFD")

    def add_organisations(n):
        for i in range(n):
            org = Organisation.objects.create(name_fr=f"Commune {i}", country="SN")
            Competence.objects.create(organisation=org, sector=Sector.objects.get(code="14030"))
            experience = Experience.objects.create(
                organisation=org, title_fr=f"Action {i}", role="partner", start_date=date(2020, 1, 1)
            )
            Funding.objects.create(experience=experience, donor=donor, amount=1)

    counts = []
    for n in (1, 5):
        add_organisations(n)
        per_page = []
        for model in (Organisation, Experience, Donor, Sector, Membership):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(admin_url(model, "changelist")).status_code == 200
            per_page.append(len(queries))
        counts.append(per_page)
    assert counts[0] == counts[1]


def test_organisation_changelist_counts_experiences(client, staff, experience):
    Experience.objects.create(
        organisation=experience.organisation, title_fr="Deuxième", role="partner", start_date=date(2015, 1, 1)
    )
    response = client.get(admin_url(Organisation, "changelist"))
    row = response.context["cl"].result_list.get(pk=experience.organisation.pk)
    assert row.n_experiences == 2


def test_organisation_changelist_filters(client, staff, org):
    other = Organisation.objects.create(name_fr="Commune de Dakar", country="SN")
    url = admin_url(Organisation, "changelist")
    shown = lambda query: set(client.get(url, query).context["cl"].result_list)  # noqa: E731
    assert shown({"competence_category": "140"}) == {org}
    assert shown({"competence_category": "151"}) == {org}
    assert shown({"competence_category": "311"}) == set()
    assert shown({"country": "SN"}) == {other}
    assert shown({"country": "FR"}) == {org}
    assert shown({"q": "lyon"}) == {org}


# Sector autocomplete ---------------------------------------------------------------------------------


def autocomplete(client, term, app_label, model_name, field_name):
    query = {"term": term, "app_label": app_label, "model_name": model_name, "field_name": field_name}
    response = client.get(reverse("admin:autocomplete"), query)
    assert response.status_code == 200
    return {item["text"].split()[0] for item in response.json()["results"]}


def test_autocomplete_offers_only_active_sectors(client, staff, sectors):
    assert Sector.objects.get(code="15120").withdrawn
    for app_label, model_name, field_name in [
        ("institutions", "competence", "sector"),
        ("experiences", "experience", "sectors"),
    ]:
        codes = autocomplete(client, "151", app_label, model_name, field_name)
        assert "15110" in codes
        assert "15120" not in codes


def test_sector_changelist_still_lists_withdrawn(client, staff, sectors):
    response = client.get(admin_url(Sector, "changelist"), {"q": "15120"})
    assert [s.code for s in response.context["cl"].result_list] == ["15120"]


# Inline validation -----------------------------------------------------------------------------------


def test_competence_inline_accepts_up_to_five(client, staff, org):
    url = admin_url(Organisation, "change", org.pk)
    data = form_data(client.get(url))
    new = [
        {"sector": Sector.objects.get(code=code).pk, "rank": rank}
        for rank, code in [(4, "11110"), (5, "11120")]
    ]
    response = client.post(url, add_rows(data, "competences", new))
    assert response.status_code == 302, errors_of(response)
    assert org.competences.count() == 5


def test_competence_inline_refuses_a_sixth(client, staff, org):
    url = admin_url(Organisation, "change", org.pk)
    data = form_data(client.get(url))
    new = [
        {"sector": Sector.objects.get(code=code).pk, "rank": rank}
        for rank, code in [(4, "11110"), (5, "11120"), (5, "11130")]
    ]
    response = client.post(url, add_rows(data, "competences", new))
    assert response.status_code == 200
    assert "An organisation has at most 5 fields of competence; remove 1." in errors_of(response)
    assert org.competences.count() == 3


def test_competence_inline_refuses_a_sixth_on_a_new_organisation(client, staff, sectors):
    url = admin_url(Organisation, "add")
    data = form_data(client.get(url))
    data.update({"name_fr": "Ville de Nantes", "country": "FR", "kind": "municipality", "published": "on"})
    codes = ["11110", "11120", "11130", "14030", "15110", "43030"]
    new = [{"sector": Sector.objects.get(code=code).pk, "rank": min(i, 5)} for i, code in enumerate(codes, 1)]
    response = client.post(url, add_rows(data, "competences", new))
    assert response.status_code == 200
    assert "An organisation has at most 5 fields of competence; remove 1." in errors_of(response)
    assert not Organisation.objects.filter(name_fr="Ville de Nantes").exists()


def test_competence_inline_refuses_a_duplicate_sector(client, staff, org):
    url = admin_url(Organisation, "change", org.pk)
    data = form_data(client.get(url))
    sector = Sector.objects.get(code="11110")
    response = client.post(
        url,
        add_rows(data, "competences", [{"sector": sector.pk, "rank": 4}, {"sector": sector.pk, "rank": 5}]),
    )
    assert response.status_code == 200
    assert f"The sector {sector} is given twice; each sector may be chosen once." in errors_of(response)
    assert org.competences.count() == 3


def test_competence_inline_refuses_a_sector_already_there(client, staff, org):
    url = admin_url(Organisation, "change", org.pk)
    data = form_data(client.get(url))
    response = client.post(
        url, add_rows(data, "competences", [{"sector": Sector.objects.get(code="14030").pk}])
    )
    assert response.status_code == 200
    assert any("is given twice" in m or "already one of" in m for m in errors_of(response))
    assert org.competences.count() == 3


def test_funding_inline_refuses_a_sum_over_the_cost(client, staff, experience):
    url = admin_url(Experience, "change", experience.pk)
    data = form_data(client.get(url))
    donor = Donor.objects.create(name_fr="Agence française de développement", acronym="AFD")
    # 600 already there; 300 + 300 more: each fits alone, together they exceed the cost of 1000.
    rows = [{"donor": donor.pk, "amount": "300.00"}, {"donor": donor.pk, "amount": "300.00"}]
    response = client.post(url, add_rows(data, "fundings", rows))
    assert response.status_code == 200
    assert (
        "The donors' contributions would total 1,200.00 EUR, more than the cost of the action (1,000.00 EUR). "
        "Lower a contribution or raise the cost." in errors_of(response)
    )
    assert experience.fundings.count() == 1


def test_funding_inline_checks_the_cost_given_in_the_same_form(client, staff, experience):
    url = admin_url(Experience, "change", experience.pk)
    data = form_data(client.get(url))
    donor = Donor.objects.create(name_fr="Agence française de développement", acronym="AFD")
    data["cost"] = "1200.00"
    response = client.post(url, add_rows(data, "fundings", [{"donor": donor.pk, "amount": "600.00"}]))
    assert response.status_code == 302, errors_of(response)
    assert experience.funded_total() == Decimal("1200.00")


def test_funding_inline_on_a_new_experience(client, staff, org):
    url = admin_url(Experience, "add")
    data = form_data(client.get(url))
    donor = Donor.objects.create(name_fr="Agence française de développement", acronym="AFD")
    data.update(
        {"organisation": org.pk, "title_fr": "Nouvelle action", "role": "partner", "start_date": "2020-01-01"}
    )
    data["cost"] = "100"
    response = client.post(url, add_rows(data, "fundings", [{"donor": donor.pk, "amount": "150"}]))
    assert response.status_code == 200
    assert any("more than the cost of the action" in m for m in errors_of(response))
    data["cost"] = "150"
    response = client.post(url, data)
    assert response.status_code == 302, errors_of(response)
    assert Experience.objects.get(title_fr="Nouvelle action").funded_total() == Decimal("150")


def test_competence_inline_refuses_a_withdrawn_sector_on_a_new_organisation(client, staff, sectors):
    url = admin_url(Organisation, "add")
    data = form_data(client.get(url))
    data.update({"name_fr": "Ville de Nantes", "country": "FR", "kind": "municipality", "published": "on"})
    response = client.post(
        url, add_rows(data, "competences", [{"sector": Sector.objects.get(code="15120").pk}])
    )
    assert response.status_code == 200
    assert "This OECD code has been withdrawn; choose a current one." in errors_of(response)
    assert not Organisation.objects.filter(name_fr="Ville de Nantes").exists()


def test_competence_inline_replaces_one_of_five(client, staff, org):
    for rank, code in [(4, "11110"), (5, "11120")]:
        Competence.objects.create(organisation=org, sector=Sector.objects.get(code=code), rank=rank)
    url = admin_url(Organisation, "change", org.pk)
    data = form_data(client.get(url))
    data["competences-0-DELETE"] = "on"
    response = client.post(
        url, add_rows(data, "competences", [{"sector": Sector.objects.get(code="11130").pk, "rank": 5}])
    )
    assert response.status_code == 302, errors_of(response)
    assert org.competences.count() == 5
    assert org.competences.filter(sector__code="11130").exists()


def test_cost_and_fundings_lowered_together(client, staff, experience):
    url = admin_url(Experience, "change", experience.pk)
    data = form_data(client.get(url))
    data.update({"cost": "500.00", "fundings-0-amount": "500.00"})
    response = client.post(url, data)
    assert response.status_code == 302, errors_of(response)


def test_two_fundings_swapped_within_the_cost(client, staff, experience):
    Funding.objects.create(
        experience=experience, donor=Donor.objects.get(acronym="CE"), amount=Decimal("400.00")
    )
    url = admin_url(Experience, "change", experience.pk)
    data = form_data(client.get(url))
    data.update({"fundings-0-amount": "400.00", "fundings-1-amount": "600.00"})
    response = client.post(url, data)
    assert response.status_code == 302, errors_of(response)
