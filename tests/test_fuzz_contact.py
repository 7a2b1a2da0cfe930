"""No 500 under any input on the contact form (issue 19, with issue 7's fuzzing): hypothesis posts arbitrary
form data, in both languages, to an organisation's contact page, and any address under it. Every answer must
be 2xx/3xx/4xx (the test client re-raises any exception a view lets escape), and whatever is sent goes to
the organisation or to the address the sender typed, never anywhere a header line would add.

Each example starts from what the form posts (checked valid below) and replaces some fields with arbitrary
values, removes some, or adds unknown ones, so that the examples reach past the first validation error.
Each runs in a transaction rolled back afterwards, with an empty outbox and no rate limit in the way (the
limits have their own tests)."""

from urllib.parse import quote

import pytest
from django.core import mail
from fuzz_strategies import changed, fresh, post, text, values
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from institutions.models import Organisation

fuzz = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
VALID = {
    "name": "Jeanne Visiteuse",
    "email": "jeanne@example.net",
    "subject": "Une question",
    "message": "Bonjour, avez-vous un projet d'eau potable en cours ?",
    "copy": "on",
}


@pytest.fixture
def lyon(db, settings):
    settings.CONTACT_RATE_PER_IP = settings.CONTACT_RATE_PER_ORGANISATION = "1000000/h"
    return Organisation.objects.create(name_fr="Ville de Lyon", acronym="LYON", country="FR", email="lyon@example.org")


def test_the_fuzzed_form_starts_from_valid_data(client, lyon):
    assert post(client, "/en/organisations/lyon/contact/", VALID).status_code == 302
    assert [m.to for m in mail.outbox] == [["lyon@example.org"], ["jeanne@example.net"]]


@fuzz
@given(data=changed(VALID), lang=st.sampled_from(["en", "fr"]))
@example(data={**VALID, "subject": "a\r\nBcc: victim@example.org"}, lang="en")
@example(data={**VALID, "email": "a@example.org\nBcc: victim@example.org"}, lang="fr")
@example(data={**VALID, "name": "Eve\x00"}, lang="en")
def test_the_contact_form_never_gives_a_server_error(client, lyon, data, lang):
    with fresh():
        response = post(client, f"/{lang}/organisations/lyon/contact/", data)
        for sent in mail.outbox:
            assert sent.to in (["lyon@example.org"], [data.get("email")])
            assert sent.cc == sent.bcc == []
            assert "\n" not in sent.subject and "\r" not in sent.subject
            assert "\n" not in "".join(sent.reply_to)
            sent.message()  # the MIME message can be built: no header Django would refuse at sending time
        if response.status_code == 302 and not data.get("website"):
            assert mail.outbox[0].to == ["lyon@example.org"]


@fuzz
@given(
    slug=st.one_of(st.sampled_from(["lyon", "LYON", "nobody", "lyon-"]), text.filter(bool)),
    page=st.sampled_from(["contact/", "contact/sent/", "contact/x/"]),
    method=st.sampled_from(["get", "post", "put", "head"]),
    data=st.dictionaries(text, values, max_size=3),
)
def test_contact_addresses_with_arbitrary_parts(client, lyon, slug, page, method, data):
    url = f"/fr/organisations/{quote(slug, safe='')}/{page}"
    with fresh():
        response = getattr(client, method)(url, data) if method in ("get", "post") else getattr(client, method)(url)
    assert response.status_code < 500, (url, response.status_code)
