"""The cost model of `make bench`'s row e: known usage priced by known prices, DynamoDB's request units by its
billing rules, and the naive design built from the same measurements. Pure: no AWS, no world."""

from __future__ import annotations

from decimal import Decimal

from omsync_workshop.bench_cost import (
    AWS_REQUEST_SECONDS,
    ORDERS,
    PRICES,
    WEBHOOKS_PER_ORDER,
    MeasuredWebhook,
    Price,
    Usage,
    dynamodb_units,
    naive_usage_per_million,
    on_lambda,
    price,
    usage_per_million,
)

ROUND = {key: Price(Decimal(1) / Decimal(10**6), p.unit, "test") for key, p in PRICES.items()}
"""Every meter at $1 per million units, so the dollars read as millions of units."""


def test_each_meter_is_priced_by_its_own_price_and_the_total_is_their_sum() -> None:
    usage = Usage(
        api_requests=Decimal(6_000_000),
        rest_api=False,
        lambda_requests=Decimal(6_060_000),
        lambda_gb_seconds=Decimal(30_000),
        sqs_requests=Decimal(7_200_000),
        dynamodb_wru=Decimal(12_000_000),
        dynamodb_rru=Decimal(3_000_000),
        secret_reads=Decimal(60_000),
        log_gb=Decimal(5),
    )

    usd = price(usage)

    assert usd["api_gateway"] == Decimal("6.00")  # 6M × $1.00 per million (HTTP API)
    assert usd["lambda_requests"] == Decimal("1.21")  # 6.06M × $0.20 per million
    assert usd["lambda_duration"] == Decimal("0.40")  # 30,000 GB-s × $0.0000133334
    assert usd["sqs"] == Decimal("2.88")  # 7.2M × $0.40 per million
    assert usd["dynamodb"] == Decimal("7.88")  # 12M × $0.625 + 3M × $0.125 per million
    assert usd["secrets_manager"] == Decimal("0.30")  # 60,000 × $0.05 per 10,000
    assert usd["cloudwatch_logs"] == Decimal("3.50")  # 5 GB × $0.70
    assert usd["total"] == Decimal("22.17")
    rest = price(Usage(**{**usage.__dict__, "rest_api": True}))
    assert rest["api_gateway"] == Decimal("21.00")  # 6M × $3.50 per million (REST API)


def test_dynamodb_request_units_follow_the_on_demand_rules() -> None:
    small = {"pk": {"S": "a"}, "sk": {"S": "b"}}
    big = {"pk": {"S": "a"}, "blob": {"S": "x" * 3000}}  # about 3 KB: three write units, one read unit

    assert dynamodb_units("PutItem", {"Item": small}, {}) == (1.0, 0.0)
    assert dynamodb_units("PutItem", {"Item": big}, {}) == (3.0, 0.0)
    assert dynamodb_units("TransactWriteItems", {"TransactItems": [{"Put": {"Item": small}}] * 2}, {}) == (4.0, 0.0)
    assert dynamodb_units("GetItem", {"ConsistentRead": True}, {"Item": big}) == (0.0, 1.0)
    assert dynamodb_units("GetItem", {}, {"Item": small}) == (0.0, 0.5)  # eventually consistent: half
    assert dynamodb_units("Query", {}, {"Items": [big, big]}) == (0.0, 1.0)  # 6 KB read: 2 units, halved
    assert dynamodb_units("DescribeTable", {}, {}) == (0.0, 0.0)
    # A batch of statements: each write billed as its statement's size (about 2 KB: 3 units), a failed one too; a read
    # as what it found
    statements = [
        {"Statement": 'UPDATE "t" SET "a" = ? WHERE "pk" = ?', "Parameters": [{"S": "x"}, {"S": "a"}]},
        {"Statement": "INSERT INTO \"t\" VALUE {'pk': ?, 'blob': ?}", "Parameters": [{"S": "b"}, {"S": "x" * 2000}]},
    ]
    answers = [{}, {"Error": {"Code": "ConditionalCheckFailed"}}]
    assert dynamodb_units("BatchExecuteStatement", {"Statements": statements}, {"Responses": answers}) == (4.0, 0.0)
    select = [{"Statement": 'SELECT * FROM "t" WHERE "pk" = ?', "ConsistentRead": True}]
    assert dynamodb_units("BatchExecuteStatement", {"Statements": select}, {"Responses": [{"Item": big}]}) == (0.0, 1.0)


