"""How omsync proves who it is to Accurate Online: an OAuth2 token or an API token with a signature.

OAuth2 (authorization code): the seller approves omsync once; the code is exchanged for an access token
(about 15 days) and a refresh token. Refreshing returns a *new* refresh token that replaces the old one,
so every refresh hands the new pair to the caller's ``on_refresh`` callback, which must persist it (in
production: back into Secrets Manager under a lock). Data calls also need a database session
(``X-Session-ID`` from ``open-db.do``), kept by the client.

API token: a static ``aat.…`` bearer token plus, on every request, ``X-Api-Timestamp`` and
``X-Api-Signature`` = lowercase hex HMAC-SHA256 of the timestamp keyed by the signature secret. No session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode

import requests

from omsync import deadline
from omsync.accurate.documents import from_json
from omsync.accurate.errors import AuthenticationFailed, Transient
from omsync.errors import describe_answer

ACCOUNT_URL = "https://account.accurate.id"


def sign(timestamp: str, signature_secret: str) -> str:
    """The ``X-Api-Signature`` of a timestamp: HMAC-SHA256 keyed by the signature secret, lowercase hex."""
    return hmac.new(signature_secret.encode(), timestamp.encode(), hashlib.sha256).hexdigest()


def fingerprint(token: str) -> str:
    """A stable, non-secret name for a token: the rate limit is per token, so its governor keys on this."""
    return hashlib.sha256(token.encode()).hexdigest()[:24]


class Auth(Protocol):
    """What the client needs from an authentication method."""

    @property
    def uses_session(self) -> bool:
        """True when data calls need an ``X-Session-ID`` from ``open-db.do`` (OAuth)."""
        ...

    @property
    def token_fingerprint(self) -> str:
        """Key of the per-token rate budget."""
        ...

    def headers(self) -> dict[str, str]:
        """Headers proving identity on one request."""
        ...

    def refresh(self) -> None:
        """Get a fresh credential after ``invalid_token``; raises `AuthenticationFailed` if impossible."""
        ...


@dataclass(frozen=True)
class ApiTokenAuth:
    """An Accurate API token and its signature secret (one token = one company database)."""

    api_token: str
    signature_secret: str
    clock: Callable[[], float] = time.time

    @property
    def uses_session(self) -> bool:
        return False

    @property
    def token_fingerprint(self) -> str:
        return fingerprint(self.api_token)

    def headers(self) -> dict[str, str]:
        timestamp = str(int(self.clock()))
        return {
            "Authorization": f"Bearer {self.api_token}",
            "X-Api-Timestamp": timestamp,
            "X-Api-Signature": sign(timestamp, self.signature_secret),
        }

    def refresh(self) -> None:
        raise AuthenticationFailed("the API token was refused; the seller must create a new one")


@dataclass(frozen=True)
class OAuthTokens:
    """An OAuth2 token pair as Accurate issues it; ``expires_at`` is epoch seconds."""

    access_token: str
    refresh_token: str
    expires_at: float


def authorize_url(client_id: str, redirect_uri: str, scope: str, state: str, account_url: str = ACCOUNT_URL) -> str:
    """Where to send the seller's browser to approve omsync (request every scope at once: re-consent replaces them)."""
    query = urlencode(
        {"client_id": client_id, "response_type": "code", "redirect_uri": redirect_uri, "scope": scope, "state": state}
    )
    return f"{account_url}/oauth/authorize?{query}"


