"""Purchases worker: inbounds and stock adjustments from the purchases queue become Purchase Invoices (or
Receive Items) and Item Adjustments in Accurate, each exactly once."""

from __future__ import annotations

from omsync.config.settings import settings
from omsync.sync.batch import worker_handler
from omsync.sync.purchases import sync_purchases

settings()  # a misconfigured deploy fails here, at cold start

lambda_handler = worker_handler(sync_purchases, flow="purchases")
