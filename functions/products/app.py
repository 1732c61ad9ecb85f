"""Products worker: master products from the products queue become Items in Accurate (created, edited,
suspended), saving only what differs."""

from __future__ import annotations

from omsync.config.settings import settings
from omsync.sync.batch import worker_handler
from omsync.sync.products import sync_products

settings()  # a misconfigured deploy fails here, at cold start

lambda_handler = worker_handler(sync_products, flow="products")
