"""Optional read replica (DATABASE_REPLICA_URL): reads go to it only where a little lag is harmless.

Everything goes to the primary ("default") unless code opts in with `with replica_reads(): ...`, meant
for heavy read-only work such as open data exports (for a streamed response, inside the generator: it
runs after the view has returned). Public pages stay on the primary: one rendered from a replica a moment
behind an edit would be stored by the page cache under the new generation and stay stale.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
_use_replica = ContextVar("use_replica", default=False)


@contextmanager
def replica_reads():
    token = _use_replica.set(True)
    try:
        yield
    finally:
        _use_replica.reset(token)


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        if _use_replica.get() and REPLICA in settings.DATABASES:
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the same database

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"  # replication copies the schema
