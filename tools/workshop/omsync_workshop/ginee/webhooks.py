"""The sandbox's webhook sender: posts Ginee's envelope ``{id, entity, action, createAt, payload}`` for every
change, the way a provider does, and misbehaves on request so receivers can prove they cope.

Delivery: a small pool of threads, each with its own keep-alive session. A non-2xx answer or a
connection failure is retried with exponential backoff up to ``max_attempts`` (Ginee documents no
retry policy; this one is bounded like most providers'), then recorded in ``failed``.

Misbehaviour, decided by a seeded generator in emission order so a seed always picks the same
envelopes: ``duplicate_rate`` sends an envelope twice (same id), or 2 to ``max_copies`` times, ``drop_rate`` never sends it,
``reorder_window`` shuffles each run of that many envelopes before sending, ``delay`` waits before each
post. With ``workers > 1`` deliveries also overlap, as real ones do.
"""

from __future__ import annotations

import queue
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

from omsync.ginee.models import format_timestamp


@dataclass(frozen=True)
class DeliveryOptions:
    """How faithfully (or not) the sender delivers."""

    duplicate_rate: float = 0.0
    drop_rate: float = 0.0
    reorder_window: int = 0
    max_copies: int = 2
    """The most copies a duplicated envelope is sent as (drawn evenly from 2 to this)."""
    never_dropped: frozenset[str] = frozenset()
    """Entities whose envelopes ``drop_rate`` spares (e.g. ``inbound_order``: nothing would find a lost one)."""
    delay: float = 0.0
    max_attempts: int = 5
    retry_backoff: float = 0.05
    timeout: float = 10.0


@dataclass
class DeliveryLog:
    """What happened to the envelopes: sent (2xx, in completion order), dropped on purpose, failed."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0


_STOP = object()


FLUSH_POLL_SECONDS = 0.2


class WebhookSender:
    """Posts envelopes to one URL. Use it as a sandbox listener: ``sender(entity, action, payload, at)``."""

    def __init__(self, url: str, *, seed: int = 0, options: DeliveryOptions | None = None, workers: int = 4) -> None:
        self.url = url
        self.options = options or DeliveryOptions()
        self.log = DeliveryLog()
        self.emitted: list[dict[str, Any]] = []
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._buffer: list[dict[str, Any]] = []
        self._queue: queue.Queue[object] = queue.Queue()
        self._threads = [threading.Thread(target=self._work, daemon=True) for _ in range(max(workers, 1))]
        for thread in self._threads:
            thread.start()

    def envelope(self, entity: str, action: str, payload: dict[str, Any], at: datetime) -> dict[str, Any]:
        """Ginee's envelope for one change; the id is ``GENIE`` + 24 hex digits, unique per notification."""
        with self._lock:
            ident = f"GENIE{self._rng.getrandbits(96):024X}"
        return {"id": ident, "entity": entity, "action": action, "createAt": format_timestamp(at), "payload": payload}

    def __call__(self, entity: str, action: str, payload: dict[str, Any], at: datetime) -> None:
        self.send(self.envelope(entity, action, payload, at))

    def send(self, envelope: dict[str, Any]) -> None:
        """Queue one envelope, applying the drop, duplicate and reorder options."""
        with self._lock:
            self.emitted.append(envelope)
            if self._rng.random() < self.options.drop_rate and envelope.get("entity") not in self.options.never_dropped:
                self.log.dropped.append(envelope)
                return
            copies = 2 if self._rng.random() < self.options.duplicate_rate else 1
            if copies == 2 and self.options.max_copies > 2:
                copies = self._rng.randint(2, self.options.max_copies)
            if self.options.reorder_window > 1:
                self._buffer.extend([envelope] * copies)
                if len(self._buffer) >= self.options.reorder_window:
                    self._release()
                return
        for _ in range(copies):
            self._queue.put(envelope)

    def _release(self) -> None:
        self._rng.shuffle(self._buffer)
        for envelope in self._buffer:
            self._queue.put(envelope)
        self._buffer = []

    def flush(self) -> None:
        """Send anything held back for reordering and wait until every queued envelope is settled."""
        with self._lock:
            self._release()
        # Queue.join() would block in one lock acquire, which a Ctrl-C delivered to another thread never
        # interrupts; a timed wait returns to the interpreter often enough for KeyboardInterrupt to land.
        done = self._queue.all_tasks_done
        with done:
            while self._queue.unfinished_tasks:
                done.wait(FLUSH_POLL_SECONDS)

    def close(self, *, discard: bool = False) -> None:
        """Flush (or, with ``discard``, drop what is not yet sent: the play was interrupted), then stop
        the worker threads."""
        if discard:
            with self._lock:
                self._buffer = []
            while True:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
                self._queue.task_done()
        self.flush()
        for _ in self._threads:
            self._queue.put(_STOP)
        for thread in self._threads:
            thread.join(timeout=5)

    def _work(self) -> None:
        session = requests.Session()
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                assert isinstance(item, dict)
                self._deliver(session, item)
            finally:
                self._queue.task_done()

    def _deliver(self, session: requests.Session, envelope: dict[str, Any]) -> None:
        options = self.options
        if options.delay:
            time.sleep(options.delay)
        for attempt in range(options.max_attempts):
            with self._lock:
                self.log.attempts += 1
            try:
                response = session.post(self.url, json=envelope, timeout=options.timeout)
                if 200 <= response.status_code < 300:
                    with self._lock:
                        self.log.sent.append(envelope)
                    return
            except requests.RequestException:
                pass
            time.sleep(options.retry_backoff * (2**attempt))
        with self._lock:
            self.log.failed.append(envelope)
