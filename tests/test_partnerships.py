"""Partnerships (issue 20): an action's other participants, shown on both sides, and who worked with whom
(experiences/partnerships.py is the one definition; these tests pin it down and read it on the profiles)."""

import datetime
import html
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from experiences.models import MAX_PARTICIPANTS, Experience, Participant, check_participants_count
from experiences.partnerships import actions_as_partner, partnerships, worked_with
from institutions.cache import generation
from institutions.models import Organisation
from partners.models import Membership
from tests.factories import add_experience

pytestmark = pytest.mark.django_db


def text_of(response):
    content = html.unescape(response.content.decode())
    return re.sub(r"\s+", " ", re.sub(r"[\u00a0\u202f]", " ", content))


def profile(client, organisation, lang="en"):
    with translation.override(lang):
        response = client.get(reverse("directory:profile", kwargs={"slug": organisation.slug}))
    assert response.status_code == 200
    return text_of(response)


def organisation(name, **fields):
    return Organisation.objects.create(name_fr=name, name_en=name, country=fields.pop("country", "FR"), **fields)


@pytest.fixture
def towns(db):
    """The AIMF's action with Kossamba as partner and an unlisted town; Kossamba's own action with the AIMF."""
    aimf = organisation("AIMF network", acronym="AIMF", kind=Organisation.Kind.INTERNATIONAL_NETWORK)
    kossamba = organisation("City of Kossamba", country="CI")
    banfora = organisation("Commune of Banfora", country="BF")
    peace = add_experience(
        aimf,
        title_en="Peace-building",
        title_fr="Consolidation de la paix",
        start_date=datetime.date(2010, 1, 1),
        end_date=datetime.date(2013, 12, 31),
        countries=["CI", "BF"],
    )
    Participant.objects.create(experience=peace, organisation=kossamba, role=Experience.Role.PARTNER)
    Participant.objects.create(
        experience=peace, name="Commune de Ouagadougou", country="BF", kind="municipality", role="associate"
    )
    health = add_experience(
        kossamba, title_en="Health centres", start_date=datetime.date(2014, 3, 1), countries=["CI"]
    )
    Participant.objects.create(experience=health, organisation=aimf, role=Experience.Role.ASSOCIATE)
    return {"aimf": aimf, "kossamba": kossamba, "banfora": banfora, "peace": peace, "health": health}


# --- the model's rules ----------------------------------------------------------------------------------


def test_an_organisation_is_not_its_own_partner(towns):
    participant = Participant(experience=towns["peace"], organisation=towns["aimf"], role="partner")
    with pytest.raises(ValidationError) as error:
        participant.full_clean()
    assert "organisation" in error.value.message_dict


def test_a_participant_is_either_listed_or_named_never_both_nor_neither(towns):
    both = Participant(experience=towns["peace"], organisation=towns["banfora"], name="Banfora", role="partner")
    with pytest.raises(ValidationError):
        both.full_clean()
    neither = Participant(experience=towns["peace"], name="   ", role="partner")
    with pytest.raises(ValidationError):
        neither.full_clean()
    Participant(experience=towns["peace"], organisation=towns["banfora"], role="partner").full_clean()
    Participant(experience=towns["peace"], name="Commune de Bobo-Dioulasso", role="partner").full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.create(experience=towns["peace"], role="partner")  # the database says so too


def test_one_role_per_participant(towns):
    again = Participant(experience=towns["peace"], organisation=towns["kossamba"], role="associate")
    with pytest.raises(ValidationError):
        again.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.create(experience=towns["peace"], name="Commune de Ouagadougou", role="partner")
    # The same name in another action is another participant.
    Participant.objects.create(experience=towns["health"], name="Commune de Ouagadougou", role="partner")


def test_the_role_is_one_of_the_actions_roles(towns):
    with pytest.raises(ValidationError) as error:
        Participant(experience=towns["peace"], organisation=towns["banfora"], role="funder").full_clean()
    assert "role" in error.value.message_dict


def test_the_participant_bound_is_thirty():
    check_participants_count(MAX_PARTICIPANTS)
    with pytest.raises(ValidationError):
        check_participants_count(MAX_PARTICIPANTS + 1)


# --- who worked with whom -------------------------------------------------------------------------------


