"""Two edits of the directory at the same time, on PostgreSQL: the facet bitmaps (institutions/bitmaps.py)
lock their rows in one order, so concurrent edits never wait for each other in a circle, and both land."""

import threading

import pytest
from django.db import connections, transaction

from institutions import bitmaps
from institutions.bitmaps import counts, mismatches, to_bitmap
from institutions.models import Organisation

pytestmark = pytest.mark.postgresql  # the bitmaps are PostgreSQL's


def _set(instance, **fields):
    for name, value in fields.items():
        setattr(instance, name, value)
    return instance


@pytest.mark.django_db(transaction=True)
def test_two_edits_swapping_values_at_once_both_land():
    """Lyon moves from FR to BF while Ouaga moves from BF to FR, in two transactions at the same time: each
    locks the other's old value's bitmap; the rows are locked in one order, so neither waits forever."""
    lyon = Organisation.objects.create(name_fr="Lyon", kind="municipality", country="FR")
    ouaga = Organisation.objects.create(name_fr="Ouagadougou", kind="municipality", country="BF")
    barrier = threading.Barrier(2)
    failures = []

    def move(organisation, country):
        try:
            with transaction.atomic():
                Organisation.objects.select_for_update().get(pk=organisation.pk)
                barrier.wait(timeout=10)
                _set(organisation, country=country).save()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=move, args=args) for args in ((lyon, "BF"), (ouaga, "FR"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    assert mismatches() == []
    assert counts([(["country"], None)]) == {"country": {"BF": 1, "FR": 1}}
    assert bitmaps.chosen({"country": [("country", "FR")]}) == {"country": to_bitmap([ouaga.pk])}
