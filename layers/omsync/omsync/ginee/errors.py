"""Ginee's failures as typed errors, on top of omsync's three kinds.

Ginee answers HTTP 200 even when a call fails, so the envelope's ``code`` decides which error is raised
(`error_for_code`); HTTP 429 and 5xx answers are retryable whatever their body says.
"""

from __future__ import annotations

from omsync.errors import PermanentError, RetryableError


class GineeError(PermanentError):
    """A call Ginee refused. ``code`` is the envelope's code, ``transaction_id`` its trace id if any."""

    def __init__(self, code: str, message: str, *, path: str = "", transaction_id: str | None = None) -> None:
        super().__init__(f"{path}: {code}: {message}" if path else f"{code}: {message}")
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
    """``BUSINESS_ERROR``: Ginee refused on business grounds (message says why)."""


class UnknownGineeError(GineeError):
    """An envelope code omsync does not know; kept with its message rather than guessed at."""


class ServiceBusy(RetryableError):
    """``SERVICE_BUSY``, HTTP 429 or 5xx: try again later. ``retry_after`` is seconds when Ginee said."""

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


def error_for_code(code: str, message: str, *, path: str = "", transaction_id: str | None = None) -> Exception:
    """The typed error for a non-SUCCESS envelope (`ServiceBusy` for ``SERVICE_BUSY``)."""
    if code == "SERVICE_BUSY":
        return ServiceBusy(f"{path}: {code}: {message}")
    cls = _BY_CODE.get(code, UnknownGineeError)
    if cls is IamFailed and SIGNATURE_MESSAGE_MARK in message.lower():
        cls = SignatureRejected
    return cls(code, message, path=path, transaction_id=transaction_id)
