"""Contact an organisation (issue 19, part 4, with part 7's rules for its mails): who receives the message,
the copy to the sender, the abuse guards (honeypot, rate limits, bounds, one-line headers, CSRF), both
languages, and the log staff read in the admin."""

import io

import pytest
from django.conf import settings as conf
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from contact.models import EMAIL_MAX, MESSAGE_MAX, MESSAGE_MIN, NAME_MAX, SUBJECT_MAX, ContactMessage
from institutions.models import Organisation
from partners.models import Membership
from platforma.mail import ConsoleTextBackend

SENDER = "jeanne.visiteuse@example.net"


def url(lang, name, slug):
    with translation.override(lang):
        return reverse(f"contact:{name}", args=[slug])


def profile_url(lang, organisation):
    with translation.override(lang):
        return organisation.get_absolute_url()


def message(**overrides):
    data = {
        "name": "Jeanne Visiteuse",
        "email": SENDER,
        "subject": "Coopération sur l'eau potable",
        "message": "Bonjour,\nnous cherchons un partenaire pour un projet d'eau potable à Kaolack.",
        "copy": "on",
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def with_address(db):
    return Organisation.objects.create(
        name_fr="Ville de Lyon", name_en="City of Lyon", acronym="LYON", country="FR", email="contact@lyon.example"
    )


@pytest.fixture
def without_address(db, django_user_model):
    """No published address: its two active partners receive the messages (not the inactive one, not the
    partner of another organisation)."""
    organisation = Organisation.objects.create(name_fr="Commune de Dakar", name_en="City of Dakar", country="SN")
    for email, active in [("b.partner@dakar.example", True), ("a.partner@dakar.example", True),
                          ("gone@dakar.example", False)]:  # fmt: skip
        user = django_user_model.objects.create_user(email, "pw-correct-horse-battery", is_active=active)
        Membership.objects.create(user=user, organisation=organisation)
    elsewhere = Organisation.objects.create(name_fr="Ailleurs", country="FR", email="x@ailleurs.example")
    Membership.objects.create(
        user=django_user_model.objects.create_user("other@ailleurs.example", "pw-correct-horse-battery"),
        organisation=elsewhere,
    )
    return organisation


@pytest.fixture
def unreachable(db):
    return Organisation.objects.create(name_fr="Village sans adresse", name_en="Village without address", country="BF")


@pytest.fixture
def unpublished(db):
    return Organisation.objects.create(name_fr="Brouillon", country="FR", email="draft@example.org", published=False)


# --- who receives it ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_message_goes_to_the_published_address(client, with_address, lang):
    response = client.post(url(lang, "form", with_address.slug), message())
    assert response.status_code == 302
    assert response["Location"] == url(lang, "sent", with_address.slug)
    to_organisation, copy = mail.outbox
    assert to_organisation.to == ["contact@lyon.example"]
    assert to_organisation.reply_to == [SENDER]
    assert SENDER not in to_organisation.from_email  # sent from the site (SPF, DMARC), answered to the sender
    assert to_organisation.subject == "[Platforma] Coopération sur l'eau potable"
    assert "nous cherchons un partenaire pour un projet d'eau potable à Kaolack." in to_organisation.body
    assert "&#x27;" not in to_organisation.body  # plain text is not HTML-escaped
    assert copy.to == [SENDER]
    assert copy.reply_to == []
    assert conf.CONTACT_EMAIL in to_organisation.body and conf.CONTACT_EMAIL in copy.body  # where to report abuse
    logged = ContactMessage.objects.get()
    assert (logged.status, logged.reason, logged.language) == ("sent", "", lang)
    assert logged.recipients == "contact@lyon.example"
    assert (logged.sender_email, logged.copy_to_sender) == (SENDER, True)


def test_without_an_address_the_active_partners_receive_it_each_alone(client, without_address):
    assert client.post(url("en", "form", without_address.slug), message(copy=None)).status_code == 302
    assert [m.to for m in mail.outbox] == [["a.partner@dakar.example"], ["b.partner@dakar.example"]]
    assert all(m.reply_to == [SENDER] for m in mail.outbox)
    assert ContactMessage.objects.get().recipients == "a.partner@dakar.example\nb.partner@dakar.example"


def test_copies_to_one_address_just_below_and_just_above_their_limit(client, with_address, settings):
    """Whoever types the address (another client address each time, the address in capitals): a mailbox
    cannot be flooded with copies. Beyond the limit the message still goes, without its copy."""
    settings.CONTACT_COPIES_PER_ADDRESS = "2/d"
    for n, address in enumerate([SENDER, SENDER, SENDER.upper()], start=1):
        response = client.post(url("en", "form", with_address.slug), message(email=address), REMOTE_ADDR=f"192.0.2.{n}")
        assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["contact@lyon.example"], [SENDER]] * 2 + [["contact@lyon.example"]]
    assert list(ContactMessage.objects.order_by("id").values_list("copy_to_sender", flat=True)) == [True, True, False]


