"""Security headers on a public page, in production-like settings, and a strict CSP the templates obey."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def parse_csp(header):
    return dict(
        (part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in header.split(";")) if part
    )


@pytest.fixture
def production(settings):
    # What settings.py sets when DEBUG=0 (HTTPS behind a proxy that sets X-Forwarded-Proto).
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    return settings


def https_get(client, url):
    return client.get(url, secure=True, headers={"x-forwarded-proto": "https"})


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_security_header_on_a_public_page(client, production, lang):
    response = https_get(client, f"/{lang}/")
    assert response.status_code == 200
    assert parse_csp(response["Content-Security-Policy"]) == EXPECTED_CSP
    assert "nonce-" not in response["Content-Security-Policy"]  # public pages need no nonce
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Permissions-Policy"] == "geolocation=(), camera=(), microphone=(), payment=(), usb=()"


def test_plain_http_is_redirected_to_https(client, production):
    response = client.get("/fr/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/fr/"


def test_cookies_are_secure_httponly_and_samesite(client, production):
    response = https_get(client, "/fr/partners/login/")
    csrf = response.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"
    user = get_user_model().objects.create_user("staff@example.org", "a-long-password-1", is_staff=True)
    client.force_login(user)
    session = client.cookies["sessionid"]
    response = https_get(client, "/fr/")
    assert response.status_code == 200
    assert django_settings.SESSION_COOKIE_HTTPONLY and django_settings.SESSION_COOKIE_SECURE
    assert django_settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert session.value


def test_headers_are_also_on_error_pages(client, production):
    response = https_get(client, "/fr/no-such-page/")
    assert response.status_code == 404
    assert parse_csp(response["Content-Security-Policy"]) == EXPECTED_CSP
    assert response["X-Frame-Options"] == "DENY"
    assert "Permissions-Policy" in response


def test_csp_is_on_in_development_too(client, settings):
    settings.DEBUG = True
    response = client.get("/fr/")
    assert parse_csp(response["Content-Security-Policy"]) == EXPECTED_CSP


# The Django admin's templates carry a nonce on their <script>/<style>: the header then lists that nonce,
# scoped to the pages that asked for it. Every registered ModelAdmin is checked (changelist, add form).
@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_superuser("boss@example.org", "a-long-password-1")
    client.force_login(user)
    return client


def assert_no_unsanctioned_inline_code(response):
    csp = parse_csp(response["Content-Security-Policy"])
    body = response.content.decode()
    nonces = set(re.findall(r"'nonce-([^']+)'", csp["script-src"])) | set(
        re.findall(r"'nonce-([^']+)'", csp["style-src"])
    )
    checked = 0
    for tag, attrs, _content in re.findall(r"<(script|style)\b([^>]*)>(.*?)</\1>", body, re.S):
        if tag == "script" and "application/json" in attrs:
            continue  # data, never executed
        nonce = re.search(r'nonce="([^"]+)"', attrs)
        if tag == "script" and "src=" in attrs and not nonce:
            continue  # same-origin file: allowed by 'self'
        assert nonce and nonce.group(1) in nonces, f"<{tag}{attrs}> is not allowed by the CSP"
        checked += 1
    assert csp["object-src"] == "'none'" and csp["frame-ancestors"] == "'none'"
    return checked


def admin_pages():
    from django.contrib import admin

    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        yield "admin:{}_{}_changelist".format(*info)
        yield "admin:{}_{}_add".format(*info)


@pytest.mark.parametrize("name", ["admin:index", *admin_pages()])
def test_admin_renders_under_the_csp(staff_client, name):
    response = staff_client.get(reverse(name))
    assert response.status_code in (200, 403)  # 403: a model with no "add" (axes logs)
    if response.status_code == 200:
        assert_no_unsanctioned_inline_code(response)


def test_admin_change_form_renders_under_the_csp(staff_client):
    user = get_user_model().objects.get()
    response = staff_client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    assert response.status_code == 200
    assert assert_no_unsanctioned_inline_code(response) > 0  # the admin's own tags do carry the nonce
    assert "'nonce-" in response["Content-Security-Policy"]


def test_admin_is_served_at_the_configured_path():
    """platforma/urls.py mounts the admin at settings.ADMIN_URL (ADMIN_URL=... in the environment)."""
    from platforma import urls

    admin_patterns = [p for p in urls.urlpatterns if getattr(p, "app_name", None) == "admin"]
    assert [str(p.pattern) for p in admin_patterns] == [django_settings.ADMIN_URL]
    assert reverse("admin:index") == "/" + django_settings.ADMIN_URL


def test_admin_url_setting_reads_the_environment(monkeypatch):
    import importlib

    import platforma.settings as settings_module

    monkeypatch.setenv("ADMIN_URL", "/staff-4821/")
    try:
        reloaded = importlib.reload(settings_module)
        assert reloaded.ADMIN_URL == "staff-4821/"
    finally:
        monkeypatch.delenv("ADMIN_URL")
        importlib.reload(settings_module)


# Templates: no inline code, so the strict CSP never breaks a page.
TEMPLATES_DIR = Path(django_settings.BASE_DIR) / "templates"
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*application/ld\+json)[^>]*>", re.I)
STYLE_ATTR = re.compile(r"<[^>]*\sstyle\s*=", re.I | re.S)
STYLE_BLOCK = re.compile(r"<style\b", re.I)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I | re.S)
JS_URL = re.compile(r"""href\s*=\s*["']\s*javascript:""", re.I)


