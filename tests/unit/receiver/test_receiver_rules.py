"""The receiver's pure rules: envelope parsing, routing, token checks, outcomes. No AWS, no mocks."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from omsync.config.settings import Settings, SettingsError, WorkQueue
from omsync.ginee.webhook import Route, WebhookAction, WebhookEnvelope, WrongShape, route
from omsync.ledger.connections import Connection, ConnectionRepository, hash_token, is_connection_id
from omsync.queues import WorkMessage
from omsync.receive import Outcome, Reply, receive_webhook


def envelope(entity: str, payload: dict[str, Any], action: str = "UPDATE") -> WebhookEnvelope:
    return WebhookEnvelope.model_validate({"id": "GENIE1", "entity": entity, "action": action, "payload": payload})


class TestEnvelope:
    def test_ginee_sample_parses_with_an_aware_timestamp(self) -> None:
        parsed = WebhookEnvelope.model_validate_json(
            '{"id":"GENIE654311C44CEABD00018A98BC","entity":"order","action":"CREATE",'
            '"createAt":"2023-11-02T03:04:36.565154Z","payload":{"orderId":"SO1","orderStatus":"PENDING_PAYMENT"}}'
        )
        assert parsed.action is WebhookAction.CREATE
        assert parsed.createAt == datetime(2023, 11, 2, 3, 4, 36, 565154, tzinfo=UTC)

    def test_create_at_is_optional(self) -> None:
        assert envelope("order", {"orderId": "SO1"}).createAt is None

    def test_an_unknown_action_is_kept_not_rejected(self) -> None:
        assert envelope("order", {"orderId": "SO1"}, action="ARCHIVE").action == "ARCHIVE"

    @pytest.mark.parametrize(
        "body",
        [
            '{"entity":"order","action":"CREATE","payload":{}}',  # no id
            '{"id":"G1","entity":"order","action":"CREATE"}',  # no payload
            '{"id":"G1","entity":"order","action":"CREATE","payload":"SO1"}',  # payload not an object
            '{"id":"G1","entity":"order","action":"CREATE","createAt":"2023-11-02T03:04:36","payload":{}}',  # naive
            '{"id":"","entity":"order","action":"CREATE","payload":{}}',  # empty id
            '["not", "an", "object"]',
            '{"id": "G1", "entity": "ord',  # malformed JSON
        ],
    )
    def test_wrong_shapes_are_rejected(self, body: str) -> None:
        with pytest.raises(ValidationError):
            WebhookEnvelope.model_validate_json(body)


class TestRouting:
    def test_an_order_goes_to_the_orders_queue_with_its_status_hint(self) -> None:
        assert route(envelope("order", {"orderId": "SO1", "orderStatus": "PAID"})) == Route(
            WorkQueue.ORDERS, "SO1", "PAID"
        )

    @pytest.mark.parametrize("status", ["CANCELLED", "RETURNED", "cancelled"])
    def test_a_cancelled_or_returned_order_goes_to_cancellations(self, status: str) -> None:
        routed = route(envelope("order", {"orderId": "SO1", "orderStatus": status}))
        assert routed is not None
        assert routed.queue is WorkQueue.CANCELLATIONS
        assert routed.status_hint == status.upper()

    def test_an_order_without_a_status_still_goes_to_orders(self) -> None:
        assert route(envelope("order", {"orderId": "SO1"})) == Route(WorkQueue.ORDERS, "SO1", None)

    @pytest.mark.parametrize(
        "entity", ["master_product", "master_product_create", "master_product_update", "MASTER-PRODUCT-DELETE"]
    )
    def test_master_products_go_to_products(self, entity: str) -> None:
        assert route(envelope(entity, {"masterProductId": "MP1"})) == Route(WorkQueue.PRODUCTS, "MP1", None)

    @pytest.mark.parametrize(
        ("entity", "payload", "entity_id"),
        [
            ("inbound_order", {"inboundOrderId": "IB1", "status": "COMPLETE"}, "IB1"),
            ("inbound", {"inboundId": "IB2"}, "IB2"),
            ("outbound_order", {"outboundOrderId": "OB1"}, "OB1"),
        ],
    )
    def test_inbound_and_outbound_go_to_purchases(self, entity: str, payload: dict[str, Any], entity_id: str) -> None:
        routed = route(envelope(entity, payload))
        assert routed is not None
        assert (routed.queue, routed.entity_id) == (WorkQueue.PURCHASES, entity_id)

    @pytest.mark.parametrize("entity", ["fulfillment_order", "delivery-order", "shop", "stock"])
    def test_other_entities_are_not_routed(self, entity: str) -> None:
        assert route(envelope(entity, {"orderId": "SO1"})) is None

    @pytest.mark.parametrize(
        ("entity", "payload"),
        [
            ("order", {}),
            ("order", {"orderId": ""}),
            ("order", {"orderId": True}),
            ("master_product_update", {"productId": "P1"}),
            ("inbound_order", {"status": "COMPLETE"}),
        ],
    )
    def test_a_known_entity_without_its_id_is_a_wrong_shape(self, entity: str, payload: dict[str, Any]) -> None:
        with pytest.raises(WrongShape):
            route(envelope(entity, payload))

    def test_numeric_ids_become_text(self) -> None:
        routed = route(envelope("order", {"orderId": 12345}))
        assert routed is not None
        assert routed.entity_id == "12345"


# Characters SQS refuses in a message body (#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF
# are the ones it accepts), and control characters, which no Ginee id carries.
REFUSED_CHARACTERS = ["\ufffe", "\uffff", "\ud800", "\udfff", "\x00", "\x08", "\x1f", "\t", "\x7f", "\x85"]


class TestWhatTheReceiverKeeps:
    """Every string the receiver keeps ends up in an SQS body and in Ledger keys: it must fit both."""

    def test_an_integer_order_id_longer_than_128_digits_is_a_wrong_shape(self) -> None:
        with pytest.raises(WrongShape):
            route(envelope("order", {"orderId": int("9" * 4001)}))

    def test_an_integer_order_id_of_128_digits_is_its_decimal_string(self) -> None:
        routed = route(envelope("order", {"orderId": int("9" * 128)}))
        assert routed is not None
        assert routed.entity_id == "9" * 128

    def test_a_text_order_id_longer_than_128_characters_is_a_wrong_shape(self) -> None:
        with pytest.raises(WrongShape):
            route(envelope("order", {"orderId": "S" * 129}))

    @pytest.mark.parametrize("character", REFUSED_CHARACTERS)
    @pytest.mark.parametrize(
        ("entity", "field"),
        [
            ("order", "orderId"),
            ("master_product", "masterProductId"),
            ("inbound_order", "inboundOrderId"),
            ("outbound", "outboundId"),
        ],
    )
    def test_an_entity_id_with_a_refused_character_is_a_wrong_shape(
        self, entity: str, field: str, character: str
    ) -> None:
        with pytest.raises(WrongShape):
            route(envelope(entity, {field: f"ID{character}1"}))

    def test_a_present_but_unusable_id_is_not_passed_over_for_the_next_field(self) -> None:
        with pytest.raises(WrongShape):
            route(envelope("inbound_order", {"inboundOrderId": "IB\uffff", "id": "IB2"}))

    @pytest.mark.parametrize("character", REFUSED_CHARACTERS)
    @pytest.mark.parametrize(
        ("entity", "field", "id_field"), [("order", "orderStatus", "orderId"), ("inbound", "status", "inboundId")]
    )
    def test_a_status_hint_with_a_refused_character_is_a_wrong_shape(
        self, entity: str, field: str, id_field: str, character: str
    ) -> None:
        with pytest.raises(WrongShape):
            route(envelope(entity, {id_field: "X1", field: f"PA{character}ID"}))

    @pytest.mark.parametrize("status", ["P" * 129, 7, ["PAID"], {"s": "PAID"}])
    def test_a_status_hint_too_long_or_not_text_is_a_wrong_shape(self, status: object) -> None:
        with pytest.raises(WrongShape):
            route(envelope("order", {"orderId": "SO1", "orderStatus": status}))

    @pytest.mark.parametrize("status", [None, "", "  "])
    def test_an_absent_status_is_no_hint(self, status: object) -> None:
        assert route(envelope("order", {"orderId": "SO1", "orderStatus": status})) == Route(
            WorkQueue.ORDERS, "SO1", None
        )

    @pytest.mark.parametrize("character", REFUSED_CHARACTERS)
    @pytest.mark.parametrize("field", ["id", "entity", "action"])
    def test_an_envelope_field_with_a_refused_character_is_rejected(self, field: str, character: str) -> None:
        fields = {"id": "GENIE1", "entity": "order", "action": "UPDATE", "payload": {"orderId": "SO1"}}
        fields[field] = f"X{character}Y"
        with pytest.raises(ValidationError):
            WebhookEnvelope.model_validate(fields)

    @pytest.mark.parametrize("field", ["id", "entity", "action"])
    def test_an_envelope_field_longer_than_128_characters_is_rejected(self, field: str) -> None:
        fields = {"id": "GENIE1", "entity": "order", "action": "UPDATE", "payload": {}}
        fields[field] = "X" * 129
        with pytest.raises(ValidationError):
            WebhookEnvelope.model_validate(fields)

    @pytest.mark.parametrize("field", ["connection_id", "entity", "action", "entity_id", "envelope_id", "status_hint"])
    def test_no_work_message_holds_a_character_sqs_refuses(self, field: str) -> None:
        fields: dict[str, Any] = {
            "connection_id": "conn-1",
            "entity": "order",
            "action": "UPDATE",
            "entity_id": "SO1",
            "envelope_id": "GENIE1",
            "status_hint": "PAID",
            "received_at": datetime(2026, 11, 2, tzinfo=UTC),
        }
        fields[field] = "PAID\uffff"
        with pytest.raises(ValidationError):
            WorkMessage(**fields)


class TestConnectionToken:
    def connection(self, token: str) -> Connection:
        return Connection(
            id="conn-1", name="Toko", token_sha256=hash_token(token), ginee_secret="g", accurate_secret="a"
        )

    def test_the_right_token_is_accepted(self) -> None:
        assert self.connection("s3cret-token").accepts_token("s3cret-token")

    @pytest.mark.parametrize("token", ["s3cret-toke", "s3cret-token ", "", "S3CRET-TOKEN"])
    def test_any_other_token_is_refused(self, token: str) -> None:
        assert not self.connection("s3cret-token").accepts_token(token)

    def test_only_the_hash_is_stored(self) -> None:
        stored = self.connection("s3cret-token").model_dump(mode="json")
        assert "s3cret-token" not in json.dumps(stored)
        assert stored["token_sha256"] == hash_token("s3cret-token")

    @pytest.mark.parametrize(
        ("value", "valid"), [("conn-1", True), ("a", True), ("", False), ("x/y", False), ("#", False)]
    )
    def test_connection_ids_are_safe_key_material(self, value: str, valid: bool) -> None:
        assert is_connection_id(value) is valid

    def test_created_at_must_be_aware(self) -> None:
        with pytest.raises(ValidationError):
            Connection(
                id="c1",
                name="Toko",
                token_sha256=hash_token("t"),
                ginee_secret="g",
                accurate_secret="a",
                created_at=datetime(2026, 1, 1),  # noqa: DTZ001 - the point of the test
            )


class OneConnection(ConnectionRepository):
    """A Ledger holding one connection, in memory."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def get(self, connection_id: str) -> Connection | None:
        return self.connection if connection_id == self.connection.id else None


