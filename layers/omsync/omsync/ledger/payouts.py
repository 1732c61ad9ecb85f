"""Payout records: what became of each marketplace payout omsync was given (posted, or held and why).

One item per payout at pk=``CONN#{cid}#PAYOUT#{shopId}``, sk=``{payoutId}``. A posted payout is never
posted again (importing the same file twice changes nothing); a held one is evaluated afresh on the
next import, once the seller fixed what held it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
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
        self, payout_id: str, amount: Decimal, orders: int, receipt: str | None, journal: str | None, source: str
    ) -> None:
        ledger_table().put_item(
            Item={
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
