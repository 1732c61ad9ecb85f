"""The deep pass's log: when the last one ran, over which days, and the drift it found per store.

Two items in the connection's poll partition (pk ``CONN#{cid}#POLL``, `omsync.ledger.cursors.poll_partition`):

- sk ``DEEP_PASS#LAST``: the last deep pass, nightly or on demand: ``ran_at`` (ISO 8601, UTC), ``since`` and
  ``until`` (its business days, Asia/Jakarta, inclusive), ``store`` (a Ginee shop id, or empty for every store),
  ``drift`` (shop id → drift kind → count), ``healed`` (how many of them it healed), ``nightly``;
- sk ``DEEP_PASS#NIGHTLY``: ``through``, the last day the nightly run compared, so the reconciler's schedule runs
  it once a day.

Written by the reconciler and by `omsync reconcile`, read by `omsync status`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from omsync.ledger.cursors import poll_partition
from omsync.ledger.tables import ledger_table

LAST = "DEEP_PASS#LAST"
NIGHTLY = "DEEP_PASS#NIGHTLY"


@dataclass(frozen=True)
class DeepPassSummary:
    """What `omsync status` shows of a deep pass: when, over which days, and its drift per store and kind."""

    ran_at: datetime
    since: date
    until: date
    store: str | None
    drift: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """Ginee shop id → drift kind (``missing``, ``deleted_by_hand`` …) → count."""
    healed: int = 0
    nightly: bool = False

    @property
    def total(self) -> int:
        """Every drift found, healed or not."""
        return sum(sum(kinds.values()) for kinds in self.drift.values())


def _count(value: Any) -> int:
    return int(value) if isinstance(value, int | Decimal | str) else 0


class DeepPassLog:
    """The deep pass log of one connection."""

    def __init__(self, connection_id: str) -> None:
        self.connection_id = connection_id

    def _key(self, sort_key: str) -> dict[str, str]:
        return {"pk": poll_partition(self.connection_id), "sk": sort_key}

    def last(self) -> DeepPassSummary | None:
        """The last deep pass, or None when none ran yet."""
        item = ledger_table().get_item(Key=self._key(LAST), ConsistentRead=True).get("Item")
        if item is None:
            return None
        drift = item.get("drift")
        return DeepPassSummary(
            ran_at=datetime.fromisoformat(str(item["ran_at"])),
            since=date.fromisoformat(str(item["since"])),
            until=date.fromisoformat(str(item["until"])),
            store=str(item["store"]) if item.get("store") else None,
            drift={
                str(shop): {str(kind): _count(n) for kind, n in dict(kinds).items()}
                for shop, kinds in (dict(drift) if isinstance(drift, Mapping) else {}).items()
                if isinstance(kinds, Mapping)
            },
            healed=_count(item.get("healed")),
            nightly=bool(item.get("nightly", False)),
        )

    def record(self, summary: DeepPassSummary) -> None:
        """Keep ``summary`` as the last deep pass (and, when nightly, the day it went through)."""
        table = ledger_table()
        table.put_item(
            Item={
                **self._key(LAST),
                "kind": "deep_pass",
                "ran_at": summary.ran_at.astimezone(UTC).isoformat(),
                "since": summary.since.isoformat(),
                "until": summary.until.isoformat(),
                "store": summary.store or "",
                "drift": {shop: dict(kinds) for shop, kinds in summary.drift.items()},
                "healed": summary.healed,
                "nightly": summary.nightly,
            }
        )
        if summary.nightly:
            table.put_item(
                Item={**self._key(NIGHTLY), "kind": "deep_pass_nightly", "through": summary.until.isoformat()}
            )

    def nightly_through(self) -> date | None:
        """The last day the nightly deep pass compared, or None when it never ran."""
        item = ledger_table().get_item(Key=self._key(NIGHTLY), ConsistentRead=True).get("Item")
        return date.fromisoformat(str(item["through"])) if item is not None and item.get("through") else None
