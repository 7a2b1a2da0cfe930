"""Saved-search e-mail alerts (issue 19, part 1): subscribe from a search (no account), confirm by a signed
link, one digest a period of the matches created or updated in it, in the subscription's language, none when
nothing is new, never twice; unsubscribe in one click or from the manage page; bad links refused; the abuse
guards (honeypot, rate limits, bounds, no enumeration); staff's read-only list; the purge."""

import datetime
import io
import time
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django_countries import countries

from alerts import links
from alerts.digests import last_period, send_digests
from alerts.models import CRITERIA_MAX, EMAIL_MAX, Digest, Subscription
from alerts.searches import canonical
from experiences.models import Experience
from institutions.models import Organisation
from tests.at_once import at_once
from tests.factories import admin_url

pytestmark = pytest.mark.django_db

ADDRESS = "jeanne.visiteuse@example.net"
WORDS = {
    "fr": {"follow": "Suivre cette recherche par e-mail", "check": "Consultez votre boîte de réception",
           "subject": "[Platforma] Confirmez votre alerte", "digest": "1 organisation nouvelle ou mise à jour",
           "new": "nouvelle", "bad": "Ce lien ne fonctionne pas", "gone": "Cette alerte n’existe plus",
           "unsubscribed": "Désabonnement effectué", "confirm": "Confirmer l’alerte", "weekly": "chaque semaine"},
    "en": {"follow": "Follow this search by e-mail", "check": "Check your mailbox",
           "subject": "[Platforma] Confirm your alert", "digest": "1 new or updated organisation",
           "new": "new", "bad": "This link does not work", "gone": "This alert no longer exists",
           "unsubscribed": "You are unsubscribed", "confirm": "Confirm the alert", "weekly": "weekly"},
}  # fmt: skip


def url(lang, name, *args, query=""):
    with translation.override(lang):
        path = reverse(f"alerts:{name}", args=args)
    return f"{path}?{query}" if query else path


def form(**overrides):
    data = {"email": ADDRESS, "frequency": "weekly", "website": ""}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def next_period():
    """A moment in the next week: the week now is in is then the last whole one."""
    return timezone.now() + timedelta(days=7)


def confirmed(email=ADDRESS, criteria="country=FR", search="organisations", language="en", frequency="weekly"):
    return Subscription.objects.create(
        email=email, search=search, criteria=criteria, language=language, frequency=frequency,
        confirmed=timezone.now() - timedelta(seconds=1),
    )  # fmt: skip


def organisation(name, country="FR", **fields):
    return Organisation.objects.create(name_fr=name, name_en=name, country=country, **fields)


def link_in(message, view):
    """The path of the alerts page of this kind that a mail links to."""
    for line in message.body.splitlines():
        if f"/alerts/{view}/" in line:
            return line[line.index("http") :].strip().removeprefix("http://127.0.0.1:8000")
    raise AssertionError(f"no {view} link in {message.body}")


# --- the whole way -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_subscribe_confirm_then_one_digest_with_the_new_organisation(client, lang):
    words = WORDS[lang]
    page = client.get(url(lang, "subscribe", query="country=FR"))
    assert page.status_code == 200 and words["follow"] in page.text
    response = client.post(url(lang, "subscribe", query="country=FR"), form())
    assert response.status_code == 302 and response["Location"] == url(lang, "asked")
    assert words["check"] in client.get(response["Location"]).text
    (confirmation,) = mail.outbox
    assert confirmation.to == [ADDRESS] and confirmation.subject == words["subject"]
    subscription = Subscription.objects.get()
    assert (subscription.search, subscription.criteria, subscription.language) == ("organisations", "country=FR", lang)
    assert subscription.confirmed is None

    # Not confirmed yet: nothing is sent.
    organisation("Ville de Lyon")
    mail.outbox.clear()
    assert send_digests(next_period()) == 0 and mail.outbox == []
    Digest.objects.all().delete()

    confirm = link_in(confirmation, "confirm")
    assert confirm.startswith(f"/{lang}/alerts/confirm/")
    page = client.get(confirm)
    assert page.status_code == 200 and words["confirm"] in page.text
    subscription.refresh_from_db()
    assert subscription.confirmed is None  # a mail scanner opening the link confirms nothing
    response = client.post(confirm)
    assert response.status_code == 302 and response["Location"].startswith(f"/{lang}/alerts/manage/")
    subscription.refresh_from_db()
    assert subscription.confirmed is not None

    assert send_digests(next_period()) == 1
    (digest,) = mail.outbox
    assert digest.to == [ADDRESS]
    assert words["digest"] in digest.subject
    assert "Ville de Lyon" in digest.body and f"({words['new']})" in digest.body
    assert f"http://127.0.0.1:8000/{lang}/organisations/ville-de-lyon/" in digest.body
    ((html, kind),) = digest.alternatives
    assert kind == "text/html" and f'<html lang="{lang}">' in html and "Ville de Lyon</a>" in html
    unsubscribe = "http://127.0.0.1:8000" + link_in(digest, "unsubscribe")
    assert digest.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in html and link_in(digest, "manage") in html
    assert words["weekly"] in digest.body
    assert Digest.objects.get().items == 1


