"""Partner access: who may open which partner page, log-in, log-out, lockout, CSRF."""

import logging

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.partners.partner_forms import PASSWORD, organisation_data

LANGS = ["fr", "en"]


def url(lang, name, *args):
    with translation.override(lang):
        return reverse(f"partners:{name}", args=args)


def organisation_urls(lang, organisation, experience):
    """Every partner page about one organisation."""
    slug = organisation.slug
    return [
        url(lang, "organisation", slug),
        url(lang, "competences", slug),
        url(lang, "experiences", slug),
        url(lang, "experience_add", slug),
        url(lang, "experience", slug, experience.pk),
        url(lang, "experience_delete", slug, experience.pk),
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_owner_and_staff_open_every_page(client, owner, staff_editor, aimf, experience, sector_rows, lang):
    for user in (owner, staff_editor):
        client.force_login(user)
        for address in [url(lang, "home"), *organisation_urls(lang, aimf, experience)]:
            response = client.get(address)
            assert response.status_code == 200, (user, address)
            assert f'lang="{lang}"' in response.content.decode()


@pytest.mark.parametrize("lang", LANGS)
def test_other_partner_gets_404_on_every_page(client, other_partner, aimf, experience, sector_rows, lang):
    client.force_login(other_partner)
    assert client.get(url(lang, "home")).status_code == 200  # their own list
    for address in organisation_urls(lang, aimf, experience):
        assert client.get(address).status_code == 404, address
        assert client.post(address, organisation_data(aimf, name_fr="Pirate")).status_code == 404, address
    aimf.refresh_from_db()
    assert aimf.name_fr == "Association internationale des maires francophones"
    assert experience.__class__.objects.filter(pk=experience.pk).exists()


@pytest.mark.parametrize("lang", LANGS)
def test_staff_without_the_model_permission_gets_404(client, staff, aimf, experience, sector_rows, lang):
    """Finding 8 of issue 14: is_staff alone is no permission to edit any organisation (published or not)."""
    aimf.published = False
    aimf.save()
    client.force_login(staff)
    for address in organisation_urls(lang, aimf, experience):
        assert client.get(address).status_code == 404, address
        assert client.post(address, organisation_data(aimf, name_fr="Pirate")).status_code == 404, address
    aimf.refresh_from_db()
    assert aimf.name_fr == "Association internationale des maires francophones"
    assert experience.__class__.objects.filter(pk=experience.pk).exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("other_partner", 404), ("staff", 404), ("staff_editor", 200), ("anonymous", 302)],
)
def test_who_may_open_an_unpublished_organisation(client, request, aimf, experience, sector_rows, who, status):
    """Finding 8 of issue 14: owner and staff with the permission in; other partner and staff without it
    404; anonymous to the log-in page."""
    aimf.published = False
    aimf.save()
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    for address in organisation_urls("fr", aimf, experience):
        assert client.get(address).status_code == status, address


def test_experience_pages_ask_staff_for_the_experience_permissions(client, staff, aimf, experience):
    """Changing organisations is not deleting experiences: each partner page asks for its own permission."""
    from django.contrib.auth.models import Permission

    staff.user_permissions.set(Permission.objects.filter(codename="change_organisation"))
    client.force_login(staff)
    assert client.get(url("en", "organisation", aimf.slug)).status_code == 200
    assert client.get(url("en", "experience", aimf.slug, experience.pk)).status_code == 404
    assert client.post(url("en", "experience_delete", aimf.slug, experience.pk)).status_code == 404
    staff.user_permissions.add(Permission.objects.get(codename="delete_experience"))
    staff = staff.__class__.objects.get(pk=staff.pk)  # permissions are cached on the user object
    client.force_login(staff)
    assert client.get(url("en", "experience", aimf.slug, experience.pk)).status_code == 404
    assert client.post(url("en", "experience_delete", aimf.slug, experience.pk)).status_code == 302
    assert not experience.__class__.objects.filter(pk=experience.pk).exists()


@pytest.mark.parametrize("lang", LANGS)
def test_anonymous_is_sent_to_login(client, aimf, experience, lang):
    login = url(lang, "login")
    for address in [url(lang, "home"), *organisation_urls(lang, aimf, experience)]:
        response = client.get(address)
        assert response.status_code == 302
        assert response["Location"].startswith(f"{login}?next=")
    assert client.post(url(lang, "organisation", aimf.slug), organisation_data(aimf)).status_code == 302


def test_home_lists_only_my_organisations(client, owner, other_partner, aimf, ouaga):
    client.force_login(owner)
    page = client.get(url("en", "home")).content.decode()
    assert aimf.name_en in page
    assert ouaga.name_fr not in page
    client.force_login(other_partner)
    page = client.get(url("en", "home")).content.decode()
    assert ouaga.name_fr in page
    assert aimf.name_en not in page


