"""The participants of an experience on the partner pages: a directory organisation (by the picker's address,
or its name typed without script) or an unlisted one, with its role; the rules; who may edit them; the
picker's search."""

import html

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from experiences.models import MAX_PARTICIPANTS, Experience, Participant
from institutions.models import Organisation
from tests.partners.partner_forms import experience_data

LANGS = ["fr", "en"]


def url(lang, name, *args):
    with translation.override(lang):
        return reverse(f"partners:{name}", args=args)


def text(response):
    return html.unescape(response.content.decode())


@pytest.fixture
def kossamba(db):
    return Organisation.objects.create(name_fr="Commune de Kossamba", name_en="City of Kossamba", country="BF")


@pytest.fixture
def participant(experience, ouaga):
    return Participant.objects.create(experience=experience, organisation=ouaga, role=Experience.Role.PARTNER)


def test_add_an_experience_with_listed_and_unlisted_participants(client, owner, aimf, ouaga, kossamba):
    client.force_login(owner)
    data = experience_data(
        participants=[
            {"organisation": ouaga.slug, "role": "partner"},  # as the picker posts it
            {"organisation": "City of Kossamba", "role": "associate"},  # typed without script
            {"name": "Ville de Ferkessédougou", "country": "CI", "kind": "municipality", "role": "partner"},
            {},  # an empty row is ignored
        ]
    )
    response = client.post(url("fr", "experience_add", aimf.slug), data)
    assert response.status_code == 302
    experience = aimf.experiences.get()
    rows = {(p.organisation, p.name, p.country.code or "", p.kind, p.role) for p in experience.participants.all()}
    assert rows == {
        (ouaga, "", "", "", "partner"),
        (kossamba, "", "", "", "associate"),
        (None, "Ville de Ferkessédougou", "CI", "municipality", "partner"),
    }
    assert {h.history_user for h in Participant.history.all()} == {owner}


def test_change_the_role_and_remove_a_participant(client, owner, aimf, experience, participant, kossamba):
    client.force_login(owner)
    data = experience_data(
        experience,
        title_fr=experience.title_fr,
        participants=[
            {"id": participant.pk, "organisation": participant.organisation.slug, "role": "coordinator"},
            {"organisation": kossamba.slug, "role": "partner"},
        ],
    )
    assert client.post(url("en", "experience", aimf.slug, experience.pk), data).status_code == 302
    assert {(p.organisation, p.role) for p in experience.participants.all()} == {
        (participant.organisation, "coordinator"),
        (kossamba, "partner"),
    }
    experience.refresh_from_db()
    data = experience_data(
        experience,
        participants=[
            {"id": participant.pk, "organisation": participant.organisation.slug, "role": "coordinator", "DELETE": 1}
        ],
    )
    assert client.post(url("en", "experience", aimf.slug, experience.pk), data).status_code == 302
    assert list(experience.participants.values_list("organisation", flat=True)) == [kossamba.pk]
    assert Participant.history.filter(id=participant.pk, history_type="-", history_user=owner).exists()


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("fr", "Une organisation n’est pas sa propre partenaire"),
        ("en", "An organisation is not its own partner"),
    ],
)
@pytest.mark.parametrize("adding", [True, False])
def test_an_organisation_is_not_its_own_partner(client, owner, aimf, experience, lang, message, adding):
    client.force_login(owner)
    rows = [{"organisation": aimf.slug, "role": "partner"}]
    if adding:
        address, data = url(lang, "experience_add", aimf.slug), experience_data(participants=rows)
    else:
        address = url(lang, "experience", aimf.slug, experience.pk)
        data = experience_data(experience, participants=rows)
    response = client.post(address, data)
    assert response.status_code == 200
    assert message in text(response)
    assert not Participant.objects.exists()
    assert aimf.experiences.count() == 1


@pytest.mark.parametrize(
    ("rows", "lang", "message"),
    [
        ("same organisation", "en", "is given twice"),
        ("same organisation", "fr", "est donné deux fois"),
        ("same name", "en", "is given twice"),
        ("both", "en", "not both"),
        ("both", "fr", "pas les deux"),
        ("neither", "en", "Choose an organisation of the directory or type the name"),
        ("neither", "fr", "Choisissez une organisation de l’annuaire ou tapez le nom"),
        ("unknown", "en", "No organisation of the directory has this name"),
        ("unknown", "fr", "Aucune organisation de l’annuaire n’a ce nom"),
        ("no role", "en", "This field is required."),
    ],
)
def test_refused_rows_keep_what_was_typed(client, owner, aimf, ouaga, rows, lang, message):
    client.force_login(owner)
    typed = {
        "same organisation": [
            {"organisation": ouaga.slug, "role": "partner"},
            {"organisation": "Commune de Ouagadougou", "role": "associate"},
        ],
        "same name": [{"name": "Ville de Man", "role": "partner"}, {"name": "ville de man ", "role": "partner"}],
        "both": [{"organisation": ouaga.slug, "name": "Ville de Man", "role": "partner"}],
        "neither": [{"country": "CI", "role": "partner"}],
        "unknown": [{"organisation": "Commune de Nulle-Part", "role": "partner"}],
        "no role": [{"organisation": ouaga.slug}],
    }[rows]
    response = client.post(url(lang, "experience_add", aimf.slug), experience_data(participants=typed))
    assert response.status_code == 200
    page = text(response)
    assert message in page
    for row in typed:
        for value in row.values():
            assert f'value="{value}"' in page or f'value="{value}" selected' in page
    assert not Experience.objects.exists() and not Participant.objects.exists()


