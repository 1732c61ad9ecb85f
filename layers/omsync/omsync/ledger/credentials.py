"""A connection's credentials in Secrets Manager: the Ginee keys and the Accurate API token or OAuth tokens.

Secrets are named ``omsync/{stage}/{connection_id}/ginee`` and ``…/accurate``; the connection record in
the Ledger keeps only their ARNs. Accurate's OAuth refresh token works once, so every refreshed pair is
written back at once, under a lock item in the Ledger (pk ``CONN#{id}``, sk ``LOCK#accurate-tokens``) so
two Lambdas refreshing together never overwrite the newer pair with the older one.
"""

from __future__ import annotations

import functools
import os
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Literal

import boto3
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from omsync.accurate.auth import ACCOUNT_URL, ApiTokenAuth, OAuthAuth, OAuthTokens
from omsync.accurate.client import AccurateClient
from omsync.accurate.governor import Governor
from omsync.ledger.tables import ledger_table

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

TOKEN_LOCK_SK = "LOCK#accurate-tokens"
LOCK_SECONDS = 30
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


class TokenLockBusy(RuntimeError):
    """Another process held the token lock for longer than we were willing to wait."""


class CredentialStore:
    """Reads and writes a connection's credentials in Secrets Manager."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self._sleep = sleep

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

    def save_oauth_tokens(self, secret_id: str, tokens: OAuthTokens) -> None:
        """Write a refreshed token pair back, under the connection's token lock.

        A pair older than the stored one is not written: another process refreshed later, and its
        refresh token is the only one Accurate still accepts.
        """
        connection_id = self._connection_of(secret_id)
        holder = self._lock(connection_id)
        try:
            stored = self.accurate(secret_id)
            if not isinstance(stored, AccurateOAuth):
                raise ValueError(f"secret {secret_id} holds an API token, not OAuth tokens")
            if tokens.expires_at < stored.expires_at:
                return
            updated = stored.model_copy(
                update={
                    "access_token": tokens.access_token,
                    "refresh_token": tokens.refresh_token,
                    "expires_at": tokens.expires_at,
                }
            )
            secretsmanager().put_secret_value(SecretId=secret_id, SecretString=updated.model_dump_json())
        finally:
            self._unlock(connection_id, holder)

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

    @staticmethod
    def _connection_of(secret_id: str) -> str:
        name = secretsmanager().describe_secret(SecretId=secret_id)["Name"]
        parts = name.split("/")
        if len(parts) != 4 or parts[0] != "omsync":
            raise ValueError(f"secret {name} is not named omsync/{{stage}}/{{connection_id}}/{{kind}}")
        return parts[2]

    # --- the token lock -----------------------------------------------------------------------------------

    def _lock(self, connection_id: str) -> str:
        holder = uuid.uuid4().hex
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            now = int(time.time())
            try:
                ledger_table().put_item(
                    Item={
                        "pk": f"CONN#{connection_id}",
                        "sk": TOKEN_LOCK_SK,
                        "holder": holder,
                        "expires_at": now + LOCK_SECONDS,
                    },
                    # Free, or left behind by a holder that died (its expiry passed).
                    ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
                    ExpressionAttributeValues={":now": now},
                )
                return holder
            except ClientError as error:
                if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
            if time.monotonic() > deadline:
                raise TokenLockBusy(f"the Accurate token lock of {connection_id} stayed taken")
            self._sleep(0.1)

    @staticmethod
    def _unlock(connection_id: str, holder: str) -> None:
        try:
            ledger_table().delete_item(
                Key={"pk": f"CONN#{connection_id}", "sk": TOKEN_LOCK_SK},
                ConditionExpression="holder = :me",
                ExpressionAttributeValues={":me": holder},
            )
        except ClientError as error:
            # Our lease lapsed and someone else holds the lock now: theirs to release.
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise


def accurate_client(
    creds: AccurateApiToken | AccurateOAuth,
    governor: Governor | None = None,
    on_rotate: Callable[[OAuthTokens], None] | None = None,
) -> AccurateClient:
    """An `AccurateClient` with the auth the credentials call for.

    ``on_rotate`` receives every refreshed OAuth pair; pass
    ``lambda tokens: store.save_oauth_tokens(secret_id, tokens)`` so the new refresh token is kept.
    """
    if isinstance(creds, AccurateApiToken):
        auth: ApiTokenAuth | OAuthAuth = ApiTokenAuth(creds.api_token, creds.signature_secret)
    else:
        if on_rotate is None:
            raise ValueError("OAuth credentials need on_rotate: a refreshed refresh token must be stored")
        auth = OAuthAuth(creds.tokens, creds.client_id, creds.client_secret, on_rotate, account_url=creds.account_url)
    return AccurateClient(auth, account_url=creds.account_url, database_id=creds.database_id, governor=governor)