def _token_request(
    http: requests.Session, account_url: str, client_id: str, client_secret: str, form: dict[str, str]
) -> OAuthTokens:
    """POST the token endpoint and read the new pair.

    Classified like every Accurate answer, transport facts first: no answer, a body cut short, HTTP 429 or
    5xx, or an HTTP 200 that is unreadable or lacks the pair → `Transient` (try again); a readable refusal
    (4xx, ``{"error": …}``) → `AuthenticationFailed`. No text repeats the body, the form or a header.
    """
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    try:
        response = http.post(
            f"{account_url}/oauth/token",
            data=form,
            headers={"Authorization": f"Basic {basic}"},
            timeout=(deadline.request_timeout(5), deadline.request_timeout(30)),  # seconds, within the invocation
            allow_redirects=False,  # the Basic credentials go to the configured account host only
        )
    except (requests.RequestException, ValueError) as exc:
        # ValueError: requests (2.34) prepares a redirect's next hop even when not following it, and
        # urlsplit raises on a malformed Location.
        raise Transient(f"token endpoint unreachable: {type(exc).__name__}") from exc
    status = response.status_code
    if status == 429 or status >= 500:
        raise Transient(f"token endpoint answered HTTP {status} ({describe_answer(response)})")
    try:
        body = from_json(response.content)
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        if status == 200:
            raise Transient(f"token endpoint answered HTTP 200 without a token ({describe_answer(response)})")
        raise AuthenticationFailed(f"token request refused: HTTP {status} ({describe_answer(response)})")
    tokens = (body.get("access_token"), body.get("refresh_token"))
    try:
        lifetime = float(body.get("expires_in", 0))  # seconds: an int, a Decimal or a numeric string
    except (TypeError, ValueError):
        lifetime = math.nan
    if status == 200 and all(isinstance(t, str) and t for t in tokens) and math.isfinite(lifetime):
        return OAuthTokens(access_token=str(tokens[0]), refresh_token=str(tokens[1]), expires_at=time.time() + lifetime)
    if status == 200 and "error" not in body:
        raise Transient("token endpoint answered HTTP 200 without a readable token pair")
    error = body.get("error")
    code = error if isinstance(error, str) and error.replace("_", "").isalnum() and len(error) <= 40 else "refused"
    raise AuthenticationFailed(f"token request refused: HTTP {status}: {code}")


def exchange_code(
    code: str,
    redirect_uri: str,
    client_id: str,
    client_secret: str,
    account_url: str = ACCOUNT_URL,
    http: requests.Session | None = None,
) -> OAuthTokens:
    """Exchange the authorization code from the redirect for a token pair (HTTP Basic client credentials)."""
    return _token_request(
        http or requests.Session(),
        account_url,
        client_id,
        client_secret,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
    )


class TokenKeeper(Protocol):
    """Where a connection's OAuth pair lives, and who may refresh it.

    Accurate's refresh token works once, so of several processes holding the same stale pair only one may
    trade it in; the others must adopt the pair it stored. ``renew`` runs under the keeper's lease.
    """

    def renew(self, stale: OAuthTokens, refresh: Callable[[str], OAuthTokens]) -> OAuthTokens:
        """A pair newer than ``stale``: the stored one when another process already refreshed, otherwise
        ``refresh(stored_refresh_token)``, stored before it is returned. Raises `AuthenticationFailed`
        when Accurate refuses the stored refresh token (the seller must authorise omsync again)."""
        ...


@dataclass(frozen=True)
class CallbackKeeper:
    """A keeper for one process (tools, tests): refreshes every time and hands each new pair to ``on_refresh``."""

    on_refresh: Callable[[OAuthTokens], None]

    def renew(self, stale: OAuthTokens, refresh: Callable[[str], OAuthTokens]) -> OAuthTokens:
        new = refresh(stale.refresh_token)
        self.on_refresh(new)
        return new


class OAuthAuth:
    """OAuth2 bearer auth that renews its pair through a `TokenKeeper` when Accurate says ``invalid_token``."""

    def __init__(
        self,
        tokens: OAuthTokens,
        client_id: str,
        client_secret: str,
        keeper: TokenKeeper,
        account_url: str = ACCOUNT_URL,
        http: requests.Session | None = None,
    ) -> None:
        self._tokens = tokens
        self._client_id = client_id
        self._client_secret = client_secret
        self._keeper = keeper
        self._account_url = account_url
        self._http = http or requests.Session()
        self._lock = threading.Lock()

    @property
    def tokens(self) -> OAuthTokens:
        """The current token pair."""
        return self._tokens

    @property
    def uses_session(self) -> bool:
        return True

    @property
    def token_fingerprint(self) -> str:
        # Accurate counts per access token; after a refresh the new token has its own budget.
        return fingerprint(self._tokens.access_token)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._tokens.access_token}"}

    def refresh(self) -> None:
        """Replace the refused pair with a newer one: adopted from the keeper, or traded in and stored by it."""
        with self._lock:
            self._tokens = self._keeper.renew(self._tokens, self._refresh_with)

    def _refresh_with(self, refresh_token: str) -> OAuthTokens:
        """Trade a refresh token for a new pair (the old refresh token is dead afterwards)."""
        return _token_request(
            self._http,
            self._account_url,
            self._client_id,
            self._client_secret,
            {"grant_type": "refresh_token", "refresh_token": refresh_token},
        )