def test_a_name_several_organisations_share_asks_for_the_address(client, owner, aimf, ouaga):
    twin = Organisation.objects.create(name_fr="Commune de Ouagadougou", country="BF")
    client.force_login(owner)
    data = experience_data(participants=[{"organisation": "commune de ouagadougou", "role": "partner"}])
    page = text(client.post(url("en", "experience_add", aimf.slug), data))
    assert "Several organisations of the directory have this name" in page
    assert ouaga.slug in page and twin.slug in page
    assert not Participant.objects.exists()


def test_an_unpublished_organisation_is_not_offered_but_a_row_naming_it_is_kept(
    client, owner, aimf, experience, participant
):
    ouaga = participant.organisation
    Organisation.objects.filter(pk=ouaga.pk).update(published=False)
    client.force_login(owner)
    # Kept: the row already names it.
    data = experience_data(
        experience, participants=[{"id": participant.pk, "organisation": ouaga.slug, "role": "associate"}]
    )
    assert client.post(url("en", "experience", aimf.slug, experience.pk), data).status_code == 302
    assert Participant.objects.get().role == "associate"
    # Not offered to a new row.
    experience.refresh_from_db()
    hidden = Organisation.objects.create(name_fr="Commune cachée", published=False)
    data = experience_data(
        experience,
        participants=[
            {"id": participant.pk, "organisation": ouaga.slug, "role": "associate"},
            {"organisation": hidden.slug, "role": "partner"},
        ],
    )
    response = client.post(url("en", "experience", aimf.slug, experience.pk), data)
    assert "No organisation of the directory has this name" in text(response)
    assert not Participant.objects.filter(organisation=hidden).exists()


@pytest.mark.parametrize(("count", "saved"), [(MAX_PARTICIPANTS, True), (MAX_PARTICIPANTS + 1, False)])
def test_participants_just_below_and_above_the_bound(client, owner, aimf, count, saved):
    client.force_login(owner)
    rows = [{"name": f"Commune {n}", "country": "BF", "role": "partner"} for n in range(count)]
    response = client.post(url("en", "experience_add", aimf.slug), experience_data(participants=rows))
    assert (response.status_code == 302) is saved
    assert Participant.objects.count() == (count if saved else 0)
    if not saved:
        assert f"An experience lists at most {MAX_PARTICIPANTS} participants; {count} are given" in text(response)


def test_removing_rows_and_adding_others_in_one_save_counts_the_rows_kept(client, owner, aimf, experience):
    rows = [
        Participant.objects.create(experience=experience, name=f"Commune {n}", role="partner")
        for n in range(MAX_PARTICIPANTS)
    ]
    client.force_login(owner)
    data = experience_data(
        experience,
        participants=[
            {"id": p.pk, "name": p.name, "role": "partner", "DELETE": n == 0} for n, p in enumerate(rows)
        ]
        + [{"name": "Commune nouvelle", "role": "partner"}],
    )
    assert client.post(url("en", "experience", aimf.slug, experience.pk), data).status_code == 302
    assert experience.participants.count() == MAX_PARTICIPANTS
    assert experience.participants.filter(name="Commune nouvelle").exists()


@pytest.mark.parametrize("lang", LANGS)
def test_the_form_shows_the_participants_in_both_languages(client, owner, aimf, experience, participant, lang):
    client.force_login(owner)
    page = text(client.get(url(lang, "experience", aimf.slug, experience.pk)))
    assert ("Autres participants" if lang == "fr" else "Other participants") in page
    assert f'name="participants-0-organisation" value="{participant.organisation.slug}"' in page
    # The picker shows the organisation's name and asks the server for others.
    assert f'"name": "{participant.organisation}"' in page
    assert f'data-search-url="{url(lang, "organisation_search", aimf.slug)}"' in page


@pytest.mark.parametrize(
    ("lang", "own", "theirs"),
    [("fr", "Rôle dans l'action", "Rôle de ce participant"), ("en", "Role in the action", "Role of this participant")],
)
def test_the_experience_role_and_a_participant_role_have_labels_of_their_own(
    client, owner, aimf, experience, participant, lang, own, theirs
):
    """A screen reader tells the experience's own role from each participant's."""
    client.force_login(owner)
    page = text(client.get(url(lang, "experience", aimf.slug, experience.pk)))
    role_label = page[page.index('for="id_role"') :].split("</label>")[0]
    assert own in role_label and theirs not in role_label
    row_label = page[page.index('for="id_participants-0-role"') :].split("</label>")[0]
    assert theirs in row_label and own not in row_label


