"""Failure notes: why a work message failed, and since when, for the operator reading the dead-letter queues.

An SQS message keeps no trace of why its consumer failed it, so the worker shell (`omsync.sync.batch`) notes
each failure here: one item per flow and entity at pk=``CONN#{cid}#FAILURE``, sk=``{flow}#{entity id}``, with
``error`` (an exception's class name, or the outcome ``retry``/``failed``: never an error's text, which may
quote a third party's data), ``first_failed_at`` and ``last_failed_at`` (epoch seconds) and ``failures`` (a
count). `omsync dlq list` shows them beside each dead letter. A note outlives its message: the next failure
of the same entity counts on from it, and it expires 14 days after its last failure (the DLQs' retention).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from omsync.ledger.tables import dynamodb, ledger_table

RETENTION_SECONDS = 14 * 86_400
"""As long as a dead-letter queue keeps a message (template.yaml, MessageRetentionPeriod)."""
BATCH_GET_LIMIT = 100


def failure_key(connection_id: str, flow: str, entity_id: str) -> dict[str, str]:
    """The Ledger key of one entity's failure note in one flow."""
    return {"pk": f"CONN#{connection_id}#FAILURE", "sk": f"{flow}#{entity_id}"}


@dataclass(frozen=True)
class FailureNote:
    """Why and since when a flow failed an entity: ``error`` (class name or outcome), times aware UTC."""

    flow: str
    entity_id: str
    error: str
    first_failed_at: datetime
    last_failed_at: datetime
    failures: int


def _moment(value: Any) -> datetime:
    return datetime.fromtimestamp(float(value), UTC)


class FailureNotes:
    """The failure notes of one connection."""

    def __init__(self, connection_id: str) -> None:
        self.connection_id = connection_id

    def note(self, flow: str, errors: Mapping[str, str], now: datetime | None = None) -> None:
        """Count one failure of each entity (entity id → error class or outcome); the first time is kept."""
        moment = Decimal(int((now or datetime.now(UTC)).timestamp()))
        table = ledger_table()
        for entity_id, error in errors.items():
            table.update_item(
                Key=failure_key(self.connection_id, flow, entity_id),
                UpdateExpression=(
                    "SET #error = :error, last_failed_at = :now, expires_at = :expires, kind = :kind, "
                    "first_failed_at = if_not_exists(first_failed_at, :now) ADD failures :one"
                ),
                ExpressionAttributeNames={"#error": "error"},
                ExpressionAttributeValues={
                    ":error": error,
                    ":now": moment,
                    ":expires": moment + RETENTION_SECONDS,
                    ":kind": "failure_note",
                    ":one": Decimal(1),
                },
            )

    def load(self, flow: str, entity_ids: Iterable[str]) -> dict[str, FailureNote]:
        """The notes of these entities in ``flow`` that exist, by entity id (BatchGetItem, 100 keys a request)."""
        wanted = list(dict.fromkeys(entity_ids))
        table_name = ledger_table().name
        found: dict[str, FailureNote] = {}
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            keys: list[Any] = [
                failure_key(self.connection_id, flow, e) for e in wanted[start : start + BATCH_GET_LIMIT]
            ]
            request: dict[str, Any] = {table_name: {"Keys": keys}}
            while request:
                answer = dynamodb().batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(table_name, []):
                    entity_id = str(item["sk"]).removeprefix(f"{flow}#")
                    found[entity_id] = FailureNote(
                        flow=flow,
                        entity_id=entity_id,
                        error=str(item.get("error", "")),
                        first_failed_at=_moment(item["first_failed_at"]),
                        last_failed_at=_moment(item["last_failed_at"]),
                        failures=int(str(item.get("failures", 1))),
                    )
                request = dict(answer.get("UnprocessedKeys") or {})
        return found
