"""Restore restores everything (issue 14, finding 7): an experience deleted by its partner and brought
back from the admin's history comes back with its sectors, countries, fundings and participants, field by
field."""

import pytest
from django.urls import reverse

from experiences.models import Experience, ExperienceCountry, Funding, Participant
from tests.partners.partner_forms import experience_data


def snapshot(experience):
    """Every stored field of the experience and of its rows."""
    fields = [f.attname for f in Experience._meta.concrete_fields if f.attname != "updated"]
    return {
        "experience": {name: getattr(experience, name) for name in fields},
        "sectors": sorted(experience.sectors.values_list("pk", flat=True)),
        "countries": sorted(ExperienceCountry.objects.filter(experience=experience).values_list("pk", "country")),
        "fundings": sorted(Funding.objects.filter(experience=experience).values_list("pk", "donor_id", "amount")),
        "participants": sorted(
            Participant.objects.filter(experience=experience).values_list("pk", "organisation_id", "name", "role")
        ),
    }


def revert_data(response):
    """What the history page's "Revert" form posts, as rendered."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[form[name].html_name] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    return data


@pytest.fixture
def boss(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss@platforma.example", "pw-correct-horse-battery")
    return user


@pytest.mark.parametrize("removed_first", [False, True])
def test_a_deleted_experience_comes_back_whole(
    client, owner, boss, aimf, ouaga, experience, sector_rows, donors, removed_first
):
    """Finding 7 of issue 14: restoring from the admin's history brought the experience back without its
    countries, sectors and fundings. A funding the partner removed before deleting stays removed."""
    client.force_login(owner)
    funding = experience.fundings.get()
    fundings = [(funding, donors["ce"], "60000"), (donors["afd"], "30000")]
    data = experience_data(
        experience, sectors=[sector_rows["14030"].pk, sector_rows["15112"].pk], countries=["NE", "ML"],
        cost="100000", fundings=fundings,
        participants=[{"organisation": ouaga.slug, "role": "partner"}, {"name": "Ville de Man", "role": "associate"}],
    )  # fmt: skip
    address = reverse("partners:experience", args=[aimf.slug, experience.pk])
    assert client.post(address, data).status_code == 302
    experience.refresh_from_db()
    if removed_first:
        removed = experience.fundings.get(donor=donors["afd"])
        data = experience_data(
            experience, sectors=[sector_rows["14030"].pk, sector_rows["15112"].pk], countries=["NE", "ML"],
            cost="100000", fundings=[(funding, donors["ce"], "60000"), (removed, donors["afd"], "30000")],
            **{"fundings-1-DELETE": "on"},
        )  # fmt: skip
        assert client.post(address, data).status_code == 302
        experience.refresh_from_db()
    if removed_first:
        Participant.objects.create(experience=experience, name="Removed before", role="partner").delete()
    before = snapshot(experience)
    assert len(before["countries"]) == 2 and len(before["sectors"]) == 2 and len(before["participants"]) == 2
    assert len(before["fundings"]) == (1 if removed_first else 2)
    assert len(before["participants"]) == 2
    pk = experience.pk
    assert client.post(reverse("partners:experience_delete", args=[aimf.slug, pk])).status_code == 302
    assert not Experience.objects.filter(pk=pk).exists()

    client.force_login(boss)
    deletion = Experience.history.filter(id=pk, history_type="-").get()
    page = reverse("admin:experiences_experience_simple_history", args=[pk, deletion.history_id])
    response = client.get(page)
    assert response.status_code == 200
    assert client.post(page, revert_data(response)).status_code == 302

    restored = Experience.objects.get(pk=pk)
    after = snapshot(restored)
    assert after == before


def test_a_participant_whose_organisation_was_deleted_since_is_not_brought_back(
    client, boss, aimf, ouaga, experience
):
    Participant.objects.create(experience=experience, organisation=ouaga, role="partner")
    Participant.objects.create(experience=experience, name="Commune de Banfora", role="associate")
    pk = experience.pk
    experience.delete()
    ouaga.delete()
    client.force_login(boss)
    deletion = Experience.history.filter(id=pk, history_type="-").get()
    page = reverse("admin:experiences_experience_simple_history", args=[pk, deletion.history_id])
    assert client.post(page, revert_data(client.get(page))).status_code == 302
    assert list(Participant.objects.filter(experience_id=pk).values_list("name", flat=True)) == ["Commune de Banfora"]
