"""Typed failures of Accurate Online calls, each retryable or permanent.

Transport facts decide first (in the client): HTTP 429 is `RateLimited` whatever the body (honouring
``Retry-After`` within the deadline), 5xx, a dropped connection, a body cut short, unreadable or not an
envelope are `Transient`. Then the envelope: Accurate answers most failures with HTTP 200 and
``{"s": false, "d": ["<Indonesian message>"]}``; the message text, not the status, says what went wrong.
`classify` turns those messages into one of these errors; it is pure, so its rules are tested without a
server.

Error texts: Accurate's messages quote the values they are about (``Kuantitas Barang "SKU-A" …``), and
a value may be data. An error's text keeps Accurate's prose (what the callers' rules read, e.g. "tanggal
kunci periode") and the quoted codes (an SKU the seller must act on), with every other quoted value
shown as ``"…"`` and every long run of digits as ``#`` (`redact`);
the raw texts stay in ``messages`` for code, never for logs. The values an error needs are fields of
their own: a duplicate's ``number``, a missing master's ``kind`` and ``key``. No text carries a URL's
query string or a header.

Retryable: `RateLimited` (the client retries it itself with backoff), `Saturated` (no governor slot before
the deadline), `SessionExpired` and `TokenExpired`
(the client heals them itself, these surface only if healing failed), `Transient` (5xx, timeout,
connection). `Transient` is surfaced on purpose: after an ambiguous failure of a write the document may
exist, so the caller must look it up by number before trying again (exactly-once is the caller's job).
Permanent: `DuplicateNumber`, `MasterNotFound`, `Rejected`, `NotFound`, `InsufficientScope`,
`AuthenticationFailed`, `ForeignHost`.
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
    """More than 8 requests per second or 8 in flight on one token (HTTP 429, or Accurate's text).

    ``retry_after`` is the seconds Accurate asked to wait (HTTP ``Retry-After``), None if it did not say.
    """

    def __init__(self, message: str, messages: Sequence[str] = (), *, retry_after: float | None = None) -> None:
        super().__init__(message, messages)
        self.retry_after = retry_after


class Saturated(AccurateError, RetryableError):
    """The token's governor has no slot free before the invocation's deadline: nothing was sent."""


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


class ForeignHost(AccurateError, PermanentError):
    """A redirect (or an announced data host) outside Accurate's hosts: nothing was sent there.

    ``host`` is the refused host name (never the URL: its query or the credentials are not repeated).
    """

    def __init__(self, host: str) -> None:
        super().__init__(f"refused to follow Accurate to a foreign host: {host}")
        self.host = host


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
_ANY_QUOTED = re.compile(r"[\"“]([^\"”]*)[\"”]|'([^']*)'")
# A code omsync sent (an SKU, a document or account number): one token, no spaces, no "@".
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,39}")
_DIGIT_RUN = re.compile(r"\+?\d[\d .\-]*\d")
_EMAIL = re.compile(r"[^\s\"'()<>@,;]+@[^\s\"'()<>@,;]+")
# Long enough for every rule's marker and the gist of a refusal; an error text is not a transcript.
REDACTED_LENGTH = 300
_SCOPE = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _quoted(match: re.Match[str]) -> str:
    value = match.group(1) if match.group(1) is not None else match.group(2)
    return f'"{value}"' if _CODE.fullmatch(value) else '"…"'


def redact(text: str) -> str:
    """Accurate's prose without data: a quoted value stays only if it is a code (``"SKU-A"``: one token
    of letters, digits and ``._/-``, which the seller needs to find the record) and becomes ``"…"``
    otherwise (names, addresses, warehouse names); then every e-mail address becomes ``…@…`` and every run
    of 5+ digits ``#``."""
    text = _ANY_QUOTED.sub(_quoted, text)
    text = _EMAIL.sub("…@…", text)
    text = _DIGIT_RUN.sub(lambda run: "#" if sum(c.isdigit() for c in run.group()) >= 5 else run.group(), text)
    return text if len(text) <= REDACTED_LENGTH else text[:REDACTED_LENGTH] + "…"


def scope_name(text: str) -> str:
    """The scope named in Accurate's XML ``<scope>…</scope>``, if it looks like one (else empty)."""
    if "<scope>" not in text:
        return ""
    scope = text.split("<scope>", 1)[1].split("</scope>", 1)[0].strip()
    return scope if _SCOPE.fullmatch(scope) else ""


def _duplicate_number(text: str, hint: str | None) -> str:
    if hint:
        return hint
    quoted = _QUOTED.findall(text)
    if quoted:
        return str(quoted[-1])
    return text.rsplit(" ", 1)[-1].strip(" .\"'")


def _missing_master(text: str) -> tuple[str, str]:
    # The kind is Accurate's prose before the value ("Barang", "Pelanggan"); the key is the code omsync sent.
    head = text.split(MISSING_MARKER, 1)[0].strip()
    quoted = _QUOTED.search(head)
    if quoted:
        return redact(head[: quoted.start()].strip()), quoted.group(1)
    kind, _, key = head.partition(" ")
    return redact(kind), key.strip()


def classify(messages: Sequence[str], *, number: str | None = None) -> AccurateError:
    """Turn the messages of an ``s:false`` answer into the matching typed error.

    ``number`` is the document number the request carried, used for `DuplicateNumber` when the message
    names the number in a form that cannot be parsed back. The error's text is the `redact` -ed messages;
    ``messages`` keeps them as Accurate wrote them.
    """
    text = " ".join(str(m) for m in messages) or "unexpected answer"
    lowered = text.lower()
    shown = redact(text)
    if any(marker in lowered for marker in RATE_LIMIT_MARKERS):
        return RateLimited(shown, messages)
    if SESSION_MARKER.lower() in lowered:
        return SessionExpired(shown, messages)
    if TOKEN_MARKER in lowered:
        return TokenExpired(shown, messages)
    if DUPLICATE_MARKER.lower() in lowered:
        return DuplicateNumber(_duplicate_number(text, number), messages)
    if MISSING_MARKER in lowered:
        kind, key = _missing_master(text)
        return MasterNotFound(kind, key, messages)
    if lowered.rstrip(" .").endswith("tidak tepat"):
        return NotFound(shown, messages)
    return Rejected(shown, messages)
