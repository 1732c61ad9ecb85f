"""The receiver fuzzed over real HTTP: whatever arrives, a documented answer, and the queues stay clean.

One local stack (API front on loopback, moto, no SQS pollers) serves every example. An example is a
few requests; afterwards it drains the five work queues and compares what they held with what the
answers said was enqueued, so a request that enqueued what it should not fails its example, and
Hypothesis shrinks the example to that one request. Examples run derandomized with no database, so CI
sends the same requests every run: `test_any_request` 70 examples of 6 to 9 requests, `test_replays`
45 of 4 to 8: at least 600 requests (fewer than before, to keep `make test` within its budget).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omsync.queues import WorkMessage
from omsync_workshop.stack import LocalStack, RegisteredConnection

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "template.yaml"
WORK_QUEUES = ("OrdersQueue", "CancellationsQueue", "SettlementsQueue", "ProductsQueue", "PurchasesQueue")
MAX_BODY_BYTES = 256 * 1024
# The receiver's documented answers (README "Webhook URLs"; omsync.receive.Outcome).
DOCUMENTED = {
    "accepted": 200,
    "unrouted": 200,
    "unauthorized": 401,
    "unknown_connection": 404,
    "malformed": 400,
    "too_large": 413,
}
ENQUEUING = {"accepted"}
# SQS accepts only #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF in a message body.
REFUSED_BY_SQS = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


@dataclass(frozen=True)
class Tenants:
    """The stack, its two connections, and one SQS client for reading the work queues back."""

    stack: LocalStack
    a: RegisteredConnection
    b: RegisteredConnection
    sqs: Any
    queue_urls: dict[str, str]

    def drain(self) -> list[tuple[str, str]]:
        """Every message on the work queues as (queue, body), removed from them."""
        bodies: list[tuple[str, str]] = []
        for queue, url in self.queue_urls.items():
            while received := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                bodies += [(queue, m["Body"]) for m in received]
                entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)]
                self.sqs.delete_message_batch(QueueUrl=url, Entries=entries)
        return bodies

    @contextmanager
    def example(self) -> Iterator[None]:
        """One example's requests: when it fails before draining, drain anyway, so the next starts clean."""
        try:
            yield
        except BaseException:
            self.drain()
            raise


@pytest.fixture(scope="module")
def tenants(moto_endpoint: str) -> Iterator[Tenants]:
    """One stack for every example (starting one costs about a second); two connections, A and B."""
    with LocalStack(TEMPLATE, endpoint=moto_endpoint, run_event_sources=False) as stack:
        urls = {queue: stack.resources.queue_url(queue) for queue in WORK_QUEUES}
        a, b = stack.register_connection("Toko A"), stack.register_connection("Toko B")
        yield Tenants(stack, a, b, stack.target.client("sqs"), urls)


def assert_kept(text: str | None) -> None:
    """A string the receiver kept: at most 128 characters, none of them a control character or refused by SQS."""
    if text is not None:
        assert 1 <= len(text) <= 128, len(text)
        assert not REFUSED_BY_SQS.search(text) and not CONTROL.search(text), ascii(text)


def assert_workable(body: str, connection_id: str | None) -> WorkMessage:
    """A message the workers can read (as `omsync.sync.batch` does) that SQS would accept (for
    `connection_id`, when given)."""
    assert not REFUSED_BY_SQS.search(body), ascii(body)
    message = WorkMessage.model_validate(json.loads(body))
    assert connection_id in (None, message.connection_id)
    for text in (message.entity, message.action, message.entity_id, message.envelope_id, message.status_hint):
        assert_kept(text)
    return message


def post(url: str, body: bytes) -> tuple[int, str | None]:
    response = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code < 500, response.text
    return response.status_code, response.headers.get("X-Omsync-Outcome")


# --- what arrives ----------------------------------------------------------------------------------

