"""No 500 under any input on the alert pages (issue 19, with issue 7's fuzzing): hypothesis posts arbitrary
form data, with arbitrary search criteria, in both languages, to the subscribe pages and the manage page,
and arbitrary tokens to every signed link. Every answer must be 2xx/3xx/4xx (the test client re-raises any
exception a view lets escape), and any mail goes to the address typed only.

Each example starts from what the form posts (checked valid below) and replaces some fields with arbitrary
values, removes some, or adds unknown ones. Each runs in a transaction rolled back afterwards, with an empty
outbox and no rate limit in the way (the limits have their own tests)."""

from urllib.parse import quote, urlencode

import pytest
from django.core import mail
from django.utils import timezone
from fuzz_strategies import changed, fresh, parameters, post, text, values
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from alerts import links
from alerts.models import Subscription

fuzz = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
VALID = {"email": "jeanne@example.net", "frequency": "weekly"}
CRITERIA = ["q", "country", "kind", "sector", "worked_in", "experience_sector", "donor", "role", "active_from",
            "active_to", "sort", "page", "more"]  # fmt: skip


@pytest.fixture
def unlimited(db, settings):
    settings.ALERTS_RATE_PER_IP = settings.ALERTS_RATE_PER_ADDRESS = "1000000/h"


@pytest.fixture
def subscription(db):
    return Subscription.objects.create(email="jeanne@example.net", search="organisations", criteria="country=FR",
                                       language="en", frequency="weekly", confirmed=timezone.now())  # fmt: skip


def test_the_fuzzed_forms_start_from_valid_data(client, unlimited, subscription):
    assert post(client, "/en/alerts/?country=FR", VALID).status_code == 302
    assert [m.subject for m in mail.outbox] == ["[Platforma] You follow this search already"]
    manage = f"/en/alerts/manage/{links.token(subscription, links.MANAGE)}/"
    assert post(client, manage, {"frequency": "monthly"}).status_code == 302


@fuzz
@given(
    data=changed(VALID),
    criteria=parameters(CRITERIA),
    lang=st.sampled_from(["en", "fr"]),
    page=st.sampled_from(["alerts/", "alerts/experiences/"]),
)
@example(data={**VALID, "email": "a@example.org\nBcc: victim@example.org"}, criteria={}, lang="fr", page="alerts/")
@example(data={**VALID, "email": "a\x00@example.org"}, criteria={"q": "\x00"}, lang="en", page="alerts/")
@example(data=VALID, criteria={"donor": [str(n) for n in range(10**9, 10**9 + 60)]}, lang="en", page="alerts/")
def test_the_subscribe_form_never_gives_a_server_error(client, unlimited, data, criteria, lang, page):
    with fresh():
        post(client, f"/{lang}/{page}?{urlencode(criteria, doseq=True)}", data)
        for sent in mail.outbox:
            assert len(sent.to) == 1 and "\n" not in sent.to[0] and "@" in sent.to[0]
            assert sent.cc == sent.bcc == []
            sent.message()  # the MIME message can be built: no header Django would refuse at sending time


@fuzz
@given(data=changed({"frequency": "monthly"}), lang=st.sampled_from(["en", "fr"]))
def test_the_manage_form_never_gives_a_server_error(client, subscription, data, lang):
    with fresh():
        post(client, f"/{lang}/alerts/manage/{links.token(subscription, links.MANAGE)}/", data)
        assert Subscription.objects.get().frequency in ("weekly", "monthly")


@fuzz
@given(
    token=st.one_of(text, st.sampled_from(["", ".", "..", "a:b:c", "IjEi:1abc:xyz"])),
    view=st.sampled_from(["confirm", "manage", "unsubscribe", "asked", "nothing"]),
    method=st.sampled_from(["get", "post", "put", "head"]),
    data=st.dictionaries(text, values, max_size=3),
)
def test_alert_links_with_arbitrary_tokens(client, subscription, token, view, method, data):
    url = f"/fr/alerts/{view}/{quote(token, safe='')}/"
    with fresh():
        response = getattr(client, method)(url, data) if method in ("get", "post") else getattr(client, method)(url)
    assert response.status_code < 500, (url, response.status_code)
