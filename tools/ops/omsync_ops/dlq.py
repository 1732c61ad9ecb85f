"""`omsync dlq list|show|redrive [--queue Q]`: the dead-letter queues of the five work queues.

Each work queue names its DLQ in its RedrivePolicy (template.yaml), so the DLQs are found from the stack's
queue URLs, whatever the stack is called. A dead letter is a work message (`omsync.queues.WorkMessage`: ids
only, never buyer data); beside it the command shows why it failed and since when, from the failure notes the
workers write (`omsync.ledger.failures`), since SQS keeps no trace of why a consumer failed a message.

Reading a queue's messages means receiving them: ``list`` and ``show`` receive each with a short visibility
timeout and make every one visible again at once when done. ``redrive`` moves messages back without ever
losing one: it receives, sends the same body to the work queue, and deletes a dead letter only once its copy is
sent (a crash in between leaves a duplicate, which the level-triggered workers make harmless). SQS's own
message-move task is not used: moto has none, and this way the same code runs on the local stack.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from pydantic import ValidationError

from omsync.config.settings import WorkQueue, settings
from omsync.ledger.failures import FailureNote, FailureNotes
from omsync.queues import WorkMessage, sqs
from omsync_ops.errors import CommandError, reporting_errors
from omsync_ops.stacks import add_stack_options, use_stack

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

PEEK_VISIBILITY_SECONDS: Final = 30
"""How long ``list``/``show`` hold a message while reading the queue (given back at once when done)."""
MOVE_VISIBILITY_SECONDS: Final = 120
"""How long ``redrive`` holds a message between receiving it and deleting it once its copy is sent."""
SQS_BATCH: Final = 10


@dataclass(frozen=True)
class DeadLetter:
    """One message of a DLQ, as the operator sees it: ids, why it failed and since when (times aware UTC)."""

    queue: str
    message_id: str
    receipt_handle: str
    body: str
    sent_at: datetime | None
    receives: int
    message: WorkMessage | None
    """None when the body is not a work message (shown by its size only, never its content)."""
    note: FailureNote | None = None

    @property
    def error(self) -> str:
        if self.message is None:
            return "unreadable work message"
        return self.note.error if self.note is not None else "unknown (no failure noted)"

    @property
    def first_failed_at(self) -> datetime | None:
        return self.note.first_failed_at if self.note is not None else None


def _queues(wanted: str | None) -> list[WorkQueue]:
    if wanted is None:
        return list(WorkQueue)
    try:
        return [WorkQueue(wanted)]
    except ValueError:
        raise CommandError(
            f"no queue {wanted!r}; the work queues are {', '.join(q.value for q in WorkQueue)}"
        ) from None


def dead_letter_url(client: SQSClient, queue_url: str) -> str:
    """The URL of the DLQ a work queue's RedrivePolicy names; CommandError when it names none."""
    attributes = client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])["Attributes"]
    policy = json.loads(attributes.get("RedrivePolicy") or "{}")
    arn = str(policy.get("deadLetterTargetArn") or "")
    if not arn:
        raise CommandError(f"queue {queue_url} has no dead-letter queue: deploy this version of template.yaml")
    _, _, _, _, account, name = arn.split(":", 5)
    return client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]


def depth(client: SQSClient, queue_url: str) -> tuple[int, int]:
    """Messages waiting and in flight on a queue (SQS's approximate counts)."""
    attributes = client.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", 0)), int(
        attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
    )


def _received(client: SQSClient, url: str, visibility: int) -> list[dict[str, Any]]:
    answer = client.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=SQS_BATCH,
        VisibilityTimeout=visibility,
        WaitTimeSeconds=0,
        AttributeNames=["All"],
    )
    messages: list[Any] = list(answer.get("Messages", []))
    return messages


