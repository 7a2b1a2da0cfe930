"""Log-in, lockout and password reset against an attacker (issue 14, findings 4, 5 and 12): one
normalisation of addresses; a lockout counted per account and real client address that a password reset
lifts; password-reset requests limited per address and per client address, answering the same either way."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from accounts.models import User, normalise_email

PASSWORD = "correct-horse-battery-9"
VICTIM = "victim@mairie-paris.example"
LOOK_ALIKE = "victim@ma\u0131rie-par\u0131s.example"  # dotless ı: SQL UPPER('ı') is 'I' on PostgreSQL
LB = "10.0.0.1"  # the load balancer every request comes through


def url(lang, name, *args):
    with translation.override(lang):
        return reverse(f"partners:{name}", args=args)


@pytest.fixture
def victim(db):
    return User.objects.create_user(VICTIM, PASSWORD)


def log_in(client, username, password, ip=None):
    extra = {"REMOTE_ADDR": LB, "HTTP_X_FORWARDED_FOR": ip} if ip else {}
    return client.post(url("en", "login"), {"username": username, "password": password}, **extra)


def test_the_one_normalisation():
    assert normalise_email(" Jane.Doe@Example.ORG ") == "jane.doe@example.org"
    assert normalise_email("ｊａｎｅ@example.org") == "jane@example.org"  # full-width letters (NFKC)
    assert normalise_email("STRASSE@example.de") == normalise_email("straße@example.de")  # casefold
    assert normalise_email(LOOK_ALIKE) != VICTIM  # a different address, not the victim's


def test_a_look_alike_address_is_no_way_around_the_lockout(client, victim):
    """Finding 4 of issue 14: after the lockout of victim@mairie-paris.example, the address with dotless
    ı and the right password logged in on PostgreSQL (axes counted under lower(), log-in found the user
    through SQL UPPER). Now neither the lockout nor the log-in accepts it as the victim's."""
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, VICTIM, "wrong")
    assert log_in(client, VICTIM, PASSWORD).status_code == 429
    response = log_in(client, LOOK_ALIKE, PASSWORD)
    assert response.status_code != 302
    assert "_auth_user_id" not in client.session
    assert log_in(client, VICTIM.upper(), PASSWORD).status_code == 429


def test_a_look_alike_address_does_not_log_in(client, victim):
    assert log_in(client, LOOK_ALIKE, PASSWORD).status_code == 200
    assert "_auth_user_id" not in client.session
    assert log_in(client, "Victim@MAIRIE-Paris.example", PASSWORD).status_code == 302


