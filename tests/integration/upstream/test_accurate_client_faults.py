"""The Accurate client over real HTTP when Accurate (or the way to it) misbehaves.

Bounded waits (Retry-After within the deadline), garbage classified by transport facts first, no body,
query string or header in an error text, and redirects followed only inside Accurate's hosts.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from scripted_http import Answer, Cut, ScriptedServer, scripted_server
from upstream_fakes import API_TOKEN, NAME, PHONE, SIGNATURE_SECRET, FakeTime, guarded_session

from omsync import deadline
from omsync.accurate.auth import ApiTokenAuth, exchange_code
from omsync.accurate.client import AccurateClient
from omsync.accurate.documents import SalesInvoice
from omsync.accurate.errors import ForeignHost, RateLimited, Rejected, Transient
from omsync.accurate.governor import Governor, MemorySlots
from omsync.errors import OmsyncError, PermanentError

RATE_TEXT = "Jumlah request API melebihi toleransi 8 proses paralel per Token dan 8 request/detik"
DETAIL = json.dumps({"s": True, "d": {"id": 7, "number": "SI-1"}}).encode()
JSON = (("Content-Type", "application/json"),)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with scripted_server() as running:
        yield running


def envelope(body: dict[str, Any], status: int = 200, headers: tuple[tuple[str, str], ...] = JSON) -> Answer:
    return Answer(status, headers, json.dumps(body).encode())


def token_info(host: str) -> Answer:
    """``api-token.do``'s answer announcing the database's data host."""
    return envelope({"s": True, "d": {"database": {"id": 1, "host": host}}})


def client_of(server: ScriptedServer, time: FakeTime, **kwargs: Any) -> AccurateClient:
    governor = Governor(MemorySlots(), clock=time.clock, sleep=time.sleep)
    return AccurateClient(
        ApiTokenAuth(API_TOKEN, SIGNATURE_SECRET),
        account_url=server.base_url,
        governor=governor,
        sleep=time.sleep,
        **kwargs,
    )


def assert_clean(error: BaseException) -> None:
    text = str(error)
    for secret in (PHONE, NAME, API_TOKEN, SIGNATURE_SECRET, "Bearer", "X-Api-Signature"):
        assert secret not in text, text


# --- fault 4: Retry-After honoured, within the deadline -------------------------------------------------


def test_a_429_waits_what_retry_after_asks_before_trying_again(server: ScriptedServer) -> None:
    time = FakeTime()
    server.play(
        [
            token_info(server.base_url),
            envelope({"s": False, "d": [RATE_TEXT]}, 429, (*JSON, ("Retry-After", "5"))),
            Answer(body=DETAIL),
        ]
    )
    assert client_of(server, time).detail(SalesInvoice, number="SI-1")["id"] == 7
    assert max(time.sleeps) >= 5


def test_a_retry_after_beyond_the_deadline_is_not_waited_for(server: ScriptedServer) -> None:
    time = FakeTime()
    server.play(
        [token_info(server.base_url), envelope({"s": False, "d": [RATE_TEXT]}, 429, (*JSON, ("Retry-After", "86400")))]
    )
    with deadline.within(20, clock=time.clock), pytest.raises(RateLimited, match="deadline") as raised:
        client_of(server, time).detail(SalesInvoice, number="SI-1")
    assert raised.value.retry_after == 86400
    assert sum(time.sleeps) <= 20
    assert len(server.seen) == 2  # api-token, then the one refused call: no retry after a day's wait


# --- fault 5: transport facts first --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "limited",
    [
        Answer(429, (("Content-Type", "text/html"), ("Retry-After", "2")), b"<html>Too Many Requests</html>"),
        envelope({"s": False, "d": ["Terlalu banyak permintaan"]}, 429, (*JSON, ("Retry-After", "2"))),
    ],
    ids=["html-body", "json-without-the-rate-limit-text"],
)
def test_a_429_is_a_rate_limit_whatever_its_body_says(server: ScriptedServer, limited: Answer) -> None:
    time = FakeTime()
    server.play([token_info(server.base_url), limited, Answer(body=DETAIL)])
    assert client_of(server, time).detail(SalesInvoice, number="SI-1")["id"] == 7
    assert max(time.sleeps) >= 2


@pytest.mark.parametrize(
    "answer",
    [
        Answer(200, JSON, b""),
        Answer(200, JSON, DETAIL[:15]),
        Answer(200, (("Content-Type", "text/html"),), f"<html>{NAME} {PHONE}</html>".encode()),
        Answer(200, JSON, DETAIL, Cut.SHORT),
        Answer(200, JSON, DETAIL, Cut.BROKEN_CHUNKS),
        Answer(502, (("Content-Type", "text/html"),), f"<html>{PHONE}</html>".encode()),
        Answer(308, (("Location", "http://[oops/x"),), b""),
        Answer(308, (), b""),
    ],
    ids=[
        "empty",
        "truncated",
        "html",
        "short-content-length",
        "broken-chunks",
        "502-html",
        "bad-location",
        "no-location",
    ],
)
def test_an_unreadable_or_cut_answer_is_transient(server: ScriptedServer, answer: Answer) -> None:
    server.play([token_info(server.base_url), answer])
    with pytest.raises(Transient) as raised:
        client_of(server, FakeTime()).detail(SalesInvoice, number="SI-1")
    assert_clean(raised.value)


@pytest.mark.parametrize(
    "answer",
    [
        Answer(200, JSON, b""),
        Answer(200, (("Content-Type", "text/html"),), b"<html>maintenance</html>"),
        Answer(200, JSON, b'{"access_token": "a", "refr'),
        Answer(503, (("Content-Type", "text/html"),), b"<html>busy</html>"),
        Answer(429, (("Content-Type", "text/html"),), b"<html>slow down</html>"),
    ],
    ids=["empty-200", "html-200", "truncated-200", "503", "429"],
)
def test_the_token_endpoint_answering_garbage_is_transient(server: ScriptedServer, answer: Answer) -> None:
    server.play([answer])
    with pytest.raises(Transient):
        exchange_code("code", "http://127.0.0.1:1/cb", "client", "client-secret", server.base_url)


def test_the_token_endpoint_refusing_is_permanent(server: ScriptedServer) -> None:
    server.play([envelope({"error": "invalid_grant", "error_description": f"code of {PHONE} used"}, 400)])
    with pytest.raises(PermanentError) as raised:
        exchange_code("code", "http://127.0.0.1:1/cb", "client", "client-secret", server.base_url)
    assert "invalid_grant" in str(raised.value) and PHONE not in str(raised.value)


# --- fault 3: no body, query or header in an error text ---------------------------------------------------------


def test_a_refusal_keeps_accurates_prose_but_not_the_values_it_quotes(server: ScriptedServer) -> None:
    text = f'Nama Pelanggan "{NAME}" dengan telepon {PHONE} tidak valid'
    server.play([token_info(server.base_url), envelope({"s": False, "d": [text]})])
    with pytest.raises(Rejected) as raised:
        client_of(server, FakeTime()).detail(SalesInvoice, number="SI-1")
    assert "tidak valid" in str(raised.value)
    assert_clean(raised.value)
    assert raised.value.messages == (text,)  # Accurate's own words stay readable for code


def test_a_dropped_connection_names_the_path_but_not_the_query(server: ScriptedServer) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    server.play([token_info(closed)])
    with pytest.raises(Transient) as raised:
        list(client_of(server, FakeTime()).list(SalesInvoice, {"customerNo": "QUERY-MARK-77"}))
    assert "/accurate/api/sales-invoice/list.do" in str(raised.value)
    assert "QUERY-MARK-77" not in str(raised.value) and "127.0.0.1" not in str(raised.value)
    assert_clean(raised.value)


# --- fault 6: redirects stay inside Accurate's hosts ---------------------------------------------------------------


@pytest.mark.parametrize(
    "location", ["http://evil.example/accurate/api/sales-invoice/detail.do", "https://zeus.accurate.id/x"]
)
def test_a_redirect_outside_accurates_hosts_is_refused_and_nothing_is_sent_there(
    server: ScriptedServer, location: str
) -> None:
    session, abroad = guarded_session()
    client = client_of(server, FakeTime(), http=session)
    server.play([token_info(server.base_url), Answer(308, (("Location", location),), b"")])
    with pytest.raises(OmsyncError) as raised:
        client.detail(SalesInvoice, number="SI-1")
    assert abroad.sent == []  # nothing went there, least of all the token and the signature
    assert isinstance(raised.value, ForeignHost) and not raised.value.retryable
    assert raised.value.host in location and raised.value.host in str(raised.value)
    assert_clean(raised.value)
    # And the client did not move there: its next call still goes to the sandbox's own host.
    server.play([Answer(body=DETAIL)])
    assert client.detail(SalesInvoice, number="SI-1")["id"] == 7
    assert abroad.sent == []


def test_a_data_host_announced_outside_accurates_hosts_is_refused(server: ScriptedServer) -> None:
    session, abroad = guarded_session()
    server.play([token_info("http://evil.example")])
    with pytest.raises(OmsyncError) as raised:
        client_of(server, FakeTime(), http=session).detail(SalesInvoice, number="SI-1")
    assert abroad.sent == []
    assert isinstance(raised.value, ForeignHost)


def test_a_redirect_within_the_loopback_family_is_followed_with_method_and_body(server: ScriptedServer) -> None:
    moved = server.base_url.replace("127.0.0.1", "localhost") + "/accurate/api/sales-invoice/detail.do"
    server.play([token_info(server.base_url), Answer(308, (("Location", moved),), b""), Answer(body=DETAIL)])
    assert client_of(server, FakeTime()).detail(SalesInvoice, number="SI-1")["id"] == 7
    assert [seen.headers.get("Host", "").split(":")[0] for seen in server.seen[1:]] == ["127.0.0.1", "localhost"]
    assert server.seen[2].headers.get("Authorization") == f"Bearer {API_TOKEN}"


def test_an_oauth_error_object_is_named_by_its_code_not_its_description(server: ScriptedServer) -> None:
    oauth_error = {"error": "invalid_request", "error_description": f"session of {NAME} ({PHONE}) unknown"}
    server.play([token_info(server.base_url), envelope(oauth_error, 400)])
    with pytest.raises(Rejected) as raised:
        client_of(server, FakeTime()).detail(SalesInvoice, number="SI-1")
    assert "invalid_request" in str(raised.value)
    assert_clean(raised.value)


def test_a_list_whose_page_count_never_ends_stops_at_its_first_empty_page(server: ScriptedServer) -> None:
    page = {"s": True, "d": [{"id": 1, "number": "SI-1"}], "sp": {"page": 1, "pageCount": 10**9}}
    # A third request would be answered 502 (so a regression fails instead of paging on).
    server.play([token_info(server.base_url), envelope(page), envelope({**page, "d": []}), Answer(502)])
    assert list(client_of(server, FakeTime()).list(SalesInvoice)) == [{"id": 1, "number": "SI-1"}]
    assert len(server.seen) == 3  # api-token, page 1, the empty page 2: not a billion pages
