"""The work message and the one way to put it on a work queue.

A message says only "entity X of connection C changed": workers re-fetch X from Ginee and never trust
a webhook's content, so the body stays small and stable whatever Ginee adds to its payloads.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Annotated, Final

import boto3
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from omsync.config.settings import WorkQueue, settings

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

__all__ = ["SqsText", "WorkMessage", "WorkQueue", "reset", "send", "sqs"]

# SendMessage refuses a body holding any character outside #x9 | #xA | #xD | #x20-#xD7FF |
# #xE000-#xFFFD | #x10000-#x10FFFF (InvalidMessageContents; moto does not check it).
_REFUSED_BY_SQS: Final = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _accepted_by_sqs(value: str) -> str:
    if _REFUSED_BY_SQS.search(value):
        raise ValueError("holds a character SQS refuses in a message body")
    return value


SqsText = Annotated[str, AfterValidator(_accepted_by_sqs)]


class WorkMessage(BaseModel):
    """The body of every work-queue message (JSON, camelCase like Ginee).

    Every text field holds only characters SQS accepts (pydantic's `ValidationError` otherwise), so
    no message that `send` could put on a queue is refused for its content; the JSON form escapes the
    control characters SQS would also take.
    """

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    connection_id: SqsText = Field(alias="connectionId")
    entity: SqsText
    action: SqsText
    entity_id: SqsText = Field(alias="entityId")
    envelope_id: SqsText | None = Field(default=None, alias="envelopeId")
    status_hint: SqsText | None = Field(default=None, alias="statusHint")
    received_at: AwareDatetime = Field(alias="receivedAt")

    def to_json(self) -> str:
        """The wire form (aliases, ISO timestamps)."""
        return self.model_dump_json(by_alias=True)


@functools.cache
def sqs() -> SQSClient:
    """The process-wide SQS client (created on first use, like every boto3 handle in omsync)."""
    return boto3.client("sqs")


def send(queue: WorkQueue, message: WorkMessage) -> str:
    """Put `message` on `queue`, in the message group of its connection; returns the SQS message id.

    The work queues are standard queues, where a ``MessageGroupId`` makes them *fair queues* (SQS, 2025): the
    group is the tenant, and while one connection holds a disproportionate share of the messages in flight (a
    flash sale's backlog), SQS hands the consumers the other connections' messages first, so a quiet seller's
    orders are not held behind a noisy one's. Unlike a FIFO queue's groups, a standard queue's groups impose
    no order and no one-at-a-time: the workers still take a connection's messages in batches of many.
    Source: the SQS Developer Guide, "Amazon SQS fair queues" and "How Amazon SQS fair queues work".
    """
    response = sqs().send_message(
        QueueUrl=settings().queue_url(queue), MessageBody=message.to_json(), MessageGroupId=message.connection_id
    )
    return response["MessageId"]


def reset() -> None:
    """Drop the cached client (the next call builds one from the current environment)."""
    sqs.cache_clear()