class TestTokenBeforeHashing:
    """A path parameter may carry any text (a JSON event can hold a lone surrogate, which UTF-8 cannot encode)."""

    @pytest.mark.parametrize("token", ["\ud800", "s3cret-\udfff-token", "s3cret-tokén"])
    def test_a_token_that_is_not_ascii_is_refused_not_an_error(self, token: str) -> None:
        connection = Connection(
            id="conn-1", name="Toko", token_sha256=hash_token("s3cret-token"), ginee_secret="g", accurate_secret="a"
        )

        reply = receive_webhook("conn-1", token, b"{}", connections=OneConnection(connection))

        assert reply.outcome is Outcome.UNAUTHORIZED


class TestTokenRotation:
    """Given a connection rotated at noon with a 24-hour grace period, both URLs work until noon next day."""

    ROTATED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    GRACE = timedelta(hours=24)

    def rotated(self, grace: timedelta = GRACE) -> Connection:
        before = Connection(
            id="conn-1", name="Toko", token_sha256=hash_token("old-token"), ginee_secret="g", accurate_secret="a"
        )
        return before.with_new_token(hash_token("new-token"), grace=grace, now=self.ROTATED)

    def test_both_tokens_are_accepted_during_the_grace_period(self) -> None:
        connection = self.rotated()
        just_before = self.ROTATED + self.GRACE - timedelta(seconds=1)
        assert connection.accepts_token("new-token", just_before)
        assert connection.accepts_token("old-token", just_before)
        assert connection.previous_token_expires_at == self.ROTATED + self.GRACE

    def test_the_old_token_is_refused_once_the_grace_period_ends(self) -> None:
        connection = self.rotated()
        at_expiry = self.ROTATED + self.GRACE
        assert not connection.accepts_token("old-token", at_expiry)
        assert connection.accepts_token("new-token", at_expiry + timedelta(days=365))

    def test_no_grace_refuses_the_old_token_at_once(self) -> None:
        connection = self.rotated(timedelta(0))
        assert not connection.accepts_token("old-token", self.ROTATED)
        assert connection.previous_token_sha256 is None

    def test_a_second_rotation_drops_the_token_before_the_last(self) -> None:
        twice = self.rotated().with_new_token(hash_token("newest"), grace=self.GRACE, now=self.ROTATED)
        assert twice.accepts_token("new-token", self.ROTATED)
        assert not twice.accepts_token("old-token", self.ROTATED)

    def test_a_negative_grace_is_refused(self) -> None:
        with pytest.raises(ValueError, match="negative"):
            self.rotated(timedelta(hours=-1))

    def test_a_record_without_a_previous_token_still_reads(self) -> None:
        stored = self.rotated(timedelta(0)).model_dump(mode="json", exclude_none=True)
        assert "previous_token_sha256" not in stored
        assert Connection.model_validate(stored).accepts_token("new-token")


