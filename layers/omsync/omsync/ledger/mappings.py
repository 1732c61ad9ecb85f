"""Mapping versions of a connection, at pk=CONN#{id}, sk=MAPPING#{version:06d}.

Each version holds the canonical JSON of the validated mapping, its content hash, the YAML it came
from and when it was applied. Versions are never changed; the latest one is the mapping in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from omsync.config.mapping import (
    MAPPING_SK_PREFIX,
    ConnectionMapping,
    canonical_json,
    content_hash,
    mapping_from_json,
    mapping_sort_key,
    next_version,
    version_from_sort_key,
)
from omsync.ledger.tables import ledger_table


class VersionTaken(RuntimeError):
    """Another writer stored this version number first."""


@dataclass(frozen=True)
class MappingVersion:
    """One stored version of a connection's mapping."""

    version: int
    mapping: ConnectionMapping
    content_hash: str
    source_yaml: str
    applied_at: datetime


@dataclass(frozen=True)
class Applied:
    """The outcome of `MappingRepository.apply`: the version in force and whether this call created it."""

    version: int
    content_hash: str
    created: bool


class MappingRepository:
    """Reads and writes the versioned mappings of connections in the Ledger table."""

    def current(self, connection_id: str) -> tuple[int, ConnectionMapping] | None:
        """The latest version and its mapping, or None before the first apply (one Query)."""
        latest = self._latest(connection_id)
        return None if latest is None else (latest.version, latest.mapping)

    def latest(self, connection_id: str) -> MappingVersion | None:
        """The latest stored version with its hash and source, or None."""
        return self._latest(connection_id)

    def get(self, connection_id: str, version: int) -> MappingVersion | None:
        """One stored version, or None."""
        item = (
            ledger_table()
            .get_item(Key={"pk": f"CONN#{connection_id}", "sk": mapping_sort_key(version)}, ConsistentRead=True)
            .get("Item")
        )
        return None if item is None else _version(item)

    def history(self, connection_id: str) -> list[MappingVersion]:
        """Every stored version, oldest first."""
        items: list[dict[str, Any]] = []
        query: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(f"CONN#{connection_id}") & Key("sk").begins_with(MAPPING_SK_PREFIX),
            "ConsistentRead": True,
        }
        while True:
            page = ledger_table().query(**query)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return [_version(item) for item in items]

    def put(self, connection_id: str, version: int, mapping: ConnectionMapping, source_yaml: str) -> None:
        """Store one version; raises `VersionTaken` when that version exists already (conditional put)."""
        try:
            ledger_table().put_item(
                Item={
                    "pk": f"CONN#{connection_id}",
                    "sk": mapping_sort_key(version),
                    "kind": "mapping",
                    "mapping_json": canonical_json(mapping),
                    "content_hash": content_hash(mapping),
                    "source_yaml": source_yaml,
                    "applied_at": datetime.now(UTC).isoformat(),
                },
                ConditionExpression="attribute_not_exists(sk)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise VersionTaken(f"mapping version {version} of {connection_id} exists already") from None
            raise

    def apply(self, connection_id: str, mapping: ConnectionMapping, source_yaml: str) -> Applied:
        """Store the mapping as the next version, unless the latest version has the same content hash."""
        digest = content_hash(mapping)
        latest = self._latest(connection_id)
        if latest is not None and latest.content_hash == digest:
            return Applied(latest.version, digest, created=False)
        version = next_version(None if latest is None else latest.version)
        self.put(connection_id, version, mapping, source_yaml)
        return Applied(version, digest, created=True)

    @staticmethod
    def current_version(connection_id: str) -> int:
        """The latest version number, 0 before the first apply (one Query that reads only the sort key)."""
        items = _newest(connection_id, ProjectionExpression="sk")
        return version_from_sort_key(str(items[0]["sk"])) if items else 0

    @staticmethod
    def _latest(connection_id: str) -> MappingVersion | None:
        items = _newest(connection_id)
        return _version(items[0]) if items else None


def _newest(connection_id: str, **options: Any) -> list[dict[str, Any]]:
    """The newest mapping version's item (a list of at most one), with the Query's extra ``options``."""
    answer = ledger_table().query(
        KeyConditionExpression=Key("pk").eq(f"CONN#{connection_id}") & Key("sk").begins_with(MAPPING_SK_PREFIX),
        ScanIndexForward=False,
        Limit=1,
        ConsistentRead=True,
        **options,
    )
    return list(answer.get("Items", []))


def _version(item: dict[str, Any]) -> MappingVersion:
    return MappingVersion(
        version=version_from_sort_key(str(item["sk"])),
        mapping=mapping_from_json(str(item["mapping_json"])),
        content_hash=str(item["content_hash"]),
        source_yaml=str(item["source_yaml"]),
        applied_at=datetime.fromisoformat(str(item["applied_at"])),
    )
