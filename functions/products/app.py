"""Products worker: master products from the products queue become Items in Accurate (created, edited,
suspended), saving only what differs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from omsync.config.settings import settings
from omsync.sync.worker import worker_handler

if TYPE_CHECKING:
    from omsync.sync.batch import UseCase

settings()  # a misconfigured deploy fails here, at cold start


def use_case() -> UseCase:
    """The flow, imported by the first invocation (`omsync.sync.worker`: not at cold start)."""
    from omsync.sync.products import sync_products

    return sync_products


lambda_handler = worker_handler(use_case, flow="products")
