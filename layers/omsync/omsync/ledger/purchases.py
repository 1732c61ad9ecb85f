"""Stock movement records: what omsync booked for each Ginee inbound or outbound, and what it is about to.

One item per movement at pk=``CONN#{cid}#MOVEMENT#{id}``, sk=``SYNC``:

- ``parts``: the documents booked, in order, each with its number, module, Accurate id and what it booked
  (SKU → quantity and value); ``deleted`` once the inbound's cancellation removed it;
- ``intent``: the part about to be posted (same shape, plus its owner and expiry), written with a
  conditional update before the Accurate call, so two workers never book one movement at once and the
  next attempt after a crash looks the number up before anything else (DESIGN invariant 1);
- ``hold``: cause, reason and hint when the seller must fix something;
- ``version``: every write checks and bumps it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from omsync.errors import OnHold
from omsync.ledger.orders import lease_seconds
from omsync.ledger.tables import ledger_table
from omsync.posting.purchases import Received

SYNC_SK = "SYNC"
INTENT_SECONDS = 90
"""Longer than a worker's timeout: an intent outlives the attempt that wrote it but not the next one (inside an
invocation, until shortly after it ends: `omsync.ledger.orders.lease_seconds`)."""


def movement_key(connection_id: str, movement_id: str) -> dict[str, str]:
    """The Ledger key of one inbound's or outbound's record."""
    return {"pk": f"CONN#{connection_id}#MOVEMENT#{movement_id}", "sk": SYNC_SK}


@dataclass(frozen=True)
class BookedPart:
    """One document booked for a movement (or about to be, as an intent)."""

    number: str
    module: str
    lines: dict[str, Received]
    accurate_id: int | None = None
    deleted: bool = False

    def to_item(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "module": self.module,
            "accurate_id": self.accurate_id,
            "deleted": self.deleted,
            "lines": {sku: {"quantity": got.quantity, "value": got.value} for sku, got in self.lines.items()},
        }

    @staticmethod
    def from_item(item: dict[str, Any]) -> BookedPart:
        lines = {
            str(sku): Received(int(line["quantity"]), Decimal(str(line["value"])))
            for sku, line in (item.get("lines") or {}).items()
        }
        accurate_id = item.get("accurate_id")
        return BookedPart(
            number=str(item["number"]),
            module=str(item["module"]),
            lines=lines,
            accurate_id=int(accurate_id) if accurate_id is not None else None,
            deleted=bool(item.get("deleted", False)),
        )


@dataclass
class MovementRecord:
    """What the Ledger holds for one movement (an empty record when there is none yet)."""

    movement_id: str
    version: int = 0
    parts: list[BookedPart] = field(default_factory=list)
    intent: BookedPart | None = None
    intent_owner: str | None = None
    intent_until: float = 0.0
    hold_cause: str | None = None

    def intent_live(self, now: float) -> bool:
        """Another attempt is (or may still be) posting the intent."""
        return self.intent is not None and self.intent_until > now


class MovementLedger:
    """Movement records of one connection. Every write is conditional on the version read."""

    def __init__(self, connection_id: str, clock: Any = time.time) -> None:
        self.connection_id = connection_id
        self._clock = clock

    def load(self, movement_id: str) -> MovementRecord:
        """The record of a movement (consistent read); an empty one when omsync never wrote it."""
        item = (
            ledger_table().get_item(Key=movement_key(self.connection_id, movement_id), ConsistentRead=True).get("Item")
        )
        if item is None:
            return MovementRecord(movement_id)
        intent = item.get("intent")
        stored = item.get("parts")
        parts = stored if isinstance(stored, list) else []
        return MovementRecord(
            movement_id=movement_id,
            version=int(str(item.get("version", 0))),
            parts=[BookedPart.from_item(dict(p)) for p in parts if isinstance(p, dict)],
            intent=BookedPart.from_item(dict(intent)) if isinstance(intent, dict) else None,
            intent_owner=str(item["intent_owner"]) if item.get("intent_owner") else None,
            intent_until=float(str(item.get("intent_until", 0))),
            hold_cause=str(item["hold_cause"]) if item.get("hold_cause") else None,
        )

    def write(
        self,
        record: MovementRecord,
        *,
        parts: list[BookedPart],
        intent: BookedPart | None = None,
        owner: str | None = None,
        hold: OnHold | None = None,
    ) -> bool:
        """Replace the record if nobody wrote it since ``record`` was read; False when someone did.

        With ``intent`` the record carries it for `INTENT_SECONDS` under ``owner``; without, no intent.
        """
        item: dict[str, Any] = {
            **movement_key(self.connection_id, record.movement_id),
            "version": record.version + 1,
            "parts": [part.to_item() for part in parts],
        }
        if intent is not None:
            item.update(
                intent=intent.to_item(),
                intent_owner=owner,
                intent_until=Decimal(int(self._clock()) + math.ceil(lease_seconds(INTENT_SECONDS))),
            )
        if hold is not None:
            item.update(hold_cause=hold.cause, hold_reason=hold.reason, hold_hint=hold.hint)
        try:
            if record.version == 0:
                ledger_table().put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
            else:
                ledger_table().put_item(
                    Item=item, ConditionExpression="version = :v", ExpressionAttributeValues={":v": record.version}
                )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        record.version += 1
        record.parts = parts
        record.intent = intent
        record.intent_owner = owner
        record.hold_cause = hold.cause if hold is not None else None
        return True

    def now(self) -> float:
        """The clock intents expire by (seconds since the epoch)."""
        return float(self._clock())
