"""No 500 under any input on the join forms (issue 19, with issue 7's fuzzing): hypothesis posts arbitrary
form data, in both languages, to the request to be listed and the request for access (with an arbitrary
search), and any address under /join/. Every answer must be 2xx/3xx/4xx (the test client re-raises any
exception a view lets escape); whatever is kept is within its bounds, and the mails it makes can be built.

Each example starts from what the form posts (checked valid below) and replaces some fields with arbitrary
values, removes some, or adds unknown ones. Each runs in a transaction rolled back afterwards, with an empty
outbox and no rate limit in the way (the limits have their own tests)."""

from urllib.parse import quote, urlencode

import pytest
from django.core import mail
from fuzz_strategies import changed, fresh, post, text, value, values
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from institutions.models import Organisation
from partners.models import JoinRequest

fuzz = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
LISTING = {
    "organisation_name": "Commune de Saint-Exemple",
    "organisation_kind": "municipality",
    "country": "FR",
    "city": "Saint-Exemple",
    "name": "Marie Dupont",
    "email": "marie@example.net",
    "message": "Notre commune coopère avec Kaolack depuis 2010.",
}
ACCESS = {
    "organisation": "lyon",
    "name": "Paul Martin",
    "position": "Chargé de coopération",
    "email": "paul@example.net",
    "message": "Je tiendrai la fiche de la ville à jour.",
}


@pytest.fixture
def lyon(db, settings, django_user_model):
    settings.JOIN_RATE_PER_IP = settings.JOIN_RATE_PER_ADDRESS = "1000000/h"
    django_user_model.objects.create_superuser("staff@platforma.example", "pw-correct-horse-battery")
    return Organisation.objects.create(name_fr="Ville de Lyon", acronym="LYON", country="FR")


def check_kept():
    for kept in JoinRequest.objects.all():
        kept.full_clean()  # within the columns' bounds and choices
    for sent in mail.outbox:
        assert sent.to == ["staff@platforma.example"] and sent.cc == sent.bcc == []
        assert "\n" not in sent.subject and "\r" not in sent.subject
        sent.message()  # the MIME message can be built: no header Django would refuse at sending time


def test_the_fuzzed_forms_start_from_valid_data(client, lyon):
    assert post(client, "/en/join/organisation/", LISTING).status_code == 302
    assert post(client, "/fr/join/access/", ACCESS).status_code == 302
    assert JoinRequest.objects.count() == 2 and len(mail.outbox) == 2


@fuzz
@given(data=changed(LISTING), lang=st.sampled_from(["en", "fr"]))
@example(data={**LISTING, "organisation_name": "a\r\nBcc: victim@example.org"}, lang="en")
@example(data={**LISTING, "email": "a@example.org\nBcc: victim@example.org"}, lang="fr")
@example(data={**LISTING, "name": "Eve\x00", "country": "\x00"}, lang="en")
def test_the_listing_form_never_gives_a_server_error(client, lyon, data, lang):
    with fresh():
        post(client, f"/{lang}/join/organisation/", data)
        check_kept()


@fuzz
@given(data=changed(ACCESS), find=st.one_of(st.none(), value), lang=st.sampled_from(["en", "fr"]))
@example(data={**ACCESS, "organisation": "a\x00b"}, find="lyon", lang="en")
@example(data={**ACCESS, "organisation": "9" * 5000}, find="\x00", lang="fr")
@example(data={**ACCESS, "position": "x\rBcc: victim@example.org"}, find="-" * 300, lang="en")
def test_the_access_form_never_gives_a_server_error(client, lyon, data, find, lang):
    url = f"/{lang}/join/access/" + (f"?{urlencode({'find': find})}" if find is not None else "")
    with fresh():
        response = client.get(url)
        assert response.status_code == 200
        post(client, url, data)
        check_kept()


@fuzz
@given(
    page=st.one_of(st.sampled_from(["", "organisation/", "access/", "thanks/", "x/", "access/x/"]), text),
    method=st.sampled_from(["get", "post", "put", "head"]),
    data=st.dictionaries(text, values, max_size=3),
)
def test_join_addresses_with_arbitrary_parts(client, lyon, page, method, data):
    url = f"/fr/join/{quote(page, safe='/')}"
    with fresh():
        response = getattr(client, method)(url, data) if method in ("get", "post") else getattr(client, method)(url)
    assert response.status_code < 500, (url, response.status_code)
