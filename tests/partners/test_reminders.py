"""Update reminders: a year after the last update (not a day before), again 30 days later if nothing changed,
never twice, only to active partners, not when staff switched them off; the e-mail in both languages."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.management import call_command
from django.utils import timezone, translation

from institutions.models import Organisation
from partners.models import Membership, Reminder, RemindersOff
from partners.reminders import send_due_reminders
from tests.at_once import at_once
from tests.factories import admin_url

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture
def org(django_user_model):
    org = Organisation.objects.create(name_fr="Ville de Kossamba", name_en="City of Kossamba", country="BF")
    for email in ("maire@kossamba.example", "adjoint@kossamba.example"):
        Membership.objects.create(user=django_user_model.objects.create_user(email), organisation=org)
    return org


def last_updated(org, days_ago):
    Organisation.objects.filter(pk=org.pk).update(updated=NOW - timedelta(days=days_ago))
    org.refresh_from_db()


def test_first_reminder_a_year_after_the_last_update_not_a_day_before(org):
    last_updated(org, 364)
    assert send_due_reminders(NOW) == 0 and not mail.outbox
    last_updated(org, 365)
    assert send_due_reminders(NOW) == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["adjoint@kossamba.example", "maire@kossamba.example"]
    assert all(len(m.to) == 1 for m in mail.outbox)  # no partner sees another's address
    reminder = Reminder.objects.get()
    assert reminder.round == 1 and reminder.last_update == org.updated
    assert reminder.recipients == "adjoint@kossamba.example, maire@kossamba.example"


def test_never_twice_for_the_same_update(org):
    last_updated(org, 400)
    assert send_due_reminders(NOW) == 1
    assert send_due_reminders(NOW) == 0
    assert send_due_reminders(NOW + timedelta(days=29)) == 0
    assert len(mail.outbox) == 2  # one per partner, once


def test_second_reminder_thirty_days_later_if_nothing_changed(org):
    last_updated(org, 365)
    send_due_reminders(NOW)
    mail.outbox.clear()
    first = Reminder.objects.get().sent
    assert send_due_reminders(first + timedelta(days=30) - timedelta(seconds=1)) == 0
    assert send_due_reminders(first + timedelta(days=30)) == 1
    assert "second reminder" in mail.outbox[0].body
    assert send_due_reminders(first + timedelta(days=90)) == 0  # two rounds, then silence
    assert Reminder.objects.filter(round=2).count() == 1


def test_an_update_starts_a_new_year(org):
    last_updated(org, 365)
    send_due_reminders(NOW)
    org.save()  # the partner checked the profile
    assert send_due_reminders(NOW + timedelta(days=31)) == 0
    assert send_due_reminders(timezone.now() + timedelta(days=365)) == 1
    assert Reminder.objects.filter(round=1).count() == 2


def test_switched_off_or_without_active_partner_nothing_is_sent(org):
    last_updated(org, 500)
    off = RemindersOff.objects.create(organisation=org)
    assert send_due_reminders(NOW) == 0
    off.delete()
    for membership in org.memberships.select_related("user"):
        membership.user.is_active = False
        membership.user.save()
    assert send_due_reminders(NOW) == 0
    assert not mail.outbox and not Reminder.objects.exists()


def test_the_mail_says_what_is_missing_in_both_languages_with_links(org, settings):
    settings.SITE_URL = "https://directory.example.org"
    last_updated(org, 365)
    send_due_reminders(NOW)
    message = mail.outbox[0]
    assert message.subject == (
        "Le profil de Ville de Kossamba est-il toujours à jour ? / Is the profile of City of Kossamba still up to date?"
    )
    body = message.body
    assert body.index("Bonjour") < body.index("Hello")
    assert "- site web" in body and "- website" in body  # the completeness rule's labels, in each language
    assert "- pays" not in body and "- country" not in body  # filled in
    assert f"https://directory.example.org/fr/partners/organisations/{org.slug}/" in body
    assert f"https://directory.example.org/en/partners/organisations/{org.slug}/experiences/" in body
    html, kind = message.alternatives[0]
    assert kind == "text/html" and '<div lang="fr">' in html and '<div lang="en">' in html
    assert f'href="https://directory.example.org/en/organisations/{org.slug}/"' in html


def test_names_are_escaped_in_the_html_mail(org):
    Organisation.objects.filter(pk=org.pk).update(name_en="<b>Kossamba</b>")
    last_updated(org, 365)
    send_due_reminders(NOW)
    html = mail.outbox[0].alternatives[0][0]
    assert "<b>Kossamba</b>" not in html and "&lt;b&gt;Kossamba&lt;/b&gt;" in html


@pytest.mark.parametrize("lang, said", [("en", "1 reminder sent."), ("fr", "1 rappel envoyé.")])
def test_the_command_says_how_many_were_sent(org, lang, said):
    last_updated(org, 365)
    out = io.StringIO()
    with translation.override(lang):
        call_command("send_reminders", stdout=out)
    assert out.getvalue().strip() == said


def test_staff_see_who_was_reminded_and_switch_reminders_off_and_on(client, django_user_model, org):
    client.force_login(django_user_model.objects.create_superuser("admin@platforma.example", "pw-correct-horse"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    last_updated(org, 365)
    send_due_reminders(NOW)
    page = client.get(admin_url(Organisation, "change", org.pk)).content.decode()
    assert "adjoint@kossamba.example, maire@kossamba.example" in page
    assert "On: the partners are reminded a year after the last update" in page

    def act(action):
        selected = {"action": action, "_selected_action": [org.pk]}
        return client.post(admin_url(Organisation, "changelist"), selected, follow=True).content.decode()

    assert "Update reminders switched off for 1 organisation." in act("reminders_off")
    assert RemindersOff.objects.filter(organisation=org).exists()
    assert "Off since" in client.get(admin_url(Organisation, "change", org.pk)).content.decode()
    assert "Update reminders switched off for 0 organisations." in act("reminders_off")  # already off
    assert "Update reminders switched on for 1 organisation." in act("reminders_on")
    assert not RemindersOff.objects.exists()


def test_switching_reminders_needs_the_change_permission(client, django_user_model, org):
    viewer = django_user_model.objects.create_user("viewer@platforma.example", "pw-correct-horse", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_organisation"))
    client.force_login(viewer)
    selected = {"action": "reminders_off", "_selected_action": [org.pk]}
    client.post(admin_url(Organisation, "changelist"), selected)
    assert not RemindersOff.objects.exists()


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_reminder_once(org):
    """Two threads, two connections: the second waits on the first's reminder row and skips it."""
    last_updated(org, 365)
    results = at_once(lambda: send_due_reminders(NOW))
    assert sorted(results) == [0, 1]
    assert len(mail.outbox) == 2 and Reminder.objects.count() == 1
