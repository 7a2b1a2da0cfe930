"""The `gunicorn` fixture (tests/conftest.py) that the outage and multi-server tests start their servers with:
a server that cannot start fails the test at once, with its log, instead of leaving the test to run against
nothing."""

import os

import pytest


def test_a_server_that_cannot_start_fails_the_test_with_its_log(gunicorn):
    # DEBUG off without SECRET_KEY: the settings refuse to load, so gunicorn's master exits.
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")} | {"DEBUG": "0"}
    with pytest.raises(pytest.fail.Exception, match=r"(?s)gunicorn did not start.*SECRET_KEY"):
        gunicorn(env)
