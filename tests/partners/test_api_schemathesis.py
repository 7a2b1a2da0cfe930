"""schemathesis, in process, over every endpoint and parameter of the API's OpenAPI schema: no 5xx, every
response conforms to the schema (status, content type, headers, body)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from platforma.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def test_transaction_kept():
    """schemathesis calls the WSGI application itself, whose request signals would close the database
    connection, and the test's transaction with it (Django's test client disconnects them the same way)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_endpoint_conforms_to_the_schema(case, api_data, settings, test_transaction_kept):
    settings.API_THROTTLE_RATE = "1000000/minute"  # the throttle itself is tested in test_api.py
    case.call_and_validate()
