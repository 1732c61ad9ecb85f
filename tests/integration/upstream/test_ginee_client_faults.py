"""The Ginee client over real HTTP when Ginee misbehaves: bounded waits, garbage classified, no body in texts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from scripted_http import Answer, Cut, ScriptedServer, scripted_server
from upstream_fakes import NAME, PHONE, FakeTime

from omsync import deadline
from omsync.errors import PermanentError, RetryableError
from omsync.ginee.client import SHOP_LIST, GineeClient
from omsync.ginee.errors import BusinessError, MalformedAnswer, ServiceBusy

EMPTY_PAGE = json.dumps({"code": "SUCCESS", "data": {"content": [], "total": 0}}).encode()


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with scripted_server() as running:
        yield running


def client_of(server: ScriptedServer, time: FakeTime, retries: int = 3) -> GineeClient:
    return GineeClient(server.base_url, "access", "secret", sleep=time.sleep, max_retries=retries)


def busy(retry_after: str) -> Answer:
    return Answer(429, (("Content-Type", "text/plain"), ("Retry-After", retry_after)), b"slow down")


# --- fault 4: waits are bounded -----------------------------------------------------------------------


def test_a_retry_after_of_a_day_is_not_slept_outside_an_invocation(server: ScriptedServer) -> None:
    """Given Ginee asks to wait a day, a CLI run does not sleep for it: the call gives up as retryable."""
    time = FakeTime()
    server.play([busy("86400")])
    with pytest.raises(ServiceBusy) as raised:
        client_of(server, time).list_shops()
    assert raised.value.retryable and raised.value.retry_after == 86400
    assert all(wait <= 60 for wait in time.sleeps), time.sleeps


def test_retry_after_is_honoured_within_the_invocations_time_and_not_beyond(server: ScriptedServer) -> None:
    time = FakeTime()
    server.play([busy("7"), Answer(body=EMPTY_PAGE)])
    with deadline.within(30, clock=time.clock):
        assert client_of(server, time).list_shops() == []
    assert time.sleeps == [7.0]

    time = FakeTime()
    server.play([busy("86400"), Answer(body=EMPTY_PAGE)])
    with deadline.within(30, clock=time.clock), pytest.raises(ServiceBusy, match="deadline"):
        client_of(server, time).list_shops()
    assert time.sleeps == []  # nothing slept: the message goes back to its queue at once
    assert len(server.seen) == 1


# --- fault 5: garbage is classified by transport facts first ----------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        Answer(200, body=b""),
        Answer(200, body=EMPTY_PAGE[:20]),
        Answer(200, (("Content-Type", "text/html"),), f"<html>{NAME} {PHONE}</html>".encode()),
        Answer(200, body=EMPTY_PAGE, cut=Cut.SHORT),
        Answer(200, body=EMPTY_PAGE, cut=Cut.BROKEN_CHUNKS),
        Answer(200, (("Content-Type", "application/json"), ("Content-Encoding", "gzip")), b"not gzip at all"),
        Answer(308, (("Location", "http://[oops/x"),), b""),
    ],
    ids=["empty", "truncated", "html", "short-content-length", "broken-chunks", "bad-gzip", "malformed-location"],
)
def test_an_unreadable_or_cut_answer_is_transient(server: ScriptedServer, answer: Answer) -> None:
    time = FakeTime()
    server.play([answer])
    with pytest.raises(RetryableError) as raised:
        client_of(server, time, retries=1).list_shops()
    assert isinstance(raised.value, ServiceBusy)
    assert PHONE not in str(raised.value) and NAME not in str(raised.value)
    assert len(server.seen) == 2  # retried once, then handed back as retryable


# --- fault 3: no upstream body in an error text ---------------------------------------------------------------


def test_a_refusal_names_code_path_and_transaction_but_not_gineees_message(server: ScriptedServer) -> None:
    refusal = {
        "code": "BUSINESS_ERROR",
        "message": f"Pesanan pembeli {NAME} ({PHONE}) tidak bisa diproses",
        "transactionId": "tx-4242",
        "data": None,
    }
    server.play([Answer(200, body=json.dumps(refusal).encode())])
    with pytest.raises(BusinessError) as raised:
        client_of(server, FakeTime()).list_shops()
    text = str(raised.value)
    assert SHOP_LIST in text and "BUSINESS_ERROR" in text and "tx-4242" in text
    assert PHONE not in text and NAME not in text


def test_a_non_envelope_refusal_says_status_length_and_type_but_not_the_body(server: ScriptedServer) -> None:
    page = f"<html><body>Not found: {NAME} {PHONE}</body></html>".encode()
    server.play([Answer(404, (("Content-Type", "text/html; charset=utf-8"),), page)])
    with pytest.raises(PermanentError) as raised:
        client_of(server, FakeTime()).list_shops()
    text = str(raised.value)
    assert "HTTP_404" in text and f"{len(page)} bytes" in text and "text/html" in text
    assert PHONE not in text and NAME not in text


def test_a_page_cursor_that_repeats_ends_the_listing_instead_of_paging_forever(server: ScriptedServer) -> None:
    again = {"code": "SUCCESS", "data": {"content": [], "more": True, "nextCursor": "c-1"}}
    # A third request would be answered 502 (so a regression fails instead of paging on).
    server.play([Answer(body=json.dumps(again).encode()), Answer(body=json.dumps(again).encode()), Answer(502)])
    since = datetime(2026, 3, 1, tzinfo=UTC)
    with pytest.raises(MalformedAnswer, match="cursor repeats"):
        list(
            client_of(server, FakeTime(), retries=0).list_orders(
                create_since=since, create_to=since + timedelta(days=1)
            )
        )
    assert len(server.seen) == 2