def _sent_back(entry_id: str, raw: dict[str, Any]) -> dict[str, Any]:
    """A dead letter's entry for its work queue, in its connection's message group (the fair queue's tenant,
    `omsync.queues.send`) when it had one: without, it would count as a tenant of its own."""
    entry: dict[str, Any] = {"Id": entry_id, "MessageBody": raw["Body"]}
    group = (raw.get("Attributes") or {}).get("MessageGroupId")
    if group:
        entry["MessageGroupId"] = group
    return entry


def _dead_letter(queue: WorkQueue, raw: dict[str, Any]) -> DeadLetter:
    body = str(raw.get("Body", ""))
    try:
        message: WorkMessage | None = WorkMessage.model_validate(json.loads(body))
    except (ValueError, ValidationError):
        message = None
    attributes = raw.get("Attributes") or {}
    sent = attributes.get("SentTimestamp")
    return DeadLetter(
        queue=queue.value,
        message_id=str(raw["MessageId"]),
        receipt_handle=str(raw["ReceiptHandle"]),
        body=body,
        sent_at=datetime.fromtimestamp(int(sent) / 1000, UTC) if sent else None,
        receives=int(attributes.get("ApproximateReceiveCount", 0)),
        message=message,
    )


def peek(client: SQSClient, queue: WorkQueue, url: str) -> list[DeadLetter]:
    """Every message of a DLQ, with its failure note; each is visible again when this returns."""
    found: dict[str, DeadLetter] = {}
    try:
        while batch := _received(client, url, PEEK_VISIBILITY_SECONDS):
            for raw in batch:
                letter = _dead_letter(queue, raw)
                found.setdefault(letter.message_id, letter)
    finally:
        _give_back(client, url, [letter.receipt_handle for letter in found.values()])
    return _with_notes(queue, list(found.values()))