def test_two_members_of_one_action_worked_together_whoever_lists_whom(towns):
    aimf, kossamba, banfora = towns["aimf"], towns["kossamba"], towns["banfora"]
    pairs = partnerships([aimf.pk, kossamba.pk, banfora.pk])
    key = tuple(sorted([aimf.pk, kossamba.pk]))
    assert set(pairs) == {key}  # Banfora took part in nothing; the unlisted town is in no partnership
    pair = pairs[key]
    assert pair.actions == {towns["peace"].pk, towns["health"].pk}
    assert pair.countries == {"CI", "BF"}
    assert (pair.first_year, pair.last_year) == (2010, 2014)  # the ongoing action counts from its start


def test_participants_of_one_action_worked_together_too(towns):
    """Two participants listed by a third organisation's action worked together in it."""
    valmeira, zemra = organisation("Region of Valmeira", country="PT"), organisation("Oued Zemra", country="TN")
    plan = add_experience(towns["banfora"], title_en="Spatial planning", start_date=datetime.date(2023, 1, 1))
    Participant.objects.create(experience=plan, organisation=valmeira, role="coordinator")
    Participant.objects.create(experience=plan, organisation=zemra, role="partner")
    pairs = partnerships([valmeira.pk, zemra.pk])
    assert set(pairs) == {tuple(sorted([valmeira.pk, zemra.pk]))}
    # Without both in the set: every partner of the one asked about, the owner included.
    around = partnerships([valmeira.pk], both_in_set=False)
    assert {frozenset(key) for key in around} == {
        frozenset([valmeira.pk, zemra.pk]), frozenset([valmeira.pk, towns["banfora"].pk])
    }


def test_what_the_public_may_not_see_makes_no_partnership(towns):
    aimf, kossamba = towns["aimf"], towns["kossamba"]
    hidden = organisation("Hidden town", published=False)
    Participant.objects.create(experience=towns["peace"], organisation=hidden, role="partner")
    secret = add_experience(hidden, title_en="Unpublished owner's action")
    Participant.objects.create(experience=secret, organisation=towns["banfora"], role="partner")
    ids = Organisation.objects.values_list("pk", flat=True)
    assert all(hidden.pk not in key for key in partnerships(ids))
    assert all(towns["banfora"].pk not in key for key in partnerships(ids))
    # And when the AIMF itself is unpublished, Kossamba worked with no one the public may see.
    Organisation.objects.filter(pk=aimf.pk).update(published=False)
    assert worked_with(kossamba) == []
    assert list(actions_as_partner(kossamba)) == []


def test_worked_with_counts_shared_actions_most_first(towns):
    aimf, kossamba, banfora = towns["aimf"], towns["kossamba"], towns["banfora"]
    Participant.objects.create(experience=towns["peace"], organisation=banfora, role="partner")
    rows = worked_with(aimf)
    assert [(partner, actions) for partner, actions, _first, _last in rows] == [(kossamba, 2), (banfora, 1)]
    assert worked_with(banfora) == [(aimf, 1, 2010, 2013), (kossamba, 1, 2010, 2013)]


# --- both profiles show it ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "heading", "participants", "worked", "associate"),
    [
        ("en", "Actions as a partner", "Other participants", "Worked with", "Associate"),
        ("fr", "Actions en tant que partenaire", "Autres participants", "A travaillé avec", "Associé"),
    ],
)
def test_both_profiles_show_the_partnership(client, towns, lang, heading, participants, worked, associate):
    aimf, kossamba = towns["aimf"], towns["kossamba"]
    owner_page = profile(client, aimf, lang)
    # The AIMF's action names its participants: Kossamba linked to its profile, the unlisted town by name.
    assert participants in owner_page
    with translation.override(lang):
        kossamba_url, aimf_url = kossamba.get_absolute_url(), aimf.get_absolute_url()
    assert f'<a href="{kossamba_url}">City of Kossamba</a>' in owner_page
    assert "Commune de Ouagadougou" in owner_page and associate in owner_page
    # Kossamba's profile lists the AIMF's action under "Actions as a partner", linked to the action on the
    # AIMF's profile (read-only there: the AIMF keeps it up to date).
    partner_page = profile(client, kossamba, lang)
    assert heading in partner_page
    assert f'href="{aimf_url}#experience-{towns["peace"].pk}"' in partner_page
    assert f'id="experience-{towns["peace"].pk}"' in owner_page
    # Each lists the other under "Worked with", with the number of shared actions and the years.
    for page, other_url in ((owner_page, kossamba_url), (partner_page, aimf_url)):
        assert worked in page
        row = page[page.index(f'<a href="{other_url}">', page.index('class="list worked-with"')) :]
        assert re.match(r'<a href="[^"]+">[^<]+</a></th><td[^>]*>2</td><td[^>]*>2010–2014</td>', row)