def test_the_same_period_run_twice_sends_one_mail(client):
    confirmed()
    organisation("Ville de Lyon")
    now = next_period()
    assert send_digests(now) == 1
    assert send_digests(now) == 0
    assert send_digests(now + timedelta(days=3)) == 0  # later the same week: the same period, done
    out = io.StringIO()
    call_command("send_alerts", stdout=out)  # today: this week is not over, last week had nothing
    assert len(mail.outbox) == 1 and Digest.objects.filter(items=1).count() == 1


def test_the_next_period_lists_only_what_changed_in_it():
    subscription = confirmed()
    lyon = organisation("Ville de Lyon")
    now = next_period()
    send_digests(now)
    mail.outbox.clear()
    assert send_digests(now + timedelta(days=7)) == 0  # nothing changed in that week
    start, end = last_period("weekly", now + timedelta(days=14))
    Organisation.objects.filter(pk=lyon.pk).update(updated=start + timedelta(hours=1))
    assert send_digests(now + timedelta(days=14)) == 1
    assert "Ville de Lyon" in mail.outbox[0].body
    assert "(updated)" in mail.outbox[0].body  # created before the period: updated, not new
    assert subscription.digests.count() == 3


def test_nothing_new_no_mail():
    confirmed()
    old = organisation("Ville de Lyon")
    start, _end = last_period("weekly", next_period())
    Organisation.objects.filter(pk=old.pk).update(created=start - timedelta(days=30), updated=start - timedelta(days=1))
    assert send_digests(next_period()) == 0
    assert mail.outbox == []
    assert Digest.objects.get().items == 0  # the period is done: not looked at again


@pytest.mark.parametrize("subscribed, shown, hidden", [("FR", "Ville de Lyon", "Commune de Dakar"),
                                                         ("SN", "Commune de Dakar", "Ville de Lyon")])  # fmt: skip
def test_a_non_matching_organisation_is_not_in_the_digest(subscribed, shown, hidden):
    confirmed(criteria=f"country={subscribed}")
    organisation("Ville de Lyon", "FR")
    organisation("Commune de Dakar", "SN")
    organisation("Brouillon de Lyon", "FR", published=False)
    assert send_digests(next_period()) == 1
    body = mail.outbox[0].body
    assert shown in body and hidden not in body and "Brouillon" not in body


def test_a_confirmation_after_the_period_waits_for_the_next():
    subscription = confirmed()
    organisation("Ville de Lyon")
    _start, end = last_period("weekly", next_period())
    Subscription.objects.filter(pk=subscription.pk).update(confirmed=end + timedelta(seconds=1))
    assert send_digests(next_period()) == 0 and not Digest.objects.exists()


def test_monthly_subscriptions_get_the_last_month():
    confirmed(frequency="monthly")
    organisation("Ville de Lyon")
    this_month = timezone.localdate().replace(day=1)
    next_month = timezone.make_aware(datetime.datetime.combine((this_month + timedelta(days=32)).replace(day=1),
                                                               datetime.time(9)))  # fmt: skip
    assert send_digests(next_month - timedelta(days=1)) == 0  # this month is not over
    assert send_digests(next_month) == 1
    start, end = last_period("monthly", next_month)
    assert start.date() == this_month and end == next_month.replace(hour=0)
    assert send_digests(next_month + timedelta(days=27)) == 0


