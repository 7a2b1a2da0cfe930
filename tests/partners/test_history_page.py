"""The partner page "Changes": the profile's latest changes with who made them and which fields, for the owner
only (another partner and anonymous visitors get 404 / the login), in both languages."""

import pytest

from experiences.models import Experience

pytestmark = pytest.mark.django_db


def edit(organisation, user, **values):
    for name, value in values.items():
        setattr(organisation, name, value)
    organisation._history_user = user
    organisation.save()


@pytest.mark.parametrize("lang, words", [("en", ("you", "another partner", "website")),
                                         ("fr", ("vous", "un autre partenaire", "site web"))])  # fmt: skip
def test_changes_say_who_and_which_fields(client, owner, django_user_model, aimf, lang, words):
    colleague = django_user_model.objects.create_user("colleague@aimf.example")
    edit(aimf, owner, website="https://www.aimf.asso.fr")
    edit(aimf, colleague, city="Lyon", telephone="+33 1 00 00 00 00")
    edit(aimf, owner)  # saved unchanged: not listed
    Experience.objects.create(organisation=aimf, title_fr="Eau pour tous", role="partner", start_date="2015-01-01")
    client.force_login(owner)
    page = client.get(f"/{lang}/partners/organisations/aimf/changes/").content.decode()
    you, other, website = words
    assert page.count("<tr>") == 1 + 4  # header, the experience, two edits, the creation
    assert f"{website}</td>" in page and f"<td>{you}</td>" in page and f"<td>{other}</td>" in page
    assert "Eau pour tous" in page


def test_changes_are_the_owners_only(client, other_partner, aimf):
    client.force_login(other_partner)
    assert client.get("/en/partners/organisations/aimf/changes/").status_code == 404
    client.logout()
    response = client.get("/en/partners/organisations/aimf/changes/")
    assert response.status_code == 302 and "/login/" in response["Location"]
