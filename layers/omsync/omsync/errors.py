"""The three kinds of failure every part of omsync speaks in.

They are raised where the cause is known and handled where the decision is made: a worker retries a
`RetryableError` (the message goes back to its queue), records a `PermanentError` (the message ends in the
DLQ, alarmed), and parks the order on hold for an `OnHold` (the seller must fix something; no DLQ).
"""

from __future__ import annotations


class OmsyncError(Exception):
    """Base of every error omsync raises on purpose."""

    retryable: bool = False


class RetryableError(OmsyncError):
    """A failure that may succeed when tried again unchanged: timeouts, 5xx, rate limits, lease conflicts."""

    retryable = True


class PermanentError(OmsyncError):
    """A failure that will repeat on every try until code or data changes: it belongs in the DLQ."""

    retryable = False


class OnHold(OmsyncError):
    """Something only the seller can fix: park the work with a reason and a hint, release it once fixed.

    `cause` is a stable machine key used to group holds (``unmapped_store``, ``missing_sku`` …);
    `reason` says what is wrong in the seller's words and `hint` how to fix it.
    """

    retryable = False

    def __init__(self, cause: str, reason: str, hint: str) -> None:
        super().__init__(f"{cause}: {reason}")
        self.cause = cause
        self.reason = reason
        self.hint = hint