def test_no_copy_unless_asked(client, with_address):
    client.post(url("en", "form", with_address.slug), message(copy=None))
    assert [m.to for m in mail.outbox] == [["contact@lyon.example"]]
    assert ContactMessage.objects.get().copy_to_sender is False


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_recipient_no_form(client, unreachable, lang):
    response = client.get(url(lang, "form", unreachable.slug))
    assert response.status_code == 200
    assert "<form method=\"post\" class=\"stacked" not in response.text
    assert {"fr": "ne peut pas être contacté", "en": "cannot be contacted"}[lang] in response.text
    response = client.post(url(lang, "form", unreachable.slug), message())
    assert response.status_code == 200 and mail.outbox == []
    assert not ContactMessage.objects.exists()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_profile_links_to_the_form_only_when_someone_receives_it(
    client, with_address, without_address, unreachable, lang
):
    for organisation, linked in [(with_address, True), (without_address, True), (unreachable, False)]:
        page = client.get(profile_url(lang, organisation)).text
        assert (f'href="{url(lang, "form", organisation.slug)}"' in page) is linked, organisation


def test_giving_or_removing_a_partner_makes_cached_profiles_stale(django_capture_on_commit_callbacks, unreachable,
                                                                  django_user_model):
    """The profile (a cached page) shows the link from the moment a partner is given, and not after the last
    is removed: the directory's generation moves."""
    from institutions.cache import generation

    before = generation()
    user = django_user_model.objects.create_user("new@village.example", "pw-correct-horse-battery")
    with django_capture_on_commit_callbacks(execute=True):
        membership = Membership.objects.create(user=user, organisation=unreachable)
    after = generation()
    assert after != before
    with django_capture_on_commit_callbacks(execute=True):
        membership.delete()
    assert generation() != after


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("page", ["form", "sent"])
def test_unpublished_or_unknown_organisations_are_404(client, unpublished, lang, page):
    assert client.get(url(lang, page, unpublished.slug)).status_code == 404
    assert client.post(url(lang, "form", unpublished.slug), message()).status_code == 404
    assert client.get(url(lang, page, "nobody-here")).status_code == 404
    assert mail.outbox == []


# --- both languages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lang, heading, copy_subject, text",
    [
        ("fr", "Écrire à Ville de Lyon", "Votre message à Ville de Lyon", "Pour répondre, répondez à ce courriel"),
        ("en", "Write to City of Lyon", "Your message to City of Lyon", "To answer, reply to this e-mail"),
    ],
)
def test_page_and_mails_speak_the_page_language(client, with_address, lang, heading, copy_subject, text):
    assert heading in client.get(url(lang, "form", with_address.slug)).text
    client.post(url(lang, "form", with_address.slug), message())
    to_organisation, copy = mail.outbox
    assert text in to_organisation.body
    assert copy.subject.startswith(copy_subject)
    for sent in (to_organisation, copy):
        (html, mimetype), = sent.alternatives
        assert mimetype == "text/html"
        assert f'<html lang="{lang}">' in html
        assert "Coopération sur l&#x27;eau potable" in html  # escaped in HTML
    sent_page = client.get(url(lang, "sent", with_address.slug)).text
    assert {"fr": "Message envoyé", "en": "Message sent"}[lang] in sent_page


def test_what_the_sender_typed_is_escaped_in_the_html_mail(client, with_address):
    client.post(url("en", "form", with_address.slug), message(name="<b>Eve</b>", message="<script>x()</script> hi"))
    html = mail.outbox[0].alternatives[0].content
    assert "<script>" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html
    assert "<b>Eve</b>" not in html


