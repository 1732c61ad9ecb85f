"""Ginee's failures as typed errors, on top of omsync's three kinds.

Transport facts decide first: HTTP 429 and 5xx, a dropped or timed-out connection, a body cut short or
unreadable, an HTTP 200 that is not a Ginee envelope — all `ServiceBusy` (retryable), whatever the body
says. Then the envelope: Ginee answers HTTP 200 even when a call fails, so its ``code`` decides which
error is raised (`error_for_code`).

No error text carries Ginee's body or message (they can quote buyers' names, phones and addresses): a
text says what was wrong — path, HTTP status, length and content type of the answer, Ginee's ``code`` and
``transactionId`` (with which Ginee support finds the call).
"""

from __future__ import annotations

import re

from omsync.errors import PermanentError, RetryableError

# Ginee's codes are UPPER_SNAKE words and its transaction ids short tokens; anything else is not shown.
_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,39}")
_TRANSACTION_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def _trace(transaction_id: str | None) -> str:
    if not transaction_id:
        return ""
    shown = transaction_id if _TRANSACTION_ID.fullmatch(transaction_id) else "(unreadable)"
    return f" (transactionId {shown})"


class GineeError(PermanentError):
    """A call Ginee refused. ``code`` is the envelope's code (``HTTP_404`` … without one), ``transaction_id``
    its trace id if any, ``path`` the API path called, ``detail`` omsync's own words about the answer.

    ``message`` is Ginee's own text, kept for code that must tell refusals apart; it may quote buyer data,
    so it is never part of ``str(error)`` and must not be logged.
    """

    def __init__(
        self,
        code: str,
        *,
        path: str = "",
        transaction_id: str | None = None,
        detail: str = "",
        message: str = "",
    ) -> None:
        text = f"{path}: {code}" if path else code
        super().__init__(f"{text}{': ' + detail if detail else ''}{_trace(transaction_id)}")
        self.code = code
        self.message = message
        self.path = path
        self.transaction_id = transaction_id


class ParameterError(GineeError):
    """``PARAMETER_ERROR``: the request broke a documented limit (window > 15 days, size > 100 …)."""


class DataNotExisted(GineeError):
    """``DATA_NOT_EXISTED``: the order, product or inbound asked for is not there."""


class IamFailed(GineeError):
    """``IAM_FAILED``: the key may not call this endpoint (permissions are scoped per key)."""


class SignatureRejected(IamFailed):
    """The ``Authorization`` header did not verify: wrong access key, secret or signed path."""


class BusinessError(GineeError):
    """``BUSINESS_ERROR``: Ginee refused on business grounds (Ginee's message, not kept, says why)."""


class UnknownGineeError(GineeError):
    """An envelope code omsync does not know, or a non-2xx answer without an envelope (``HTTP_<status>``)."""


class MalformedAnswer(GineeError):
    """A SUCCESS envelope whose ``data`` does not have the shape the endpoint documents."""


class ServiceBusy(RetryableError):
    """``SERVICE_BUSY``, HTTP 429 or 5xx, a dropped connection or an unreadable answer: try again later.

    ``retry_after`` is the seconds Ginee asked to wait (HTTP ``Retry-After``), if it said; ``status`` the
    HTTP status, if an answer came.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


_BY_CODE: dict[str, type[GineeError]] = {
    "PARAMETER_ERROR": ParameterError,
    "DATA_NOT_EXISTED": DataNotExisted,
    "IAM_FAILED": IamFailed,
    "BUSINESS_ERROR": BusinessError,
}

SIGNATURE_MESSAGE_MARK = "signature"


def error_for_code(
    code: str, message: str, *, path: str = "", transaction_id: str | None = None
) -> GineeError | ServiceBusy:
    """The typed error for a non-SUCCESS envelope (`ServiceBusy` for ``SERVICE_BUSY``).

    ``message`` (Ginee's text) only tells a rejected signature from other ``IAM_FAILED``; it is not kept.
    """
    if code == "SERVICE_BUSY":
        return ServiceBusy(f"{path}: {code}{_trace(transaction_id)}")
    cls = _BY_CODE.get(code, UnknownGineeError)
    if cls is IamFailed and SIGNATURE_MESSAGE_MARK in message.lower():
        cls = SignatureRejected
    # An unknown code is Ginee's own word, but only a code-shaped one is shown: it lands in the error text.
    shown = code if _CODE.fullmatch(code) else "UNRECOGNISED_CODE"
    return cls(shown, path=path, transaction_id=transaction_id, message=message)
