"""Ginee's request signature: ``Authorization: {AccessKey}:{Base64(HMAC-SHA256(secret, METHOD$path$))}``.

Only the method and the path are signed: no body, no timestamp, no nonce, and the query string is
appended after signing. The header for one endpoint therefore never changes, so it is a bearer secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlsplit


def string_to_sign(method: str, path: str) -> str:
    """``METHOD$path$`` with the query string (if any) left out, e.g. ``POST$/openapi/order/v1/batch-get$``."""
    return f"{method.upper()}${urlsplit(path).path}$"


def signature(secret_key: str, method: str, path: str) -> str:
    """Base64 of the HMAC-SHA256 of the string to sign, keyed with the raw secret."""
    digest = hmac.new(secret_key.encode("utf-8"), string_to_sign(method, path).encode("utf-8"), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode("ascii")


def authorization(access_key: str, secret_key: str, method: str, path: str) -> str:
    """The ``Authorization`` header value for one request."""
    return f"{access_key}:{signature(secret_key, method, path)}"


def verify(header: str | None, keys: dict[str, str], method: str, path: str) -> bool:
    """True when ``header`` is a valid signature by one of ``keys`` (access key → secret key).

    The comparison is constant-time so a caller cannot learn a signature byte by byte.
    """
    if not header or ":" not in header:
        return False
    access_key, _, given = header.partition(":")
    secret = keys.get(access_key)
    if secret is None:
        return False
    return hmac.compare_digest(given.encode("ascii", "replace"), signature(secret, method, path).encode("ascii"))