@pytest.mark.parametrize(
    "lang, required, too_short",
    [("fr", "Ce champ est obligatoire.", "au moins 10 caractères"),
     ("en", "This field is required.", "at least 10 characters")],
)  # fmt: skip
def test_form_errors_keep_what_was_typed_and_speak_the_page_language(client, with_address, lang, required, too_short):
    response = client.post(url(lang, "form", with_address.slug), message(name="", message="Trop court"[:9]))
    assert response.status_code == 400
    assert required in response.text and too_short in response.text
    assert 'value="Coopération sur l&#x27;eau potable"' in response.text
    assert f'value="{SENDER}"' in response.text
    assert "Trop cour</textarea>" in response.text
    assert mail.outbox == [] and not ContactMessage.objects.exists()


def test_the_senders_address_is_shown_to_nobody_but_the_recipients(client, with_address):
    response = client.post(url("en", "form", with_address.slug), message(), follow=True)
    assert SENDER not in response.text
    assert SENDER not in client.get(profile_url("en", with_address)).text


def test_no_account_enumeration_partners_addresses_are_never_shown(client, with_address, without_address):
    """Written to partners or to a published address, the visitor sees the same pages; the partners'
    addresses appear on none of them."""
    for lang in ("fr", "en"):
        pages = [client.get(url(lang, "form", without_address.slug)),
                 client.post(url(lang, "form", without_address.slug), message(), follow=True),
                 client.get(profile_url(lang, without_address))]  # fmt: skip
        for page in pages:
            assert page.status_code == 200
            assert "@dakar.example" not in page.text
        answer = client.post(url(lang, "form", with_address.slug), message())
        assert answer["Location"] == url(lang, "sent", with_address.slug)


# --- abuse --------------------------------------------------------------------------------------------------


def test_the_honeypot_is_hidden_from_people_and_assistive_technology(client, with_address):
    page = client.get(url("en", "form", with_address.slug)).text
    hidden_block = page[page.index("<div hidden>"):]
    assert 'name="website"' in hidden_block[: hidden_block.index("</div>\n  <p class=\"form-actions\">")]
    assert 'tabindex="-1"' in hidden_block and 'autocomplete="off"' in hidden_block


def test_a_filled_honeypot_is_answered_as_sent_but_nothing_is_sent(client, with_address):
    response = client.post(url("en", "form", with_address.slug), message(website="http://spam.example"))
    assert response.status_code == 302 and response["Location"] == url("en", "sent", with_address.slug)
    assert mail.outbox == []
    logged = ContactMessage.objects.get()
    assert (logged.status, logged.reason, logged.copy_to_sender) == ("blocked", "honeypot", False)


def test_honeypot_messages_use_up_no_allowance(client, with_address, settings):
    settings.CONTACT_RATE_PER_IP = "1/h"
    settings.CONTACT_RATE_PER_ORGANISATION = "1/d"
    for _robot in range(3):
        client.post(url("en", "form", with_address.slug), message(website="x"))
    assert client.post(url("en", "form", with_address.slug), message()).status_code == 302
    assert len(mail.outbox) == 2


def post_from(client, organisation, ip):
    return client.post(url("en", "form", organisation.slug), message(copy=None), REMOTE_ADDR=ip)


def test_rate_limit_per_client_address_just_below_and_just_above(client, with_address, without_address, settings):
    settings.CONTACT_RATE_PER_IP = "3/h"
    assert [post_from(client, with_address, "192.0.2.1").status_code for _ in range(3)] == [302, 302, 302]
    response = post_from(client, without_address, "192.0.2.1")  # the 4th from this address, to anyone
    assert response.status_code == 429
    assert "Too many messages" in response.text and "Jeanne Visiteuse" in response.text  # kept, to send later
    assert post_from(client, with_address, "192.0.2.2").status_code == 302  # another address is not refused
    assert len(mail.outbox) == 4
    assert ContactMessage.objects.filter(status="blocked", reason="rate_limit_ip").count() == 1


