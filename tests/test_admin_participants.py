"""Participants in the staff admin: the inline of an experience (the same rules as the partner pages), the
list of unlisted participants, and linking them (several rows naming one organisation at once) to a
directory organisation."""

import html
from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from experiences.models import MAX_PARTICIPANTS, Experience, Participant
from institutions.models import Organisation
from tests.factories import admin_url, form_data
from tests.test_admin import add_rows, errors_of

pytestmark = pytest.mark.django_db

LINK = "link_to_directory"


@pytest.fixture
def orgs(db):
    return {
        slug: Organisation.objects.create(name_fr=name, slug=slug, country=country)
        for slug, name, country in [
            ("aimf", "Association internationale des maires francophones", "FR"),
            ("ouagadougou", "Commune de Ouagadougou", "BF"),
            ("banfora", "Commune de Banfora", "BF"),
        ]
    }


def action(orgs, title, owner="aimf"):
    return Experience.objects.create(
        organisation=orgs[owner], title_fr=title, role="coordinator", start_date=date(2015, 1, 1)
    )


@pytest.fixture
def unlisted(orgs):
    """Three actions naming Banfora without the directory (spelt differently), one naming another town."""
    first, second, third = action(orgs, "Eau"), action(orgs, "Marchés"), action(orgs, "Santé", owner="ouagadougou")
    return {
        "first": Participant.objects.create(experience=first, name="Commune de Banfora", country="BF", role="partner"),
        "second": Participant.objects.create(experience=second, name=" commune de banfora", role="associate"),
        "third": Participant.objects.create(experience=third, name="Commune de Banfora", role="partner"),
        "other": Participant.objects.create(experience=first, name="Ville de Man", country="CI", role="partner"),
    }


# The inline ---------------------------------------------------------------------------------------------


def post_inline(client, experience, rows):
    address = admin_url(Experience, "change", experience.pk)
    data = add_rows(form_data(client.get(address)), "participants", rows)
    return client.post(address, data)


def test_the_inline_adds_listed_and_unlisted_participants(client, staff, orgs):
    experience = action(orgs, "Eau")
    response = post_inline(
        client,
        experience,
        [
            {"organisation": orgs["ouagadougou"].pk, "role": "partner"},
            {"name": "Ville de Man", "country": "CI", "kind": "municipality", "role": "associate"},
        ],
    )
    assert response.status_code == 302, errors_of(response)
    assert {(p.organisation_id, p.name) for p in experience.participants.all()} == {
        (orgs["ouagadougou"].pk, ""),
        (None, "Ville de Man"),
    }


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"organisation": "aimf", "role": "partner"}], "An organisation is not its own partner"),
        (
            [{"organisation": "banfora", "role": "partner"}, {"organisation": "banfora", "role": "associate"}],
            "is given twice",
        ),
        ([{"name": "Ville de Man", "role": "partner"}, {"name": "VILLE DE MAN", "role": "partner"}], "is given twice"),
        ([{"organisation": "banfora", "name": "Ville de Man", "role": "partner"}], "not both"),
    ],
)
def test_the_inline_refuses_what_the_partner_pages_refuse(client, staff, orgs, rows, message):
    experience = action(orgs, "Eau")
    rows = [
        {**row, **({"organisation": orgs[row["organisation"]].pk} if "organisation" in row else {})} for row in rows
    ]
    response = post_inline(client, experience, rows)
    assert response.status_code == 200
    assert any(message in str(m) for m in errors_of(response)), errors_of(response)
    assert not Participant.objects.exists()


@pytest.mark.parametrize(("count", "saved"), [(MAX_PARTICIPANTS, True), (MAX_PARTICIPANTS + 1, False)])
def test_the_inline_just_below_and_above_the_bound(client, staff, orgs, count, saved):
    experience = action(orgs, "Eau")
    response = post_inline(client, experience, [{"name": f"Commune {n}", "role": "partner"} for n in range(count)])
    assert (response.status_code == 302) is saved
    assert Participant.objects.count() == (count if saved else 0)


# The list of unlisted participants ----------------------------------------------------------------------


def test_the_listed_filter_both_ways(client, staff, orgs, unlisted):
    linked = Participant.objects.create(
        experience=unlisted["first"].experience, organisation=orgs["ouagadougou"], role="partner"
    )
    changelist = admin_url(Participant, "changelist")
    shown = {p.pk for p in client.get(changelist, {"listed": "no"}).context["cl"].result_list}
    assert shown == {p.pk for p in unlisted.values()}
    shown = {p.pk for p in client.get(changelist, {"listed": "yes"}).context["cl"].result_list}
    assert shown == {linked.pk}
    everything = {p.pk for p in client.get(changelist).context["cl"].result_list}
    assert everything == {linked.pk, *(p.pk for p in unlisted.values())}
    assert client.get(changelist, {"listed": "\x00"}).status_code == 200


# Linking ------------------------------------------------------------------------------------------------


def link(client, rows, **data):
    payload = {"action": LINK, "_selected_action": [row.pk for row in rows], **data}
    return client.post(admin_url(Participant, "changelist"), payload, follow=True)


def test_linking_asks_for_the_organisation_first(client, staff, unlisted):
    response = link(client, [unlisted["first"]])
    assert response.status_code == 200
    page = response.content.decode()
    assert "Link participants to an organisation of the directory" in page
    assert unlisted["first"].experience.title_fr in page
    assert Participant.objects.filter(organisation__isnull=True).count() == 4