def test_the_experiences_search_lists_experiences():
    lyon = organisation("Ville de Lyon", "FR")
    confirmed(search="experiences", criteria="role=coordinator", language="fr")
    Experience.objects.create(organisation=lyon, title_fr="Eau potable à Kaolack", role="coordinator",
                              start_date="2020-01-01")  # fmt: skip
    Experience.objects.create(organisation=lyon, title_fr="Assainissement à Thiès", role="partner",
                              start_date="2021-01-01")  # fmt: skip
    assert send_digests(next_period()) == 1
    (digest,) = mail.outbox
    assert "1 expérience nouvelle ou mise à jour" in digest.subject
    assert "Eau potable à Kaolack" in digest.body and "Assainissement" not in digest.body
    assert "Ville de Lyon" in digest.body and "/fr/organisations/ville-de-lyon/#experience-" in digest.body


def test_a_long_digest_lists_the_first_and_says_how_many_more(monkeypatch):
    monkeypatch.setattr("alerts.searches.DIGEST_SIZE", 2)
    confirmed()
    for n in range(3):
        organisation(f"Ville {n}")
    send_digests(next_period())
    body = mail.outbox[0].body
    assert "3 new or updated organisations" in mail.outbox[0].subject
    assert "And 1 more: see the search." in body and body.count("/organisations/ville-") == 2


def test_names_are_escaped_in_the_html_digest():
    confirmed()
    organisation("<b>Lyon</b>")
    send_digests(next_period())
    html = mail.outbox[0].alternatives[0][0]
    assert "<b>Lyon</b>" not in html and "&lt;b&gt;Lyon&lt;/b&gt;" in html
    assert "<b>Lyon</b>" in mail.outbox[0].body  # plain text is not HTML-escaped


@pytest.mark.parametrize("search", ["organisations", "experiences"])
def test_a_digest_costs_the_same_queries_whatever_its_length(search):
    """Guards against N+1: a digest of one match and one of six read the database as many times."""

    def queries_for(n):
        Subscription.objects.all().delete()
        confirmed(search=search, criteria="")
        for i in range(n):
            org = organisation(f"Ville {search} {n} {i}")
            Experience.objects.create(organisation=org, title_fr=f"Action {i}", start_date="2020-01-01")
        with CaptureQueriesContext(connection) as queries:
            assert send_digests(next_period()) == 1
        Organisation.objects.all().delete()
        return len(queries)

    queries_for(1)  # the first reads the facets' labels into the cache
    assert queries_for(1) == queries_for(6)


def test_a_mail_server_failure_leaves_the_period_to_the_next_run(monkeypatch):
    confirmed()
    organisation("Ville de Lyon")

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("no mail server")

    with monkeypatch.context() as patched:
        patched.setattr("django.core.mail.EmailMessage.send", refuse)
        assert send_digests(next_period()) == 0
    assert not Digest.objects.exists()
    assert send_digests(next_period()) == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_one_mail():
    """Two threads, two connections: the second waits on the first's digest row and skips it."""
    confirmed()
    organisation("Ville de Lyon")
    now = next_period()
    results = at_once(lambda: send_digests(now))
    assert sorted(results) == [0, 1]
    assert len(mail.outbox) == 1 and Digest.objects.count() == 1


# --- unsubscribe, manage, bad links ----------------------------------------------------------------------------


def a_digest():
    organisation("Ville de Lyon")
    send_digests(next_period())
    return mail.outbox[-1]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_unsubscribe_from_the_mail_without_login_asks_then_unsubscribes(client, lang):
    confirmed(language=lang)
    unsubscribe = link_in(a_digest(), "unsubscribe")
    page = client.get(unsubscribe)
    assert page.status_code == 200 and ADDRESS in page.text
    assert Subscription.objects.exists()  # a GET changes nothing
    response = client.post(unsubscribe)
    assert response.status_code == 200 and WORDS[lang]["unsubscribed"] in response.text
    assert not Subscription.objects.exists() and not Digest.objects.exists()
    assert client.post(unsubscribe).status_code == 200  # twice: still unsubscribed
    assert WORDS[lang]["gone"] in client.get(unsubscribe).text


