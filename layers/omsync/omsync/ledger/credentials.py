"""A connection's credentials in Secrets Manager: the Ginee keys and the Accurate API token or OAuth tokens.

Secrets are named ``omsync/{stage}/{connection_id}/ginee`` and ``…/accurate``; the connection record in
the Ledger keeps only their ARNs. Accurate's OAuth refresh token works once, so the refresh itself (not
only the write-back) happens under a lease item in the Ledger (pk ``CONN#{id}``, sk
``LOCK#accurate-tokens``): one worker trades the token in and stores the new pair, the others adopt it
(`SecretTokenKeeper`). Workers only read the Ginee secret and read and write the Accurate one.
"""

from __future__ import annotations

import functools
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Literal

import boto3
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from omsync import deadline
from omsync.accurate.auth import ACCOUNT_URL, ApiTokenAuth, OAuthAuth, OAuthTokens, TokenKeeper
from omsync.accurate.client import AccurateClient
from omsync.accurate.errors import AccurateError
from omsync.accurate.governor import Governor
from omsync.errors import RetryableError
from omsync.ledger.tables import ledger_table

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

TOKEN_LOCK_SK = "LOCK#accurate-tokens"
# Longer than one token request may take (5 s to connect, 30 s to answer), so a live holder keeps it.
LOCK_SECONDS = 60
LOCK_WAIT_SECONDS = 20.0


