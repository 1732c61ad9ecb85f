"""A dead letter goes back to its work queue in its connection's message group (the fair queue's tenant)."""

from __future__ import annotations

from omsync_ops.dlq import _sent_back


def test_a_dead_letter_keeps_its_connections_message_group_when_sent_back() -> None:
    raw = {"Body": '{"connectionId": "conn-a"}', "Attributes": {"MessageGroupId": "conn-a", "SentTimestamp": "1"}}

    assert _sent_back("3", raw) == {"Id": "3", "MessageBody": '{"connectionId": "conn-a"}', "MessageGroupId": "conn-a"}


def test_a_dead_letter_without_a_group_goes_back_without_one() -> None:
    assert _sent_back("0", {"Body": "x", "Attributes": {}}) == {"Id": "0", "MessageBody": "x"}
    assert _sent_back("1", {"Body": "x"}) == {"Id": "1", "MessageBody": "x"}
