"""No 500 under any input on the partner forms (issue 7): hypothesis posts arbitrary form data, logged in as
the owner partner, to every partner and account form. Every answer must be 2xx/3xx/4xx, and the test client
re-raises any exception a view lets escape.

Each example starts from what the form would post (checked valid below) and replaces some fields with
arbitrary values, removes some, or adds unknown ones, so that the examples reach past the first validation
error. The fixtures are made once per test; each example runs in a transaction rolled back afterwards, so
an example that happens to be valid does not change what the next one sees."""

from contextlib import contextmanager
from urllib.parse import quote, urlencode

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from fuzz_strategies import NASTY, changed, post, text, values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiences.models import Funding
from tests.partners.partner_forms import (
    PASSWORD,
    competence_data,
    experience_data,
    organisation_data,
)

fuzz = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


# What each form posts when filled in correctly, from the fixtures.
FORMS = {
    "general": lambda f: ("/en/partners/organisations/aimf/", organisation_data(f["aimf"], city="Lyon")),
    "competences": lambda f: (
        "/en/partners/organisations/aimf/competences/",
        competence_data(f["aimf"], [f["sector_rows"]["14010"], f["sector_rows"]["15112"]]),
    ),
    "experience_add": lambda f: (
        "/en/partners/organisations/aimf/experiences/new/",
        experience_data(
            fundings=[(f["donors"]["ce"], "1000"), (f["donors"]["afd"], "2000")],
            sectors=[f["sector_rows"]["14030"].pk],
        ),
    ),
    "experience_edit": lambda f: (
        f"/en/partners/organisations/aimf/experiences/{f['experience'].pk}/",
        experience_data(
            f["experience"],
            fundings=[
                (Funding.objects.get(experience=f["experience"]), f["donors"]["ce"], "1000"),
                (f["donors"]["afd"], "2000"),
            ],
            sectors=[f["sector_rows"]["15112"].pk],
        ),
    ),
}


@pytest.fixture
def partner_forms(aimf, sector_rows, donors, experience):
    data = {"aimf": aimf, "sector_rows": sector_rows, "donors": donors, "experience": experience}
    return {name: form(data) for name, form in FORMS.items()}


@pytest.mark.parametrize("form", FORMS)
def test_the_fuzzed_forms_start_from_valid_data(owner_client, partner_forms, form):
    url, data = partner_forms[form]
    assert post(owner_client, url, data).status_code == 302  # saved, then redirected


@pytest.mark.parametrize("form", FORMS)
@fuzz
@given(st_data=st.data(), lang=st.sampled_from(["en", "fr"]))
def test_partner_forms_never_give_a_server_error(owner_client, partner_forms, form, st_data, lang):
    url, base = partner_forms[form]
    data = st_data.draw(changed(base), label="form data")
    with rolled_back():
        post(owner_client, url.replace("/en/", f"/{lang}/"), data)


@fuzz
@given(
    slug=st.one_of(st.sampled_from(["aimf", "ouaga", "nobody"]), text.filter(bool)),
    pk=st.one_of(st.none(), st.integers(min_value=0, max_value=10**40)),
    page=st.sampled_from(
        ["", "competences/", "experiences/", "experiences/new/", "experiences/{pk}/", "experiences/{pk}/delete/"]
    ),
    method=st.sampled_from(["get", "post"]),
)
def test_partner_addresses_with_arbitrary_parts(owner_client, experience, other_partner, slug, pk, page, method):
    """Slugs, experience numbers (beyond any integer column) and unknown addresses: 404, never 500."""
    url = f"/en/partners/organisations/{quote(slug, safe='')}/" + page.format(pk=experience.pk if pk is None else pk)
    with rolled_back():
        response = getattr(owner_client, method)(url)
    assert response.status_code < 500, (url, response.status_code)


LOGIN = {"username": "owner@aimf.example", "password": PASSWORD, "next": "/en/"}


def test_the_fuzzed_login_starts_from_valid_data(client, owner):
    assert post(client, "/en/partners/login/", LOGIN).status_code == 302


@fuzz
@given(data=changed(LOGIN), query=st.dictionaries(st.sampled_from(["next", "lang"]), values, max_size=2))
def test_login_form(client, owner, data, query):
    with rolled_back():
        post(client, f"/en/partners/login/?{urlencode(query, doseq=True)}", data)
        client.logout()


@fuzz
@given(data=changed({"email": "owner@aimf.example"}))
def test_password_reset_form(client, owner, data):
    with rolled_back():
        post(client, "/fr/partners/password-reset/", data)


NEW_PASSWORD = {"new_password1": "a-new-Passw0rd-2024", "new_password2": "a-new-Passw0rd-2024"}


@pytest.fixture
def reset_link(owner):
    uid = urlsafe_base64_encode(force_bytes(owner.pk))
    link = f"/en/partners/password-reset/{uid}/{default_token_generator.make_token(owner)}/"
    return link, f"/en/partners/password-reset/{uid}/set-password/"