def test_form_queries_do_not_grow_with_participants(
    client, owner, aimf, experience, kossamba, django_assert_max_num_queries
):
    client.force_login(owner)
    address = url("en", "experience", aimf.slug, experience.pk)
    Participant.objects.create(experience=experience, organisation=kossamba, role="partner")
    client.get(address)
    with django_assert_max_num_queries(12) as one:
        client.get(address)
    for n in range(8):
        other = Organisation.objects.create(name_fr=f"Commune {n}")
        Participant.objects.create(experience=experience, organisation=other, role="partner")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(address).status_code == 200


# Permissions: the participants are edited with the experience, on the owner's pages only.


def test_other_partner_staff_without_permission_and_anonymous_cannot_edit_participants(
    client, other_partner, staff, aimf, experience, ouaga, kossamba
):
    data = experience_data(experience, participants=[{"organisation": kossamba.slug, "role": "partner"}])
    for user in (other_partner, staff, None):
        visitor = Client()
        if user:
            visitor.force_login(user)
        for lang in LANGS:
            for address in (url(lang, "experience", aimf.slug, experience.pk), url(lang, "experience_add", aimf.slug)):
                response = visitor.post(address, data)
                assert response.status_code == (404 if user else 302), (user, address)
                if user is None:
                    assert "login" in response["Location"]
            search = visitor.get(url(lang, "organisation_search", aimf.slug), {"q": "Koss"})
            assert search.status_code == (404 if user else 302)
    assert not Participant.objects.exists()


def test_owner_and_staff_editor_edit_participants(client, owner, staff_editor, aimf, experience, kossamba, ouaga):
    for user, partner in ((owner, kossamba), (staff_editor, ouaga)):
        client.force_login(user)
        experience.refresh_from_db()
        rows = [
            {"id": p.pk, "organisation": p.organisation.slug, "role": p.role} for p in experience.participants.all()
        ]
        data = experience_data(experience, participants=[*rows, {"organisation": partner.slug, "role": "partner"}])
        assert client.post(url("en", "experience", aimf.slug, experience.pk), data).status_code == 302
    assert set(experience.participants.values_list("organisation", flat=True)) == {kossamba.pk, ouaga.pk}


def test_another_organisations_action_is_404_even_to_its_partner(
    client, owner, aimf, ouaga, other_experience, kossamba
):
    """AIMF is a participant of Ouagadougou's action: its partner reads it on the profile, but cannot edit it,
    neither under Ouagadougou's address nor under AIMF's own."""
    Participant.objects.create(experience=other_experience, organisation=aimf, role="partner")
    client.force_login(owner)
    data = experience_data(other_experience, participants=[{"organisation": kossamba.slug, "role": "partner"}])
    for lang in LANGS:
        for address in (
            url(lang, "experience", ouaga.slug, other_experience.pk),
            url(lang, "experience", aimf.slug, other_experience.pk),
        ):
            assert client.get(address).status_code == 404
            assert client.post(address, data).status_code == 404
    assert list(other_experience.participants.values_list("organisation", flat=True)) == [aimf.pk]


# The picker's search.


@pytest.mark.parametrize("lang", LANGS)
def test_search_offers_published_organisations_but_not_itself(client, owner, aimf, ouaga, kossamba, lang):
    hidden = Organisation.objects.create(name_fr="Commune de Kossamba-Est", published=False)
    client.force_login(owner)
    address = url(lang, "organisation_search", aimf.slug)
    found = client.get(address, {"q": "kossamba"}).json()["results"]
    assert [r["slug"] for r in found] == [kossamba.slug]
    assert found[0]["name"] == (kossamba.name_fr if lang == "fr" else kossamba.name_en)
    assert hidden.slug not in str(found)
    assert [r["slug"] for r in client.get(address, {"q": "OUAGA"}).json()["results"]] == [ouaga.slug]
    # Accents and capitals ignored, as the directory sorts names.
    segou = Organisation.objects.create(name_fr="Commune de Ségou", country="ML")
    assert [r["slug"] for r in client.get(address, {"q": "SEGOU"}).json()["results"]] == [segou.slug]
    # Itself never: not its own partner.
    assert client.get(address, {"q": aimf.acronym}).json()["results"] == []


@pytest.mark.parametrize("typed", ["", "k", "\x00\x00", "%", "a" * 5000, "' OR 1=1 --"])
def test_search_answers_odd_input_without_error(client, owner, aimf, kossamba, typed):
    client.force_login(owner)
    response = client.get(url("en", "organisation_search", aimf.slug), {"q": typed})
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_search_is_bounded(client, owner, aimf):
    from partners.views import SEARCH_RESULTS

    Organisation.objects.bulk_create(
        [Organisation(name_fr=f"Commune {n}", slug=f"commune-{n}", sort_name_fr=f"commune {n:03}") for n in range(30)]
    )
    client.force_login(owner)
    found = client.get(url("en", "organisation_search", aimf.slug), {"q": "commune"}).json()["results"]
    assert len(found) == SEARCH_RESULTS
    assert SEARCH_RESULTS < 30