def test_rate_limit_follows_the_client_address_behind_proxies(client, with_address, settings):
    settings.CONTACT_RATE_PER_IP = "1/h"
    settings.TRUSTED_PROXY_COUNT = 1
    send = lambda ip: client.post(url("en", "form", with_address.slug), message(), REMOTE_ADDR="10.0.0.1",  # noqa: E731
                                  HTTP_X_FORWARDED_FOR=ip).status_code  # fmt: skip
    assert [send("198.51.100.7"), send("198.51.100.8"), send("198.51.100.7")] == [302, 302, 429]


def test_rate_limit_per_organisation_just_below_and_just_above(client, with_address, without_address, settings):
    settings.CONTACT_RATE_PER_ORGANISATION = "3/d"
    statuses = [post_from(client, with_address, f"192.0.2.{n}").status_code for n in range(1, 5)]
    assert statuses == [302, 302, 302, 429]
    assert post_from(client, without_address, "192.0.2.9").status_code == 302  # another organisation is not
    logged = ContactMessage.objects.filter(status="blocked").get()
    assert (logged.organisation, logged.reason) == (with_address, "rate_limit_organisation")


def test_a_refused_client_uses_up_none_of_the_organisations_allowance(client, with_address, settings):
    settings.CONTACT_RATE_PER_IP = "1/h"
    settings.CONTACT_RATE_PER_ORGANISATION = "2/d"
    assert [post_from(client, with_address, "192.0.2.1").status_code for _ in range(5)] == [302] + [429] * 4
    assert post_from(client, with_address, "192.0.2.2").status_code == 302


BOUNDS = [
    ("name", NAME_MAX, NAME_MAX + 1),
    ("subject", SUBJECT_MAX, SUBJECT_MAX + 1),
    ("message", MESSAGE_MAX, MESSAGE_MAX + 1),
]


@pytest.mark.parametrize("field, fits, too_long", BOUNDS)
def test_each_length_just_below_and_just_above_its_bound(client, with_address, field, fits, too_long):
    assert client.post(url("en", "form", with_address.slug), message(**{field: "é" * too_long})).status_code == 400
    assert mail.outbox == []
    assert client.post(url("en", "form", with_address.slug), message(**{field: "é" * fits})).status_code == 302
    assert getattr(ContactMessage.objects.get(), {"name": "sender_name"}.get(field, field)) == "é" * fits


def test_the_address_just_below_and_just_above_its_bound(client, with_address):
    """The form's own default (320) is longer than the column's: on PostgreSQL the log's insert failed (500)."""
    domain = "b" * 63 + "." + "b" * 63 + "." + "c" * 61

    def status(address):
        return client.post(url("en", "form", with_address.slug), message(email=address)).status_code

    assert len("a" * 64 + "@" + domain) == EMAIL_MAX
    assert status("a" * 64 + "@b" + domain) == 400
    assert status("a" * 64 + "@" + domain) == 302
    assert ContactMessage.objects.get().sender_email == "a" * 64 + "@" + domain


def test_the_message_has_a_least_length_too(client, with_address):
    def status(text):
        return client.post(url("en", "form", with_address.slug), message(message=text)).status_code

    assert status("x" * (MESSAGE_MIN - 1)) == 400
    assert status("  " + "x" * (MESSAGE_MIN - 1) + " \n") == 400  # spaces around it do not count
    assert status("x" * MESSAGE_MIN) == 302


@pytest.mark.parametrize("field", ["subject", "name"])
@pytest.mark.parametrize("line_break", ["\n", "\r\n", "\r"])
def test_no_header_injection_a_line_break_in_a_one_line_field_is_refused(client, with_address, field, line_break):
    injected = f"Hello{line_break}Bcc: victim@example.org"
    response = client.post(url("en", "form", with_address.slug), message(**{field: injected}))
    assert response.status_code == 400
    assert "Write it on one line." in response.text
    assert mail.outbox == []


def test_an_address_with_a_line_break_is_refused(client, with_address):
    response = client.post(url("en", "form", with_address.slug), message(email=f"{SENDER}\nBcc: victim@example.org"))
    assert response.status_code == 400 and mail.outbox == []


def test_csrf_is_required(with_address):
    client = Client(enforce_csrf_checks=True)
    assert client.post(url("en", "form", with_address.slug), message()).status_code == 403
    assert mail.outbox == []


def test_the_pages_are_never_stored_by_proxies(client, with_address):
    assert "private" in client.get(url("en", "form", with_address.slug))["Cache-Control"]


