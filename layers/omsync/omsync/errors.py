"""The three kinds of failure every part of omsync speaks in, and how an error text may describe an answer.

They are raised where the cause is known and handled where the decision is made: a worker retries a
`RetryableError` (the message goes back to its queue), records a `PermanentError` (the message ends in the
DLQ, alarmed), and parks the order on hold for an `OnHold` (the seller must fix something; no DLQ).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Protocol

# A media type as RFC 9110 writes one; anything else in Content-Type is not shown.
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+-]{1,64}/[A-Za-z0-9!#$&^_.+-]{1,64}")


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


class Answer(Protocol):
    """The parts of an HTTP answer `describe_answer` reads (a `requests.Response` has them)."""

    @property
    def content(self) -> bytes: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


def describe_answer(response: Answer) -> str:
    """What an answer looked like without what it said: ``"<n> bytes, <media type>"``."""
    media = response.headers.get("Content-Type", "").split(";", 1)[0].strip()
    shown = media if _MEDIA_TYPE.fullmatch(media) else ("no content type" if not media else "odd content type")
    return f"{len(response.content)} bytes, {shown}"
