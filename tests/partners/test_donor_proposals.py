"""A partner proposes a donor missing from the list; staff add it (or reject it) in the admin (issue 16)."""

import pytest
from django.contrib.auth.models import Permission

from experiences.models import Donor
from partners.models import DonorProposal

URL = "/{lang}/partners/organisations/{slug}/donors/propose/"


def url(organisation, lang="fr"):
    return URL.format(lang=lang, slug=organisation.slug)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_owner_proposes_a_donor_and_sees_it_waiting(client, owner, aimf, donors, lang):
    client.force_login(owner)
    page = client.get(url(aimf, lang))
    assert page.status_code == 200
    response = client.post(url(aimf, lang), {"name": "Région Île-de-France", "acronym": "RIDF"}, follow=True)
    assert response.status_code == 200
    proposal = DonorProposal.objects.get()
    assert (proposal.organisation, proposal.proposed_by, proposal.name, proposal.acronym) == (
        aimf,
        owner,
        "Région Île-de-France",
        "RIDF",
    )
    body = response.content.decode()
    assert "RIDF – Région Île-de-France" in body
    assert ("En attente" if lang == "fr" else "Waiting for staff") in body
    assert not Donor.objects.filter(acronym="RIDF").exists(), "nothing public changes before staff confirm"


def test_the_experience_form_links_to_the_proposal_page(client, owner, aimf, donors):
    client.force_login(owner)
    body = client.get(f"/en/partners/organisations/{aimf.slug}/experiences/new/").content.decode()
    assert url(aimf, "en") in body


@pytest.mark.parametrize("who", ["other_partner", "staff", None])
def test_nobody_else_may_propose_for_the_organisation(client, request, aimf, donors, who):
    if who:
        client.force_login(request.getfixturevalue(who))
    response = client.post(url(aimf), {"name": "Fonds X"})
    assert response.status_code == (302 if who is None else 404)  # anonymous: to the login page
    assert not DonorProposal.objects.exists()


def test_staff_with_the_permission_may_propose_for_any_organisation(client, staff, aimf, donors):
    staff.user_permissions.add(Permission.objects.get(codename="change_experience"))
    client.force_login(staff)
    assert client.post(url(aimf), {"name": "Fonds X"}).status_code == 302
    assert DonorProposal.objects.get().proposed_by == staff


@pytest.mark.parametrize(
    "data, error",
    [
        ({"name": "", "acronym": "X"}, "obligatoire"),
        ({"name": "Commission européenne", "acronym": ""}, "déjà dans la liste"),
        ({"name": "european commission", "acronym": ""}, "déjà dans la liste"),
        ({"name": "Autre nom", "acronym": "afd"}, "déjà dans la liste"),
        ({"name": "x" * 256, "acronym": ""}, "255"),
    ],
)
def test_a_refused_proposal_keeps_what_was_typed_and_says_why_in_french(client, owner, aimf, donors, data, error):
    client.force_login(owner)
    response = client.post(url(aimf), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert error in body
    assert data["name"][:50] in body
    assert not DonorProposal.objects.exists()


def test_the_same_donor_is_proposed_once(client, owner, aimf, donors):
    client.force_login(owner)
    client.post(url(aimf, "en"), {"name": "Fonds X"})
    response = client.post(url(aimf, "en"), {"name": "FONDS X"})
    assert response.status_code == 400 and "already proposed" in response.content.decode()
    assert DonorProposal.objects.count() == 1


def test_at_most_so_many_proposals_wait_at_once(client, owner, aimf, donors):
    client.force_login(owner)
    limit = DonorProposal.MAX_PENDING
    DonorProposal.objects.bulk_create(DonorProposal(organisation=aimf, name=f"Fonds {n}") for n in range(limit - 1))
    assert client.post(url(aimf, "en"), {"name": "Just below"}).status_code == 302
    response = client.post(url(aimf, "en"), {"name": "Just above"})
    assert response.status_code == 400 and f"{limit} proposals are already waiting" in response.content.decode()
    assert DonorProposal.objects.count() == limit
    DonorProposal.objects.filter(name="Fonds 0").update(rejected=True)  # one is closed: room again
    assert client.post(url(aimf, "en"), {"name": "Just above"}).status_code == 302


# --- staff ---------------------------------------------------------------------------------------------


def admin_post(client, action, proposals):
    return client.post(
        "/admin/partners/donorproposal/",
        {"action": action, "_selected_action": [p.pk for p in proposals]},
        follow=True,
    )


@pytest.fixture
def proposals(aimf):
    return [
        DonorProposal.objects.create(organisation=aimf, name="Région Île-de-France", acronym="RIDF"),
        DonorProposal.objects.create(organisation=aimf, name="Fonds mondial"),
    ]


def test_staff_add_proposed_donors_who_then_appear_in_the_list(client, admin_user, proposals, aimf):
    client.force_login(admin_user)
    response = admin_post(client, "confirm", proposals)
    assert response.status_code == 200
    donor = Donor.objects.get(acronym="RIDF")
    assert (donor.name_fr, donor.name_en) == ("Région Île-de-France", "Région Île-de-France")
    assert [p.donor for p in DonorProposal.objects.order_by("pk")] == [
        donor,
        Donor.objects.get(name_fr="Fonds mondial"),
    ]
    admin_post(client, "confirm", proposals)  # again: nothing more
    assert Donor.objects.filter(acronym="RIDF").count() == 1


def test_staff_reject_a_proposal(client, admin_user, proposals):
    client.force_login(admin_user)
    admin_post(client, "reject", proposals[:1])
    assert [p.rejected for p in DonorProposal.objects.order_by("pk")] == [True, False]
    assert not Donor.objects.exists()


def test_staff_without_the_donor_permission_cannot_add(client, staff, proposals):
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_donorproposal", "change_donorproposal"]))
    client.force_login(staff)
    page = client.get("/admin/partners/donorproposal/")
    assert page.status_code == 200 and 'value="confirm"' not in page.content.decode()
    admin_post(client, "confirm", proposals)
    assert not Donor.objects.exists()