class _Secret(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GineeCredentials(_Secret):
    """Ginee OpenAPI keys of one Ginee account."""

    base_url: str = Field(min_length=1)
    access_key: str = Field(min_length=1)
    secret_key: str = Field(min_length=1)
    country: str = "ID"


class AccurateApiToken(_Secret):
    """An Accurate API token (one company database) and the secret that signs each request's timestamp."""

    kind: Literal["api_token"] = "api_token"
    api_token: str = Field(min_length=1)
    signature_secret: str = Field(min_length=1)
    account_url: str = ACCOUNT_URL
    database_id: int | None = None


class AccurateOAuth(_Secret):
    """Accurate OAuth credentials: the app's client id and secret, the current token pair and the chosen database."""

    kind: Literal["oauth"] = "oauth"
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    access_token: str = Field(min_length=1)
    refresh_token: str = Field(min_length=1)
    expires_at: float
    database_id: int
    account_url: str = ACCOUNT_URL

    @property
    def tokens(self) -> OAuthTokens:
        """The stored token pair."""
        return OAuthTokens(self.access_token, self.refresh_token, self.expires_at)


AccurateCredentials = Annotated[AccurateApiToken | AccurateOAuth, Field(discriminator="kind")]
_ACCURATE: TypeAdapter[AccurateApiToken | AccurateOAuth] = TypeAdapter(AccurateCredentials)


def stage() -> str:
    """The deployment stage secrets are named under (env ``STAGE``, default ``dev``)."""
    return os.environ.get("STAGE") or "dev"


def secret_name(connection_id: str, kind: Literal["ginee", "accurate"]) -> str:
    """``omsync/{stage}/{connection_id}/{kind}``."""
    return f"omsync/{stage()}/{connection_id}/{kind}"


@functools.cache
def secretsmanager() -> SecretsManagerClient:
    """The process-wide Secrets Manager client, created on first use (so it sees AWS_ENDPOINT_URL as it is then)."""
    return boto3.client("secretsmanager")


def reset() -> None:
    """Drop the cached client."""
    secretsmanager.cache_clear()


class TokenLockBusy(RetryableError):
    """Another process held the token lock for longer than we were willing to wait."""


class CredentialStore:
    """Reads and writes a connection's credentials in Secrets Manager."""

    def put_ginee(self, connection_id: str, creds: GineeCredentials) -> str:
        """Store (or replace) the Ginee keys; returns the secret's ARN."""
        return self._put(secret_name(connection_id, "ginee"), creds.model_dump_json())

    def put_accurate(self, connection_id: str, creds: AccurateApiToken | AccurateOAuth) -> str:
        """Store (or replace) the Accurate credentials; returns the secret's ARN."""
        return self._put(secret_name(connection_id, "accurate"), creds.model_dump_json())

    def ginee(self, secret_id: str) -> GineeCredentials:
        """The Ginee keys in a secret (ARN or name)."""
        return GineeCredentials.model_validate_json(self._get(secret_id))

    def accurate(self, secret_id: str) -> AccurateApiToken | AccurateOAuth:
        """The Accurate credentials in a secret (ARN or name)."""
        return _ACCURATE.validate_json(self._get(secret_id))

    def put_accurate_tokens(self, secret_id: str, tokens: OAuthTokens) -> None:
        """Replace the token pair in an OAuth secret, keeping its client and database.

        Call it only under the connection's token lease (`TokenLease`): the pair written must be the
        newest. Raises `ValueError` when the secret holds an API token.
        """
        stored = self.accurate(secret_id)
        if not isinstance(stored, AccurateOAuth):
            raise ValueError("the connection's Accurate secret holds an API token, not OAuth tokens")
        updated = stored.model_copy(
            update={
                "access_token": tokens.access_token,
                "refresh_token": tokens.refresh_token,
                "expires_at": tokens.expires_at,
            }
        )
        secretsmanager().put_secret_value(SecretId=secret_id, SecretString=updated.model_dump_json())

    def delete(self, *secret_ids: str, recovery_days: int = 7) -> None:
        """Schedule the deletion of these secrets (ARNs or names), recoverable for ``recovery_days`` (7 to 30);
        a secret that does not exist (an OAuth connection never authorized) is skipped."""
        client = secretsmanager()
        for secret_id in secret_ids:
            try:
                client.delete_secret(SecretId=secret_id, RecoveryWindowInDays=recovery_days)
            except ClientError as error:
                if error.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise

    # --- Secrets Manager --------------------------------------------------------------------------------

    @staticmethod
    def _put(name: str, text: str) -> str:
        client = secretsmanager()
        try:
            return client.create_secret(Name=name, SecretString=text)["ARN"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceExistsException":
                raise
        return client.put_secret_value(SecretId=name, SecretString=text)["ARN"]

    @staticmethod
    def _get(secret_id: str) -> str:
        return secretsmanager().get_secret_value(SecretId=secret_id)["SecretString"]


class TokenLease:
    """The lease on a connection's Accurate token pair: an item of the Ledger (pk ``CONN#{id}``, sk
    ``LOCK#accurate-tokens``) taken and given back with conditional writes.

    Whoever holds it may trade the refresh token in and store the new pair; a holder that dies keeps it
    only ``LOCK_SECONDS``. Giving it back is an update (expiry set to 0), not a delete, so the workers'
    policies need no ``dynamodb:DeleteItem``.
    """

    def __init__(self, connection_id: str, sleep: Callable[[float], None] = time.sleep) -> None:
        self._key = {"pk": f"CONN#{connection_id}", "sk": TOKEN_LOCK_SK}
        self._connection_id = connection_id
        self._sleep = sleep

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lease for the block; raises `TokenLockBusy` after ``LOCK_WAIT_SECONDS`` of waiting (or
        when the invocation's budget runs out first)."""
        holder = self._take()
        try:
            yield
        finally:
            self._give_back(holder)

    def _take(self) -> str:
        holder = uuid.uuid4().hex
        # Within the invocation's budget too (`omsync.deadline`): a busy lease then sends the batch back.
        left = deadline.remaining()
        patience = LOCK_WAIT_SECONDS if left is None else min(LOCK_WAIT_SECONDS, left)
        give_up_at = time.monotonic() + patience
        while True:
            now = int(time.time())
            try:
                ledger_table().put_item(
                    Item={**self._key, "holder": holder, "expires_at": now + LOCK_SECONDS},
                    # Free, given back, or left behind by a holder that died (its expiry passed).
                    ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
                    ExpressionAttributeValues={":now": now},
                )
                return holder
            except ClientError as error:
                if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
            if time.monotonic() + 0.1 > give_up_at:
                raise TokenLockBusy(f"the Accurate token lease of connection {self._connection_id} stayed taken")
            self._sleep(0.1)

    def _give_back(self, holder: str) -> None:
        try:
            ledger_table().update_item(
                Key=self._key,
                UpdateExpression="SET expires_at = :zero",
                ConditionExpression="holder = :me",
                ExpressionAttributeValues={":me": holder, ":zero": 0},
            )
        except ClientError as error:
            # Our lease lapsed and someone else holds it now: theirs to give back.
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise


class SecretTokenKeeper:
    """The `TokenKeeper` of a connection on AWS: its pair in Secrets Manager, renewed under its `TokenLease`.

    Of several warm workers refused with the same stale pair, the first to take the lease refreshes and
    stores the new pair; each later one finds a stored pair other than its own and adopts it, without
    spending a refresh token that is already dead (Accurate would answer ``invalid_grant``).
    """

    def __init__(self, connection_id: str, secret_id: str, store: CredentialStore | None = None) -> None:
        self._secret_id = secret_id
        self._store = store or CredentialStore()
        self._lease = TokenLease(connection_id)

    def renew(self, stale: OAuthTokens, refresh: Callable[[str], OAuthTokens]) -> OAuthTokens:
        with self._lease.held():
            stored = self._store.accurate(self._secret_id)
            if not isinstance(stored, AccurateOAuth):
                raise ValueError("the connection's Accurate secret holds an API token, not OAuth tokens")
            if stored.access_token != stale.access_token:
                return stored.tokens  # another worker renewed meanwhile: its pair is the live one
            new = refresh(stored.refresh_token)
            self._store.put_accurate_tokens(self._secret_id, new)
            return new


def accurate_client(
    creds: AccurateApiToken | AccurateOAuth,
    governor: Governor | None = None,
    keeper: TokenKeeper | None = None,
    on_refused: Callable[[AccurateError], None] | None = None,
) -> AccurateClient:
    """An `AccurateClient` with the auth the credentials call for (``on_refused``: see `AccurateClient`).

    OAuth credentials need the ``keeper`` that renews and keeps their pair: a `SecretTokenKeeper` for a
    stored connection; raises `ValueError` without one.
    """
    if isinstance(creds, AccurateApiToken):
        auth: ApiTokenAuth | OAuthAuth = ApiTokenAuth(creds.api_token, creds.signature_secret)
    else:
        if keeper is None:
            raise ValueError("OAuth credentials need a token keeper: a refreshed refresh token must be stored")
        auth = OAuthAuth(creds.tokens, creds.client_id, creds.client_secret, keeper, account_url=creds.account_url)
    return AccurateClient(
        auth, account_url=creds.account_url, database_id=creds.database_id, governor=governor, on_refused=on_refused
    )
