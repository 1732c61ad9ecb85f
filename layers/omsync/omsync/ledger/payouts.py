"""Payout records: what became of each marketplace payout omsync was given (posted, or held and why).

One item per payout at pk=``CONN#{cid}#PAYOUT#{shopId}``, sk=``{payoutId}``. A posted payout is never
posted again: it keeps its content (`omsync.payouts.content`: one short text per line and charge), so that
importing its file again compares what it contains — the same content changes nothing, new lines become a
supplement (``supplements`` counts them), changed lines are refused (``conflict`` shows both versions). A
held one is evaluated afresh on the next import, once the seller fixed what held it.

Size: about 80 bytes per line, so a payout of some 4,000 orders stays within DynamoDB's 400 KB item.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key

from omsync.ledger.tables import ledger_table

POSTED = "posted"
HELD = "held"


def payout_partition(connection_id: str, shop_id: str) -> str:
    return f"CONN#{connection_id}#PAYOUT#{shop_id}"


@dataclass(frozen=True)
class PayoutRecord:
    payout_id: str
    status: str
    amount: Decimal
    orders: int
    receipt_number: str | None = None
    journal_number: str | None = None
    hold_cause: str | None = None
    problems: tuple[str, ...] = ()
    content: dict[str, str] | None = None
    """Entry key → amounts of what was posted (None for a payout posted before omsync kept content)."""
    supplements: int = 0
    conflict: tuple[str, ...] = ()
    """The differences of the last import whose content changed (both versions)."""

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> PayoutRecord:
        return cls(
            payout_id=str(item["sk"]),
            status=str(item["status"]),
            amount=Decimal(item.get("amount", 0)),
            orders=int(item.get("orders", 0)),
            receipt_number=str(item["receipt_number"]) if item.get("receipt_number") else None,
            journal_number=str(item["journal_number"]) if item.get("journal_number") else None,
            hold_cause=str(item["hold_cause"]) if item.get("hold_cause") else None,
            problems=tuple(str(p) for p in item.get("problems", [])),
            content={str(k): str(v) for k, v in item["content"].items()} if "content" in item else None,
            supplements=int(item.get("supplements", 0)),
            conflict=tuple(str(p) for p in item.get("conflict", [])),
        )


class PayoutLedger:
    def __init__(self, connection_id: str, shop_id: str) -> None:
        self.connection_id = connection_id
        self.shop_id = shop_id
        self._pk = payout_partition(connection_id, shop_id)

    def get(self, payout_id: str) -> PayoutRecord | None:
        item = ledger_table().get_item(Key={"pk": self._pk, "sk": payout_id}, ConsistentRead=True).get("Item")
        return PayoutRecord.from_item(item) if item else None

    def all(self) -> list[PayoutRecord]:
        response = ledger_table().query(KeyConditionExpression=Key("pk").eq(self._pk), ConsistentRead=True)
        return [PayoutRecord.from_item(item) for item in response.get("Items", [])]

    def record_posted(
        self,
        payout_id: str,
        amount: Decimal,
        orders: int,
        receipt: str | None,
        journal: str | None,
        source: str,
        content: Mapping[str, str],
    ) -> None:
        """Posted, with the payout's content (`omsync.payouts.content.payout_content`)."""
        ledger_table().put_item(
            Item={
                "content": dict(content),
                "pk": self._pk,
                "sk": payout_id,
                "kind": "payout",
                "status": POSTED,
                "amount": amount,
                "orders": orders,
                "receipt_number": receipt or "",
                "journal_number": journal or "",
                "source": source,
                "updated_at": Decimal(int(time.time())),
            }
        )

    def record_supplement(self, payout_id: str, amount: Decimal, orders: int, content: Mapping[str, str]) -> None:
        """A supplement of the posted payout was posted: its content is now ``content`` (all of it)."""
        ledger_table().update_item(
            Key={"pk": self._pk, "sk": payout_id},
            UpdateExpression=(
                "SET content = :c, amount = :a, orders = :o, updated_at = :t ADD supplements :one REMOVE #conflict"
            ),
            ExpressionAttributeNames={"#conflict": "conflict"},
            ExpressionAttributeValues={
                ":c": dict(content),
                ":a": amount,
                ":o": orders,
                ":t": Decimal(int(time.time())),
                ":one": 1,
            },
        )

    def record_conflict(self, payout_id: str, differences: Sequence[str]) -> None:
        """An import of the posted payout changed lines: kept beside it, both versions, until resolved."""
        ledger_table().update_item(
            Key={"pk": self._pk, "sk": payout_id},
            UpdateExpression="SET #conflict = :d, updated_at = :t",
            ExpressionAttributeNames={"#conflict": "conflict"},
            ExpressionAttributeValues={":d": list(differences), ":t": Decimal(int(time.time()))},
        )

    def record_held(self, payout_id: str, amount: Decimal, orders: int, cause: str, problems: Sequence[str]) -> None:
        """Held (never over a posted record: a posted payout stays posted)."""
        ledger_table().put_item(
            Item={
                "pk": self._pk,
                "sk": payout_id,
                "kind": "payout",
                "status": HELD,
                "amount": amount,
                "orders": orders,
                "hold_cause": cause,
                "problems": list(problems),
                "updated_at": Decimal(int(time.time())),
            },
            ConditionExpression="attribute_not_exists(#s) OR #s <> :posted",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":posted": POSTED},
        )