def test_a_mail_server_failure_is_told_and_logged_not_a_500(client, with_address, monkeypatch):
    def refuse(mails):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("contact.views.send", refuse)
    response = client.post(url("en", "form", with_address.slug), message())
    assert response.status_code == 503
    assert "could not be sent just now" in response.text and "Jeanne Visiteuse" in response.text
    assert (ContactMessage.objects.get().status, ContactMessage.objects.get().reason) == ("failed", "mail_error")


def test_the_development_console_shows_the_mails_readable(client, with_address):
    client.post(url("fr", "form", with_address.slug), message())
    stream = io.StringIO()
    ConsoleTextBackend(stream=stream).send_messages(mail.outbox)
    output = stream.getvalue()
    assert "Reply-To: jeanne.visiteuse@example.net" in output
    assert "Subject: [Platforma] Coopération sur l'eau potable" in output
    assert "projet d'eau potable à Kaolack." in output
    assert "=C3=A9" not in output


# --- the log, in the admin ----------------------------------------------------------------------------------


@pytest.fixture
def logged(with_address):
    return ContactMessage.objects.create(
        organisation=with_address, sender_name="Jeanne", sender_email=SENDER, subject="Bonjour", message="x" * 20,
        language="fr", recipients="contact@lyon.example", status="sent",
    )  # fmt: skip


def admin_url(name, *args):
    return reverse(f"admin:contact_contactmessage_{name}", args=args)


def staff_member(django_user_model, *codenames):
    user = django_user_model.objects.create_user("staff@platforma.example", "pw-correct-horse-battery", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="contact", codename__in=codenames))
    return user


def test_staff_with_the_view_permission_read_the_log_and_change_nothing(client, logged, django_user_model):
    client.force_login(staff_member(django_user_model, "view_contactmessage"))
    listing = client.get(admin_url("changelist"))
    assert listing.status_code == 200 and "Bonjour" in listing.text
    detail = client.get(admin_url("change", logged.pk))
    assert detail.status_code == 200 and SENDER in detail.text
    assert 'name="_save"' not in detail.text
    assert client.post(admin_url("change", logged.pk), {"subject": "changed"}).status_code == 403
    assert client.get(admin_url("add")).status_code == 403
    assert client.get(admin_url("delete", logged.pk)).status_code == 403
    logged.refresh_from_db()
    assert logged.subject == "Bonjour"


def test_even_a_superuser_cannot_add_or_change_a_log_entry(client, logged, staff):
    assert client.get(admin_url("add")).status_code == 403
    assert 'name="_save"' not in client.get(admin_url("change", logged.pk)).text


def test_staff_without_the_view_permission_are_refused(client, logged, django_user_model):
    client.force_login(staff_member(django_user_model))
    assert client.get(admin_url("changelist")).status_code == 403
    assert client.get(admin_url("change", logged.pk)).status_code == 403


def test_a_partner_is_refused(client, logged, without_address):
    partner = Membership.objects.filter(organisation=without_address).first().user
    client.force_login(partner)
    response = client.get(admin_url("changelist"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_anonymous_visitors_are_sent_to_the_login(client, logged):
    response = client.get(admin_url("changelist"))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- how long the log keeps senders' data -------------------------------------------------------------------


def test_purge_deletes_only_messages_older_than_the_days_kept(logged, with_address):
    import datetime

    from django.core.management import CommandError, call_command
    from django.utils import timezone

    def aged(age):
        entry = ContactMessage.objects.get(pk=logged.pk)
        entry.pk, entry.sent_at = None, timezone.now() - age
        entry.save()
        return entry

    hour = datetime.timedelta(hours=1)
    kept, old = aged(datetime.timedelta(days=30) - hour), aged(datetime.timedelta(days=30) + hour)
    out = io.StringIO()
    call_command("purge_contact_messages", days=30, dry_run=True, stdout=out)
    assert "1 contact messages older than 30 days would be deleted" in out.getvalue()
    assert ContactMessage.objects.count() == 3
    call_command("purge_contact_messages", days=30, stdout=io.StringIO())
    assert set(ContactMessage.objects.all()) == {logged, kept}
    assert not ContactMessage.objects.filter(pk=old.pk).exists()
    with pytest.raises(CommandError):
        call_command("purge_contact_messages", days=0)
