"""Valid HTML: the Nu Html Checker (scripts/vnu.sh, the W3C validator's engine) finds no error in the pages as
served: the front page, a search with results and filters in force, a profile, its contact page, the print views,
the login page, the statistics (map and charts), the network of partnerships, the experiences list, the alert
pages, the join pages and the partner pages, in both languages."""

import re
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.vnu

VNU = Path(__file__).resolve().parent.parent / "scripts" / "vnu.sh"


def vnu(paths):
    """(exit status, messages) of the checker over these files."""
    done = subprocess.run(["sh", str(VNU), *map(str, paths)], capture_output=True, text=True, timeout=300)
    return done.returncode, (done.stdout + done.stderr).strip()


def public_pages(aimf):
    return [
        reverse("directory:search"),
        reverse("directory:search") + "?q=maires&country=FR&kind=international_network&more=country",
        reverse("directory:search") + "?q=zzzzzz",  # no result
        reverse("directory:profile", kwargs={"slug": aimf.slug}),
        reverse("directory:profile_print", kwargs={"slug": aimf.slug}),
        reverse("directory:print_results") + "?country=FR",
        reverse("partners:login"),
        reverse("partners:password_reset"),
        reverse("opendata:open_data"),
        reverse("contact:form", kwargs={"slug": aimf.slug}),
        reverse("contact:sent", kwargs={"slug": aimf.slug}),
        reverse("directory:statistics"),  # the map and charts (inline SVG)
        reverse("directory:statistics") + "?worked_in=BF",
        reverse("directory:partnerships") + "?country=FR",  # with a drawing: tests/test_partnerships_page.py
        reverse("directory:experiences"),
        reverse("join:start"),
        reverse("join:listing"),
        reverse("join:access") + "?find=maires",  # found: the choice of an organisation
        reverse("join:access") + "?find=zzzzzz",  # nothing found
        reverse("join:thanks"),
    ]


def alert_pages():
    """The alert pages; those behind a signed link are a subscription's."""
    from alerts import links
    from alerts.models import Subscription

    subscription, _created = Subscription.objects.get_or_create(
        email="jeanne@example.net", search="organisations", criteria="country=FR",
        defaults={"language": "en", "frequency": "weekly"},
    )  # fmt: skip
    confirm, manage = links.token(subscription, links.CONFIRM), links.token(subscription, links.MANAGE)
    return [
        reverse("alerts:subscribe") + "?q=maires&country=FR",
        reverse("alerts:subscribe_experiences") + "?role=coordinator",
        reverse("alerts:asked"),
        reverse("alerts:confirm", args=[confirm]),
        reverse("alerts:manage", args=[manage]),
        reverse("alerts:unsubscribe", args=[manage]),
    ]


def partner_pages(aimf):
    experience = aimf.experiences.first()
    return [
        reverse("partners:home"),
        reverse("partners:organisation", kwargs={"slug": aimf.slug}),
        reverse("partners:competences", kwargs={"slug": aimf.slug}),
        reverse("partners:experiences", kwargs={"slug": aimf.slug}),
        reverse("partners:experience_add", kwargs={"slug": aimf.slug}),
        reverse("partners:experience", kwargs={"slug": aimf.slug, "pk": experience.pk}),
        reverse("partners:password_change"),
        reverse("partners:history", kwargs={"slug": aimf.slug}),
    ]


def save_pages(client, urls, folder):
    folder.mkdir(parents=True)
    paths = []
    for url in urls:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        path = folder / (re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") + ".html")
        path.write_bytes(response.content)
        paths.append(path)
    return paths


def test_public_and_partner_pages_are_valid_html(client, aimf, staff_editor, tmp_path):
    paths = []
    for lang in ("fr", "en"):
        with translation.override(lang):
            paths += save_pages(client, public_pages(aimf), tmp_path / f"public-{lang}")
            paths += save_pages(client, alert_pages(), tmp_path / f"alerts-{lang}")
            client.force_login(staff_editor)
            paths += save_pages(client, partner_pages(aimf), tmp_path / f"partner-{lang}")
            client.logout()
    status, messages = vnu(paths)
    assert status == 0, messages
    assert len(paths) == 2 * (15 + 6 + 5 + 8)


def test_the_checker_does_report_an_error(tmp_path):
    """The checker itself works: a stray end tag and a datetime with a microsecond fraction are errors."""
    page = tmp_path / "broken.html"
    page.write_text(
        '<!doctype html><html lang="en"><title>t</title><p>x</div>'
        '<time datetime="2026-11-30T11:37:22.044793+01:00">now</time>'
    )
    status, messages = vnu([page])
    assert status == 1
    assert "Stray end tag" in messages and "datetime" in messages
