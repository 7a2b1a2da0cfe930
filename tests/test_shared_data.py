"""The shared test data (tests/conftest.py SHARED_DATA): made once for the tests of a file that ask for it, yet
each test starts from it as made, with objects of its own, and tests that do not ask for it never see it."""

import pytest

from institutions.models import Organisation

DIRECTORY = ["aimf", "benin", "dakar", "hidden", "lyon"]


def test_a_test_without_shared_data_sees_none_of_it(db):
    """It runs before this file's shared tests (pytest_collection_modifyitems), after any earlier file's."""
    assert not Organisation.objects.exists()


@pytest.mark.parametrize("run", [1, 2])
def test_each_test_starts_from_the_directory_as_made(directory, run):
    assert sorted(Organisation.objects.values_list("acronym", flat=True).exclude(acronym="")) == [
        "AIMF", "ANCB", "HID"
    ]  # fmt: skip
    assert Organisation.objects.get(acronym="AIMF").city == "Paris"
    assert directory["aimf"].city == "Paris"  # the object too: the previous run changed its own copy
    directory["aimf"].city = "Dakar"
    directory["aimf"].save()
    Organisation.objects.filter(acronym="ANCB").delete()


def test_the_directory_objects_are_the_rows_made(directory):
    assert sorted(name for name in directory if name in DIRECTORY) == DIRECTORY
    assert {obj.pk for name, obj in directory.items() if name in DIRECTORY} == set(
        Organisation.objects.values_list("pk", flat=True)
    )
