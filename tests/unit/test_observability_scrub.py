"""Specification: the log scrub erases buyer data and secrets at the boundary, and keeps what a person needs
to follow an order (ids, numbers, amounts, causes). Pure: no logger, no mocks."""

from __future__ import annotations

import json
import logging
import sys
from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from omsync.ginee.models import Order
from omsync.observability import LOG_GROUP_KEYS, MASK, ScrubbingFormatter, scrub, scrub_text


def test_buyer_fields_are_erased_at_any_depth_whatever_their_spelling() -> None:
    # Given a log record's extras holding a Ginee order's buyer blocks, in Ginee's and in Python's spelling
    record = {
        "order_id": "SO123",
        "customerInfo": {"customerId": "C-9", "name": "Sekar", "mobile": 6281298765432, "email": "s@example.id"},
        "rows": [{"shipping_address_info": {"fullAddress": "Jl. Melati 17", "postalCode": "40287", "city": "Bandung"}}],
        "receiverName": "Sekar",
        "phone_number": "0812-1111-2222",
        "postal_code": 40287,
    }

    # When it is scrubbed
    clean = scrub(record)

    # Then every buyer field (an address block whole) is erased; the order's id and the buyer's opaque id are kept
    assert clean == {
        "order_id": "SO123",
        "customerInfo": {"customerId": "C-9", "name": MASK, "mobile": MASK, "email": MASK},
        "rows": [{"shipping_address_info": MASK}],
        "receiverName": MASK,
        "phone_number": MASK,
        "postal_code": MASK,
    }
    # And the input is left as it was
    assert record["customerInfo"]["name"] == "Sekar"  # type: ignore[index]


def test_whole_address_blocks_are_erased_whatever_they_hold() -> None:
    assert scrub({"billingAddressInfo": {"street": "Jl. A", "x": "y"}, "address": "Jl. B"}) == {
        "billingAddressInfo": MASK,
        "address": MASK,
    }


def test_secrets_are_erased() -> None:
    record = {"secret_key": "s3cr3t", "Authorization": "Ginee ak:sig", "api_token": "aat.x", "access_token": "t"}
    assert scrub(record) == dict.fromkeys(record, MASK)


def test_pydantic_input_values_in_text_are_erased_and_the_rest_of_the_message_kept() -> None:
    # Given the text of a ValidationError of an order whose phone came as a number
    with pytest.raises(ValidationError) as caught:
        Order.model_validate({"orderId": "SO1", "customerInfo": {"mobile": {"n": "6281298765432"}}})
    text = str(caught.value)
    assert "6281298765432" in text

    # When it is scrubbed
    clean = scrub_text(text)

    # Then the value is gone, and where and why it failed are still there
    assert "6281298765432" not in clean
    assert "customerInfo.mobile" in clean and "type=" in clean and "input_type=dict" in clean


def test_phone_numbers_and_email_addresses_in_free_text_are_erased() -> None:
    text = "buyer +62 812-9876-5432 or 081298765432 or 6281298765432, mail sekar.w+x@example.co.id; order SO1"
    clean = scrub_text(text)
    for value in ("812-9876-5432", "081298765432", "6281298765432", "sekar.w+x@example.co.id"):
        assert value not in clean
    assert clean.endswith("order SO1")


def test_ids_amounts_and_timestamps_are_not_taken_for_phone_numbers() -> None:
    text = "SO49D2A8E9D06FC447F65860AE SP-250901ABCD 2025-09-01T08:12:34Z 160950.00 Lazada 800123456789012"
    assert scrub_text(text) == text


def test_values_that_are_not_json_are_scrubbed_as_their_text_or_their_fields() -> None:
    class Buyer(BaseModel):
        name: str
        city: str

    assert scrub({"buyer": Buyer(name="Sekar", city="Bandung"), "amount": Decimal("1.50")}) == {
        "buyer": {"name": MASK, "city": "Bandung"},
        "amount": Decimal("1.50"),
    }
    assert scrub(("0812 9876 5432", 7, None, True)) == [MASK, 7, None, True]


def test_the_formatter_writes_scrubbed_json_including_the_traceback() -> None:
    # Given a record logged with buyer extras and an exception whose text carries a phone number
    try:
        raise ValueError("input_value=6281298765432, input_type=int")
    except ValueError:
        record = logging.LogRecord("omsync", logging.ERROR, __file__, 1, "failed for %s", ("SO1",), sys.exc_info())
    record.customer_info = {"name": "Sekar", "mobile": "0812"}

    # When the Powertools formatter writes it
    line = ScrubbingFormatter().format(record)

    # Then the line is JSON without the buyer's data, and the message and order id are kept
    assert "6281298765432" not in line and "Sekar" not in line and "0812" not in line
    written = json.loads(line)
    assert written["message"] == "failed for SO1"
    assert written["customer_info"] == {"name": MASK, "mobile": MASK}
    assert written["exception_name"] == "ValueError"


def test_a_line_leaves_out_what_the_log_group_says_and_keeps_the_request_id() -> None:
    # Given the Lambda context's keys, as Powertools' inject_lambda_context appends them to every line
    formatter = ScrubbingFormatter()
    formatter.append_keys(
        function_name="omsync-prod-ReceiverFunction-A1",
        function_memory_size=256,
        function_arn="arn:aws:lambda:ap-southeast-1:123456789012:function:omsync-prod-ReceiverFunction-A1",
        function_request_id="6f1c2a2e-1a8b-4f3e-9b1d-2c0e5f7a9d31",
        cold_start=False,
    )
    record = logging.LogRecord("omsync", logging.INFO, __file__, 1, "webhook received", (), None)

    written = json.loads(formatter.format(record))

    # Then the function's name, ARN and memory size (the log group names the function) are not on the line
    assert not LOG_GROUP_KEYS & written.keys()
    assert written["function_request_id"] == "6f1c2a2e-1a8b-4f3e-9b1d-2c0e5f7a9d31"
    assert written["cold_start"] is False and written["message"] == "webhook received"
