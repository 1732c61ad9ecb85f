"""A second seller on a `LocalWorld`'s stack, and ways to catch everything the run writes or raises.

`second_tenant` gives the world's stack another connection, with a Ginee sandbox and an Accurate sandbox of
its own (its own books, opened as the first seller's were): two tenants whose webhooks land on the same
queues, so one SQS batch can hold orders of both. `LogCatch` gathers every line the run writes: the
functions' Powertools logger (formatted by its own formatter, as CloudWatch would receive it), every other
logger through the logging module's root, and what the worker threads print.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from omsync.ledger.orders import OrderLedger, SyncRecord
from omsync.observability import logger as powertools_logger
from omsync_workshop.scenarios import ScenarioPlayer, apply_event
from omsync_workshop.world import API_TOKEN, GINEE_ACCESS_KEY, GINEE_SECRET_KEY, SIGNATURE_SECRET, LocalWorld


@contextmanager
def second_tenant(world: LocalWorld, mapping_text: str, name: str = "second-seller") -> Iterator[LocalWorld]:
    """Another seller served by ``world``'s stack: the same scenario's shops and catalogue in a Ginee sandbox
    of its own, its own Accurate sandbox with its books opened, its connection registered with its mapping,
    and its webhooks sent to its own URL. The `LocalWorld` yielded is never entered: its stack is ``world``'s.
    """
    tenant = LocalWorld(world.scenario, mapping_text, start_workers=False)
    tenant.stack = world.stack
    tenant.accurate.start()
    tenant.ginee.start()
    try:
        tenant.connection = world.stack.register_connection(
            name,
            ginee_credentials={
                "base_url": tenant.ginee.base_url,
                "access_key": GINEE_ACCESS_KEY,
                "secret_key": GINEE_SECRET_KEY,
            },
            accurate_credentials={
                "kind": "api_token",
                "api_token": API_TOKEN,
                "signature_secret": SIGNATURE_SECRET,
                "account_url": tenant.accurate.base_url,
            },
        )
        tenant.open_books()
        tenant.apply_mapping()
        tenant.sender = tenant.ginee.send_webhooks_to(tenant.connection.webhook_url, options=world.delivery)
        tenant.player = ScenarioPlayer(tenant.ginee.state, tenant.scenario)
        yield tenant
    finally:
        tenant.ginee.stop()
        tenant.accurate.stop()


def pay_orders(world: LocalWorld, order_ids: Iterable[str]) -> None:
    """Create the scenario's orders in ``world``'s Ginee sandbox unannounced, then pay each: one order webhook
    (status PAID) per order, delivered before this returns."""
    wanted = list(order_ids)
    if world.player is None:
        world.player = ScenarioPlayer(world.ginee.state, world.scenario)
    for action in ("create", "pay"):
        for event in world.scenario.events:
            if event.entity == "order" and event.target in wanted and event.action == action:
                apply_event(world.ginee.state, event, notify=action == "pay")
    assert world.sender is not None
    world.sender.flush()


def record_in(world: LocalWorld, order_id: str) -> SyncRecord | None:
    """The Ledger's sync record of one order of ``world``'s connection."""
    return OrderLedger(world.connection_id).load([order_id]).get(order_id)


class _Lines(logging.Handler):
    def __init__(self, formatter: logging.Formatter | None) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        if formatter is not None:
            self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass
class LogCatch:
    """Every line logged while active: the Powertools logger's formatted output (at DEBUG) and every other
    logger's, with messages, extras' text and tracebacks (root handler, standard formatter)."""

    powertools: _Lines = field(default_factory=lambda: _Lines(powertools_logger.registered_formatter))
    others: _Lines = field(
        default_factory=lambda: _Lines(logging.Formatter("%(levelname)s %(name)s %(message)s %(args)s"))
    )
    _level: int = logging.NOTSET

    def __enter__(self) -> Self:
        self._level = powertools_logger.log_level
        powertools_logger.setLevel(logging.DEBUG)
        logging.getLogger(powertools_logger.name).addHandler(self.powertools)
        logging.getLogger().addHandler(self.others)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        logging.getLogger().removeHandler(self.others)
        logging.getLogger(powertools_logger.name).removeHandler(self.powertools)
        powertools_logger.setLevel(self._level)

    @property
    def lines(self) -> list[str]:
        return [*self.powertools.lines, *self.others.lines]


def leaks(texts: Iterable[str], secrets: Iterable[str]) -> list[tuple[str, str]]:
    """Each (secret, text) pair where a text contains the secret (case-insensitive)."""
    wanted = [s for s in secrets if s]
    return [(s, t) for t in texts for s in wanted if s.lower() in t.lower()]
