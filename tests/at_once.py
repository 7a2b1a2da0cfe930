"""Running the same work in two threads at once, each with its own database connection: how two senders on
two servers (or a restarted worker and its successor) meet. PostgreSQL tests only (SQLite serialises writes)."""

import threading

from django.db import connection


def at_once(function, times=2):
    """The results of `function()` run by `times` threads started together (a barrier), in no order."""
    barrier = threading.Barrier(times)
    results = []

    def run():
        barrier.wait()
        try:
            results.append(function())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
