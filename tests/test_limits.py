"""At most a few expensive requests at once (exports, printed lists, statistics, networks): per client
address and per machine; the next one gets 429 with Retry-After, the rest of the site is untouched
(issue 14, finding 1)."""

import logging
from unittest import mock

import pytest
from django.core.cache import caches

EXPORT = "/en/export.csv"


def finish(response):
    """Read a response to its end (a streamed one holds its slot until then)."""
    if response.streaming:
        b"".join(response.streaming_content)  # read to its end, the test client closes it
    return response


@pytest.fixture
def limits(settings):
    settings.EXPENSIVE_PER_CLIENT = 2
    settings.EXPENSIVE_PER_SERVER = 3
    settings.EXPENSIVE_RETRY_AFTER = 7
    return settings


def test_just_below_the_client_limit_every_export_is_served(client, directory, limits):
    first, second = client.get(EXPORT), client.get(EXPORT)  # both still being sent
    assert first.status_code == second.status_code == 200
    assert b"aimf" in b"".join(second.streaming_content)


def test_just_above_the_client_limit_the_next_gets_429_with_retry_after(client, directory, limits):
    held = [client.get(EXPORT), client.get("/en/export.json")]
    response = client.get("/en/export.xlsx")
    assert response.status_code == 429
    assert response["Retry-After"] == "7"
    assert "Too many requests at once" in response.content.decode()
    assert "try again in 7 seconds" in response.content.decode()
    # The rest of the site answers as usual meanwhile.
    assert client.get("/en/").status_code == 200
    assert client.get("/en/organisations/aimf/").status_code == 200
    assert client.get("/healthz").status_code == 200
    # A finished download gives its slot back.
    finish(held[0])
    assert finish(client.get(EXPORT)).status_code == 200


def test_the_429_page_is_in_french_too(client, directory, limits):
    held = [client.get("/fr/export.csv"), client.get("/fr/export.csv")]
    response = client.get("/fr/export.csv")
    assert response.status_code == 429
    assert "Trop de demandes à la fois" in response.content.decode()
    assert len(held) == 2


def test_another_client_has_its_own_limit(client, directory, limits):
    held = [client.get(EXPORT), client.get(EXPORT)]
    assert client.get(EXPORT).status_code == 429
    assert finish(client.get(EXPORT, REMOTE_ADDR="192.0.2.7")).status_code == 200
    assert len(held) == 2


def test_the_machine_limit_holds_whoever_asks(client, directory, limits):
    """Expensive requests can never occupy every worker: EXPENSIVE_PER_SERVER at once, all clients."""
    held = [client.get(EXPORT, REMOTE_ADDR=f"192.0.2.{n}") for n in range(3)]  # just at the limit
    assert all(response.status_code == 200 for response in held)
    assert client.get(EXPORT, REMOTE_ADDR="192.0.2.99").status_code == 429  # just above
    finish(held[0])
    assert finish(client.get(EXPORT, REMOTE_ADDR="192.0.2.99")).status_code == 200


def test_a_printed_list_is_limited_too(client, directory, limits):
    held = [client.get(EXPORT), client.get(EXPORT)]
    response = client.get("/en/print/", {"country": "FR"})
    assert response.status_code == 429
    finish(held[0])
    assert client.get("/en/print/", {"country": "FR"}).status_code == 200
    assert client.get("/en/print/", {"country": "FR"}).status_code == 200  # a page, not streamed: released


@pytest.mark.parametrize("url", ["/en/statistics/?worked_in=BF", "/en/statistics.csv?worked_in=BF"])
def test_statistics_are_limited_too(client, directory, limits, url):
    """Seconds of counting at 100,000 organisations: one visitor holds at most EXPENSIVE_PER_CLIENT workers
    with them too (just at the limit, then just above)."""
    held = [client.get(EXPORT)]
    assert client.get(url).status_code == 200  # a page, not streamed: its slot is given back at once
    held.append(client.get(EXPORT))
    assert client.get(url).status_code == 429
    finish(held[0])
    assert client.get(url).status_code == 200


def test_whole_directory_files_are_limited_too(client, directory, limits):
    from django.core.management import call_command

    call_command("build_exports", verbosity=0)
    held = [client.get("/en/downloads/organisations.csv"), client.get("/en/downloads/experiences.csv")]
    assert client.get("/en/downloads/organisations.json").status_code == 429
    assert len([finish(response) for response in held]) == 2


def test_an_unreachable_cache_lets_requests_through_with_a_warning(client, directory, limits, caplog):
    with mock.patch.object(caches["state"], "add", side_effect=ConnectionError("redis down")):
        with caplog.at_level(logging.WARNING, logger="platforma.limits"):
            responses = [finish(client.get(EXPORT)) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert "cache unavailable" in caplog.text


def test_a_slot_that_cannot_be_released_is_logged_not_a_500(client, directory, limits, caplog):
    with mock.patch.object(caches["state"], "delete_many", side_effect=ConnectionError("redis down")):
        with caplog.at_level(logging.WARNING, logger="platforma.limits"):
            assert finish(client.get(EXPORT)).status_code == 200
    assert "could not release" in caplog.text