def test_linking_merges_every_row_with_the_same_name(client, staff, orgs, unlisted):
    banfora = orgs["banfora"]
    response = link(client, [unlisted["first"]], organisation=banfora.slug, same_name="on")
    assert "Linked to “Commune de Banfora”: 3; deleted as duplicates (their action already lists it): 0" in (
        response.content.decode()
    )
    for key in ("first", "second", "third"):
        row = Participant.objects.get(pk=unlisted[key].pk)
        assert (row.organisation, row.name, row.country.code or "", row.kind) == (banfora, "", "", "")
        assert row.history.first().history_change_reason == f"Linked to organisation #{banfora.pk} (banfora)"
    # The role each action gave stays; another name is left alone.
    assert Participant.objects.get(pk=unlisted["second"].pk).role == "associate"
    assert Participant.objects.get(pk=unlisted["other"].pk).organisation is None


def test_linking_only_the_selected_rows(client, staff, orgs, unlisted):
    link(client, [unlisted["first"]], organisation=orgs["banfora"].slug)  # same_name unticked
    assert Participant.objects.get(pk=unlisted["first"].pk).organisation == orgs["banfora"]
    assert Participant.objects.get(pk=unlisted["second"].pk).organisation is None
    assert Participant.objects.get(pk=unlisted["third"].pk).organisation is None


def test_linking_deletes_duplicates_and_leaves_the_organisations_own_action(client, staff, orgs, unlisted):
    """The first action already lists Banfora: its unlisted row is a duplicate. Linking to Ouagadougou, the
    third row (Ouagadougou's own action) stays unlisted: an organisation is not its own partner."""
    Participant.objects.create(experience=unlisted["first"].experience, organisation=orgs["banfora"], role="partner")
    response = link(client, [unlisted["first"]], organisation=orgs["banfora"].slug, same_name="on")
    assert "deleted as duplicates (their action already lists it): 1" in response.content.decode()
    assert not Participant.objects.filter(pk=unlisted["first"].pk).exists()
    assert Participant.history.filter(id=unlisted["first"].pk, history_type="-").exists()

    Participant.objects.filter(pk__in=[unlisted["second"].pk, unlisted["third"].pk]).update(
        organisation=None, name="Commune de Banfora"
    )
    response = link(client, [unlisted["second"]], organisation=orgs["ouagadougou"].slug, same_name="on")
    assert "left as they were (the organisation's own actions): 1" in html.unescape(response.content.decode())
    assert Participant.objects.get(pk=unlisted["second"].pk).organisation == orgs["ouagadougou"]
    assert Participant.objects.get(pk=unlisted["third"].pk).organisation is None


@pytest.mark.parametrize("typed", ["no-such-organisation", "\x00", "", "x" * 300])
def test_linking_to_an_unknown_address_changes_nothing(client, staff, unlisted, typed):
    response = link(client, [unlisted["first"]], organisation=typed)
    assert response.status_code == 200
    assert "Please give the name or address of an organisation of the directory." in response.content.decode()
    assert Participant.objects.filter(organisation__isnull=True).count() == 4


def test_linking_to_an_organisation_typed_by_its_name(client, staff, orgs, unlisted):
    """As the partner's participant rows: its name (any case) or acronym serves as well as its address, even
    unpublished (staff may link to any record); a name two organisations share lists their addresses."""
    orgs["banfora"].published = False
    orgs["banfora"].save()
    link(client, [unlisted["first"]], organisation="commune de banfora")
    assert Participant.objects.get(pk=unlisted["first"].pk).organisation == orgs["banfora"]
    Organisation.objects.create(name_fr="Commune de Ouagadougou", slug="ouagadougou-2", country="BF")
    response = link(client, [unlisted["second"]], organisation="Commune de Ouagadougou")
    page = html.unescape(response.content.decode())
    assert "Several organisations of the directory have this name" in page
    assert "(ouagadougou)" in page and "(ouagadougou-2)" in page
    assert Participant.objects.get(pk=unlisted["second"].pk).organisation is None


def test_linking_needs_an_unlisted_row(client, staff, orgs, unlisted):
    listed = Participant.objects.create(
        experience=unlisted["first"].experience, organisation=orgs["ouagadougou"], role="partner"
    )
    response = link(client, [listed], organisation=orgs["banfora"].slug)
    assert "Select unlisted participants" in response.content.decode()
    assert Participant.objects.get(pk=listed.pk).organisation == orgs["ouagadougou"]


# Permissions --------------------------------------------------------------------------------------------


def staff_with(django_user_model, *codenames):
    number = django_user_model.objects.count()
    user = django_user_model.objects.create_user(f"staff-{number}@example.org", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="experiences", codename__in=codenames))
    visitor = Client()
    visitor.force_login(user)
    return visitor


def test_who_may_see_and_link(django_user_model, orgs, unlisted):
    changelist = admin_url(Participant, "changelist")
    payload = {
        "action": LINK,
        "_selected_action": [unlisted["first"].pk],
        "organisation": orgs["banfora"].slug,
        "same_name": "on",
    }
    # Anonymous: to the log-in page.
    response = Client().post(changelist, payload)
    assert response.status_code == 302 and "login" in response["Location"]
    # Staff without permission: forbidden.
    assert staff_with(django_user_model).get(changelist).status_code == 403
    assert staff_with(django_user_model).post(changelist, payload).status_code == 403
    # Staff who may only view: the list, not the action.
    viewer = staff_with(django_user_model, "view_participant")
    assert viewer.get(changelist).status_code == 200
    viewer.post(changelist, payload)
    assert Participant.objects.filter(organisation__isnull=True).count() == 4
    # Staff who may change and delete participants: linked.
    editor = staff_with(django_user_model, "view_participant", "change_participant", "delete_participant")
    assert editor.post(changelist, payload).status_code == 302
    assert Participant.objects.filter(organisation=orgs["banfora"]).count() == 3
