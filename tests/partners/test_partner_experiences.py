"""Experiences with their countries and fundings: add, change, delete, validation, stale edits, restore."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from experiences.models import Experience, ExperienceCountry, Funding
from institutions.models import Organisation
from tests.partners.partner_forms import experience_data


def url(lang, name, *args):
    with translation.override(lang):
        return reverse(f"partners:{name}", args=args)


def test_add_an_experience_with_countries_sectors_and_fundings(client, owner, aimf, sector_rows, donors):
    client.force_login(owner)
    before = Organisation.objects.get(pk=aimf.pk).updated
    data = experience_data(
        fundings=[(donors["ce"], "30000"), (donors["afd"], "20000")],
        sectors=[sector_rows["14030"].pk, sector_rows["15112"].pk],
        countries=["SN", "CI"],
    )
    response = client.post(url("fr", "experience_add", aimf.slug), data)
    assert response.status_code == 302
    assert response["Location"] == url("fr", "experiences", aimf.slug)
    experience = aimf.experiences.get()
    assert experience.title_fr == "Assainissement à Dakar" and experience.title_en == "Sanitation in Dakar"
    assert sorted(experience.sectors.values_list("code", flat=True)) == ["14030", "15112"]
    assert sorted(experience.countries.values_list("country", flat=True)) == ["CI", "SN"]
    assert sorted(experience.fundings.values_list("amount", flat=True)) == [
        Decimal("20000"),
        Decimal("30000"),
    ]
    assert Organisation.objects.get(pk=aimf.pk).updated > before
    # History records who did it.
    assert {h.history_user for h in experience.history.all()} == {owner}
    assert Funding.history.filter(history_user=owner).count() == 2


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_list_and_form_in_both_languages(client, owner, aimf, experience, sector_rows, lang):
    client.force_login(owner)
    page = client.get(url(lang, "experiences", aimf.slug)).content.decode()
    assert (experience.title_fr if lang == "fr" else experience.title_en) in page
    # Dates as everywhere else on the site (DESIGN.md), not Django's SHORT_DATE_FORMAT ("01/01/2010" in US order).
    assert ("01/01/2010 – 31/12/2013" if lang == "fr" else "1 Jan 2010 – 31 Dec 2013") in page
    page = client.get(url(lang, "experience", aimf.slug, experience.pk)).content.decode()
    assert 'value="Eau pour tous"' in page and 'value="Water for all"' in page
    assert ("Titre de l’action en français" if lang == "fr" else "Action title in French") in page
    shown = "60\u202f000" if lang == "fr" else "60,000"  # in the language's format, as a text box
    assert f'type="text" name="fundings-0-amount" value="{shown}" inputmode="decimal"' in page


def test_change_an_experience_and_its_fundings(client, owner, aimf, experience, donors):
    client.force_login(owner)
    funding = experience.fundings.get()
    data = experience_data(
        experience,
        fundings=[(funding, donors["ce"], "40000"), (donors["afd"], "10000")],
        cost="100000",
        countries=["BF"],
    )
    response = client.post(url("en", "experience", aimf.slug, experience.pk), data)
    assert response.status_code == 302
    experience.refresh_from_db()
    assert experience.title_en == "Sanitation in Dakar"
    assert list(experience.countries.values_list("country", flat=True)) == ["BF"]
    assert sorted(experience.fundings.values_list("amount", flat=True)) == [
        Decimal("10000"),
        Decimal("40000"),
    ]
    assert experience.fundings.get(donor=donors["ce"]).pk == funding.pk


def test_moving_money_between_fundings_within_the_cost_is_accepted(client, owner, aimf, experience, donors):
    """The sum is checked over the rows as typed, not against the rows as stored."""
    client.force_login(owner)
    first = experience.fundings.get()  # 60 000 of 100 000
    second = Funding.objects.create(experience=experience, donor=donors["afd"], amount=Decimal("40000"))
    experience.refresh_from_db()
    data = experience_data(
        experience,
        fundings=[(first, donors["ce"], "40000"), (second, donors["afd"], "60000")],
        cost="100000",
    )
    response = client.post(url("fr", "experience", aimf.slug, experience.pk), data)
    assert response.status_code == 302, response.context["form"].errors | {
        "f": response.context["fundings"].errors
    }
    second.refresh_from_db()
    assert second.amount == Decimal("60000")


def test_lowering_the_cost_and_the_fundings_together_is_accepted(client, owner, aimf, experience, donors):
    client.force_login(owner)
    funding = experience.fundings.get()  # 60 000 of 100 000
    data = experience_data(experience, fundings=[(funding, donors["ce"], "30000")], cost="40000")
    assert client.post(url("fr", "experience", aimf.slug, experience.pk), data).status_code == 302
    experience.refresh_from_db()
    assert experience.cost == Decimal("40000")
    # Lowering only the cost below what is funded is still refused.
    data = experience_data(experience, fundings=[(funding, donors["ce"], "30000")], cost="20000")
    response = client.post(url("en", "experience", aimf.slug, experience.pk), data)
    assert response.status_code == 200
    assert "more than the cost of the action (20,000.00 EUR)" in response.content.decode()


def test_remove_a_funding(client, owner, aimf, experience, donors):
    client.force_login(owner)
    funding = experience.fundings.get()
    data = experience_data(experience, fundings=[(funding, donors["ce"], "60000")], cost="100000")
    data["fundings-0-DELETE"] = "on"
    assert client.post(url("fr", "experience", aimf.slug, experience.pk), data).status_code == 302
    assert not experience.fundings.exists()


def test_end_before_start_is_refused_in_french_keeping_what_was_typed(client, owner, aimf, donors):
    client.force_login(owner)
    data = experience_data(start_date="2015-03-01", end_date="2014-01-01", title_fr="Mon <titre>")
    response = client.post(url("fr", "experience_add", aimf.slug), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "La date de fin ne peut pas précéder la date de début." in page
    assert 'value="Mon &lt;titre&gt;"' in page
    assert 'value="2014-01-01"' in page
    assert '<option value="SN" selected>' in page
    assert not aimf.experiences.exists()
    data["end_date"] = "2015-03-01"  # the same day is fine
    assert client.post(url("fr", "experience_add", aimf.slug), data).status_code == 302


def test_fundings_over_the_cost_are_refused(client, owner, aimf, donors):
    client.force_login(owner)
    data = experience_data(cost="50000", fundings=[(donors["ce"], "30000"), (donors["afd"], "30000")])
    response = client.post(url("fr", "experience_add", aimf.slug), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Les contributions des bailleurs atteindraient 60\xa0000,00 EUR" in page
    assert 'value="30000"' in page
    assert not aimf.experiences.exists()
    data["fundings-1-amount"] = "20000"  # exactly the cost: fine
    assert client.post(url("fr", "experience_add", aimf.slug), data).status_code == 302


def test_negative_amount_and_cost_are_refused(client, owner, aimf, donors):
    client.force_login(owner)
    data = experience_data(cost="-5", fundings=[(donors["ce"], "-10")])
    page = client.post(url("fr", "experience_add", aimf.slug), data).content.decode()
    assert page.count("Assurez-vous que cette valeur est supérieure ou égale à 0.") == 2
    assert 'value="-10"' in page
    assert not Experience.objects.exists()


def test_withdrawn_sector_and_unknown_country_are_refused(client, owner, aimf, sector_rows):
    client.force_login(owner)
    data = experience_data(sectors=[sector_rows["14031"].pk])
    page = client.post(url("fr", "experience_add", aimf.slug), data).content.decode()
    assert "Ce code OCDE a été retiré" in page
    data = experience_data(countries=["ZZ"])
    page = client.post(url("en", "experience_add", aimf.slug), data).content.decode()
    assert "Select a valid choice. ZZ is not one of the available choices." in page
    assert not Experience.objects.exists()


def test_a_title_in_one_language_is_required(client, owner, aimf):
    client.force_login(owner)
    page = client.post(
        url("fr", "experience_add", aimf.slug), experience_data(title_fr="", title_en="")
    ).content
    assert "Indiquez le titre de l" in page.decode()
    data = experience_data(title_fr="", title_en="English only")
    assert client.post(url("fr", "experience_add", aimf.slug), data).status_code == 302


def test_stale_experience_edit_is_refused(client, owner, aimf, experience, donors):
    client.force_login(owner)
    opened = experience_data(experience, title_fr="Ma version", cost="100000")
    # Someone else saves the experience meanwhile.
    experience.title_fr = "Leur version"
    experience.save()
    response = client.post(url("fr", "experience", aimf.slug, experience.pk), opened)
    page = response.content.decode()
    assert response.status_code == 409
    assert "Quelqu’un d’autre a enregistré ce profil" in page
    assert 'value="Leur version"' in page
    experience.refresh_from_db()
    assert experience.title_fr == "Leur version"


def test_delete_then_restore_from_history(client, owner, aimf, experience, sector_rows, donors):
    client.force_login(owner)
    # Give it a sector and a country through the form, so history has them.
    funding = experience.fundings.get()
    data = experience_data(
        experience,
        title_fr="Eau pour tous",
        sectors=[sector_rows["14030"].pk],
        countries=["NE"],
        cost="100000",
        fundings=[(funding, donors["ce"], "60000")],
    )
    assert client.post(url("fr", "experience", aimf.slug, experience.pk), data).status_code == 302
    pk = experience.pk
    before = Organisation.objects.get(pk=aimf.pk).updated
    page = client.get(url("fr", "experience_delete", aimf.slug, pk)).content.decode()
    assert "Supprimer l’expérience « Eau pour tous »" in page
    assert client.post(url("fr", "experience_delete", aimf.slug, pk)).status_code == 302
    assert not Experience.objects.filter(pk=pk).exists()
    assert not Funding.objects.filter(experience_id=pk).exists()
    assert Organisation.objects.get(pk=aimf.pk).updated > before

    # Staff restore it with django-simple-history: the experience, then its rows, from their last versions.
    deleted = Experience.history.filter(id=pk, history_type="-").get()
    assert deleted.history_user == owner
    deleted.instance.save()
    last_saved = Experience.history.filter(id=pk, history_type="~").latest()
    restored = Experience.objects.get(pk=pk)
    restored.sectors.set([row.sector for row in last_saved.sectors.all()])
    for row in ExperienceCountry.history.filter(experience_id=pk, history_type="-"):
        row.instance.save()
    for row in Funding.history.filter(experience_id=pk, history_type="-"):
        row.instance.save()

    assert restored.title_fr == "Eau pour tous"
    assert list(restored.sectors.values_list("code", flat=True)) == ["14030"]
    assert list(restored.countries.values_list("country", flat=True)) == ["NE"]
    assert list(restored.fundings.values_list("amount", flat=True)) == [Decimal("60000")]
    public = client.get(aimf.get_absolute_url())
    assert public.status_code == 200


def test_delete_needs_post(client, owner, aimf, experience):
    client.force_login(owner)
    assert client.get(url("fr", "experience_delete", aimf.slug, experience.pk)).status_code == 200
    assert Experience.objects.filter(pk=experience.pk).exists()