def test_one_click_unsubscribe_needs_no_csrf_token():
    """RFC 8058: the mail program POSTs List-Unsubscribe=One-Click to the header's address, no cookie, no token."""
    confirmed()
    header = a_digest().extra_headers["List-Unsubscribe"].strip("<>")
    client = Client(enforce_csrf_checks=True)
    response = client.post(header.removeprefix("http://127.0.0.1:8000"), "List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert response.status_code == 200
    assert not Subscription.objects.exists()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_manage_page_changes_the_frequency(client, lang):
    subscription = confirmed(language=lang)
    manage = link_in(a_digest(), "manage")
    page = client.get(manage)
    assert page.status_code == 200 and ADDRESS in page.text
    assert 'value="weekly" required id="id_frequency_0" checked' in page.text
    response = client.post(manage, {"frequency": "monthly"})
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.frequency == "monthly"
    assert client.post(manage, {"frequency": "daily"}).status_code == 400
    subscription.refresh_from_db()
    assert subscription.frequency == "monthly"


def test_the_manage_form_needs_its_csrf_token():
    subscription = confirmed()
    client = Client(enforce_csrf_checks=True)
    manage = url("en", "manage", links.token(subscription, links.MANAGE))
    assert client.post(manage, {"frequency": "monthly"}).status_code == 403


def forged(lang, view):
    return [
        url(lang, view, "nothing"),
        url(lang, view, signing.dumps("6f1c1f0e-0000-4000-8000-000000000000", salt="another")),
        url(lang, view, signing.dumps("6f1c1f0e-0000-4000-8000-000000000000", salt=links.VIEWS[view], key="x" * 50)),
    ]


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("view", ["confirm", "manage", "unsubscribe"])
def test_a_forged_link_is_refused_in_the_visitors_language(client, lang, view):
    subscription = confirmed(language="fr" if lang == "en" else "en")
    valid = links.token(subscription, links.VIEWS[view])
    altered = valid[:-1] + ("B" if valid.endswith("A") else "A")
    for path in [*forged(lang, view), url(lang, view, altered)]:
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code == 400, (path, method)
            assert WORDS[lang]["bad"] in response.text
    assert Subscription.objects.get().confirmed is not None


def test_one_kind_of_link_is_not_another(client):
    """A confirmation link does not unsubscribe, and a manage link does not confirm."""
    subscription = Subscription.objects.create(email=ADDRESS, search="organisations", criteria="", language="en",
                                               frequency="weekly")  # fmt: skip
    assert client.post(url("en", "unsubscribe", links.token(subscription, links.CONFIRM))).status_code == 400
    assert client.post(url("en", "confirm", links.token(subscription, links.MANAGE))).status_code == 400
    assert Subscription.objects.get().confirmed is None


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_an_expired_confirmation_link_is_refused(client, monkeypatch, settings, lang):
    settings.ALERTS_CONFIRM_DAYS = 7
    subscription = Subscription.objects.create(email=ADDRESS, search="organisations", language=lang,
                                               frequency="weekly")  # fmt: skip

    def made_days_ago(days):
        with monkeypatch.context() as patched:
            patched.setattr(signing.TimestampSigner, "timestamp",
                            lambda self: signing.b62_encode(int(time.time()) - days * 86400))  # fmt: skip
            return url(lang, "confirm", links.token(subscription, links.CONFIRM))

    response = client.post(made_days_ago(8))
    assert response.status_code == 400 and WORDS[lang]["bad"] in response.text
    assert Subscription.objects.get().confirmed is None
    assert client.post(made_days_ago(6)).status_code == 302  # within its days, it works
    assert Subscription.objects.get().confirmed is not None


def test_a_link_to_a_deleted_subscription_is_404(client):
    subscription = confirmed()
    manage = url("fr", "manage", links.token(subscription, links.MANAGE))
    subscription.delete()
    response = client.get(manage)
    assert response.status_code == 404 and WORDS["fr"]["gone"] in response.text


# --- no enumeration, abuse, bounds -----------------------------------------------------------------------------


def test_the_same_answer_whether_the_address_is_new_waiting_or_subscribed(client):
    first = client.post(url("en", "subscribe", query="country=FR"), form())
    waiting = client.post(url("en", "subscribe", query="country=FR"), form(), REMOTE_ADDR="192.0.2.2")
    Subscription.objects.update(confirmed=timezone.now())
    subscribed = client.post(url("en", "subscribe", query="country=FR"), form(email=ADDRESS.upper()),
                             REMOTE_ADDR="192.0.2.3")  # fmt: skip
    assert first.status_code == waiting.status_code == subscribed.status_code == 302
    assert first["Location"] == waiting["Location"] == subscribed["Location"]
    assert Subscription.objects.count() == 1  # one address (in its one form), one search
    assert [m.subject for m in mail.outbox] == ["[Platforma] Confirm your alert"] * 2 + [
        "[Platforma] You follow this search already"
    ]
    assert "/alerts/manage/" in mail.outbox[2].body and "/alerts/confirm/" not in mail.outbox[2].body
    assert mail.outbox[2].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_criteria_are_stored_in_their_canonical_form(client):
    client.post(url("en", "subscribe", query="kind=municipality&country=sn&country=FR&sort=-updated&bogus=1&page=3"),
                form())  # fmt: skip
    assert Subscription.objects.get().criteria == "country=FR&country=SN&kind=municipality"


def test_the_honeypot_is_answered_as_done_and_nothing_is_kept_or_sent(client):
    page = client.get(url("en", "subscribe")).text
    hidden = page[page.index("<div hidden>") :]
    assert 'name="website"' in hidden[: hidden.index("</div>")] and 'tabindex="-1"' in hidden
    response = client.post(url("en", "subscribe"), form(website="http://spam.example"))
    assert response.status_code == 302 and response["Location"] == url("en", "asked")
    assert mail.outbox == [] and not Subscription.objects.exists()


def test_rate_limit_per_client_address_just_below_and_just_above(client, settings):
    settings.ALERTS_RATE_PER_IP = "3/h"
    statuses = [client.post(url("en", "subscribe", query=f"country={c}"), form(email=f"{c}@example.net"),
                            REMOTE_ADDR="192.0.2.1").status_code for c in ("FR", "SN", "BF", "ML")]  # fmt: skip
    assert statuses == [302, 302, 302, 429]
    refused = client.post(url("en", "subscribe"), form(email="x@example.net"), REMOTE_ADDR="192.0.2.1")
    assert "Too many requests" in refused.text and 'value="x@example.net"' in refused.text
    assert client.post(url("en", "subscribe"), form(), REMOTE_ADDR="192.0.2.2").status_code == 302
    assert len(mail.outbox) == 4 and Subscription.objects.count() == 4


def test_rate_limit_per_address_just_below_and_just_above_answers_the_same(client, settings):
    """Whoever asks, from wherever: beyond the limit nothing is sent to that address, and the page says the
    same as always."""
    settings.ALERTS_RATE_PER_ADDRESS = "2/h"
    answers = [client.post(url("en", "subscribe", query=f"country={c}"), form(email=address), REMOTE_ADDR=ip)
               for c, address, ip in [("FR", ADDRESS, "192.0.2.1"), ("SN", ADDRESS.upper(), "192.0.2.2"),
                                      ("BF", ADDRESS, "192.0.2.3")]]  # fmt: skip
    assert [a.status_code for a in answers] == [302, 302, 302]
    assert len({a["Location"] for a in answers}) == 1
    assert len(mail.outbox) == 2 and Subscription.objects.count() == 2
    client.post(url("en", "subscribe"), form(email="other@example.net"), REMOTE_ADDR="192.0.2.3")
    assert len(mail.outbox) == 3  # another address is not refused


def test_the_address_just_below_and_just_above_its_bound(client):
    domain = "b" * 63 + "." + "b" * 63 + "." + "c" * 61
    assert len("a" * 64 + "@" + domain) == EMAIL_MAX
    assert client.post(url("en", "subscribe"), form(email="a" * 64 + "@b" + domain)).status_code == 400
    assert client.post(url("en", "subscribe"), form(email="a" * 64 + "@" + domain)).status_code == 302
    assert Subscription.objects.get().email == "a" * 64 + "@" + domain


def test_criteria_just_below_and_just_above_their_bound(client):
    """Many criteria (50 values each at most), then free text to reach the bound to the character."""
    base = "&".join(f"{name}={n}" for name in ("donor",) for n in range(100_000, 100_050))
    base += "&" + "&".join(f"sector={n}" for n in range(10_000, 10_050))
    base += "&" + "&".join(f"worked_in={country.code}" for country in list(countries)[:50])

    def query(length):
        text = "a" * (length - len(canonical("organisations", base)) - len("q=&"))
        return f"q={text}&{base}"

    assert len(canonical("organisations", query(CRITERIA_MAX))) == CRITERIA_MAX
    assert len(canonical("organisations", query(CRITERIA_MAX + 1))) == CRITERIA_MAX + 1
    assert client.post(url("en", "subscribe", query=query(CRITERIA_MAX)), form()).status_code == 302
    response = client.post(url("en", "subscribe", query=query(CRITERIA_MAX + 1)), form(email="other@example.net"))
    assert response.status_code == 400 and "too long to be followed" in response.text
    assert Subscription.objects.count() == 1 and len(mail.outbox) == 1


@pytest.mark.parametrize("lang, required", [("fr", "Ce champ est obligatoire."), ("en", "This field is required.")])
def test_form_errors_keep_what_was_typed_in_the_page_language(client, lang, required):
    response = client.post(url(lang, "subscribe"), form(email="", frequency="yearly"))
    assert response.status_code == 400 and required in response.text
    response = client.post(url(lang, "subscribe"), form(email="not-an-address"))
    assert response.status_code == 400 and 'value="not-an-address"' in response.text
    assert mail.outbox == []


def test_csrf_is_required_to_subscribe():
    assert Client(enforce_csrf_checks=True).post(url("en", "subscribe"), form()).status_code == 403
    assert mail.outbox == []


def test_the_pages_are_never_stored_by_proxies(client):
    assert "private" in client.get(url("en", "subscribe"))["Cache-Control"]


# --- the search pages link to it ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_both_search_pages_link_to_the_alert_with_their_criteria(client, lang):
    organisation("Ville de Lyon")
    with translation.override(lang):
        search = client.get(reverse("directory:search") + "?country=FR&sort=-updated").text
        experiences = client.get(reverse("directory:experiences") + "?role=coordinator").text
    assert f'href="{url(lang, "subscribe", query="country=FR")}"' in search
    assert f'href="{url(lang, "subscribe_experiences", query="role=coordinator")}"' in experiences
    assert WORDS[lang]["follow"] in search and WORDS[lang]["follow"] in experiences


@pytest.mark.parametrize("lang, text", [("fr", "Pays\u202f: France"), ("en", "Country: France")])
def test_the_subscribe_page_says_which_search_in_words(client, lang, text):
    page = client.get(url(lang, "subscribe", query="country=FR&q=eau")).text
    assert text in page and "eau" in page
    assert f'href="/{lang}/?q=eau&amp;country=FR"' in page


# --- staff, purge ---------------------------------------------------------------------------------------------


def test_staff_see_the_subscriptions_read_only_and_may_delete(client, staff):
    subscription = confirmed()
    a_digest()
    listing = client.get(admin_url(Subscription, "changelist"))
    assert listing.status_code == 200
    assert ADDRESS in listing.text and "country=FR" in listing.text
    detail = client.get(admin_url(Subscription, "change", subscription.pk))
    assert detail.status_code == 200 and 'name="_save"' not in detail.text
    assert client.get(admin_url(Subscription, "add")).status_code == 403
    response = client.post(admin_url(Subscription, "delete", subscription.pk), {"post": "yes"})
    assert response.status_code == 302 and not Subscription.objects.exists()


def test_anonymous_and_partners_do_not_see_the_subscriptions(client, django_user_model):
    confirmed()
    assert "/login/" in client.get(admin_url(Subscription, "changelist"))["Location"]
    client.force_login(django_user_model.objects.create_user("partner@example.org", "pw-correct-horse-battery"))
    assert client.get(admin_url(Subscription, "changelist")).status_code == 302


def test_send_alerts_purges_unconfirmed_subscriptions_older_than_the_days_kept():
    def waiting(email, days):
        return Subscription.objects.create(email=email, search="organisations", language="en", frequency="weekly",
                                           asked=timezone.now() - timedelta(days=days))  # fmt: skip

    kept, old = waiting("kept@example.net", 6.9), waiting("old@example.net", 7.1)
    subscribed = confirmed()
    Subscription.objects.filter(pk=subscribed.pk).update(asked=timezone.now() - timedelta(days=100))
    out = io.StringIO()
    call_command("send_alerts", "--dry-run", stdout=out)
    assert "1 unconfirmed subscriptions deleted (dry run" in out.getvalue() and Subscription.objects.count() == 3
    call_command("send_alerts", stdout=io.StringIO())
    assert set(Subscription.objects.all()) == {kept, subscribed}
    assert not Subscription.objects.filter(pk=old.pk).exists()