MEASURED = MeasuredWebhook(
    receiver_cpu_seconds=0.008,
    receiver_aws_requests=0.2,
    receiver_memory_mb=256,
    receiver_sqs=1.0,
    receiver_wru=0.0,
    receiver_rru=0.5,
    receiver_secret_reads=0.0,
    worker_invocations=0.01,
    worker_cpu_seconds=0.002,
    worker_aws_requests=0.2,
    upstream_requests=0.01,
    worker_memory_mb=256,
    message_sqs=0.2,
    message_rru=0.5,
    message_secret_reads=0.001,
    document_wru=2.0,
    receiver_log_bytes=700.0,
    worker_log_bytes=1000.0,
    single_order_cpu_seconds=0.2,
    upstream_latency_seconds=0.1,
)


def test_a_duration_is_cpu_time_at_the_functions_share_of_a_core_plus_the_waits_of_its_requests() -> None:
    # 256 MB buy 256/1769 of a vCPU: a CPU second takes 6.9 s; from 1,769 MB up, one second
    assert on_lambda(1.0, 256) == 1769 / 256
    assert on_lambda(1.0, 1769) == on_lambda(1.0, 3008) == 1.0
    # 8 ms of CPU at 256 MB and 0.2 AWS requests at AWS_REQUEST_SECONDS (10 ms) each
    assert MEASURED.receiver_seconds == 0.008 * 1769 / 256 + 0.2 * AWS_REQUEST_SECONDS
    # 2 ms of CPU at 256 MB, 0.2 AWS requests at 10 ms, 0.01 Accurate or Ginee requests at 100 ms
    assert MEASURED.worker_seconds == 0.002 * 1769 / 256 + 0.2 * AWS_REQUEST_SECONDS + 0.01 * 0.1


def test_ours_prices_six_webhooks_and_two_documents_an_order() -> None:
    usage = usage_per_million(MEASURED)

    webhooks = Decimal(WEBHOOKS_PER_ORDER * ORDERS)
    assert usage.api_requests == webhooks and not usage.rest_api
    assert usage.lambda_requests == Decimal(6_060_000)  # a receiver invocation per webhook, a worker per 100
    # 6M × (0.0573 + 0.0168) s × 0.25 GB
    assert usage.lambda_gb_seconds.quantize(Decimal(1)) == Decimal(111_152)
    assert usage.sqs_requests == Decimal("7200000.0")  # 6M × (1 send + 0.2 of the event source's and workers')
    assert usage.dynamodb_wru == Decimal("4000000.0")  # nothing per webhook; 2M documents × 2
    assert usage.dynamodb_rru == Decimal("6000000.0")  # 6M × (0.5 the receiver's + 0.5 the worker's)
    assert usage.secret_reads == Decimal("6000.000")
    # each webhook's receiver 700 handler + 300 platform bytes; a worker invocation per 100 its 1,000 + 300
    assert usage.log_gb == (Decimal(6_000_000) * 1000 + Decimal(60_000) * 1300) / Decimal(1024**3)


def test_the_naive_design_invokes_once_per_webhook_on_a_rest_api_without_a_queue() -> None:
    naive = naive_usage_per_million(MEASURED)

    assert naive.rest_api and naive.sqs_requests == 0
    assert naive.lambda_requests == Decimal(6_000_000)
    # receiver 0.0573 + one order's CPU 0.2 at 256 MB 1.3820 + Ginee's 0.1 + Accurate's 0.1 for each of 2
    # documents spread over 6 webhooks + (3 idempotency requests + 4 per document over 6 webhooks) × 10 ms
    seconds = MEASURED.receiver_seconds + 0.2 * 1769 / 256 + 0.1 * (1 + 2 / 6) + (3 + 8 / 6) * 0.010
    assert naive.lambda_gb_seconds.quantize(Decimal(1)) == Decimal(round(6_000_000 * seconds / 4))
    # idempotency's write per webhook; per document ours 2 and the governor's 2 for its own Accurate call
    assert naive.dynamodb_wru == Decimal(6_000_000 + 2_000_000 * 4)
    assert naive.dynamodb_rru == Decimal(6_000_000) * Decimal("1.5")
    # each invocation writes the receiver's 700 bytes, a worker's 1,000 and Lambda's 300
    assert naive.log_gb == Decimal(6_000_000) * 2000 / Decimal(1024**3)
    assert price(naive)["api_gateway"] == Decimal("21.00")


def test_the_unit_prices_are_dollars_per_unit_and_name_their_source() -> None:
    million = Decimal(10**6)
    every_meter_a_million = Usage(million, False, million, million, million, million, million, million, million)
    assert price(every_meter_a_million, ROUND)["total"] == Decimal("8.00")  # eight meters at $1 each
    for key, each in PRICES.items():
        assert each.usd > 0 and each.source, key