def _give_back(client: SQSClient, url: str, handles: list[str]) -> None:
    for start in range(0, len(handles), SQS_BATCH):
        entries: list[Any] = [
            {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
            for i, handle in enumerate(handles[start : start + SQS_BATCH])
        ]
        client.change_message_visibility_batch(QueueUrl=url, Entries=entries)


def _with_notes(queue: WorkQueue, letters: list[DeadLetter]) -> list[DeadLetter]:
    by_connection: dict[str, list[str]] = {}
    for letter in letters:
        if letter.message is not None:
            by_connection.setdefault(letter.message.connection_id, []).append(letter.message.entity_id)
    notes = {
        (connection_id, entity_id): note
        for connection_id, ids in by_connection.items()
        for entity_id, note in FailureNotes(connection_id).load(queue.value, ids).items()
    }
    return [
        DeadLetter(**{**vars(letter), "note": notes.get((letter.message.connection_id, letter.message.entity_id))})
        if letter.message is not None
        else letter
        for letter in letters
    ]


def redrive(client: SQSClient, queue: WorkQueue, limit: int | None = None) -> int:
    """Move a DLQ's messages back to their work queue (receive, send, then delete); returns how many moved.

    A message whose copy SQS refused to take stays in the DLQ (visible again after the visibility timeout)
    and CommandError names how many; none is deleted before its copy is sent.
    """
    source = settings().queue_url(queue)
    url = dead_letter_url(client, source)
    moved = 0
    refused = 0
    while limit is None or moved < limit:
        batch = _received(client, url, MOVE_VISIBILITY_SECONDS)
        if limit is not None:
            batch = batch[: limit - moved]
        if not batch:
            break
        entries: list[Any] = [_sent_back(str(i), raw) for i, raw in enumerate(batch)]
        answer = client.send_message_batch(QueueUrl=source, Entries=entries)
        sent = {int(entry["Id"]) for entry in answer.get("Successful", [])}
        refused += len(batch) - len(sent)
        done: list[Any] = [
            {"Id": str(i), "ReceiptHandle": raw["ReceiptHandle"]} for i, raw in enumerate(batch) if i in sent
        ]
        if done:
            client.delete_message_batch(QueueUrl=url, Entries=done)
        moved += len(done)
        if not done:
            break
    if refused:
        raise CommandError(f"{moved} message(s) of {queue.value} moved back; {refused} refused by SQS stay in its DLQ")
    return moved


def _letters(args: argparse.Namespace) -> Iterator[tuple[WorkQueue, list[DeadLetter]]]:
    client = sqs()
    for queue in _queues(args.queue):
        yield queue, peek(client, queue, dead_letter_url(client, settings().queue_url(queue)))


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment is not None else "-"


def list_command(args: argparse.Namespace) -> int:
    """One line per dead letter: queue, message id, connection, entity, error class, first failure, receives."""
    use_stack(args)
    total = 0
    for queue, letters in _letters(args):
        print(f"{queue.value}-dlq: {len(letters)} message(s)")
        for letter in letters:
            total += 1
            what = (
                f"{letter.message.connection_id} {letter.message.entity} {letter.message.entity_id}"
                if letter.message is not None
                else f"({len(letter.body)} bytes)"
            )
            print(
                f"  {letter.message_id}  {what}  error: {letter.error}  "
                f"first failed: {_when(letter.first_failed_at)}  receives: {letter.receives}"
            )
    if total:
        print("fix the cause, then: omsync dlq redrive" + (f" --queue {args.queue}" if args.queue else ""))
    return 0


def show_command(args: argparse.Namespace) -> int:
    """Everything known of one dead letter (ids, failure note, times), never its raw body."""
    use_stack(args)
    for _, letters in _letters(args):
        for letter in letters:
            if letter.message_id != args.message_id:
                continue
            print(f"queue:          {letter.queue}-dlq (redrive goes back to {letter.queue})")
            print(f"message id:     {letter.message_id}")
            if letter.message is not None:
                print(f"connection:     {letter.message.connection_id}")
                print(f"entity:         {letter.message.entity} {letter.message.entity_id} ({letter.message.action})")
                print(f"status hint:    {letter.message.status_hint or '-'}")
                print(f"received:       {_when(letter.message.received_at)}")
            else:
                print(f"body:           not a work message ({len(letter.body)} bytes)")
            print(f"sent:           {_when(letter.sent_at)}")
            print(f"receives:       {letter.receives}")
            print(f"error:          {letter.error}")
            if letter.note is not None:
                print(f"first failed:   {_when(letter.note.first_failed_at)}")
                print(f"last failed:    {_when(letter.note.last_failed_at)}")
                print(f"failures:       {letter.note.failures}")
            return 0
    raise CommandError(
        f"no message {args.message_id} in the dead-letter queues" + (f" of {args.queue}" if args.queue else "")
    )


def redrive_command(args: argparse.Namespace) -> int:
    """Move the dead letters back to their work queues (all five, or ``--queue``); prints how many per queue."""
    use_stack(args)
    if args.max is not None and args.max < 1:
        raise CommandError("--max must be at least 1")
    client = sqs()
    for queue in _queues(args.queue):
        moved = redrive(client, queue, args.max)
        print(f"{queue.value}: {moved} message(s) moved back from {queue.value}-dlq")
    return 0


def register(subparsers: Any) -> None:
    """Add `omsync dlq list|show|redrive`."""
    parser = subparsers.add_parser("dlq", help="the work queues' dead letters: list, show, redrive")
    commands = parser.add_subparsers(dest="dlq_command", metavar="COMMAND", required=True)
    listing = commands.add_parser("list", help="each dead letter with its error class and first failure time")
    show = commands.add_parser("show", help="one dead letter in full (never its raw body)")
    show.add_argument("message_id", metavar="MESSAGE_ID")
    move = commands.add_parser("redrive", help="move dead letters back to their work queue (receive, send, delete)")
    move.add_argument("--max", type=int, help="move at most this many per queue")
    for command, run in ((listing, list_command), (show, show_command), (move, redrive_command)):
        command.add_argument("--queue", choices=[q.value for q in WorkQueue], help="one work queue (default: all)")
        add_stack_options(command)
        command.set_defaults(func=reporting_errors(run))
