"""schemathesis, in process, over every endpoint and parameter of the API's OpenAPI schema: no 5xx, every
response conforms to the schema (status, content type, headers, body)."""

import schemathesis
from hypothesis import HealthCheck, settings
from partner_fixtures import *  # noqa: F401,F403
from test_api import directory  # noqa: F401 (a fixture: a few organisations with experiences)

from platforma.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_endpoint_conforms_to_the_schema(case, directory, settings):  # noqa: F811
    settings.API_THROTTLE_RATE = "1000000/minute"  # the throttle itself is tested in test_api.py
    case.call_and_validate()
