"""Signing and the models' tolerance: Given what Ginee sends (or forgets), omsync keeps it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from omsync.ginee import signing
from omsync.ginee.client import split_windows
from omsync.ginee.models import Order, OrderStatus


def test_the_signature_covers_method_and_path_but_not_the_query_string() -> None:
    plain = signing.authorization("AK", "secret", "GET", "/openapi/product/master/v1/get")
    with_query = signing.authorization("AK", "secret", "get", "/openapi/product/master/v1/get?productId=MP1")
    assert plain == with_query
    assert plain.startswith("AK:")
    assert signing.string_to_sign("post", "/openapi/order/v1/list?x=1") == "POST$/openapi/order/v1/list$"


def test_a_signature_verifies_only_with_the_right_secret_and_path() -> None:
    keys = {"AK": "secret"}
    header = signing.authorization("AK", "secret", "POST", "/openapi/order/v1/batch-get")
    assert signing.verify(header, keys, "POST", "/openapi/order/v1/batch-get")
    assert not signing.verify(header, keys, "POST", "/openapi/order/v2/list-order")
    assert not signing.verify(signing.authorization("AK", "other", "POST", "/x"), keys, "POST", "/x")
    assert not signing.verify(None, keys, "POST", "/x")
    assert not signing.verify("no-colon", keys, "POST", "/x")


def test_an_order_with_an_unknown_status_and_extra_fields_keeps_them() -> None:
    order = Order.model_validate(
        {
            "orderId": "SO1",
            "orderStatus": "FAIL_DELIVERY",
            "problemOrderTypes": ["STOCKOUT"],
            "paymentInfo": {"commissionFee": 9657, "brandNewFee": 12},
            "items": [{"itemId": "I1", "masterSku": "A", "quantity": 2, "actualPrice": "53650", "flag": True}],
        }
    )
    assert order.order_status == "FAIL_DELIVERY"
    assert order.known_status is None
    assert order.model_extra == {"problemOrderTypes": ["STOCKOUT"]}
    assert order.payment_info.model_extra == {"brandNewFee": 12}
    assert order.items[0].model_extra == {"flag": True}
    assert order.to_ginee()["problemOrderTypes"] == ["STOCKOUT"]


def test_money_is_decimal_and_absent_fees_read_as_zero() -> None:
    order = Order.model_validate({"orderId": "SO1", "totalAmount": 160950.5, "paymentInfo": {"serviceFee": "1000"}})
    assert order.total_amount == Decimal("160950.5")
    assert order.payment_info.service_fee == Decimal(1000)
    assert order.payment_info.commission_fee == Decimal(0)


def test_timestamps_are_aware_utc_even_when_ginee_sends_them_naive_or_offset() -> None:
    order = Order.model_validate(
        {
            "orderId": "SO1",
            "orderStatus": "PAID",
            "createAt": "2025-09-01T03:04:05",
            "payAt": "2025-09-01T10:04:05+07:00",
        }
    )
    assert order.create_at == datetime(2025, 9, 1, 3, 4, 5, tzinfo=UTC)
    assert order.pay_at == order.create_at
    assert order.known_status is OrderStatus.PAID


def test_bundle_components_are_read_from_a_json_string_or_a_list() -> None:
    as_text = Order.model_validate({"orderId": "S", "items": [{"bundleSkus": '[{"masterSku": "K", "quantity": 3}]'}]})
    as_list = Order.model_validate({"orderId": "S", "items": [{"bundleSkus": [{"masterSku": "K", "quantity": 3}]}]})
    assert as_text.items[0].bundle_skus == as_list.items[0].bundle_skus
    assert as_text.items[0].is_bundle


def test_a_long_range_is_cut_into_contiguous_windows_of_at_most_fifteen_days() -> None:
    since = datetime(2025, 7, 1, tzinfo=UTC)
    windows = split_windows(since, since + timedelta(days=40))
    assert [(end - start).days for start, end in windows] == [15, 15, 10]
    assert windows[0][0] == since
    assert all(a[1] == b[0] for a, b in zip(windows, windows[1:], strict=False))
    assert split_windows(since, since) == []