ODD_CHARACTERS = st.sampled_from(
    ["\ud800", "\udfff", "\ufffe", "\uffff", "\x00", "\x08", "\x1b", "\x7f", "\x85", "\u2028", "\u200b", "\ufeff"]
    + ["\U0010ffff", "\U0001f600", "ß", "ǰ", "İ", " ", "\t", "\n", '"', "\\", "#", "/"]
)
odd_text = st.text(alphabet=st.one_of(ODD_CHARACTERS, st.characters()), max_size=16)
plain_ids = st.text(alphabet="ABCDEFGHKLMNPQRSTVWXYZ0123456789-", min_size=1, max_size=24)
long_text = st.integers(min_value=120, max_value=6000).map(lambda n: "G" * n)
any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=6,
)
ids = st.one_of(
    plain_ids,
    plain_ids,
    odd_text,
    long_text,
    st.integers(),
    st.integers(min_value=100, max_value=4200).map(lambda n: int("9" * n)),
    any_json,
)
statuses = st.one_of(
    st.none(), st.sampled_from(["PAID", "paid", "CANCELLED", "RETURNED", "COMPLETE", "", "  ", "straße"]), odd_text
)
entities = st.one_of(
    st.sampled_from(["order", "ORDER", "master_product", "master-product-update", "inbound_order", "outbound"]),
    st.sampled_from(["inbound", "shop", "fulfillment_order"]),
    odd_text,
)
actions = st.one_of(st.sampled_from(["CREATE", "UPDATE", "DELETE", "ARCHIVE"]), odd_text)
create_ats = st.one_of(st.none(), st.sampled_from(["2026-11-02T03:04:36Z", "2026-11-02T03:04:36", "yesterday"]))
DEEP = "@@deep@@"  # replaced by nested arrays once the envelope is JSON
ID_FIELDS = ("orderId", "masterProductId", "inboundOrderId", "inboundId", "outboundOrderId", "outboundId", "id")


@st.composite
def envelopes(draw: st.DrawFn) -> dict[str, Any]:
    """Ginee-shaped envelopes: valid ones, and ones with odd text, wrong types, long ids or missing fields."""
    payload: dict[str, Any] = {field: draw(ids) for field in draw(st.sets(st.sampled_from(ID_FIELDS), max_size=3))}
    for field in draw(st.sets(st.sampled_from(["orderStatus", "status"]), max_size=2)):
        payload[field] = draw(statuses)
    envelope: dict[str, Any] = {
        "id": draw(ids),
        "entity": draw(entities),
        "action": draw(actions),
        "createAt": draw(create_ats),
        "payload": payload,
    }
    for field in draw(st.sets(st.sampled_from(sorted(envelope)), max_size=2)):
        if draw(st.booleans()):
            del envelope[field]
        else:
            envelope[field] = draw(any_json)
    return envelope