def test_unknown_slug_and_ids_are_404(client, owner, aimf, experience, other_experience):
    client.force_login(owner)
    assert client.get(url("fr", "organisation", "no-such-organisation")).status_code == 404
    assert client.get(url("fr", "experience", aimf.slug, 999999)).status_code == 404
    # An experience of another organisation, reached through my own organisation's address.
    assert client.get(url("fr", "experience", aimf.slug, other_experience.pk)).status_code == 404
    assert client.post(url("fr", "experience_delete", aimf.slug, other_experience.pk)).status_code == 404
    assert other_experience.__class__.objects.filter(pk=other_experience.pk).exists()
    assert client.get(f"/fr/partners/organisations/{aimf.slug}/experiences/abc/").status_code == 404


def test_an_inactive_member_loses_access(client, owner, aimf):
    client.force_login(owner)
    assert client.get(url("fr", "organisation", aimf.slug)).status_code == 200
    owner.is_active = False
    owner.save()
    assert client.get(url("fr", "organisation", aimf.slug)).status_code == 302


@pytest.mark.parametrize("lang", LANGS)
def test_login_page_in_both_languages(client, db, lang):
    page = client.get(url(lang, "login")).content.decode()
    assert ("Accès partenaires" if lang == "fr" else "Partner access") in page
    assert ("Mot de passe oublié" if lang == "fr" else "Forgot password?") in page


def test_log_in_by_email_case_insensitive(client, owner):
    response = client.post(url("fr", "login"), {"username": "Owner@AIMF.example", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == url("fr", "home")


def test_wrong_password_is_refused_in_french(client, owner):
    response = client.post(url("fr", "login"), {"username": owner.email, "password": "wrong"})
    assert response.status_code == 200
    assert "Saisissez" in response.content.decode()  # Django's French message
    assert "_auth_user_id" not in client.session


def test_next_is_followed_on_site_and_ignored_off_site(client, owner, aimf):
    on_site = url("fr", "organisation", aimf.slug)
    response = client.post(
        url("fr", "login"), {"username": owner.email, "password": PASSWORD, "next": on_site}
    )
    assert response["Location"] == on_site
    client.logout()
    for evil in ["https://evil.example/steal", "//evil.example/", "https:evil.example"]:
        response = client.post(
            url("fr", "login"), {"username": owner.email, "password": PASSWORD, "next": evil}
        )
        assert response.status_code == 302
        assert response["Location"] == url("fr", "home"), evil
        client.logout()


def test_logout_needs_post(client, owner):
    client.force_login(owner)
    assert client.get(url("fr", "logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(url("fr", "logout"), follow=True)
    assert "_auth_user_id" not in client.session
    assert "Vous êtes déconnecté" in response.content.decode()


def test_lockout_after_the_configured_failures(client, owner, caplog):
    limit = settings.AXES_FAILURE_LIMIT
    login = url("fr", "login")
    caplog.set_level(logging.WARNING)
    for _attempt in range(limit - 1):
        response = client.post(login, {"username": owner.email, "password": "wrong"})
        assert response.status_code == 200
    assert "Locking out" not in caplog.text
    response = client.post(login, {"username": owner.email.upper(), "password": "wrong"})
    assert response.status_code == 429
    assert "Trop de tentatives" in response.content.decode()
    assert "Locking out" in caplog.text
    # Even the right password is refused now, in English too.
    with translation.override("en"):
        response = client.post(url("en", "login"), {"username": owner.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_account(client, owner, other_partner):
    login = url("fr", "login")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(login, {"username": owner.email, "password": "wrong"})
    response = client.post(login, {"username": other_partner.email, "password": PASSWORD})
    assert response.status_code == 302


def test_csrf_is_required_on_every_form(owner, aimf, experience, sector_rows):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(owner)
    for address in [
        *organisation_urls("fr", aimf, experience),
        url("fr", "logout"),
    ]:
        assert csrf_client.post(address, organisation_data(aimf)).status_code == 403, address
    assert Client(enforce_csrf_checks=True).post(url("fr", "login"), {}).status_code == 403
    assert Client(enforce_csrf_checks=True).post(url("fr", "password_reset"), {}).status_code == 403
    # With the token from the page, the same post goes through.
    csrf_client.get(url("fr", "organisation", aimf.slug))
    token = csrf_client.cookies[settings.CSRF_COOKIE_NAME].value
    data = organisation_data(aimf, csrfmiddlewaretoken=token, city="Lyon")
    assert csrf_client.post(url("fr", "organisation", aimf.slug), data).status_code == 302
    aimf.refresh_from_db()
    assert aimf.city == "Lyon"
