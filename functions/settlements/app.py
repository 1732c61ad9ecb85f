"""Settlements worker: completed orders of estimate stores get their Sales Receipt, with the marketplace fees."""

from __future__ import annotations

from typing import TYPE_CHECKING

from omsync.config.settings import settings
from omsync.sync.worker import worker_handler

if TYPE_CHECKING:
    from omsync.sync.batch import UseCase

settings()  # a misconfigured deploy fails here, at cold start


def use_case() -> UseCase:
    """The flow, imported by the first invocation (`omsync.sync.worker`: not at cold start)."""
    from omsync.sync.settlements import converge_settlements

    return converge_settlements


lambda_handler = worker_handler(use_case, flow="settlements")
