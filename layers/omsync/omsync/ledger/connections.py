"""Connections: one Ginee account linked to one Accurate database, stored at pk=CONN#{id}, sk=META.

The connection holds no credentials, only where they are (Secrets Manager ARNs or names), and the
SHA-256 of its webhook token: the token itself exists only in the URL given to Ginee. After a rotation
the previous token's SHA-256 is kept with an expiry, so the old URL keeps working until the operator has
given Ginee the new one (a grace period, as Stripe and GitHub rotate webhook secrets).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from omsync.ledger.tables import ledger_table

CONNECTION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
_CONNECTION_ID = re.compile(CONNECTION_ID_PATTERN)
CONNECTIONS_INDEX = "CONNECTIONS"


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamps must carry a timezone")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


class ConnectionStatus(StrEnum):
    """Whether a connection's webhooks and work are accepted."""

    ACTIVE = "active"
    DISABLED = "disabled"


class Connection(BaseModel):
    """A Ginee account linked to an Accurate database."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=CONNECTION_ID_PATTERN)
    name: str = Field(min_length=1)
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    ginee_secret: str = Field(min_length=1, description="Secrets Manager ARN or name of the Ginee access/secret key")
    accurate_secret: str = Field(min_length=1, description="Secrets Manager ARN or name of the Accurate credentials")
    created_at: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    status: ConnectionStatus = ConnectionStatus.ACTIVE
    previous_token_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    """The token before the last rotation, accepted until `previous_token_expires_at`."""
    previous_token_expires_at: AwareDatetime | None = None

    def accepts_token(self, token: str, now: datetime | None = None) -> bool:
        """Whether `token` is this connection's webhook token, or its previous one before that one expires.

        Both SHA-256 digests are compared in constant time, and both always are, so the answer's timing
        does not tell which token matched. `now` (default: the current time) must be timezone-aware.
        """
        digest = hash_token(token)
        current = hmac.compare_digest(digest, self.token_sha256)
        previous = hmac.compare_digest(digest, self.previous_token_sha256 or "")
        return current or (previous and self.previous_token_valid(now))

    def previous_token_valid(self, now: datetime | None = None) -> bool:
        """Whether the previous token is still accepted at `now` (default: the current time)."""
        if self.previous_token_sha256 is None or self.previous_token_expires_at is None:
            return False
        return (now or datetime.now(UTC)) < self.previous_token_expires_at

    def with_new_token(self, token_sha256: str, *, grace: timedelta, now: datetime | None = None) -> Connection:
        """This connection with a new token; the current one stays accepted for `grace` (zero: refused at once).

        A previous token still in its grace period is dropped: only the last two tokens are ever accepted.
        Raises ValueError for a negative `grace`.
        """
        if grace < timedelta(0):
            raise ValueError("the grace period cannot be negative")
        if grace == timedelta(0):
            return self.model_copy(
                update={"token_sha256": token_sha256, "previous_token_sha256": None, "previous_token_expires_at": None}
            )
        return self.model_copy(
            update={
                "token_sha256": token_sha256,
                "previous_token_sha256": self.token_sha256,
                "previous_token_expires_at": (now or datetime.now(UTC)) + grace,
            }
        )


def hash_token(token: str) -> str:
    """The hex SHA-256 of a webhook token, the only form in which it is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def is_connection_id(value: str) -> bool:
    """Whether `value` has the shape of a connection id (so it is safe to use in a key)."""
    return _CONNECTION_ID.fullmatch(value) is not None


def connection_key(connection_id: str) -> dict[str, str]:
    """The Ledger key of a connection record."""
    return {"pk": f"CONN#{connection_id}", "sk": "META"}


class ConnectionRepository:
    """Reads and writes connection records in the Ledger table.

    ``consistent`` (default True): `get` reads strongly consistently (1 read unit). The receiver reads eventually
    consistently (half a unit, about $0.38 per 1M orders, docs/ARCHITECTURE.md "Cost per 1M orders"): a record
    written less than about a second ago may be read as it was. What that can do there: a connection created or a
    token rotated that second refuses a webhook carrying the new token (Ginee only sends it once the seller has
    put the new URL in Ginee, which takes longer; the reconciler finds what a refused webhook announced); a token
    revoked or a connection disabled that second still routes a webhook, which only makes a worker re-fetch the
    order from Ginee, where the worker's own read is consistent.
    """

    def __init__(self, *, consistent: bool = True) -> None:
        self.consistent = consistent

    def get(self, connection_id: str) -> Connection | None:
        """The connection with this id, or None when there is none (or the id is not a valid id)."""
        if not is_connection_id(connection_id):
            return None
        item = ledger_table().get_item(Key=connection_key(connection_id), ConsistentRead=self.consistent).get("Item")
        if item is None:
            return None
        return Connection.model_validate(
            {k: v for k, v in item.items() if k not in ("pk", "sk", "kind", "gsi1pk", "gsi1sk")}
        )

    def put(self, connection: Connection) -> None:
        """Create or replace a connection record."""
        item: dict[str, Any] = {
            **connection_key(connection.id),
            "kind": "connection",
            # Listed under one GSI partition so the reconciler can visit every connection without a scan.
            "gsi1pk": CONNECTIONS_INDEX,
            "gsi1sk": connection.id,
            # No attribute for an absent previous token (records from before rotations had grace periods match).
            **connection.model_dump(mode="json", exclude_none=True),
        }
        ledger_table().put_item(Item=item)

    def delete(self, connection_id: str) -> None:
        """Delete a connection record (the operator's `omsync connection delete`; no function deletes one)."""
        ledger_table().delete_item(Key=connection_key(connection_id))

    def ids(self) -> list[str]:
        """The id of every connection (one Query on the GSI, paged)."""
        found: list[str] = []
        query: dict[str, Any] = {
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :p",
            "ExpressionAttributeValues": {":p": CONNECTIONS_INDEX},
            "ProjectionExpression": "id",
        }
        while True:
            answer = ledger_table().query(**query)
            found.extend(str(item["id"]) for item in answer["Items"])
            if "LastEvaluatedKey" not in answer:
                return found
            query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
