"""Poll cursors: how far the reconciler has read Ginee's changes, and the entities it is still waiting for.

One partition per connection, pk=``CONN#{cid}#POLL``:

- sk=``CURSOR#{entity}`` (entity ``orders`` or ``products``): ``since``, the ``lastUpdateSince`` the next poll starts from
  (ISO 8601, UTC; the poll reads from an overlap before it), and what the last run did: ``last_run_at``,
  ``listed``, ``enqueued``, ``pending``;
- sk=``PENDING#{entity}#{id}``: an entity a poll found behind its Ginee state and put on its queue, kept until a
  later poll finds the Ledger caught up (``reason``, ``first_seen``, ``attempts``). A poll re-checks these
  whatever its window, so an order a worker's ``batch-get`` left out, or that the reconciler's own
  ``batch-get`` left out, is retried on every run and never dropped. A caught-up one is marked ``resolved``
  and expires a day later (``expires_at``, the table's TTL): no function but the receiver deletes an item.

The cursor item belongs to the reconciler alone (one schedule), so it is written without a condition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from omsync.ledger.tables import ledger_table

ORDERS = "orders"
PRODUCTS = "products"
RESOLVED_KEPT_SECONDS = 86_400
"""How long a caught-up pending record stays readable before DynamoDB's TTL removes it."""


def poll_partition(connection_id: str) -> str:
    """The Ledger partition of one connection's poll cursors and pending entities."""
    return f"CONN#{connection_id}#POLL"


@dataclass(frozen=True)
class PollCursor:
    """Where one entity's poll stands: ``since`` (aware UTC) and what its last run saw and did."""

    entity: str
    since: datetime
    last_run_at: datetime | None = None
    listed: int = 0
    enqueued: int = 0
    pending: int = 0


@dataclass(frozen=True)
class Pending:
    """An entity put back on its queue by a poll and not yet seen caught up."""

    entity_id: str
    reason: str
    first_seen: datetime
    attempts: int


def _moment(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _count(value: Any, default: int = 0) -> int:
    return int(value) if isinstance(value, int | Decimal | str) else default


class PollCursors:
    """The poll cursors and pending entities of one connection."""

    def __init__(self, connection_id: str) -> None:
        self.connection_id = connection_id

    def _key(self, sort_key: str) -> dict[str, str]:
        return {"pk": poll_partition(self.connection_id), "sk": sort_key}

    def get(self, entity: str) -> PollCursor | None:
        """The cursor of ``entity``, or None when it was never polled nor started."""
        item = ledger_table().get_item(Key=self._key(f"CURSOR#{entity}"), ConsistentRead=True).get("Item")
        if item is None:
            return None
        return PollCursor(
            entity=entity,
            since=_moment(item["since"]),
            last_run_at=_moment(item["last_run_at"]) if item.get("last_run_at") else None,
            listed=_count(item.get("listed")),
            enqueued=_count(item.get("enqueued")),
            pending=_count(item.get("pending")),
        )

    def start_at(self, entity: str, since: datetime) -> None:
        """Make the next poll of ``entity`` read from ``since`` (an operator's choice, or a new connection's)."""
        ledger_table().put_item(
            Item={
                **self._key(f"CURSOR#{entity}"),
                "kind": "poll_cursor",
                "since": since.astimezone(UTC).isoformat(),
            }
        )

    def advance(self, entity: str, to: datetime, *, ran_at: datetime, listed: int, enqueued: int, pending: int) -> None:
        """A poll read everything up to ``to``: the next one starts there (less its overlap)."""
        ledger_table().put_item(
            Item={
                **self._key(f"CURSOR#{entity}"),
                "kind": "poll_cursor",
                "since": to.astimezone(UTC).isoformat(),
                "last_run_at": ran_at.astimezone(UTC).isoformat(),
                "listed": listed,
                "enqueued": enqueued,
                "pending": pending,
            }
        )

    def pending(self, entity: str) -> dict[str, Pending]:
        """Every ``entity`` a poll is still waiting for, by id (one Query, paged)."""
        prefix = f"PENDING#{entity}#"
        found: dict[str, Pending] = {}
        query: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(poll_partition(self.connection_id)) & Key("sk").begins_with(prefix),
            "FilterExpression": Attr("resolved").not_exists(),
            "ConsistentRead": True,
        }
        while True:
            answer = ledger_table().query(**query)
            for item in answer["Items"]:
                entity_id = str(item["sk"]).removeprefix(prefix)
                found[entity_id] = Pending(
                    entity_id,
                    str(item.get("reason", "")),
                    _moment(item["first_seen"]),
                    _count(item.get("attempts"), 1),
                )
            if "LastEvaluatedKey" not in answer:
                return found
            query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def keep_pending(
        self, entity: str, reasons: Mapping[str, str], known: Mapping[str, Pending], now: datetime
    ) -> None:
        """Record each id of ``reasons`` (id → why it is behind) as pending; ``known`` (what `pending` gave)
        keeps its first time and counts one more attempt."""
        with ledger_table().batch_writer() as batch:
            for entity_id, reason in reasons.items():
                before = known.get(entity_id)
                batch.put_item(
                    Item={
                        **self._key(f"PENDING#{entity}#{entity_id}"),
                        "kind": "poll_pending",
                        "reason": reason,
                        "first_seen": (before.first_seen if before else now).astimezone(UTC).isoformat(),
                        "attempts": Decimal((before.attempts if before else 0) + 1),
                    }
                )

    def drop_pending(self, entity: str, entity_ids: Iterable[str], now: datetime) -> None:
        """These ids are caught up (or gone): no poll waits for them any more (marked ``resolved``, expiring)."""
        expires = int(now.timestamp()) + RESOLVED_KEPT_SECONDS
        with ledger_table().batch_writer() as batch:
            for entity_id in dict.fromkeys(entity_ids):
                batch.put_item(
                    Item={
                        **self._key(f"PENDING#{entity}#{entity_id}"),
                        "kind": "poll_pending",
                        "resolved": now.astimezone(UTC).isoformat(),
                        "expires_at": expires,
                    }
                )
