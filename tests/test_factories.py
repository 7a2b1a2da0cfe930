"""tests/factories.py's refreshed_once(): data made inside it has the same facet values and search entries as
data made with the signal handlers refreshing after each row, which is what lets fixtures use it."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction

from experiences.models import Donor, Experience, ExperienceSearchEntry
from institutions.facets import PARTNER_OF
from institutions.models import FacetValue, Organisation, SearchEntry
from tests.factories import make_aimf, refreshed_once
from tests.search_data import make_directory


def derived():
    """The facet values and search entries (the organisations' and their experiences'), organisations by slug
    and donors by name (ids differ from one making to the next)."""
    slugs = dict(Organisation.objects.values_list("pk", "slug"))
    names = {"donor": {str(pk): name for pk, name in Donor.objects.values_list("pk", "name_en")}}
    names[PARTNER_OF] = {str(pk): slug for pk, slug in slugs.items()}
    values = {
        (slugs[pk], facet, names[facet][value] if facet in names else value)
        for pk, facet, value in FacetValue.objects.values_list("organisation_id", "facet", "value")
    }
    entries = {}
    for entry in SearchEntry.objects.values():
        entries[slugs[entry.pop("organisation_id")]] = entry
    experiences = sorted(
        (slugs[pk], document)
        for pk, document in ExperienceSearchEntry.objects.values_list("experience__organisation_id", "document")
    )
    return values, entries, experiences


def made_both_ways(make):
    with transaction.atomic():
        make()
        each_row = derived()
        transaction.set_rollback(True)
    assert not Organisation.objects.exists()
    with refreshed_once():
        make()
    return each_row, derived()


def test_the_small_directory(no_sectors):
    each_row, once = made_both_ways(make_directory)
    assert once == each_row
    assert len(once[1]) == Organisation.objects.count() and len(once[0]) > 20
    assert len(once[2]) == Experience.objects.count() > 0


def test_the_aimf(sectors):
    each_row, once = made_both_ways(make_aimf)
    assert once == each_row
    assert ("aimf", "worked_in", "CI") in once[0]


def test_the_demo_data_with_its_partnerships(sectors):
    each_row, once = made_both_ways(lambda: call_command("load_demo", stdout=io.StringIO()))
    assert once == each_row
    assert any(facet == PARTNER_OF for _slug, facet, _value in once[0])


def test_the_handlers_are_back_afterwards(sectors):
    with refreshed_once():
        aimf = make_aimf()
    FacetValue.objects.filter(organisation_id=aimf.pk).delete()
    aimf.save()  # the handler refreshes at once again
    assert FacetValue.objects.filter(organisation_id=aimf.pk, facet="worked_in", value="CI").exists()


def test_a_failure_inside_leaves_the_handlers_connected(sectors):
    with pytest.raises(ValueError), refreshed_once():
        raise ValueError
    aimf = make_aimf()
    assert FacetValue.objects.filter(organisation_id=aimf.pk, facet="worked_in", value="CI").exists()
