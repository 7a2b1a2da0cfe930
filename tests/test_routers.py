"""Read replica routing: only opted-in reads go to the replica, and only when one is configured."""

from django.conf import settings

from institutions.models import Organisation
from platforma.routers import PrimaryReplicaRouter, replica_reads

router = PrimaryReplicaRouter()


def test_without_replica_everything_uses_the_primary():
    assert "replica" not in settings.DATABASES
    with replica_reads():
        assert router.db_for_read(Organisation) == "default"


def test_with_replica_only_opted_in_reads_use_it(monkeypatch):
    monkeypatch.setitem(settings.DATABASES, "replica", dict(settings.DATABASES["default"]))
    assert router.db_for_read(Organisation) == "default"
    with replica_reads():
        assert router.db_for_read(Organisation) == "replica"
        assert router.db_for_write(Organisation) == "default"
    assert router.db_for_read(Organisation) == "default"


def test_only_the_primary_is_migrated():
    assert router.allow_migrate("default", "institutions")
    assert not router.allow_migrate("replica", "institutions")
