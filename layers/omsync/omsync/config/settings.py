"""The environment every omsync function runs in, validated once at cold start.

A misconfigured deploy (a missing table name, a queue URL that is not a URL) fails at cold start, when the
handler's module calls `settings()`, with a clear error instead of half-working. Variables are the ones
template.yaml sets in `Globals.Function.Environment`; function-specific variables belong in that function's own
settings.

Checked by hand, not by a pydantic model: importing pydantic and building a first model costs about 150 ms of
CPU in a fresh python3.13, over half of the 250 ms a function's import may take (issue 21; docs/ARCHITECTURE.md,
"The bench table"), and the settings are a handful of variables under three rules (one of three stages, a
non-empty name, an http(s) URL).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, Final, Literal

Stage = Literal["dev", "staging", "prod"]
STAGES: Final = ("dev", "staging", "prod")
_QUEUE_URL: Final = re.compile(r"https?://\S+")


class WorkQueue(StrEnum):
    """The five work queues; each is drained by its own worker function."""

    ORDERS = "orders"
    CANCELLATIONS = "cancellations"
    SETTLEMENTS = "settlements"
    PRODUCTS = "products"
    PURCHASES = "purchases"


class SettingsError(ValueError):
    """The environment cannot make `Settings`: ``variables`` names each variable missing or wrong (sorted), and
    the message says what each must be (never its value)."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.variables: tuple[str, ...] = tuple(sorted(problems))
        super().__init__("; ".join(f"{name}: {problems[name]}" for name in self.variables))


def _variable(name: str, rule: Literal["stage", "name", "queue_url"]) -> Any:
    """A settings field read from the environment variable ``name`` under ``rule``."""
    return field(metadata={"variable": name, "rule": rule})


@dataclass(frozen=True)
class Settings:
    """What a function needs to find its tables and queues."""

    stage: Stage = _variable("STAGE", "stage")
    ledger_table: str = _variable("LEDGER_TABLE", "name")
    orders_queue_url: str = _variable("ORDERS_QUEUE_URL", "queue_url")
    cancellations_queue_url: str = _variable("CANCELLATIONS_QUEUE_URL", "queue_url")
    settlements_queue_url: str = _variable("SETTLEMENTS_QUEUE_URL", "queue_url")
    products_queue_url: str = _variable("PRODUCTS_QUEUE_URL", "queue_url")
    purchases_queue_url: str = _variable("PURCHASES_QUEUE_URL", "queue_url")

    @classmethod
    def variables(cls) -> tuple[str, ...]:
        """The environment variables the settings are made of, in field order."""
        return tuple(str(f.metadata["variable"]) for f in fields(cls))

    @classmethod
    def from_environment(cls, environment: Mapping[str, str]) -> Settings:
        """The settings ``environment`` holds (other variables are ignored); raises `SettingsError` naming every
        variable that is missing or breaks its rule: ``STAGE`` one of dev, staging, prod; a table name not
        empty; a queue URL ``http(s)://`` without spaces."""
        values: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for f in fields(cls):
            name, rule = str(f.metadata["variable"]), f.metadata["rule"]
            value = environment.get(name)
            if value is None:
                problems[name] = "missing"
            elif rule == "stage" and value not in STAGES:
                problems[name] = f"must be one of {', '.join(STAGES)}"
            elif rule == "name" and not value:
                problems[name] = "must not be empty"
            elif rule == "queue_url" and not _QUEUE_URL.fullmatch(value):
                problems[name] = "must be an http(s) URL"
            else:
                values[f.name] = value
        if problems:
            raise SettingsError(problems)
        return cls(**values)

    def queue_url(self, queue: WorkQueue) -> str:
        """The URL of one work queue."""
        urls: dict[WorkQueue, str] = {
            WorkQueue.ORDERS: self.orders_queue_url,
            WorkQueue.CANCELLATIONS: self.cancellations_queue_url,
            WorkQueue.SETTLEMENTS: self.settlements_queue_url,
            WorkQueue.PRODUCTS: self.products_queue_url,
            WorkQueue.PURCHASES: self.purchases_queue_url,
        }
        return urls[queue]


@functools.cache
def settings() -> Settings:
    """The validated settings of this process (raises `SettingsError` when the environment is wrong).

    Cached like a cold start; `reset()` forgets them (tests and the local stack call it).
    """
    return Settings.from_environment(os.environ)


def reset() -> None:
    """Forget the cached settings so the next `settings()` reads the environment again."""
    settings.cache_clear()
