"""No 500 under any input on the partner's own pages added for issue 19 (the dashboard, the "Changes" tab, the
password change): hypothesis sends arbitrary query strings to the pages and arbitrary form data to the
password form, in both languages. A password is changed only by the valid old password and two equal new
ones that pass the validators."""

from fuzz_strategies import changed, fresh, parameters, post
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.partners.partner_forms import PASSWORD

fuzz = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
NEW = "n3w-Pass-phrase-fuzzed!"
VALID = {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}


def test_the_fuzzed_password_form_starts_from_valid_data(client, owner):
    with fresh():
        client.force_login(owner)
        assert post(client, "/en/partners/password/", VALID).status_code == 302
        owner.refresh_from_db()
        assert owner.check_password(NEW)


@fuzz
@given(lang=st.sampled_from(["fr", "en"]), data=changed(VALID))
def test_the_password_form_never_fails(client, owner, lang, data):
    with fresh():
        owner.refresh_from_db()  # the last example's new password was rolled back
        client.force_login(owner)
        response = post(client, f"/{lang}/partners/password/", data)
        owner.refresh_from_db()
        assert owner.check_password(NEW) is (response.status_code == 302)
        assert response.status_code in (200, 302)


@fuzz
@given(
    lang=st.sampled_from(["fr", "en"]),
    path=st.sampled_from(["", "password/", "password/done/", "organisations/aimf/changes/"]),
    query=parameters(["page", "lang", "q", "field"]),
)
def test_the_dashboard_pages_never_fail(client, owner, lang, path, query):
    with fresh():
        client.force_login(owner)
        response = client.get(f"/{lang}/partners/{path}", query)
        response.content  # noqa: B018
        assert response.status_code in (200, 301, 302, 400, 404)