class TestOutcomes:
    @pytest.mark.parametrize(
        ("outcome", "status"),
        [
            (Outcome.ACCEPTED, 200),
            (Outcome.UNROUTED, 200),
            (Outcome.UNAUTHORIZED, 401),
            (Outcome.UNKNOWN_CONNECTION, 404),
            (Outcome.MALFORMED, 400),
            (Outcome.TOO_LARGE, 413),
        ],
    )
    def test_each_outcome_has_its_status(self, outcome: Outcome, status: int) -> None:
        assert Reply(outcome).status_code == status

    def test_success_answers_what_ginee_expects(self) -> None:
        assert Reply(Outcome.UNROUTED).body == {"status": True}

    def test_metric_names_are_stable(self) -> None:
        assert Outcome.UNKNOWN_CONNECTION.metric_name == "WebhookUnknownConnection"
        assert Outcome.ACCEPTED.metric_name == "WebhookAccepted"
        assert Outcome.TOO_LARGE.metric_name == "WebhookTooLarge"


class TestWorkMessage:
    def test_the_body_is_small_and_camel_cased(self) -> None:
        message = WorkMessage(
            connection_id="conn-1",
            entity="order",
            action="UPDATE",
            entity_id="SO1",
            envelope_id="GENIE1",
            status_hint="PAID",
            received_at=datetime(2026, 11, 2, 3, 4, 5, tzinfo=UTC),
        )
        assert json.loads(message.to_json()) == {
            "connectionId": "conn-1",
            "entity": "order",
            "action": "UPDATE",
            "entityId": "SO1",
            "envelopeId": "GENIE1",
            "statusHint": "PAID",
            "receivedAt": "2026-11-02T03:04:05Z",
        }


