"""Fuzz: the Ginee and Accurate clients against a loopback server answering whatever hypothesis draws.

Answers: random statuses (200, 3xx with Locations near and far, 4xx, 429, 5xx), Retry-After values (huge,
negative, not a number, HTTP dates past and future), bodies that are empty, truncated, HTML, JSON of the
wrong shape, envelopes with odd codes and texts, huge, or cut mid-stream (a Content-Length larger than
what is sent, a broken chunked encoding). Bodies carry a buyer's fake phone number and name.

For every call, whatever the answers:
- it returns a value of its declared type or raises an `OmsyncError` (retryable or permanent), nothing else;
- every wait it asks for is non-negative and, inside an invocation, all of them end before the deadline
  (outside one, none is longer than `DEFAULT_MAX_WAIT_SECONDS`);
- nothing is sent to a host outside the account host's family (the Authorization header least of all);
- no error text carries the phone number, the name, the token, the signature secret or the query.

Accurate's refusals quote values back; the templates below quote only codes omsync itself sends (a
document number, an SKU), as Accurate does, and put the buyer's data everywhere else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from scripted_http import Answer, Cut, ScriptedServer, scripted_server
from upstream_fakes import API_TOKEN, NAME, PHONE, SIGNATURE_SECRET, FakeTime, guarded_session

from omsync import deadline
from omsync.accurate.auth import ApiTokenAuth, OAuthTokens, exchange_code
from omsync.accurate.client import AccurateClient, BulkRowResult, Database, SavedRecord
from omsync.accurate.documents import SalesInvoice, SalesInvoiceItem
from omsync.accurate.errors import ForeignHost
from omsync.accurate.governor import Governor, MemorySlots
from omsync.deadline import DEFAULT_MAX_WAIT_SECONDS
from omsync.errors import OmsyncError
from omsync.ginee.client import GineeClient
from omsync.ginee.models import InboundOrder, MasterProduct, OrderPage, Shop, Warehouse

FUZZ = settings(
    database=None,
    derandomize=True,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
QUERY_MARK = "QUERY-MARK-77"
SELF = "{self}"  # replaced by the server's own base URL when the answer is played
SECRETS = (PHONE, NAME, API_TOKEN, SIGNATURE_SECRET, QUERY_MARK)

# --- answers -------------------------------------------------------------------------------------------------

# Weighted so that well-formed answers come often enough to reach the paths behind them.
statuses = st.one_of(
    st.just(200),
    st.just(200),
    st.sampled_from([200, 201, 204, 301, 302, 307, 308, 400, 401, 403, 404, 418, 429, 500, 502, 503, 504]),
)
retry_after = st.one_of(
    st.sampled_from(
        ["0", "1", "2.5", "30", "59", "61", "86400", "999999999", "-5", "-0.1", "soon", "", "nan", "1e309"]
    ),
    st.integers(-86_400, 10**6).map(
        lambda offset: format_datetime(datetime.now(UTC) + timedelta(seconds=offset), usegmt=True)
    ),
)
locations = st.sampled_from(
    [
        SELF + "/accurate/api/sales-invoice/detail.do",
        "http://localhost:9/x",  # a loopback host on the discard port, where nobody listens
        "/accurate/api/item/get-stock.do",
        "http://evil.example/accurate/api/sales-invoice/detail.do",
        "https://evil.example/openapi/shop/v1/list",
        "https://zeus.accurate.id/accurate/api/sales-invoice/detail.do",
        "http://user:pw@127.0.0.1:9/x",
        "http://[oops/x",
        "::not a url::",
        "",
    ]
)
content_types = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "text/html; charset=utf-8", "text/plain", "", "x/y z"]
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.text(max_size=12) | st.just(PHONE),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=5,
)
html = st.sampled_from(
    [
        f"<html><body>Gateway error for {NAME} ({PHONE})</body></html>",
        "<!DOCTYPE html><title>Too Many Requests</title>",
        f"<?xml version='1.0'?><InsufficientScopeException><error>insufficient_scope</error><scope>{PHONE}</scope>"
        "</InsufficientScopeException>",
        "<error>insufficient_scope</error><scope>sales_invoice_save</scope>",
    ]
).map(str.encode)
huge = st.just(("<html>" + f"{NAME} {PHONE} " * 10_000 + "</html>").encode())  # 300 kB


def encode(value: object) -> bytes:
    return json.dumps(value, default=str).encode()


@st.composite
def truncated(draw: st.DrawFn, bodies: st.SearchStrategy[bytes]) -> bytes:
    body = draw(bodies)
    return body[: draw(st.integers(0, max(0, len(body) - 1)))]


@st.composite
def answers(draw: st.DrawFn, bodies: st.SearchStrategy[bytes]) -> Answer:
    status = draw(statuses)
    headers: list[tuple[str, str]] = []
    if (kind := draw(content_types)) != "":
        headers.append(("Content-Type", kind))
    if status in (429, 503) or draw(st.integers(0, 9)) == 0:
        headers.append(("Retry-After", draw(retry_after)))
    if 300 <= status < 400 and draw(st.integers(0, 9)) > 0:
        headers.append(("Location", draw(locations)))
    body = draw(
        st.one_of(bodies, bodies, bodies, truncated(bodies), html, st.just(b""), encode_values(), huge_rarely())
    )
    cut = draw(st.sampled_from([Cut.WHOLE] * 10 + [Cut.SHORT, Cut.BROKEN_CHUNKS]))
    return Answer(status, tuple(headers), body, cut)


def encode_values() -> st.SearchStrategy[bytes]:
    return json_values.map(encode)


def huge_rarely() -> st.SearchStrategy[bytes]:
    return st.integers(0, 39).flatmap(lambda n: huge if n == 0 else st.just(b"[]"))


# Where a well-formed answer goes in a script (None: nowhere), so that some calls end in a value.
good_positions = st.one_of(st.none(), st.integers(0, 2))


def with_good(script: list[Answer], at: int | None, good: Answer) -> list[Answer]:
    return script if at is None else [*script[:at], good, *script[at:]]


def played(server: ScriptedServer, script: list[Answer]) -> list[Answer]:
    """The script with its placeholders resolved against the running server."""
    resolved = []
    for answer in script:
        headers = tuple((name, value.replace(SELF, server.base_url)) for name, value in answer.headers)
        body = answer.body.replace(SELF.encode(), server.base_url.encode())
        resolved.append(Answer(answer.status, headers, body, answer.cut))
    return resolved


# --- what every call must satisfy ----------------------------------------------------------------------------------


@dataclass
class Budget:
    """The invocation the call runs in: None outside one, else the seconds it has."""

    seconds: float | None


budgets = st.sampled_from([Budget(None), Budget(0), Budget(1), Budget(5), Budget(30)])


def run_checked(call: Callable[[], object], budget: Budget, time: FakeTime) -> tuple[object, OmsyncError | None]:
    """Run ``call`` and check the properties that hold for every call; return its value or its error."""
    failure: OmsyncError | None = None
    try:
        if budget.seconds is None:
            result = call()
        else:
            with deadline.within(budget.seconds, clock=time.clock):
                result = call()
    except OmsyncError as error:  # anything else escapes and fails the test: an untyped error
        event(f"raised {type(error).__name__}")  # the outcome mix shows in --hypothesis-show-statistics
        text = str(error)
        for secret in SECRETS:
            assert secret not in text, f"{type(error).__name__} text carries upstream or secret data: {text}"
        result, failure = None, error
    else:
        event("returned")
    if time.sleeps:
        event("waited")
    assert all(wait >= 0 for wait in time.sleeps), time.sleeps
    if budget.seconds is None:
        assert all(wait <= DEFAULT_MAX_WAIT_SECONDS for wait in time.sleeps), time.sleeps
    else:
        assert sum(time.sleeps) <= budget.seconds + 1e-9, (budget.seconds, time.sleeps)
    return result, failure


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    with scripted_server() as running:
        yield running


# --- Ginee ---------------------------------------------------------------------------------------------------------------

ginee_codes = st.sampled_from(["SUCCESS", "SUCCESS", "SERVICE_BUSY", "PARAMETER_ERROR", "IAM_FAILED", "BUSINESS_ERROR"])
ginee_odd_codes = st.sampled_from(["DATA_NOT_EXISTED", "NEW_CODE", PHONE, "", 7])
ginee_rows = st.one_of(
    st.dictionaries(st.sampled_from(["shopId", "id", "name", "channel", "x"]), json_values),
    st.fixed_dictionaries(
        {"shopId": st.sampled_from(["SH1", PHONE, 5]), "id": st.sampled_from(["WW1", None])},
        optional={"name": json_values, "productId": st.just("MP1")},
    ),
)
ginee_data = st.one_of(
    json_values,
    st.builds(
        lambda rows, total: {"content": rows, "total": total},
        st.lists(ginee_rows, max_size=3),
        st.one_of(st.none(), st.integers(-1, 500), st.just("many"), st.just(PHONE)),
    ),
)


@st.composite
def ginee_envelopes(draw: st.DrawFn) -> bytes:
    envelope: dict[str, Any] = {
        "code": draw(st.one_of(ginee_codes, ginee_codes, ginee_odd_codes)),
        "message": draw(st.sampled_from(["OK", f"Pembeli {NAME} {PHONE}", "signature invalid", ""])),
        "data": draw(ginee_data),
    }
    if draw(st.booleans()):
        envelope["transactionId"] = draw(st.sampled_from(["tx-1", "9f1c2e", 12345]))
    return encode(envelope)


GINEE_CALLS: dict[str, tuple[Callable[[GineeClient], object], type | None]] = {
    "list_shops": (lambda c: c.list_shops(), Shop),
    "search_warehouses": (lambda c: c.search_warehouses(), Warehouse),
    "get_master_product": (lambda c: c.get_master_product(QUERY_MARK), MasterProduct),
    "get_inbound": (lambda c: c.get_inbound(QUERY_MARK), InboundOrder),
    "list_order_page": (lambda c: c.list_order_page({"createSince": "2026-03-01T00:00:00Z"}), OrderPage),
}


GINEE_GOOD = Answer(body=encode({"code": "SUCCESS", "data": {"content": [{"shopId": "SH1", "id": "WW1"}], "total": 1}}))


@FUZZ
@given(
    script=st.lists(answers(ginee_envelopes()), min_size=1, max_size=4),
    good_at=good_positions,
    operation=st.sampled_from(sorted(GINEE_CALLS)),
    budget=budgets,
)
def test_ginee_client_answers_typed_within_the_deadline_and_quotes_nothing(
    server: ScriptedServer, script: list[Answer], good_at: int | None, operation: str, budget: Budget
) -> None:
    server.play(played(server, with_good(script, good_at, GINEE_GOOD)))
    time = FakeTime()
    session, abroad = guarded_session()
    # Two retries reach every path the default five do, in less time.
    client = GineeClient(server.base_url, "access", "secret", session=session, sleep=time.sleep, max_retries=2)
    call, kind = GINEE_CALLS[operation]
    result, _ = run_checked(lambda: call(client), budget, time)
    assert abroad.sent == []
    if result is not None and kind is not None:
        assert all(isinstance(row, kind) for row in result) if isinstance(result, list) else isinstance(result, kind)


# --- Accurate --------------------------------------------------------------------------------------------------------------

RATE_TEXT = "Jumlah request API melebihi toleransi 8 proses paralel per Token dan 8 request/detik"
accurate_texts = st.sampled_from(
    [
        RATE_TEXT,
        "Data Session Key tidak tepat",
        "invalid_token",
        'Sudah ada data lain dengan No Faktur "SI-1"',
        'Barang "SKU-A" tidak ditemukan atau sudah dihapus',
        "Faktur Penjualan tidak tepat",
        f'Nama Pelanggan "{NAME}" dengan telepon {PHONE} tidak valid',
        f"Telepon {PHONE} tidak valid",
        f'Kuantitas Barang "{NAME}" di Gudang "{PHONE}" tidak mencukupi',
        f"Tanggal transaksi tidak dapat lebih kecil atau sama dengan tanggal kunci periode {PHONE}",
        "",
    ]
)
accurate_records = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"id": st.one_of(st.integers(1, 10**6), st.just("12"), st.just(PHONE), st.none(), st.just(True))},
        optional={
            "number": st.just("SI-1"),
            "availableStock": st.one_of(st.integers(0, 99), st.just("NaN"), st.just(PHONE)),
            "balance": st.one_of(st.integers(-99, 99), st.just("1e3"), st.just(PHONE), st.just("Infinity")),
            "host": st.sampled_from([SELF, "http://evil.example", "https://zeus.accurate.id"]),
            "database": st.fixed_dictionaries({"host": st.sampled_from([SELF, "http://evil.example", 42])}),
        },
    ),
)


@st.composite
def accurate_envelopes(draw: st.DrawFn) -> bytes:
    shape = draw(st.sampled_from([0, 1, 2, 3, 4, 4, 4, 4]))
    if shape == 0:  # OAuth-style error object
        return encode({"error": draw(accurate_texts), "error_description": f"for {NAME} {PHONE}"})
    if shape == 1:  # the token endpoint's answer
        return encode(
            {
                "access_token": draw(st.sampled_from(["a", "", None, 5])),
                "refresh_token": draw(st.sampled_from(["r", None])),
                "expires_in": draw(st.sampled_from([1296000, "soon", None, "1e309", PHONE])),
            }
        )
    body: dict[str, Any] = {"s": draw(st.sampled_from([True, True, True, False, None, "true"]))}
    if shape == 2:
        body["d"] = draw(st.lists(accurate_texts, max_size=2))
    elif shape == 3:
        body["d"] = draw(
            st.lists(
                st.fixed_dictionaries(
                    {"s": st.booleans(), "d": st.lists(accurate_texts, max_size=1)}, optional={"r": accurate_records}
                ),
                max_size=3,
            )
        )
    else:
        body["d"] = draw(accurate_records)
        body["r"] = draw(accurate_records)
        body["sp"] = draw(
            st.one_of(json_values, st.fixed_dictionaries({"pageCount": st.sampled_from([1, 2, 10**9, "x", PHONE])}))
        )
        body["session"], body["host"] = draw(
            st.sampled_from([("s-1", SELF), (None, None), ("s-1", "http://evil.example")])
        )
    return encode(body)


def invoice(number: str) -> SalesInvoice:
    return SalesInvoice(
        customer_no="C-SHOPEE",
        trans_date=datetime(2026, 3, 1, tzinfo=UTC).date(),
        number=number,
        branch_name="Kantor Pusat",
        detail_item=[SalesInvoiceItem(item_no="SKU-A", unit_price=Decimal(50000), quantity=Decimal(1))],
    )


ACCURATE_CALLS: dict[str, tuple[Callable[[AccurateClient], object], type | None]] = {
    "save": (lambda c: c.save(invoice("SI-1")), SavedRecord),
    "bulk_save": (lambda c: c.bulk_save([invoice("SI-1"), invoice("SI-2")]), BulkRowResult),
    "detail": (lambda c: c.detail(SalesInvoice, number="SI-1"), dict),
    "list": (lambda c: list(c.list(SalesInvoice, {"customerNo": QUERY_MARK})), dict),
    "get_balance": (lambda c: c.get_balance(QUERY_MARK), Decimal),
    "get_stock": (lambda c: c.get_stock(QUERY_MARK), Decimal),
    "list_databases": (lambda c: c.list_databases(), Database),
    "delete": (lambda c: c.delete(SalesInvoice, number="SI-1"), type(None)),
}


def token_info() -> Answer:
    return Answer(200, (("Content-Type", "application/json"),), encode({"s": True, "d": {"database": {"host": SELF}}}))


ACCURATE_GOOD = Answer(
    body=encode(
        {
            "s": True,
            "d": {"id": 7, "number": "SI-1", "availableStock": 3, "balance": 5},
            "r": {"id": 7, "number": "SI-1"},
        }
    )
)


@FUZZ
@given(
    script=st.lists(answers(accurate_envelopes()), min_size=1, max_size=4),
    knows_host=st.sampled_from([True, True, True, False]),
    good_at=good_positions,
    operation=st.sampled_from(sorted(ACCURATE_CALLS)),
    budget=budgets,
)
def test_accurate_client_answers_typed_within_the_deadline_and_sends_nothing_abroad(
    server: ScriptedServer, script: list[Answer], knows_host: bool, good_at: int | None, operation: str, budget: Budget
) -> None:
    script = with_good(script, good_at, ACCURATE_GOOD)
    server.play(played(server, [token_info(), *script] if knows_host else script))
    time = FakeTime()
    session, abroad = guarded_session()
    client = AccurateClient(
        ApiTokenAuth(API_TOKEN, SIGNATURE_SECRET),
        account_url=server.base_url,
        governor=Governor(MemorySlots(), clock=time.clock, sleep=time.sleep),
        http=session,
        sleep=time.sleep,
        rate_limit_retries=3,  # reaches every path the default eight do, in less time
    )
    call, kind = ACCURATE_CALLS[operation]
    result, _ = run_checked(lambda: call(client), budget, time)
    assert abroad.sent == [], abroad.sent  # neither the bearer token nor the signature went abroad
    if result is not None and kind is not None:
        assert all(isinstance(row, kind) for row in result) if isinstance(result, list) else isinstance(result, kind)


@FUZZ
@given(script=st.lists(answers(accurate_envelopes()), min_size=1, max_size=2))
def test_the_token_endpoint_answers_a_pair_or_a_typed_error(server: ScriptedServer, script: list[Answer]) -> None:
    server.play(played(server, script))
    session, abroad = guarded_session()
    result, _ = run_checked(
        lambda: exchange_code("code", "http://127.0.0.1:1/cb", "client", "client-secret", server.base_url, session),
        Budget(None),
        FakeTime(),
    )
    assert result is None or isinstance(result, OAuthTokens)
    assert abroad.sent == []


# --- Accurate redirects --------------------------------------------------------------------------------------------------

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "127.0.0.2")
FOREIGN_HOSTS = ("evil.example", "zeus.accurate.id", "accurate.id.evil.example", "evilaccurate.id", "192.0.2.1")
PORT = "{port}"  # replaced by the server's own port


@st.composite
def redirects(draw: st.DrawFn) -> tuple[str, bool]:
    """A Location, and whether a client whose account host is http://127.0.0.1 may follow it."""
    scheme = draw(st.sampled_from(["http", "https"]))
    userinfo = draw(st.sampled_from(["", "", "", "user:pw@"]))
    host = draw(st.sampled_from(LOOPBACK_HOSTS + FOREIGN_HOSTS))
    port = draw(st.sampled_from([":" + PORT, ":9", ":443", ""]))
    path = draw(st.sampled_from(["/accurate/api/sales-invoice/detail.do", "/", "/x?token=1"]))
    allowed = scheme == "http" and host in LOOPBACK_HOSTS and not userinfo
    return f"{scheme}://{userinfo}{host}{port}{path}", allowed


@FUZZ
@given(hop=redirects(), status=st.sampled_from([307, 308]), tail=st.lists(answers(accurate_envelopes()), max_size=2))
def test_accurate_follows_a_redirect_only_inside_the_account_hosts_family(
    server: ScriptedServer, hop: tuple[str, bool], status: int, tail: list[Answer]
) -> None:
    location, allowed = hop
    location = location.replace(PORT, server.base_url.rsplit(":", 1)[1])
    server.play(played(server, [token_info(), Answer(status, (("Location", location),), b""), *tail]))
    session, abroad = guarded_session()
    time = FakeTime()
    client = AccurateClient(
        ApiTokenAuth(API_TOKEN, SIGNATURE_SECRET),
        account_url=server.base_url,
        governor=Governor(MemorySlots(), clock=time.clock, sleep=time.sleep),
        http=session,
        sleep=time.sleep,
        rate_limit_retries=3,
    )
    _, error = run_checked(lambda: client.detail(SalesInvoice, number="SI-1"), Budget(30), time)
    assert abroad.sent == []
    assert isinstance(error, ForeignHost) == (not allowed), (location, error)
