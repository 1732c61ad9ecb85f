"""The environment every omsync function runs in, validated once at cold start.

A misconfigured deploy (a missing table name, a queue URL that is not a URL) fails on the first
invocation with a clear error instead of half-working. Variables are the ones template.yaml sets in
`Globals.Function.Environment`; function-specific variables belong in that function's own model.
"""

from __future__ import annotations

import functools
import os
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class WorkQueue(StrEnum):
    """The five work queues; each is drained by its own worker function."""

    ORDERS = "orders"
    CANCELLATIONS = "cancellations"
    SETTLEMENTS = "settlements"
    PRODUCTS = "products"
    PURCHASES = "purchases"


QueueUrl = Annotated[str, Field(pattern=r"^https?://\S+$")]
Name = Annotated[str, Field(min_length=1)]


class Settings(BaseModel):
    """What a function needs to find its tables and queues."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    stage: Literal["dev", "staging", "prod"] = Field(alias="STAGE")
    ledger_table: Name = Field(alias="LEDGER_TABLE")
    idempotency_table: Name = Field(alias="IDEMPOTENCY_TABLE")
    orders_queue_url: QueueUrl = Field(alias="ORDERS_QUEUE_URL")
    cancellations_queue_url: QueueUrl = Field(alias="CANCELLATIONS_QUEUE_URL")
    settlements_queue_url: QueueUrl = Field(alias="SETTLEMENTS_QUEUE_URL")
    products_queue_url: QueueUrl = Field(alias="PRODUCTS_QUEUE_URL")
    purchases_queue_url: QueueUrl = Field(alias="PURCHASES_QUEUE_URL")

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
    """The validated settings of this process (raises pydantic.ValidationError when the environment is wrong).

    Cached like a cold start; `reset()` forgets them (tests and the local stack call it).
    """
    return Settings.model_validate(dict(os.environ))


def reset() -> None:
    """Forget the cached settings so the next `settings()` reads the environment again."""
    settings.cache_clear()