def test_the_fuzzed_set_password_starts_from_valid_data(client, reset_link):
    link, set_password = reset_link
    assert client.get(link).status_code == 302
    assert post(client, set_password, NEW_PASSWORD).status_code == 302


@fuzz
@given(data=changed(NEW_PASSWORD))
def test_set_password_form(client, reset_link, data):
    link, set_password = reset_link
    with rolled_back():
        assert client.get(link).status_code == 302  # the token moves into the session
        post(client, set_password, data)


@fuzz
@given(
    uid=st.one_of(text.filter(bool), st.sampled_from([*filter(None, NASTY), "MQ", "MTIz", "set-password"])),
    token=st.one_of(text.filter(bool), st.sampled_from([*filter(None, NASTY), "set-password"])),
    data=st.dictionaries(text, values, max_size=3),
)
def test_password_reset_links_with_arbitrary_parts(client, owner, uid, token, data):
    url = f"/en/partners/password-reset/{quote(uid, safe='')}/{quote(token, safe='')}/"
    with rolled_back():
        assert client.get(url).status_code < 500
        post(client, url, data)


COUNT = st.one_of(
    st.integers(min_value=-10, max_value=60), st.integers(min_value=-(10**20), max_value=10**20), text
)
PREFIXES = {"competences": "form", "experience_add": "fundings", "experience_edit": "fundings"}


@pytest.mark.parametrize("form", sorted(PREFIXES))
@fuzz
@given(st_data=st.data())
def test_formset_counts_never_give_a_server_error(owner_client, partner_forms, form, st_data):
    """Issue 14, finding 3: forged management counts (up to 10^20 forms) are refused as a form error, never
    built one by one; the formset never holds more forms than its bound."""
    from experiences.models import MAX_FUNDINGS
    from institutions.models import MAX_COMPETENCES

    url, base = partner_forms[form]
    prefix = PREFIXES[form]
    counts = st.fixed_dictionaries({
        f"{prefix}-TOTAL_FORMS": COUNT, f"{prefix}-INITIAL_FORMS": COUNT,
        f"{prefix}-MIN_NUM_FORMS": COUNT, f"{prefix}-MAX_NUM_FORMS": COUNT,
    })  # fmt: skip
    data = {**base, **st_data.draw(counts, label="counts")}
    with rolled_back():
        response = post(owner_client, url, data)
    formset = (response.context or {}).get("formset" if prefix == "form" else "fundings")
    if formset is not None:
        assert len(formset.forms) <= (MAX_COMPETENCES if prefix == "form" else MAX_FUNDINGS)


@fuzz
@given(
    countries=st.lists(st.sampled_from(["SN", "CI", "BF", "ML", "NE", "FR", "XK", "ZZ", "", "sn"]), max_size=40),
    extra_countries=st.integers(min_value=0, max_value=250),
    sectors=st.lists(st.one_of(st.integers(min_value=-5, max_value=10**6), text), max_size=30),
)
def test_experience_lists_of_any_length_never_give_a_server_error(
    owner_client, partner_forms, countries, extra_countries, sectors
):
    """Issue 14, finding 2 (form side): any number of countries and sectors is a form error or a save."""
    from django_countries import countries as all_countries

    url, base = partner_forms["experience_add"]
    codes = countries + [code for code, _name in all_countries][:extra_countries]
    with rolled_back():
        post(owner_client, url, {**base, "countries": codes, "sectors": [str(s) for s in sectors]})


# --- what the fuzzing found: each fixed, each kept as a plain regression test --------------------------


@pytest.mark.parametrize("username", ["0" * 300, "owner@aimf.example\x00", "\x00"])
def test_a_login_with_an_overlong_or_nul_address_fails_as_a_wrong_login(client, owner, username):
    """Found on PostgreSQL: django-axes stored the typed address of a failed login as it came, and a
    300-character one overflowed its 255-character column (DataError, 500); a NUL byte is refused by
    PostgreSQL too. The address is now cut and cleaned before axes stores it."""
    from axes.models import AccessAttempt

    response = post(client, "/en/partners/login/", {"username": username, "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert all(len(a.username) <= 255 and "\x00" not in a.username for a in AccessAttempt.objects.all())


@pytest.mark.parametrize("sector", ["9223372036854775808", "-9223372036854775809", "9" * 30])
def test_an_experience_sector_id_beyond_any_integer_is_refused_as_unknown(owner_client, partner_forms, aimf, sector):
    """Found on SQLite: sectors=9223372036854775808 reached `id IN (...)` and SQLite raised OverflowError
    (500). Now refused like any unknown choice, what was typed kept, nothing saved."""
    url, data = partner_forms["experience_add"]
    response = post(owner_client, url, {**data, "sectors": [data["sectors"][0], sector]})
    assert response.status_code == 200
    assert sector in response.content.decode()  # "…is not a valid value" names it
    assert response.context["form"].errors["sectors"]
    assert not aimf.experiences.filter(title_fr=data["title_fr"]).exists()