def test_a_profile_without_partnerships_shows_neither_section(client, towns):
    page = profile(client, towns["banfora"])
    assert "Actions as a partner" not in page and "Worked with" not in page


def test_an_unpublished_participant_is_not_shown_on_the_action(client, towns):
    hidden = organisation("Hidden town", published=False)
    Participant.objects.create(experience=towns["peace"], organisation=hidden, role="partner")
    assert "Hidden town" not in profile(client, towns["aimf"])


def test_an_unlisted_participant_linked_later_shows_on_both_profiles(
    client, towns, django_capture_on_commit_callbacks
):
    aimf, banfora = towns["aimf"], towns["banfora"]
    unlisted = Participant.objects.create(
        experience=towns["peace"], name="Mairie de Banfora", country="BF", role="partner"
    )
    assert "Actions as a partner" not in profile(client, banfora)
    assert "Mairie de Banfora (Burkina Faso): Partner" in profile(client, aimf)
    before = generation()
    # Staff link it to the directory's record (the name goes: the record names it now).
    unlisted.organisation, unlisted.name, unlisted.country = banfora, "", ""
    unlisted.full_clean()
    with django_capture_on_commit_callbacks(execute=True):
        unlisted.save()
    assert generation() != before  # cached pages are not served any more
    banfora_page = profile(client, banfora)
    assert "Actions as a partner" in banfora_page and "Peace-building" in banfora_page
    assert "AIMF network" in banfora_page  # under "Worked with"
    aimf_page = profile(client, aimf)
    with translation.override("en"):
        banfora_url = banfora.get_absolute_url()
    assert f'<a href="{banfora_url}">Commune of Banfora</a>: Partner' in aimf_page
    assert "Mairie de Banfora" not in aimf_page


def test_the_partner_cannot_edit_the_action_it_only_took_part_in(client, django_user_model, towns):
    """From "Actions as a partner", Kossamba's partner reaches the AIMF's action read-only: its edit page in
    the partner area is not Kossamba's to open (404), while Kossamba's own action is."""
    user = django_user_model.objects.create_user("partner@kossamba.example", "a long enough password 1")
    Membership.objects.create(user=user, organisation=towns["kossamba"])
    client.force_login(user)
    others = reverse("partners:experience", kwargs={"slug": towns["aimf"].slug, "pk": towns["peace"].pk})
    through_own = reverse("partners:experience", kwargs={"slug": towns["kossamba"].slug, "pk": towns["peace"].pk})
    own = reverse("partners:experience", kwargs={"slug": towns["kossamba"].slug, "pk": towns["health"].pk})
    with translation.override("en"):
        listed = client.get(reverse("partners:experiences", kwargs={"slug": towns["kossamba"].slug}))
        page = text_of(listed)
        assert "Actions as a partner" in page and "Action of AIMF network (AIMF); role in it: Partner" in page
        assert f'href="{towns["aimf"].get_absolute_url()}#experience-{towns["peace"].pk}"' in page  # public, read-only
        assert others not in page and through_own not in page
        assert client.get(others).status_code == 404
        assert client.get(through_own).status_code == 404
        assert client.get(own).status_code == 200
        assert client.post(others, {"title_en": "Taken over"}).status_code == 404
    towns["peace"].refresh_from_db()
    assert towns["peace"].title_en == "Peace-building"


def test_the_profile_query_count_does_not_grow_with_partnerships(client, towns, django_assert_num_queries):
    aimf = towns["aimf"]
    with translation.override("en"):
        url = aimf.get_absolute_url()
    with django_assert_num_queries(11):
        assert client.get(url).status_code == 200
    for n in range(6):
        town = organisation(f"Town {n}")
        action = add_experience(town, title_en=f"Action {n}", countries=["SN"])
        Participant.objects.create(experience=action, organisation=aimf, role="partner")
        Participant.objects.create(experience=towns["peace"], organisation=town, role="partner")
    with django_assert_num_queries(11):
        page = text_of(client.get(url))
    assert page.count("Action of Town") == 6
