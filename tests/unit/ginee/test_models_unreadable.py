"""Specification: Ginee's order records are read leniently where Ginee plausibly varies (id-like text sent as
a number), and what still does not validate is described by field path and error type, never by value."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from omsync.ginee.models import Order, OrderBatch, UnreadableRecord, invalid_fields

PHONE = 6281298765432


def test_a_phone_number_postal_code_and_ids_sent_as_json_numbers_are_read_as_text() -> None:
    # Given an order whose buyer's phone, the order's numbers and a line's item id came as JSON numbers
    order = Order.model_validate(
        {
            "orderId": "SO1",
            "externalOrderSn": 250901123456789,
            "externalOrderId": Decimal("250901123456789"),
            "customerInfo": {"customerId": 778899, "mobile": PHONE, "name": "Sekar"},
            "shippingAddressInfo": {"postalCode": 40287},
            "items": [{"itemId": 12, "masterSku": "KAOS", "quantity": 1}],
        }
    )

    # Then they read as the text Ginee meant
    assert order.customer_info is not None
    assert order.customer_info.mobile == str(PHONE)
    assert order.customer_info.customer_id == "778899"
    assert order.external_order_sn == "250901123456789"
    assert order.external_order_id == "250901123456789"
    assert order.items[0].item_id == "12"
    # And a block omsync does not model is kept as Ginee sent it
    assert order.model_extra == {"shippingAddressInfo": {"postalCode": 40287}}


def test_what_does_not_validate_is_named_by_path_and_type_never_by_value() -> None:
    # Given an order record whose line quantity is an object and whose buyer block is a list
    with pytest.raises(ValidationError) as caught:
        Order.model_validate(
            {
                "orderId": "SO1",
                "customerInfo": [{"mobile": str(PHONE)}],
                "items": [{"quantity": 1}, {"quantity": {"value": 2, "unit": "pcs"}}],
            }
        )

    # When it is described
    fields = invalid_fields(caught.value)

    # Then each failing field is named once in Ginee's spelling with pydantic's error type, and no value is
    assert fields == ("customerInfo (model_type)", "items.1.quantity (int_type)")
    assert not any(str(PHONE) in field or "pcs" in field for field in fields)


def test_an_order_batch_is_the_list_of_orders_read_with_the_unreadable_ones_beside_it() -> None:
    read = Order.model_validate({"orderId": "SO1"})
    batch = OrderBatch([read], [UnreadableRecord("SO2", ("items.0.quantity (int_type)",))])

    assert list(batch) == [read]
    assert batch[0] is read
    assert batch.unreadable == {"SO2": UnreadableRecord("SO2", ("items.0.quantity (int_type)",))}
    assert OrderBatch().unreadable == {}