def encoded(envelope: dict[str, Any], ascii_only: bool) -> bytes:
    # Without ASCII escapes a lone surrogate becomes bytes that are not UTF-8 ("surrogatepass").
    return json.dumps(envelope, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """Any body: an envelope (as JSON, cut short, padded past 256 KB, or nested deep), JSON of another
    shape, text or bytes."""
    kind = draw(st.sampled_from(["envelope"] * 6 + ["cut", "huge", "deep", "json", "text", "bytes"]))
    if kind == "json":
        return json.dumps(draw(any_json)).encode()
    if kind == "text":
        return draw(st.text(max_size=64)).encode("utf-8", "surrogatepass")
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    envelope = draw(envelopes())
    if kind == "huge":
        envelope["payload"] = {"orderId": "SO1", "padding": "x" * draw(st.integers(250_000, 270_000))}
    if kind == "deep":
        payload = envelope.get("payload")
        envelope["payload"] = {**(payload if isinstance(payload, dict) else {}), "deep": DEEP}
    raw = encoded(envelope, draw(st.booleans()))
    if kind == "cut":
        return raw[: draw(st.integers(0, max(len(raw) - 1, 0)))]
    if kind == "deep":
        depth = draw(st.integers(1, 20_000))
        return raw.replace(json.dumps(DEEP).encode(), b"[" * depth + b"]" * depth, 1)
    return raw


@dataclass(frozen=True)
class Target:
    """Where a request goes and what the URL alone decides (None: the body decides)."""

    url: str
    connection_id: str
    expected_status: int | None


@st.composite
def targets(draw: st.DrawFn, tenants: Tenants) -> Target:
    """Each tenant's own URL, a wrong token, the other tenant's token, or an unknown connection."""
    own = draw(st.sampled_from([tenants.a, tenants.b]))
    other = tenants.b if own is tenants.a else tenants.a
    base = tenants.stack.webhook_base_url
    kind = draw(st.sampled_from(["own"] * 6 + ["wrong_token", "other_tenants_token", "unknown_connection"]))
    if kind == "wrong_token":
        token = quote(draw(st.one_of(odd_text, long_text).filter(lambda t: t != own.token)) or "x", safe="")
        return Target(f"{base}/{own.connection_id}/{token}", own.connection_id, 401)
    if kind == "other_tenants_token":
        return Target(f"{base}/{own.connection_id}/{other.token}", own.connection_id, 401)
    if kind == "unknown_connection":
        nobody = quote(draw(st.one_of(plain_ids, odd_text)) or "x", safe="")
        return Target(f"{base}/conn-nobody-{nobody}/{own.token}", "", 404)
    return Target(own.webhook_url, own.connection_id, None)


@settings(FUZZ, max_examples=70)
@given(data=st.data())
def test_any_request(tenants: Tenants, data: st.DataObject) -> None:
    """Never a 5xx; a documented status and outcome; another tenant's token is refused; nothing enqueued
    unless accepted, then one message the workers can read and SQS accepts, for the URL's connection."""
    requests_ = data.draw(st.lists(st.tuples(targets(tenants), bodies()), min_size=6, max_size=9), label="requests")
    expected: list[str] = []

    with tenants.example():
        for target, body in requests_:
            status, outcome = post(target.url, body)

            assert outcome in DOCUMENTED, (status, outcome)
            assert DOCUMENTED[outcome] == status
            if len(body) > MAX_BODY_BYTES:
                assert outcome == "too_large"
            elif target.expected_status is not None:
                assert status == target.expected_status
            if outcome in ENQUEUING:
                expected.append(target.connection_id)

    enqueued = tenants.drain()
    assert sorted(assert_workable(body, connection_id=None).connection_id for _, body in enqueued) == sorted(expected)


# --- replays -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    """One notification's routed content and where the receiver must send it."""

    entity: str
    action: str
    payload: dict[str, Any]
    queue: str
    entity_id: str
    status_hint: str | None


@st.composite
def contents(draw: st.DrawFn) -> Content:
    """Valid notifications of each routed entity (the id as text or as an integer)."""
    action = draw(st.sampled_from(["CREATE", "UPDATE", "ARCHIVE"]))
    raw_id: str | int = draw(st.one_of(plain_ids, st.integers(min_value=0, max_value=10**30)))
    entity_id = str(raw_id)
    kind = draw(st.sampled_from(["order", "master_product", "inbound_order"]))
    if kind == "order":
        status = draw(st.sampled_from([None, "PAID", "paid", "CANCELLED", "RETURNED", "READY_TO_SHIP"]))
        hint = status.upper() if status else None
        queue = "CancellationsQueue" if hint in ("CANCELLED", "RETURNED") else "OrdersQueue"
        return Content(kind, action, {"orderId": raw_id, "orderStatus": status}, queue, entity_id, hint)
    if kind == "master_product":
        return Content(kind, action, {"masterProductId": raw_id}, "ProductsQueue", entity_id, None)
    status = draw(st.sampled_from([None, "COMPLETE", "DRAFT"]))
    return Content(kind, action, {"inboundOrderId": raw_id, "status": status}, "PurchasesQueue", entity_id, status)


@dataclass(frozen=True)
class Send:
    """Send `content` (or the content of an earlier step, `repeat` steps back) to one tenant, with the
    volatile fields (createAt, an unrouted payload field) changed or not."""

    tenant: str
    content: Content | None
    repeat: int
    volatile: str


steps = st.builds(
    Send,
    tenant=st.sampled_from(["a", "a", "a", "b"]),
    content=st.one_of(st.none(), contents()),
    repeat=st.integers(1, 4),
    volatile=st.sampled_from(["2026-11-02T03:04:36Z", "2026-11-02T04:00:00+07:00"]),
)


@settings(FUZZ, max_examples=45)
@given(first=contents(), sequence=st.lists(steps, min_size=3, max_size=7))
def test_replays(tenants: Tenants, first: Content, sequence: list[Send]) -> None:
    """One envelope id sent again and again, per tenant: every delivery is accepted and enqueued where its own
    content routes it, for its own tenant (the receiver keeps no record of what it has seen: a re-delivery is
    the workers' to find already done)."""
    envelope_id = "GENIE-" + uuid.uuid4().hex  # a fresh id: each example starts with nothing remembered
    expected: list[tuple[str, str, str, str | None]] = []
    sent: list[Content] = []
    with tenants.example():
        for step in [Send("a", first, 1, "2026-11-02T03:04:36Z"), *sequence]:
            content = step.content or sent[-min(step.repeat, len(sent))]
            sent.append(content)
            store = tenants.a if step.tenant == "a" else tenants.b
            envelope = {
                "id": envelope_id,
                "entity": content.entity,
                "action": content.action,
                "createAt": step.volatile,
                "payload": {**content.payload, "updateTime": step.volatile},
            }

            status, outcome = post(store.webhook_url, json.dumps(envelope).encode())

            assert (status, outcome) == (200, "accepted")
            expected.append((content.queue, store.connection_id, content.entity_id, content.status_hint))

    enqueued = []
    for queue, body in tenants.drain():
        message = assert_workable(body, connection_id=None)
        assert message.envelope_id == envelope_id
        enqueued.append((queue, message.connection_id, message.entity_id, message.status_hint))
    assert sorted(enqueued, key=repr) == sorted(expected, key=repr)
