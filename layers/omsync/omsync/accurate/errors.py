"""Typed failures of Accurate Online calls, each retryable or permanent.

Accurate answers most failures with HTTP 200 and ``{"s": false, "d": ["<Indonesian message>"]}``; the
message text, not the status, says what went wrong. `classify` turns an answer into one of these errors;
it is pure, so its rules are tested without a server.

Retryable: `RateLimited` (the client retries it itself with backoff), `SessionExpired` and `TokenExpired`
(the client heals them itself, these surface only if healing failed), `Transient` (5xx, timeout,
connection). `Transient` is surfaced on purpose: after an ambiguous failure of a write the document may
exist, so the caller must look it up by number before trying again (exactly-once is the caller's job).
Permanent: `DuplicateNumber`, `MasterNotFound`, `Rejected`, `NotFound`, `InsufficientScope`,
`AuthenticationFailed`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from omsync.errors import OmsyncError, PermanentError, RetryableError

RATE_LIMIT_MARKERS = ("melebihi toleransi", "request/detik", "request per detik")
SESSION_MARKER = "Data Session Key tidak tepat"
TOKEN_MARKER = "invalid_token"
DUPLICATE_MARKER = "Sudah ada data lain dengan"
MISSING_MARKER = "tidak ditemukan atau sudah dihapus"


class AccurateError(OmsyncError):
    """A failure reported by (or on the way to) Accurate Online; ``messages`` are Accurate's own texts."""

    def __init__(self, message: str, messages: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.messages: tuple[str, ...] = tuple(messages) or (message,)


class RateLimited(AccurateError, RetryableError):
    """More than 8 requests per second or 8 in flight on one token."""


class SessionExpired(AccurateError, RetryableError):
    """The database session (``X-Session-ID``) is no longer valid: "Data Session Key tidak tepat"."""


class TokenExpired(AccurateError, RetryableError):
    """The OAuth access token expired or was revoked (``invalid_token``)."""


class Transient(AccurateError, RetryableError):
    """5xx, timeout or a dropped connection: the request may or may not have taken effect."""


class AuthenticationFailed(AccurateError, PermanentError):
    """Credentials refused (bad client secret, revoked API token, wrong signature): a person must act."""


class InsufficientScope(AccurateError, PermanentError):
    """HTTP 403 ``insufficient_scope``: the seller did not grant the scope the call needs."""

    def __init__(self, scope: str) -> None:
        super().__init__(f"insufficient_scope: {scope}")
        self.scope = scope


class DuplicateNumber(AccurateError, PermanentError):
    """Another record already has this number: "Sudah ada data lain dengan …"."""

    def __init__(self, number: str, messages: Sequence[str] = ()) -> None:
        super().__init__(f"duplicate number {number!r}", messages)
        self.number = number


class MasterNotFound(AccurateError, PermanentError):
    """A referenced master (customer, item, warehouse, account …) does not exist: "… tidak ditemukan …"."""

    def __init__(self, kind: str, key: str, messages: Sequence[str] = ()) -> None:
        super().__init__(f"{kind} {key!r} not found", messages)
        self.kind = kind
        self.key = key


class NotFound(AccurateError, PermanentError):
    """The record asked for by id or number does not exist ("… tidak tepat" on ``detail.do``)."""


class Rejected(AccurateError, PermanentError):
    """Accurate refused the request for a business reason stated in ``message``."""


_QUOTED = re.compile(r"[\"“]([^\"”]+)[\"”]")


def _duplicate_number(text: str, hint: str | None) -> str:
    if hint:
        return hint
    quoted = _QUOTED.findall(text)
    if quoted:
        return str(quoted[-1])
    return text.rsplit(" ", 1)[-1].strip(" .\"'")


def _missing_master(text: str) -> tuple[str, str]:
    head = text.split(MISSING_MARKER, 1)[0].strip()
    quoted = _QUOTED.search(head)
    if quoted:
        return head[: quoted.start()].strip(), quoted.group(1)
    kind, _, key = head.partition(" ")
    return kind, key.strip()


def classify(messages: Sequence[str], *, number: str | None = None) -> AccurateError:
    """Turn the messages of an ``s:false`` answer into the matching typed error.

    ``number`` is the document number the request carried, used for `DuplicateNumber` when the message
    names the number in a form that cannot be parsed back.
    """
    text = " ".join(str(m) for m in messages) or "unexpected answer"
    lowered = text.lower()
    if any(marker in lowered for marker in RATE_LIMIT_MARKERS):
        return RateLimited(text, messages)
    if SESSION_MARKER.lower() in lowered:
        return SessionExpired(text, messages)
    if TOKEN_MARKER in lowered:
        return TokenExpired(text, messages)
    if DUPLICATE_MARKER.lower() in lowered:
        return DuplicateNumber(_duplicate_number(text, number), messages)
    if MISSING_MARKER in lowered:
        kind, key = _missing_master(text)
        return MasterNotFound(kind, key, messages)
    if lowered.rstrip(" .").endswith("tidak tepat"):
        return NotFound(text, messages)
    return Rejected(text, messages)
