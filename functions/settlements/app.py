"""Settlements worker: completed orders of estimate stores get their Sales Receipt, with the marketplace fees."""

from __future__ import annotations

from omsync.config.settings import settings
from omsync.sync.batch import worker_handler
from omsync.sync.settlements import converge_settlements

settings()  # a misconfigured deploy fails here, at cold start

lambda_handler = worker_handler(converge_settlements, flow="settlements")
