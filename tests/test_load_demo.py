"""The load_demo command: its summary, a second run, the dry run, the sectors it needs, the development
accounts. The data it loads is checked in test_demo_data.py."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from experiences.models import Donor, Experience, ExperienceCountry, Funding
from institutions.models import Competence, Organisation
from partners.models import Membership
from tests.factories import refreshed_once

pytestmark = pytest.mark.django_db


def run(command, *args, **options):
    """The command's output. What it loads is refreshed once at the end (refreshed_once: the same rows,
    tests/test_factories.py), as these tests are about the command, not the signal handlers."""
    out = StringIO()
    with refreshed_once():
        call_command(command, *args, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def demo_output(sectors):
    """Here the command's output: each test runs it itself (test_demo_data.py shares one load instead)."""
    return run("load_demo")


@pytest.fixture
def aimf(demo_output):
    return Organisation.objects.get(slug="aimf")


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Organisation,
            Competence,
            Experience,
            ExperienceCountry,
            Funding,
            Donor,
            User,
            Membership,
        )
    }


# -- the command --------------------------------------------------------------------------------------


def test_summary_is_printed(demo_output):
    assert f"created {Organisation.objects.count()} organisations, skipped 0" in demo_output
    assert "created aimf" not in demo_output  # one line per organisation only with -v 2


def test_each_organisation_is_listed_with_verbosity_2(sectors):
    output = run("load_demo", verbosity=2)
    assert "  created aimf" in output
    assert "  skipped aimf" in run("load_demo", verbosity=2)


def test_second_run_creates_nothing_and_keeps_edits(aimf):
    aimf.city = "Lyon"
    aimf.save()
    before = counts()
    output = run("load_demo")
    assert counts() == before
    assert f"created 0 organisations, skipped {before['Organisation']}" in output
    assert Organisation.objects.get(slug="aimf").city == "Lyon"


def test_dry_run_writes_nothing(sectors, settings):
    settings.DEBUG = True
    before = counts()
    output = run("load_demo", dry_run=True)
    assert counts() == before
    assert Organisation.objects.count() == 0
    assert "Dry run: nothing was written." in output
    assert "would create" in output


def test_requires_sectors(no_sectors):
    with pytest.raises(CommandError, match="load_sectors"):
        run("load_demo")
    assert Organisation.objects.count() == 0


def test_dev_accounts_with_debug(demo_output, settings):
    settings.DEBUG = True
    output = run("load_demo")
    staff = User.objects.get(email="staff@platforma.example")
    assert staff.is_staff and staff.is_superuser and staff.check_password("platforma-staff")
    partner = User.objects.get(email="partner@aimf.example")
    assert not partner.is_staff and not partner.is_superuser and partner.check_password("platforma-partner")
    assert Membership.objects.filter(user=partner, organisation__slug="aimf").exists()
    assert "staff@platforma.example" in output
    # Running again neither duplicates nor resets them.
    run("load_demo")
    assert User.objects.filter(email__in=["staff@platforma.example", "partner@aimf.example"]).count() == 2
    assert Membership.objects.filter(user=partner).count() == 1


def test_no_dev_accounts_without_debug(sectors, settings):
    settings.DEBUG = False
    output = run("load_demo")
    assert Organisation.objects.filter(slug="aimf").exists()
    assert not User.objects.filter(email__in=["staff@platforma.example", "partner@aimf.example"]).exists()
    assert not Membership.objects.exists()
    assert "DEBUG is off" in output
