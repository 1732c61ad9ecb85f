"""Keep every process that shares an Accurate token under 8 requests per second and 8 in flight.

The budget is modelled as 8 *slots* per token. A request may start only while holding a slot, and a slot
may start at most one request per ``spacing`` seconds (1 s plus a margin for clock and network jitter),
counted from when the previous request on that slot was really sent.
So at most 8 requests are ever in flight (one per slot), and any 9 starts inside one second would need
one slot twice inside a second: impossible. This holds for a sliding window, not only calendar seconds.

Taking a slot is one conditional write; giving it back is another. A waiting caller takes the slot a
moment before it frees, recording the planned start, so the write's round trip is not added to the
spacing. With the DynamoDB store the slots are items of the Ledger table (pk
``GOVERNOR#{token_fingerprint}``, sk ``SLOT#0`` … ``SLOT#7``), so the limit holds across Lambdas. A
holder that crashes keeps its slot only until its lease expires. Each governor remembers when each slot
will be free (learned from the failed condition's old item), so under contention it sleeps until the
earliest free slot instead of polling.

`MemorySlots` holds the same slots in-process, for tools and single-process runs.

Waiting for a slot is bounded like every wait (`omsync.deadline`): a slot that frees only after the
invocation's deadline (outside an invocation: after the default bounds) is not waited for; `acquire`
raises `Saturated` (retryable) and nothing is sent, so the work goes back to its queue.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Protocol

from omsync.accurate.errors import Saturated
from omsync.deadline import Waits

SLOTS = 8
# 1 s plus a margin for what happens between sending and Accurate counting (network, server queues).
SPACING_SECONDS = 1.15
LEASE_SECONDS = 60.0
# How long before a slot frees a waiting caller takes it (covers the store's round trip under load).
RESERVE_AHEAD_SECONDS = 0.1
# How soon to look again at a slot another process holds (its holder usually returns it within a request).
BUSY_RECHECK_SECONDS = 0.05
# Idle governor items disappear through the table's TTL a day after their last use.
IDLE_TTL_SECONDS = 86_400


@dataclass(frozen=True)
class Taken:
    """Outcome of one attempt on one slot: taken, or when it is expected to be free again."""

    ok: bool
    free_at: float = 0.0


class SlotStore(Protocol):
    """Where the slots live. ``take`` and ``give_back`` must each be one atomic conditional write."""

    def take(self, slot: int, holder: str, start: float, spacing: float, lease: float) -> Taken:
        """Take ``slot`` for a request starting at ``start`` (now or a moment ahead): only if the slot started
        nothing since ``start - spacing`` and nobody holds it (or the holder's lease lapsed)."""
        ...

    def give_back(self, slot: int, holder: str, sent_at: float) -> None:
        """Release ``slot`` if ``holder`` still holds it, recording when its request was really sent."""
        ...


class MemorySlots:
    """Slots in this process: for tools, the CLI and single-process runs."""

    def __init__(self, slots: int = SLOTS) -> None:
        self._lock = threading.Lock()
        self._started = [float("-inf")] * slots
        self._holder: list[str | None] = [None] * slots
        self._lease_until = [0.0] * slots

    def take(self, slot: int, holder: str, start: float, spacing: float, lease: float) -> Taken:
        with self._lock:
            held = self._holder[slot] is not None and self._lease_until[slot] > start
            if self._started[slot] <= start - spacing and not held:
                self._started[slot] = start
                self._holder[slot] = holder
                self._lease_until[slot] = start + lease
                return Taken(True)
            free_at = self._started[slot] + spacing
            if held:
                free_at = max(free_at, start + BUSY_RECHECK_SECONDS)
            return Taken(False, free_at)

    def give_back(self, slot: int, holder: str, sent_at: float) -> None:
        with self._lock:
            if self._holder[slot] == holder:
                self._holder[slot] = None
                self._started[slot] = max(self._started[slot], sent_at)


class DynamoSlots:
    """Slots as items of the Ledger table, shared by every thread and process using the same token.

    DynamoDB's conditional writes are atomic and decide who holds a slot (the local stack's moto is made
    atomic per request by `omsync_workshop.moto_fidelity`).
    """

    def __init__(self, table_name: str, token_fingerprint: str, dynamodb_client: Any = None) -> None:
        if dynamodb_client is None:
            import boto3

            dynamodb_client = boto3.client("dynamodb")
        self._ddb = dynamodb_client
        self._table = table_name
        self._pk = f"GOVERNOR#{token_fingerprint}"

    def _key(self, slot: int) -> dict[str, dict[str, str]]:
        return {"pk": {"S": self._pk}, "sk": {"S": f"SLOT#{slot}"}}

    def take(self, slot: int, holder: str, start: float, spacing: float, lease: float) -> Taken:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=self._key(slot),
                UpdateExpression="SET started = :start, holder = :me, lease_until = :lease, expires_at = :ttl",
                ConditionExpression=(
                    "(attribute_not_exists(started) OR started <= :cut)"
                    " AND (attribute_not_exists(holder) OR lease_until < :start)"
                ),
                ExpressionAttributeValues={
                    ":start": {"N": repr(start)},
                    ":cut": {"N": repr(start - spacing)},
                    ":me": {"S": holder},
                    ":lease": {"N": repr(start + lease)},
                    ":ttl": {"N": str(int(start) + IDLE_TTL_SECONDS)},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._ddb.exceptions.ConditionalCheckFailedException as failed:
            old = failed.response.get("Item", {})
            started = float(old.get("started", {}).get("N", "0"))
            free_at = started + spacing
            if "holder" in old and float(old.get("lease_until", {}).get("N", "0")) >= start:
                free_at = max(free_at, start + BUSY_RECHECK_SECONDS)
            return Taken(False, free_at)
        return Taken(True)

    def give_back(self, slot: int, holder: str, sent_at: float) -> None:
        # If the lease lapsed and someone else took the slot, there is nothing of ours to give back.
        with suppress(self._ddb.exceptions.ConditionalCheckFailedException):
            self._ddb.update_item(
                TableName=self._table,
                Key=self._key(slot),
                UpdateExpression="SET started = :sent REMOVE holder",
                ConditionExpression="holder = :me AND started <= :sent",
                ExpressionAttributeValues={":me": {"S": holder}, ":sent": {"N": repr(sent_at)}},
            )


class Governor:
    """Admits requests into a token's budget; use ``with governor.slot(): <one HTTP request>``."""

    def __init__(
        self,
        store: SlotStore,
        slots: int = SLOTS,
        spacing: float = SPACING_SECONDS,
        lease: float = LEASE_SECONDS,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._store = store
        self._slots = slots
        self._spacing = spacing
        self._lease = lease
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._free_at = [0.0] * slots

    def _candidate(self) -> int:
        with self._lock:
            earliest = min(self._free_at)
            choices = [i for i, at in enumerate(self._free_at) if at <= max(earliest, self._clock())]
            return random.choice(choices)

    def acquire(self) -> tuple[int, str]:
        """Wait for a slot and take it; returns the slot and the holder id needed to give it back.

        The slot is taken ``RESERVE_AHEAD_SECONDS`` before it frees, for the moment it frees (the store
        records that planned start), and the caller is held until then: the store's round trip happens
        while waiting, so a busy slot starts its next request one ``spacing`` after the last, not later.

        Raises `Saturated` when the earliest start (seconds from now) would pass the deadline.
        """
        holder = uuid.uuid4().hex
        waits = Waits(self._sleep)
        while True:
            slot = self._candidate()
            start_at = max(self._clock(), self._free_at[slot])
            until_start = start_at - self._clock()
            if not waits.allows(until_start) or not waits.sleep(until_start - RESERVE_AHEAD_SECONDS):
                raise Saturated(f"no slot of the token's budget before the deadline (next in {until_start:.1f} s)")
            taken = self._store.take(slot, holder, start_at, self._spacing, self._lease)
            with self._lock:
                self._free_at[slot] = start_at + self._spacing if taken.ok else taken.free_at
            if taken.ok:
                while (early := start_at - self._clock()) > 0:
                    if not waits.sleep(early):
                        self._store.give_back(slot, holder, self._clock())
                        raise Saturated("the deadline came while waiting for a taken slot")
                return slot, holder

    def release(self, slot: int, holder: str, sent_at: float) -> None:
        """Give a slot back once its request has been answered (or failed).

        The slot's one-second spacing restarts from ``sent_at``, when the request really left: taking the
        slot can itself take a while under load, and Accurate counts the request when it arrives.
        """
        self._store.give_back(slot, holder, sent_at)
        with self._lock:
            self._free_at[slot] = max(self._free_at[slot], sent_at + self._spacing)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the duration of one request (the request must start inside the block)."""
        slot, holder = self.acquire()
        sent_at = self._clock()
        try:
            yield
        finally:
            self.release(slot, holder, sent_at)


def in_process_governor() -> Governor:
    """A governor for one process (CLI, tools): the same rules without a table."""
    return Governor(MemorySlots())


def dynamodb_governor(table_name: str, token_fingerprint: str, dynamodb_client: Any = None) -> Governor:
    """A governor shared by every process using the token, through the Ledger table."""
    return Governor(DynamoSlots(table_name, token_fingerprint, dynamodb_client))
