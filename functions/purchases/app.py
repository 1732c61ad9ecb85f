"""Purchases worker: inbounds and stock adjustments from the purchases queue become Purchase Invoices (or
Receive Items) and Item Adjustments in Accurate, each exactly once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from omsync.config.settings import settings
from omsync.sync.worker import worker_handler

if TYPE_CHECKING:
    from omsync.sync.batch import UseCase

settings()  # a misconfigured deploy fails here, at cold start


def use_case() -> UseCase:
    """The flow, imported by the first invocation (`omsync.sync.worker`: not at cold start)."""
    from omsync.sync.purchases import sync_purchases

    return sync_purchases


lambda_handler = worker_handler(use_case, flow="purchases")