def test_addresses_are_stored_normalised_and_unique(victim):
    assert User.objects.create_user("ＡＬＩＣＥ@Example.org").email == "alice@example.org"
    twin = User(email="Victim@Mairie-Paris.EXAMPLE")
    with pytest.raises(ValidationError) as error:
        twin.full_clean()
    assert "email" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("VICTIM@mairie-paris.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=victim.pk).update(email="Victim@mairie-paris.example")  # bypassing save()


def test_the_admin_refuses_the_same_address_in_capitals(client, victim, django_user_model):
    boss = django_user_model.objects.create_superuser("boss@platforma.example", PASSWORD)
    client.force_login(boss)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {"email": "VICTIM@Mairie-Paris.example", "usable_password": "false", "password1": "", "password2": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "User with this E-mail address already exists." in response.content.decode()
    assert User.objects.count() == 2


def test_password_reset_finds_the_account_by_the_same_rule(client, victim):
    client.post(url("en", "password_reset"), {"email": LOOK_ALIKE})
    assert mail.outbox == []
    client.post(url("en", "password_reset"), {"email": "VICTIM@Mairie-Paris.example"})
    assert [m.to for m in mail.outbox] == [[VICTIM]]


# --- Finding 5: nobody can lock a partner out ------------------------------------------------------------


def test_behind_the_balancer_an_attacker_locks_out_only_their_own_address(client, victim, settings):
    """Finding 5 of issue 14: lockout was keyed on REMOTE_ADDR, the balancer's for everyone, so five wrong
    passwords from anywhere locked the partner out."""
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(settings.AXES_FAILURE_LIMIT + 2):
        # The attacker also writes addresses of their own choosing in front: never believed.
        log_in(client, VICTIM, "wrong", ip=f"192.0.2.{n}, 203.0.113.9")
    assert log_in(client, VICTIM, PASSWORD, ip="203.0.113.9").status_code == 429
    assert log_in(client, VICTIM, PASSWORD, ip="198.51.100.7").status_code == 302


def test_without_a_proxy_the_forwarded_header_is_not_believed(client, victim, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, VICTIM, "wrong", ip=f"192.0.2.{n}")
    assert log_in(client, VICTIM, PASSWORD, ip="198.51.100.7").status_code == 429


@pytest.mark.parametrize("forwarded", ["", "not-an-address", "198.51.100.7\x00", "1.2.3.4, ::1, junk"])
def test_a_malformed_forwarded_header_falls_back_to_the_connection(client, victim, settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1
    response = client.post(
        url("en", "login"), {"username": VICTIM, "password": "wrong"}, REMOTE_ADDR=LB, HTTP_X_FORWARDED_FOR=forwarded
    )
    assert response.status_code == 200


def reset_link(client, address):
    mail.outbox.clear()
    client.post(url("en", "password_reset"), {"email": address})
    [message] = mail.outbox
    return re.search(r"https?://\S+/password-reset/\S+/", message.body).group(0).split("testserver", 1)[1]


def test_a_password_reset_lifts_the_lockout(client, victim):
    """Finding 5 of issue 14: the lockout page recommends a password reset, which did not lift it."""
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, VICTIM, "wrong")
    assert log_in(client, VICTIM, PASSWORD).status_code == 429
    link = client.get(reset_link(client, VICTIM), follow=True)
    new = "another-horse-battery-7"
    response = client.post(link.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert log_in(client, VICTIM, new).status_code == 302


# --- Finding 12: password reset is rate limited ----------------------------------------------------------


def reset(client, address, ip):
    return client.post(url("en", "password_reset"), {"email": address}, REMOTE_ADDR=ip)


def test_password_reset_requests_per_address_just_below_and_above_the_limit(client, victim, settings):
    """Finding 12 of issue 14: no limit on reset requests (mail bombing). Beyond the limit no mail is sent
    and the answer is the very same, so it tells nothing about whether the address has an account."""
    settings.PASSWORD_RESET_RATE_PER_ADDRESS = "3/h"
    answers = [reset(client, VICTIM.upper() if n % 2 else VICTIM, f"198.51.100.{n}") for n in range(3)]
    assert len(mail.outbox) == 3
    over = reset(client, VICTIM, "198.51.100.99")
    assert len(mail.outbox) == 3
    assert [a.status_code for a in answers] == [302, 302, 302] and over.status_code == 302
    assert over["Location"] == answers[0]["Location"] == url("en", "password_reset_done")
    # Another address is not held back by this one's count.
    User.objects.create_user("other@mairie-lyon.example", PASSWORD)
    reset(client, "other@mairie-lyon.example", "198.51.100.100")
    assert len(mail.outbox) == 4


def test_password_reset_requests_per_client_address_just_below_and_above_the_limit(client, victim, settings):
    settings.PASSWORD_RESET_RATE_PER_IP = "5/h"
    settings.PASSWORD_RESET_RATE_PER_ADDRESS = "100/h"
    for n in range(4):
        reset(client, f"nobody{n}@example.org", "203.0.113.9")
    reset(client, VICTIM, "203.0.113.9")
    assert len(mail.outbox) == 1  # the fifth request: just at the limit, sent
    answer = reset(client, VICTIM, "203.0.113.9")
    assert len(mail.outbox) == 1  # the sixth: over it, not sent, same answer
    assert answer.status_code == 302 and answer["Location"] == url("en", "password_reset_done")
    reset(client, VICTIM, "198.51.100.7")
    assert len(mail.outbox) == 2  # another visitor is not held back


def test_an_unknown_address_over_the_limit_answers_the_same(client, db, settings):
    settings.PASSWORD_RESET_RATE_PER_ADDRESS = "1/h"
    first = reset(client, "nobody@example.org", "198.51.100.1")
    second = reset(client, "nobody@example.org", "198.51.100.2")
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert mail.outbox == []