class TestSettings:
    valid = {
        "STAGE": "dev",
        "LEDGER_TABLE": "ledger",
        "ORDERS_QUEUE_URL": "https://sqs/orders",
        "CANCELLATIONS_QUEUE_URL": "https://sqs/cancellations",
        "SETTLEMENTS_QUEUE_URL": "https://sqs/settlements",
        "PRODUCTS_QUEUE_URL": "https://sqs/products",
        "PURCHASES_QUEUE_URL": "https://sqs/purchases",
    }

    def test_a_complete_environment_validates(self) -> None:
        settings = Settings.from_environment({**self.valid, "PATH": "/usr/bin"})  # others are ignored
        assert settings.queue_url(WorkQueue.PURCHASES) == "https://sqs/purchases"
        assert settings.stage == "dev" and settings.ledger_table == "ledger"

    @pytest.mark.parametrize(
        "change", [{"STAGE": "test"}, {"LEDGER_TABLE": ""}, {"ORDERS_QUEUE_URL": "orders"}, {"LEDGER_TABLE": None}]
    )
    def test_a_bad_environment_fails_at_cold_start(self, change: dict[str, Any]) -> None:
        env = {**self.valid, **change}
        with pytest.raises(SettingsError) as raised:
            Settings.from_environment({k: v for k, v in env.items() if v is not None})
        assert raised.value.variables == tuple(change)
        assert all(str(value) not in str(raised.value) for value in change.values() if value)  # names, never values

    def test_every_wrong_variable_is_named_at_once(self) -> None:
        with pytest.raises(SettingsError) as raised:
            Settings.from_environment({"STAGE": "prod", "ORDERS_QUEUE_URL": "https://sqs/orders with space"})
        assert raised.value.variables == tuple(sorted(set(Settings.variables()) - {"STAGE"}))

    def test_the_settings_import_no_pydantic_at_cold_start(self) -> None:
        # Issue 21: the settings are read at every cold start; pydantic's import is kept for the first invocation.
        done = subprocess.run(
            [sys.executable, "-c", "import sys, omsync.config.settings; print('pydantic' in sys.modules)"],
            capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
        assert done.stdout.strip() == "False"
