"""The client heals sessions, tokens and host moves, survives ambiguous failures, batches and keeps the rate limit."""

from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from conftest import API_TOKEN, CLIENT_ID, CLIENT_SECRET, SIGNATURE_SECRET

from omsync.accurate.auth import ApiTokenAuth, CallbackKeeper, OAuthAuth, OAuthTokens, authorize_url, exchange_code
from omsync.accurate.client import AccurateClient
from omsync.accurate.documents import SalesInvoice, SalesInvoiceItem
from omsync.accurate.errors import MasterNotFound, Transient
from omsync.accurate.governor import dynamodb_governor
from omsync_workshop.accurate.server import AccurateSandbox

REDIRECT = "http://127.0.0.1:1/callback"


def invoice(number: str, customer: str = "C-SHOPEE", item: str = "SKU-A") -> SalesInvoice:
    return SalesInvoice(
        customer_no=customer,
        trans_date=date(2026, 3, 1),
        number=number,
        branch_name="Kantor Pusat",
        detail_item=[SalesInvoiceItem(item_no=item, unit_price=Decimal(50000), quantity=Decimal(1))],
    )


def oauth_client(sandbox: AccurateSandbox, rotated: list[OAuthTokens]) -> AccurateClient:
    """Walk the authorization-code flow against the sandbox and build a client on the tokens."""
    approve = requests.get(
        authorize_url(CLIENT_ID, REDIRECT, "sales_invoice_save", "csrf-1", sandbox.base_url), allow_redirects=False
    )
    callback = parse_qs(urlsplit(approve.headers["Location"]).query)
    assert callback["state"] == ["csrf-1"]
    tokens = exchange_code(callback["code"][0], REDIRECT, CLIENT_ID, CLIENT_SECRET, sandbox.base_url)
    auth = OAuthAuth(tokens, CLIENT_ID, CLIENT_SECRET, CallbackKeeper(rotated.append), sandbox.base_url)
    client = AccurateClient(auth, account_url=sandbox.base_url, database_id=1001)
    assert [db.id for db in client.list_databases()] == [1001]
    return client


def test_oauth_code_flow_then_refresh_rotates_the_refresh_token(sandbox: AccurateSandbox) -> None:
    rotated: list[OAuthTokens] = []
    client = oauth_client(sandbox, rotated)
    client.save(invoice("OA-1"))
    sandbox.expire_access_tokens()
    client.save(invoice("OA-2"))  # invalid_token → refresh → same call again
    assert len(rotated) == 1
    first_refresh = rotated[0].refresh_token
    sandbox.expire_access_tokens()
    client.save(invoice("OA-3"))
    assert len(rotated) == 2 and rotated[1].refresh_token != first_refresh
    # The used refresh token is dead: only the persisted new one works.
    reuse = requests.post(
        f"{sandbox.base_url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first_refresh},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    assert reuse.status_code == 400


def test_an_expired_session_is_healed_without_the_caller_noticing(sandbox: AccurateSandbox) -> None:
    client = oauth_client(sandbox, [])
    client.save(invoice("SES-1"))
    sandbox.expire_sessions()
    client.save(invoice("SES-2"))
    assert client.find_by_number(SalesInvoice, "SES-2") is not None


def test_a_moved_database_is_followed_with_method_and_authorization(
    client: AccurateClient, sandbox: AccurateSandbox
) -> None:
    client.save(invoice("MOVE-1"))
    sandbox.move_database(sandbox.base_url.replace("127.0.0.1", "localhost"))
    client.save(invoice("MOVE-2"))  # POST answered 308, re-sent as POST to the new host
    assert client.find_by_number(SalesInvoice, "MOVE-2") is not None
    assert sandbox.company.find("sales-invoice", key="MOVE-2").record["number"] == "MOVE-2"


def test_after_a_timeout_after_commit_the_lookup_finds_the_document(
    client: AccurateClient, sandbox: AccurateSandbox
) -> None:
    sandbox.faults.timeout_after_commit_rate = 1.0
    with pytest.raises(Transient):
        client.save(invoice("LOST-1"))
    sandbox.faults.timeout_after_commit_rate = 0.0
    found = client.find_by_number(SalesInvoice, "LOST-1")
    assert found is not None and found["number"] == "LOST-1"
    assert len(list(client.list(SalesInvoice, {"number": "LOST-1"}))) == 1


def test_a_bulk_save_of_250_makes_3_calls_and_reports_each_failed_row(
    client: AccurateClient, sandbox: AccurateSandbox
) -> None:
    client.get_stock("SKU-A")  # discover the host first, so only bulk calls are counted below
    documents = [invoice(f"BULK-{i:03d}") for i in range(250)]
    documents[10] = invoice("BULK-010", customer="C-NOPE")
    documents[180] = invoice("BULK-180", item="SKU-NOPE")
    before = sandbox.request_count
    results = client.bulk_save(documents)
    assert sandbox.request_count - before == 3
    assert [r.index for r in results] == list(range(250))
    failed = {
        r.index: (type(r.error).__name__, r.error.key if isinstance(r.error, MasterNotFound) else "")
        for r in results
        if not r.ok
    }
    assert failed == {10: ("MasterNotFound", "C-NOPE"), 180: ("MasterNotFound", "SKU-NOPE")}
    assert results[11].saved is not None and results[11].saved.number == "BULK-011"


@pytest.fixture
def ledger_table(moto_endpoint: str) -> str:
    name = f"Ledger-{time.monotonic_ns()}"
    ddb = boto3.client("dynamodb", endpoint_url=moto_endpoint)
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
    return name


def test_twenty_callers_sharing_a_token_stay_within_the_limit(
    sandbox: AccurateSandbox, ledger_table: str, moto_endpoint: str
) -> None:
    """Given 20 workers (each its own client and governor, as separate Lambdas would be) on one token."""
    sandbox.faults.latency_ms = 150
    auth = ApiTokenAuth(API_TOKEN, SIGNATURE_SECRET)
    calls_each = 3
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        governor = dynamodb_governor(
            ledger_table, auth.token_fingerprint, boto3.client("dynamodb", endpoint_url=moto_endpoint)
        )
        client = AccurateClient(auth, account_url=sandbox.base_url, governor=governor)
        try:
            for i in range(calls_each):
                client.save(invoice(f"W{n:02d}-{i}"))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    requests_made = 20 * (calls_each + 1)  # each worker also discovers the host once
    print(f"\n{requests_made} requests in {elapsed:.1f} s = {requests_made / elapsed:.1f} req/s (limit 8/s)")
    assert errors == []
    assert (sandbox.rate_violations, sandbox.parallel_violations) == (0, 0)
    assert len(sandbox.company.records["sales-invoice"]) == 60
