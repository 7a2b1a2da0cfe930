"""The database goes away and comes back, for real: gunicorn serves the site through a TCP proxy to
PostgreSQL that the test cuts and restores. Pages answer the clean 503 page during the outage, and the
same server process recovers by itself (CONN_HEALTH_CHECKS) when the database returns.

PostgreSQL only: an embedded SQLite file cannot become unreachable. The in-process variant (a view raising
OperationalError) is in test_error_pages.py and runs on both databases.
"""

import http.client
import os
import socket
import threading

import pytest
from django.db import connection

from institutions.models import Organisation

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the server process must see the test's rows
    pytest.mark.postgresql,  # a server that can stop
]


class Proxy:
    """127.0.0.1:<port> → the database; stop() cuts every connection and refuses new ones."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, int(target_port))
        self.port = 0  # chosen by the system at the first start(), kept for the restarts
        self.sockets = []
        self.listener = None

    def start(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(16)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, destination):
        try:
            while data := source.recv(65536):
                destination.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, destination):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self):
        # shutdown() first: on Linux it wakes the thread blocked in accept(); close() alone would leave the
        # socket listening until then.
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self.sockets = []


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    return response.status, response.getheader("Retry-After"), body


@pytest.fixture
def server_through_proxy(gunicorn, shared_state_cache):
    db = connection.settings_dict
    proxy = Proxy(db["HOST"] or "127.0.0.1", db["PORT"] or 5432)
    proxy.start()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@127.0.0.1:{proxy.port}/{db['NAME']}",
        DB_CONN_MAX_AGE="600",  # a persistent connection, the case where a stale one must be noticed
        DEBUG="1", LOG_LEVEL="CRITICAL",
        # The server's page cache is its own (local memory): this test's changes could not invalidate it.
        PUBLIC_PAGE_CACHE="0",
    )
    try:
        base = gunicorn(env)  # fails the test if the server never starts
        yield int(base.rsplit(":", 1)[1]), proxy
    finally:
        proxy.stop()


def test_pages_answer_503_while_the_database_is_down_then_recover(server_through_proxy):
    port, proxy = server_through_proxy
    Organisation.objects.create(name_fr="Ville de Résilience", name_en="Resilience City", acronym="VR")

    status, _, body = get(port, "/en/")
    assert status == 200 and "Resilience City" in body
    assert get(port, "/healthz")[0] == 200

    proxy.stop()
    # The load balancer's probe says so too, so it can take this instance out.
    status, _, body = get(port, "/healthz")
    assert status == 503 and "Traceback" not in body
    for path, text in [("/en/", "Service temporarily unavailable"),
                       ("/fr/", "Service temporairement indisponible"),
                       ("/en/organisations/vr/", "Service temporarily unavailable")]:
        status, retry_after, body = get(port, path)
        assert status == 503, path
        assert retry_after and retry_after.isdigit()
        assert text in body and "Traceback" not in body

    proxy.start()
    assert get(port, "/healthz")[0] == 200
    status, _, body = get(port, "/en/")  # same server process, no restart
    assert status == 200 and "Resilience City" in body
    assert get(port, "/fr/organisations/vr/")[0] == 200
