"""The work message and the one way to put it on a work queue.

A message says only "entity X of connection C changed": workers re-fetch X from Ginee and never trust
a webhook's content, so the body stays small and stable whatever Ginee adds to its payloads.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import boto3
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from omsync.config.settings import WorkQueue, settings

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

__all__ = ["WorkMessage", "WorkQueue", "reset", "send", "sqs"]


class WorkMessage(BaseModel):
    """The body of every work-queue message (JSON, camelCase like Ginee)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    connection_id: str = Field(alias="connectionId")
    entity: str
    action: str
    entity_id: str = Field(alias="entityId")
    envelope_id: str | None = Field(default=None, alias="envelopeId")
    status_hint: str | None = Field(default=None, alias="statusHint")
    received_at: AwareDatetime = Field(alias="receivedAt")

    def to_json(self) -> str:
        """The wire form (aliases, ISO timestamps)."""
        return self.model_dump_json(by_alias=True)


@functools.cache
def sqs() -> SQSClient:
    """The process-wide SQS client (created on first use, like every boto3 handle in omsync)."""
    return boto3.client("sqs")


def send(queue: WorkQueue, message: WorkMessage) -> str:
    """Put `message` on `queue`; returns the SQS message id."""
    response = sqs().send_message(QueueUrl=settings().queue_url(queue), MessageBody=message.to_json())
    return response["MessageId"]


def reset() -> None:
    """Drop the cached client (the next call builds one from the current environment)."""
    sqs.cache_clear()
