"""Ask to join (issue 19, part 5): an organisation asks to be listed, or a person asks for partner access to a
listed one; staff are told and decide once in the admin (accept: the organisation created unpublished or the
membership, and the invitation; refuse: a polite mail in the asker's language). The abuse guards (honeypot,
rate limits, bounds, one-line names, CSRF), no account enumeration, both languages, permissions."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from institutions.models import Organisation
from partners.models import (
    JOIN_CITY_MAX,
    JOIN_EMAIL_MAX,
    JOIN_MESSAGE_MAX,
    JOIN_MESSAGE_MIN,
    JOIN_NAME_MAX,
    JOIN_ORGANISATION_NAME_MAX,
    JOIN_POSITION_MAX,
    JoinRequest,
    Membership,
)
from tests.partners.partner_forms import PASSWORD, organisation_data
from tests.partners.test_partner_reset import NEW_PASSWORD, can_log_in, link_in, use_link

ASKER = "marie.dupont@mairie-exemple.fr"


def url(lang, name, *args):
    with translation.override(lang):
        return reverse(f"join:{name}", args=args)


def listing(**overrides):
    data = {
        "organisation_name": "Commune de Saint-Exemple",
        "organisation_kind": "municipality",
        "country": "FR",
        "city": "Saint-Exemple",
        "name": "Marie Dupont",
        "position": "",
        "email": ASKER,
        "message": "Notre commune coopère avec Kaolack depuis 2010 sur l'eau potable.",
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def access(target, **overrides):
    data = {
        "organisation": target.slug,
        "name": "Paul Martin",
        "position": "Chargé de coopération",
        "email": "paul.martin@aimf.example",
        "message": "Je suis chargé de la coopération et tiendrai la fiche à jour.",
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def reviewer(django_user_model):
    """Staff with the dedicated permission (and nothing else)."""
    user = django_user_model.objects.create_user("reviewer@platforma.example", PASSWORD, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="review_joinrequest"))
    return user


@pytest.fixture
def hidden(db):
    return Organisation.objects.create(name_fr="Brouillon", acronym="DRAFT", country="FR", published=False)


def ask(client, lang="en", **overrides):
    return client.post(url(lang, "listing"), listing(**overrides))


def asked(client, lang="en", **overrides):
    """A request to be listed, kept; the staff notification cleared from the outbox."""
    assert ask(client, lang, **overrides).status_code == 302
    mail.outbox.clear()
    return JoinRequest.objects.latest("id")


# --- the pages ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lang, page, text",
    [
        ("fr", "start", "Rejoindre l’annuaire"),
        ("en", "start", "Join the directory"),
        ("fr", "listing", "Demander l’inscription de votre organisation"),
        ("en", "listing", "Ask for your organisation to be listed"),
        ("fr", "access", "Demander un accès partenaire à une organisation inscrite"),
        ("en", "access", "Ask for partner access to a listed organisation"),
        ("fr", "thanks", "Demande envoyée"),
        ("en", "thanks", "Request sent"),
    ],
)
def test_every_page_in_both_languages(client, db, lang, page, text):
    response = client.get(url(lang, page))
    assert response.status_code == 200
    assert f"<h1>{text}</h1>" in response.text
    assert "private" in response["Cache-Control"]  # never stored by proxies: the forms carry a CSRF token


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_footer_and_the_login_page_lead_to_the_join_page(client, db, lang):
    link = f'href="{url(lang, "start")}"'
    with translation.override(lang):
        login = reverse("partners:login")
    assert link in client.get(url(lang, "thanks")).text  # the footer, on every page
    login_page = client.get(login).text
    assert login_page.count(link) == 2  # the page's own line, and the footer


def test_the_start_page_leads_to_both_forms(client, db):
    page = client.get(url("en", "start")).text
    assert f'href="{url("en", "listing")}"' in page and f'href="{url("en", "access")}"' in page


def test_the_honeypot_is_hidden_from_people_and_assistive_technology(client, db):
    page = client.get(url("en", "listing")).text
    hidden_block = page[page.index("<div hidden>") :]
    assert 'name="website"' in hidden_block[: hidden_block.index("</div>")]
    assert 'tabindex="-1"' in hidden_block and 'autocomplete="off"' in hidden_block


# --- asking -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_an_organisation_asks_to_be_listed(client, reviewer, lang):
    response = ask(client, lang)
    assert response.status_code == 302 and response["Location"] == url(lang, "thanks")
    kept = JoinRequest.objects.get()
    assert (kept.kind, kept.state, kept.language) == ("listing", "pending", lang)
    assert (kept.organisation_name, kept.organisation_kind, kept.country.code, kept.city) == (
        "Commune de Saint-Exemple", "municipality", "FR", "Saint-Exemple",
    )  # fmt: skip
    assert (kept.name, kept.email, kept.organisation) == ("Marie Dupont", ASKER, None)
    assert not Organisation.objects.filter(name_fr="Commune de Saint-Exemple").exists()  # not before staff accept


def test_a_person_asks_for_partner_access_to_a_listed_organisation(client, aimf, reviewer):
    response = client.post(url("fr", "access"), access(aimf))
    assert response.status_code == 302
    kept = JoinRequest.objects.get()
    assert (kept.kind, kept.organisation, kept.position, kept.language) == (
        "access", aimf, "Chargé de coopération", "fr",
    )  # fmt: skip
    assert not Membership.objects.filter(organisation=aimf, user__email="paul.martin@aimf.example").exists()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_organisation_is_found_by_a_search_and_only_published_ones(client, aimf, ouaga, hidden, lang):
    found = client.get(url(lang, "access") + "?find=maires francophones").text
    assert f'<option value="{aimf.slug}">' in found
    assert f'value="{ouaga.slug}"' not in found
    assert {"fr": "1 organisation trouvée", "en": "1 organisation found"}[lang] in found
    assert f'value="{hidden.slug}"' not in client.get(url(lang, "access") + "?find=brouillon").text
    nothing = client.get(url(lang, "access") + "?find=zzzzzz").text
    assert "<option" in nothing and f'value="{aimf.slug}"' not in nothing
    assert f'href="{url(lang, "listing")}"' in nothing  # not found: ask to be listed instead
    # Without a search the list is empty: never the whole directory in one page.
    assert f'value="{aimf.slug}"' not in client.get(url(lang, "access")).text
    # A link may choose it in advance (as an error keeps the choice).
    assert f'<option value="{aimf.slug}" selected>' in client.post(url(lang, "access"), access(aimf, name="")).text


def test_an_unpublished_or_unknown_organisation_cannot_be_asked_for(client, hidden, reviewer):
    for slug in (hidden.slug, "nobody-here", "a\x00b", "not a slug", "é" * 50):
        response = client.post(url("en", "access"), access(hidden, organisation=slug))
        assert response.status_code == 400, slug
        assert "Select a valid choice" in response.text
    assert not JoinRequest.objects.exists() and mail.outbox == []


def test_staff_who_may_review_are_told_in_the_sites_language(client, reviewer, staff, django_user_model, settings):
    """The reviewers (the permission given directly or through a group, superusers), each alone; not staff
    without the permission, not an inactive reviewer, not a superuser who is not staff."""
    settings.SITE_URL = "https://annuaire.example"
    group = Group.objects.create(name="secretariat")
    group.permissions.add(Permission.objects.get(codename="review_joinrequest"))
    by_group = django_user_model.objects.create_user("group@platforma.example", PASSWORD, is_staff=True)
    by_group.groups.add(group)
    django_user_model.objects.create_superuser("super@platforma.example", PASSWORD)
    gone = django_user_model.objects.create_user("gone@platforma.example", PASSWORD, is_staff=True, is_active=False)
    gone.user_permissions.add(Permission.objects.get(codename="review_joinrequest"))
    django_user_model.objects.create_user("nostaff@platforma.example", PASSWORD, is_superuser=True)
    ask(client, "en", message="Nous <b>coopérons</b> avec Kaolack depuis 2010.")
    kept = JoinRequest.objects.get()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "group@platforma.example", "reviewer@platforma.example", "super@platforma.example",
    ]  # fmt: skip
    notice = mail.outbox[0]
    assert notice.subject == "[Platforma] Demande d’inscription de Commune de Saint-Exemple"  # the site's language
    assert f"https://annuaire.example/admin/partners/joinrequest/{kept.pk}/change/" in notice.body
    assert "https://annuaire.example/admin/partners/joinrequest/?state__exact=pending" in notice.body
    assert ASKER in notice.body and "Langue : Anglais" in notice.body
    assert "Nous <b>coopérons</b>" in notice.body  # plain text is not escaped
    ((html, mimetype),) = notice.alternatives
    assert mimetype == "text/html" and '<html lang="fr">' in html
    assert "&lt;b&gt;coopérons&lt;/b&gt;" in html and "<b>coop" not in html


def test_staff_are_told_in_english_when_it_is_the_sites_language(client, reviewer, aimf, settings):
    settings.LANGUAGE_CODE = "en"
    client.post(url("fr", "access"), access(aimf))
    (notice,) = mail.outbox
    assert notice.subject == "[Platforma] Request for partner access to International Association of Francophone Mayors"
    assert "Someone asks for partner access" in notice.body and "Language: French" in notice.body
    assert '<html lang="en">' in notice.alternatives[0].content


def test_no_account_enumeration_the_same_answer_whether_the_address_has_an_account_or_not(client, aimf, owner):
    answers = []
    for email in (owner.email, "nobody@nowhere.example"):
        response = client.post(url("en", "access"), access(aimf, email=email), follow=True)
        answers.append((response.redirect_chain, response.content))
    assert answers[0] == answers[1]
    assert JoinRequest.objects.count() == 2


def test_a_mail_server_failure_does_not_lose_the_request(client, reviewer, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    assert ask(client).status_code == 302
    assert JoinRequest.objects.filter(state="pending").count() == 1  # in the queue all the same


# --- abuse --------------------------------------------------------------------------------------------------


def test_a_filled_honeypot_is_answered_as_sent_but_nothing_is_kept(client, reviewer):
    response = ask(client, website="http://spam.example")
    assert response.status_code == 302 and response["Location"] == url("en", "thanks")
    assert not JoinRequest.objects.exists() and mail.outbox == []


def test_honeypot_requests_use_up_no_allowance(client, reviewer, settings):
    settings.JOIN_RATE_PER_IP = "1/h"
    settings.JOIN_RATE_PER_ADDRESS = "1/d"
    for _robot in range(3):
        ask(client, website="x")
    assert ask(client).status_code == 302 and JoinRequest.objects.count() == 1


def ask_from(client, ip, **overrides):
    return client.post(url("en", "listing"), listing(**overrides), REMOTE_ADDR=ip)


def test_rate_limit_per_client_address_just_below_and_just_above(client, reviewer, settings):
    settings.JOIN_RATE_PER_IP = "3/h"
    statuses = [ask_from(client, "192.0.2.1", email=f"a{n}@example.org").status_code for n in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert ask_from(client, "192.0.2.2", email="b@example.org").status_code == 302  # another address is not
    assert JoinRequest.objects.count() == 4 and len(mail.outbox) == 4


def test_rate_limit_per_address_typed_just_below_and_just_above(client, reviewer, settings):
    """Whoever types it, in capitals or not: nobody can flood staff (or an address) with requests for one."""
    settings.JOIN_RATE_PER_ADDRESS = "2/d"
    statuses = [ask_from(client, f"192.0.2.{n}", email=email).status_code
                for n, email in enumerate([ASKER, ASKER, ASKER.upper()], start=1)]  # fmt: skip
    assert statuses == [302, 302, 429]
    response = ask_from(client, "192.0.2.9", email=ASKER)
    assert response.status_code == 429
    assert "Too many requests" in response.text and "Commune de Saint-Exemple" in response.text  # kept, to retry
    assert ask_from(client, "192.0.2.9", email="other@example.org").status_code == 302
    assert JoinRequest.objects.count() == 3


def test_a_refused_client_uses_up_none_of_the_addresss_allowance(client, reviewer, settings):
    settings.JOIN_RATE_PER_IP = "1/h"
    settings.JOIN_RATE_PER_ADDRESS = "2/d"
    assert [ask_from(client, "192.0.2.1").status_code for _ in range(4)] == [302, 429, 429, 429]
    assert ask_from(client, "192.0.2.2").status_code == 302


def test_rate_limit_follows_the_client_address_behind_proxies(client, reviewer, settings):
    settings.JOIN_RATE_PER_IP = "1/h"
    settings.TRUSTED_PROXY_COUNT = 1

    def send(ip, n):
        return client.post(url("en", "listing"), listing(email=f"x{n}@example.org"), REMOTE_ADDR="10.0.0.1",
                           HTTP_X_FORWARDED_FOR=ip).status_code  # fmt: skip

    assert [send("198.51.100.7", 1), send("198.51.100.8", 2), send("198.51.100.7", 3)] == [302, 302, 429]


LISTING_BOUNDS = [
    ("organisation_name", JOIN_ORGANISATION_NAME_MAX),
    ("city", JOIN_CITY_MAX),
    ("name", JOIN_NAME_MAX),
    ("position", JOIN_POSITION_MAX),
    ("message", JOIN_MESSAGE_MAX),
]


@pytest.mark.parametrize("field, bound", LISTING_BOUNDS)
def test_each_length_just_below_and_just_above_its_bound(client, db, field, bound):
    assert ask(client, **{field: "é" * (bound + 1)}).status_code == 400
    assert not JoinRequest.objects.exists()
    assert ask(client, **{field: "é" * bound}).status_code == 302
    assert getattr(JoinRequest.objects.get(), field) == "é" * bound


def test_the_position_just_below_and_just_above_on_the_access_form(client, aimf):
    assert client.post(url("en", "access"), access(aimf, position="é" * (JOIN_POSITION_MAX + 1))).status_code == 400
    assert client.post(url("en", "access"), access(aimf, position="é" * JOIN_POSITION_MAX)).status_code == 302


def test_the_address_just_below_and_just_above_its_bound(client, db):
    domain = "b" * 63 + "." + "b" * 63 + "." + "c" * 61
    assert len("a" * 64 + "@" + domain) == JOIN_EMAIL_MAX
    assert ask(client, email="a" * 64 + "@b" + domain).status_code == 400
    assert ask(client, email="a" * 64 + "@" + domain).status_code == 302


def test_the_message_has_a_least_length_too(client, db):
    assert ask(client, message="x" * (JOIN_MESSAGE_MIN - 1)).status_code == 400
    assert ask(client, message="  " + "x" * (JOIN_MESSAGE_MIN - 1) + " \n").status_code == 400
    assert ask(client, message="x" * JOIN_MESSAGE_MIN).status_code == 302


@pytest.mark.parametrize("field", ["organisation_name", "city", "name", "position"])
@pytest.mark.parametrize("line_break", ["\n", "\r\n", "\r"])
def test_no_header_injection_a_line_break_in_a_one_line_field_is_refused(client, reviewer, field, line_break):
    response = ask(client, **{field: f"Hello{line_break}Bcc: victim@example.org"})
    assert response.status_code == 400
    assert "Write it on one line." in response.text
    assert mail.outbox == [] and not JoinRequest.objects.exists()


@pytest.mark.parametrize("field", ["organisation_name", "organisation_kind", "country", "name", "email", "message"])
def test_what_a_request_to_be_listed_needs(client, db, field):
    assert ask(client, **{field: ""}).status_code == 400
    assert ask(client, city="", position="").status_code == 302  # these two may stay empty


@pytest.mark.parametrize("field", ["organisation", "name", "position", "email", "message"])
def test_what_a_request_for_access_needs(client, aimf, field):
    assert client.post(url("en", "access"), access(aimf, **{field: ""})).status_code == 400
    assert not JoinRequest.objects.exists()


@pytest.mark.parametrize("value", ["mayor", "", "x" * 40])
def test_an_unknown_kind_or_country_is_refused(client, db, value):
    assert ask(client, organisation_kind=value).status_code == 400
    assert ask(client, country=value or "XX").status_code == 400


@pytest.mark.parametrize(
    "lang, required",
    [("fr", "Ce champ est obligatoire."), ("en", "This field is required.")],
)
def test_form_errors_keep_what_was_typed_and_speak_the_page_language(client, db, lang, required):
    response = ask(client, lang, name="", message="Bonjour <b>!</b> Nous coopérons.")
    assert response.status_code == 400
    assert required in response.text
    assert 'value="Commune de Saint-Exemple"' in response.text
    assert f'value="{ASKER}"' in response.text
    assert '<option value="FR" selected>' in response.text
    assert '<option value="municipality" selected>' in response.text
    assert "Bonjour &lt;b&gt;!&lt;/b&gt; Nous coopérons.</textarea>" in response.text
    assert mail.outbox == [] and not JoinRequest.objects.exists()


def test_csrf_is_required(db):
    client = Client(enforce_csrf_checks=True)
    assert client.post(url("en", "listing"), listing()).status_code == 403
    assert not JoinRequest.objects.exists()


@pytest.mark.parametrize("page", ["start", "thanks"])
def test_pages_without_a_form_take_no_post_put_or_delete_blindly(client, db, page):
    for method in ("post", "put", "delete"):
        assert getattr(client, method)(url("en", page)).status_code < 500


def test_the_forms_refuse_other_methods(client, db):
    assert client.put(url("en", "listing")).status_code == 405
    assert client.delete(url("en", "access")).status_code == 405


# --- the review queue ---------------------------------------------------------------------------------------


def admin_url(name, *args):
    return reverse(f"admin:partners_joinrequest_{name}", args=args)


def decide(client, join_request, decision, message=""):
    """The reviewer's answer, in English (the admin follows the browser's language)."""
    return client.post(admin_url("decide", join_request.pk), {"decision": decision, "message": message},
                       follow=True, HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip


def test_accept_a_listing_then_the_partner_sets_a_password_logs_in_and_edits(client, reviewer):
    """Done when (issue 19): join request -> staff accept -> invitation mail -> partner sets a password ->
    edits."""
    join_request = asked(client, "en", organisation_name="Town of Example")
    client.force_login(reviewer)
    page = decide(client, join_request, "accept")
    assert "Accepted: marie.dupont@mairie-exemple.fr is invited to edit Town of Example." in page.text
    organisation = Organisation.objects.get(name_en="Town of Example")
    assert not organisation.published
    assert (organisation.name_fr, organisation.kind, organisation.country.code, organisation.city) == (
        None, "municipality", "FR", "Saint-Exemple",
    )  # fmt: skip
    assert organisation.slug == "town-of-example"
    join_request.refresh_from_db()
    assert (join_request.state, join_request.organisation, join_request.decided_by) == ("accepted", organisation,
                                                                                         reviewer)  # fmt: skip
    assert join_request.decided_at is not None
    (invitation,) = mail.outbox
    assert invitation.to == [ASKER] and invitation.subject == "Platforma: your partner access"  # the asker's language
    assert "Town of Example" in invitation.body
    assert '<html lang="en">' in invitation.alternatives[0].content
    user = Membership.objects.get(organisation=organisation).user
    assert user.email == ASKER and not user.has_usable_password()

    client.logout()
    assert use_link(client, link_in(invitation)).status_code == 302
    assert can_log_in(client, ASKER, NEW_PASSWORD)
    with translation.override("en"):
        edit = reverse("partners:organisation", args=[organisation.slug])
    assert client.get(edit).status_code == 200
    changed = organisation_data(organisation, name_fr="", description_en="We cooperate with Kaolack.")
    response = client.post(edit, changed)
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.description_en == "We cooperate with Kaolack." and not organisation.published


def test_accept_access_for_a_new_address_invites_them(client, aimf, reviewer):
    client.post(url("fr", "access"), access(aimf))
    mail.outbox.clear()
    client.force_login(reviewer)
    decide(client, JoinRequest.objects.get(), "accept")
    membership = Membership.objects.get(organisation=aimf, user__email="paul.martin@aimf.example")
    (invitation,) = mail.outbox
    assert invitation.subject == "Platforma : votre accès partenaire"
    assert "/fr/partners/password-reset/" in invitation.body
    assert not membership.user.has_usable_password()
    assert Organisation.objects.count() == 1  # nothing created


def test_accept_access_for_an_existing_account_adds_the_membership_and_tells_them(
    client, aimf, ouaga, other_partner, reviewer
):
    client.post(url("en", "access"), access(aimf, email="PARTNER@ouaga.example"))
    mail.outbox.clear()
    client.force_login(reviewer)
    decide(client, JoinRequest.objects.get(), "accept")
    assert set(other_partner.memberships.values_list("organisation__slug", flat=True)) == {aimf.slug, ouaga.slug}
    (told,) = mail.outbox
    assert told.to == [other_partner.email]
    assert "You already have a partner account: log in with your usual password" in told.body
    assert "International Association of Francophone Mayors" in told.body
    other_partner.refresh_from_db()
    assert other_partner.check_password(PASSWORD)  # kept
    assert can_log_in(client, other_partner.email, PASSWORD)


def test_refuse_a_french_request_with_a_polite_mail_in_french(client, reviewer):
    join_request = asked(client, "fr")
    client.force_login(reviewer)
    page = decide(client, join_request, "refuse", "Votre commune n’est pas une <collectivité> éligible.")
    assert "Refused: marie.dupont@mairie-exemple.fr was told, in the language of the request." in page.text
    (refusal,) = mail.outbox
    assert refusal.to == [ASKER]
    assert refusal.subject == "Platforma : votre demande pour rejoindre l’annuaire"
    assert "Bonjour Marie Dupont," in refusal.body
    assert "nous sommes désolés de ne pouvoir l’accepter" in refusal.body
    assert "Votre commune n’est pas une <collectivité> éligible." in refusal.body
    html = refusal.alternatives[0].content
    assert '<html lang="fr">' in html and "&lt;collectivité&gt;" in html
    join_request.refresh_from_db()
    assert (join_request.state, join_request.decided_by, join_request.decision_message) == (
        "refused", reviewer, "Votre commune n’est pas une <collectivité> éligible.",
    )  # fmt: skip
    assert join_request.decided_at is not None
    assert not Organisation.objects.exists() and not Membership.objects.exists()


def test_refuse_an_english_request_in_english_without_a_message(client, aimf, reviewer):
    client.post(url("en", "access"), access(aimf))
    mail.outbox.clear()
    client.force_login(reviewer)
    decide(client, JoinRequest.objects.get(), "refuse")
    (refusal,) = mail.outbox
    assert refusal.subject == "Platforma: your request to join the directory"
    assert "partner access to International Association of Francophone Mayors" in refusal.body
    assert not Membership.objects.exists()


@pytest.mark.parametrize("first, second", [("accept", "refuse"), ("refuse", "accept"), ("accept", "accept")])
def test_a_decided_request_cannot_be_decided_again(client, reviewer, first, second):
    join_request = asked(client)
    client.force_login(reviewer)
    decide(client, join_request, first)
    mail.outbox.clear()
    state = JoinRequest.objects.get().state
    page = decide(client, join_request, second)
    assert "already decided" in page.text
    assert mail.outbox == [] and JoinRequest.objects.get().state == state
    assert Organisation.objects.count() == (1 if first == "accept" else 0)
    assert 'name="decision"' not in client.get(admin_url("change", join_request.pk)).text


def test_an_organisation_deleted_meanwhile_cannot_be_accepted(client, aimf, reviewer):
    client.post(url("en", "access"), access(aimf))
    mail.outbox.clear()
    aimf.delete()
    client.force_login(reviewer)
    assert "already decided" in decide(client, JoinRequest.objects.get(), "accept").text
    assert mail.outbox == [] and JoinRequest.objects.get().state == "pending"


def test_a_mail_server_failure_on_acceptance_changes_nothing(client, reviewer, monkeypatch):
    join_request = asked(client)

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    client.force_login(reviewer)
    assert "could not be sent" in decide(client, join_request, "accept").text
    assert JoinRequest.objects.get().state == "pending"
    assert not Organisation.objects.exists() and not Membership.objects.exists()


@pytest.mark.parametrize("data", [{}, {"decision": "publish"}, {"decision": "refuse", "message": "x" * 2001}])
def test_a_bad_decision_is_refused_with_a_message(client, reviewer, data):
    join_request = asked(client)
    client.force_login(reviewer)
    page = client.post(admin_url("decide", join_request.pk), data, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "Choose" in page.text
    assert JoinRequest.objects.get().state == "pending" and mail.outbox == []


def test_the_decision_is_posted_never_got(client, reviewer):
    join_request = asked(client)
    client.force_login(reviewer)
    assert client.get(admin_url("decide", join_request.pk)).status_code == 405
    assert client.post(admin_url("decide", 999999), {"decision": "accept"}).status_code == 404


def test_the_queue_filters_by_state_and_kind_both_ways(client, aimf, reviewer):
    pending = asked(client, organisation_name="Pending Town")
    client.post(url("en", "access"), access(aimf, name="Access Asker"))
    refused = asked(client, organisation_name="Refused Town", email="r@example.org")
    client.force_login(reviewer)
    decide(client, refused, "refuse")
    changelist = admin_url("changelist")
    shown = client.get(changelist + "?state__exact=pending").text
    assert "Pending Town" in shown and "Access Asker" in shown and "Refused Town" not in shown
    shown = client.get(changelist + "?state__exact=refused").text
    assert "Refused Town" in shown and "Pending Town" not in shown
    shown = client.get(changelist + "?kind__exact=access").text
    assert "Access Asker" in shown and "Pending Town" not in shown
    shown = client.get(changelist + "?kind__exact=listing").text
    assert "Pending Town" in shown and "Access Asker" not in shown
    detail = client.get(admin_url("change", pending.pk)).text
    assert "Notre commune coopère avec Kaolack" in detail and 'value="accept"' in detail and 'value="refuse"' in detail
    assert 'name="_save"' not in detail  # what the asker wrote is not edited


def test_a_superuser_may_review(client, staff):
    staff.is_superuser = True
    staff.save()
    join_request = asked(client)
    client.force_login(staff)
    assert client.get(admin_url("changelist")).status_code == 200
    decide(client, join_request, "refuse")
    assert JoinRequest.objects.get().decided_by == staff


def test_staff_without_the_permission_are_refused(client, staff, django_user_model):
    join_request = asked(client)
    staff.user_permissions.add(Permission.objects.get(codename="view_joinrequest"))  # viewing is not reviewing
    client.force_login(staff)
    assert client.get(admin_url("changelist")).status_code == 403
    assert client.get(admin_url("change", join_request.pk)).status_code == 403
    assert client.post(admin_url("decide", join_request.pk), {"decision": "accept"}).status_code == 403
    assert JoinRequest.objects.get().state == "pending" and mail.outbox == []


@pytest.mark.parametrize("who", ["owner", "other_partner", "anonymous"])
def test_partners_and_anonymous_visitors_are_sent_to_the_admin_login(client, db, request, who):
    join_request = asked(client)
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    for response in (client.get(admin_url("changelist")), client.get(admin_url("change", join_request.pk)),
                     client.post(admin_url("decide", join_request.pk), {"decision": "accept"})):  # fmt: skip
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert JoinRequest.objects.get().state == "pending" and mail.outbox == []


def test_the_french_catalogue_has_the_admin_words(client, reviewer):
    join_request = asked(client)
    client.force_login(reviewer)
    with translation.override("fr"):
        page = client.get(reverse("admin:partners_joinrequest_change", args=[join_request.pk])).text
    assert "Accepter" in page and "Refuser" in page and "Décision" in page


def test_two_organisations_of_one_name_get_two_addresses(client, reviewer):
    """The slug is unique: a second organisation listed under the same name gets its own address."""
    first = asked(client, "fr", organisation_name="Commune de Kaya")
    second = asked(client, "fr", organisation_name="Commune de Kaya", email="other@kaya.example")
    client.force_login(reviewer)
    decide(client, first, "accept")
    decide(client, second, "accept")
    assert sorted(Organisation.objects.values_list("slug", flat=True)) == ["commune-de-kaya", "commune-de-kaya-2"]
    assert not Organisation.objects.filter(published=True).exists()
