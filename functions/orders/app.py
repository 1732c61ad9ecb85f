"""Orders worker: paid orders from the orders queue become Sales Invoices in Accurate."""

from __future__ import annotations

from omsync.config.settings import settings
from omsync.sync.batch import worker_handler
from omsync.sync.orders import converge_orders

settings()  # a misconfigured deploy fails here, at cold start

lambda_handler = worker_handler(converge_orders, flow="orders")