def template_files():
    files = sorted(TEMPLATES_DIR.rglob("*.html")) + sorted(TEMPLATES_DIR.rglob("*.xml"))
    assert files, "no templates found"
    return files


@pytest.mark.parametrize(
    "pattern, what",
    [(INLINE_SCRIPT, "inline <script>"), (STYLE_ATTR, "style= attribute"), (STYLE_BLOCK, "<style> block"),
     (EVENT_HANDLER, "on...= event handler"), (JS_URL, "javascript: URL")],
)
def test_no_template_has_inline_code(pattern, what):
    offenders = [str(f.relative_to(TEMPLATES_DIR)) for f in template_files() if pattern.search(f.read_text())]
    assert offenders == [], f"{what} in {offenders}: move it to static/ (the CSP blocks it)"


@pytest.mark.parametrize(
    "pattern, sample, found",
    [(INLINE_SCRIPT, "<script>alert(1)</script>", True),
     (INLINE_SCRIPT, '<script src="/static/x.js"></script>', False),
     (INLINE_SCRIPT, '<script type="application/ld+json">{}</script>', False),
     (STYLE_ATTR, '<p class="x"\n   style="color:red">', True),
     (STYLE_ATTR, '<p class="style">', False),
     (STYLE_BLOCK, "<style>p{}</style>", True),
     (EVENT_HANDLER, '<button onclick="x()">', True),
     (EVENT_HANDLER, '<button class="online">', False)],
)
def test_the_template_scanner_itself(pattern, sample, found):
    assert bool(pattern.search(sample)) is found


# In a real browser: the admin and a public page load with no CSP violation reported.
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_csp_violation_in_the_browser(live_server, page):
    user = get_user_model().objects.create_superuser("boss@example.org", "a-long-password-1")
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text else None)
    page.goto(f"{live_server.url}/fr/")
    page.goto(f"{live_server.url}{reverse('admin:login')}")
    page.fill("input[name=username]", "boss@example.org")
    page.fill("input[name=password]", "a-long-password-1")
    page.click("input[type=submit]")
    for url in [reverse("admin:accounts_user_changelist"),
                reverse("admin:accounts_user_change", args=[user.pk]),
                reverse("admin:auth_group_add")]:
        page.goto(f"{live_server.url}{url}")
        page.wait_for_load_state("load")
    # The admin's JavaScript ran (it builds the "choose all" widgets of the group form).
    assert page.locator(".selector-chooseall").count() > 0
    assert violations == []
