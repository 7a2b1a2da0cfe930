"""Password reset (no account enumeration, link works once) and invitations (command and admin action)."""

import io
import re

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from partners.models import Membership
from tests.partners.partner_forms import PASSWORD

NEW_PASSWORD = "Un-nouveau-mot-de-passe-42"


def url(lang, name, *args):
    with translation.override(lang):
        return reverse(f"partners:{name}", args=args)


def link_in(message):
    return re.search(r"https?://\S+/password-reset/\S+/\S+/", message.body).group(0)


def use_link(client, link, password=NEW_PASSWORD):
    """Open a set-password link and choose a password; returns the last response."""
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    assert response.status_code == 302  # Django moves the token into the session, then shows the form
    form_url = response["Location"]
    page = client.get(form_url).content.decode()
    assert 'name="new_password1"' in page
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def can_log_in(client, email, password):
    client.logout()
    response = client.post(url("fr", "login"), {"username": email, "password": password})
    return response.status_code == 302


@pytest.mark.parametrize(
    "lang,subject", [("fr", "Platforma : choisissez un nouveau mot de passe"), ("en", "Platforma: choose")]
)
def test_reset_mail_for_a_known_address_in_the_page_language(client, owner, lang, subject):
    response = client.post(url(lang, "password_reset"), {"email": "OWNER@aimf.example"})
    assert response.status_code == 302
    assert response["Location"] == url(lang, "password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [owner.email]
    assert mail.outbox[0].subject.startswith(subject)
    assert f"/{lang}/partners/password-reset/" in mail.outbox[0].body


def test_unknown_address_gets_the_same_answer_and_no_mail(client, owner):
    known = client.post(url("fr", "password_reset"), {"email": owner.email}, follow=True)
    mail.outbox.clear()
    unknown = client.post(url("fr", "password_reset"), {"email": "nobody@nowhere.example"}, follow=True)
    assert mail.outbox == []
    assert unknown.redirect_chain == known.redirect_chain
    assert unknown.content == known.content
    assert "Si cette adresse correspond à un compte partenaire" in unknown.content.decode()


def test_reset_link_works_once(client, owner):
    client.post(url("en", "password_reset"), {"email": owner.email})
    link = link_in(mail.outbox[0])
    response = use_link(client, link)
    assert response.status_code == 302
    assert response["Location"] == url("en", "password_reset_complete")
    assert can_log_in(client, owner.email, NEW_PASSWORD)
    assert not can_log_in(client, owner.email, PASSWORD)
    # Second use: refused, and the password stays.
    client.logout()
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    page = client.get(path, follow=True).content.decode()
    assert "This link is no longer valid" in page
    assert 'name="new_password1"' not in page


def test_a_forged_token_is_refused(client, owner):
    client.post(url("fr", "password_reset"), {"email": owner.email})
    link = link_in(mail.outbox[0])
    forged = link.rstrip("/")[:-3] + "abc/"
    page = client.get("/" + forged.split("://", 1)[1].split("/", 1)[1], follow=True).content.decode()
    assert "Ce lien n’est plus valable" in page


def test_invite_command_creates_the_account_and_the_link_works_once(client, aimf, settings):
    settings.SITE_URL = "https://annuaire.example"
    call_command(
        "invite_partner",
        "New.Partner@Mairie.example",
        "aimf",
        "--language",
        "en",
        stdout=io.StringIO(),
    )
    user = Membership.objects.get(organisation=aimf).user
    assert user.email == "new.partner@mairie.example"
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert message.subject == "Platforma: your partner access"
    assert aimf.name_en in message.body
    link = link_in(message)
    assert link.startswith("https://annuaire.example/en/partners/password-reset/")
    assert use_link(client, link).status_code == 302
    assert can_log_in(client, user.email, NEW_PASSWORD)
    client.logout()
    page = client.get("/" + link.split("://", 1)[1].split("/", 1)[1], follow=True).content.decode()
    assert 'name="new_password1"' not in page


def test_invite_command_in_french_by_default_and_for_an_existing_user(owner, ouaga):
    call_command("invite_partner", owner.email, "ouaga", stdout=io.StringIO())
    assert Membership.objects.filter(user=owner, organisation=ouaga).exists()
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)  # keeps their password until the link is used
    assert mail.outbox[0].subject == "Platforma : votre accès partenaire"
    assert "/fr/partners/password-reset/" in mail.outbox[0].body
    assert "Commune de Ouagadougou" in mail.outbox[0].body


def test_invite_command_refuses_bad_input(db, aimf):
    with pytest.raises(CommandError):
        call_command("invite_partner", "x@y.example", "no-such-slug")
    with pytest.raises(CommandError):
        call_command("invite_partner", "not an address", "aimf")
    assert mail.outbox == []


def test_an_invited_partner_who_lost_the_mail_can_ask_for_a_reset(client, aimf):
    call_command("invite_partner", "late@mairie.example", "aimf", stdout=io.StringIO())
    mail.outbox.clear()
    client.post(url("fr", "password_reset"), {"email": "late@mairie.example"})
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    "action,subject", [("invite_fr", "votre accès partenaire"), ("invite_en", "your partner access")]
)
def test_admin_action_sends_the_invitation(client, staff, owner, action, subject):
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    changelist = reverse("admin:accounts_user_changelist")
    response = client.post(changelist, {"action": action, "_selected_action": [owner.pk]})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [owner.email]
    assert subject in mail.outbox[0].subject
    link = link_in(mail.outbox[0])
    assert link.startswith(settings.SITE_URL)
    client.logout()
    assert use_link(client, link).status_code == 302
    assert can_log_in(client, owner.email, NEW_PASSWORD)
    client.logout()
    page = client.get("/" + link.split("://", 1)[1].split("/", 1)[1], follow=True).content.decode()
    assert 'name="new_password1"' not in page


def test_admin_action_skips_users_without_an_organisation(client, staff):
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "invite_fr", "_selected_action": [staff.pk]},
        follow=True,
    )
    assert mail.outbox == []
    assert "ne peut encore modifier aucune organisation" in response.content.decode()


def test_staff_can_create_a_partner_without_a_password_and_link_an_organisation(client, staff, aimf):
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "fresh@mairie.example",
            "usable_password": "false",
            "password1": "",
            "password2": "",
            "memberships-TOTAL_FORMS": 1,
            "memberships-INITIAL_FORMS": 0,
            "memberships-0-organisation": aimf.pk,
        },
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="fresh@mairie.example")
    assert membership.organisation == aimf
    assert not membership.user.has_usable_password()
