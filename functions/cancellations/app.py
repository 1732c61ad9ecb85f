"""Cancellations worker: cancelled and returned orders get their invoice deleted or their Sales Returns."""

from __future__ import annotations

from omsync.config.settings import settings
from omsync.sync.batch import worker_handler
from omsync.sync.cancellations import converge_cancellations

settings()  # a misconfigured deploy fails here, at cold start

lambda_handler = worker_handler(converge_cancellations, flow="cancellations")
