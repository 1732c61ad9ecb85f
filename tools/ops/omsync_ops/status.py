"""`omsync status`, `omsync holds` and `omsync order show`: where things stand, read from the stack itself.

- ``status [--connection C]``: per connection, orders synced per store (invoices omsync posted, counted by the
  store's number prefix through the Ledger's invoice index), orders the reconciler is still waiting for,
  orders on hold grouped by cause with the fix, the last reconcile and the last deep pass with its drift per store
  (`omsync reconcile`); then per work queue the messages waiting and in flight and the age of the oldest
  (`queue_ages`), its dead letters and the age of the oldest one.
- ``holds [--connection C] [--cause X]``: each held order with its reason, its fix and since when.
- ``order show ID [--connection C]``: one order's story: Ginee's status now, each document posted with its
  number, its hold, the reconciler's and the workers' attempts.

Everything printed is ids, numbers, counts, causes and omsync's own hints: never buyer data or a secret.

Where a queue's oldest message's age comes from: SQS keeps it in no queue attribute; it publishes it to CloudWatch
(``AWS/SQS`` ``ApproximateAgeOfOldestMessage``, every minute). A work queue's is read there only (one
``GetMetricData`` for all five, the latest datapoint of the last `AGE_LOOKBACK`): receiving a work queue's
messages to read their ``SentTimestamp``, even with visibility timeout 0, counts one receive each toward the
queue's ``maxReceiveCount``, so an operator running ``status`` a few times during a backlog would move waiting
orders to the DLQ. Without a datapoint (the local stack's moto publishes none, a queue idle for hours, no
``cloudwatch:GetMetricData`` permission) the age shows ``n/a``. A DLQ has no redrive policy, so its messages are
peeked (`omsync_ops.dlq.peek`: received, then made visible again at once), which also counts them, and its age
is its oldest message's ``SentTimestamp`` (kept from the work queue when SQS moved it): exact, not a minute late.
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import BotoCoreError, ClientError

from omsync.config.settings import WorkQueue, settings
from omsync.ledger.connections import Connection, ConnectionRepository
from omsync.ledger.cursors import ORDERS, PollCursors
from omsync.ledger.deep_passes import DeepPassLog
from omsync.ledger.failures import FailureNotes
from omsync.ledger.mappings import MappingRepository
from omsync.ledger.orders import OrderLedger, SyncRecord, invoice_partition
from omsync.ledger.tables import ledger_table
from omsync.queues import sqs
from omsync_ops.dlq import dead_letter_url, depth, peek
from omsync_ops.errors import CommandError, reporting_errors
from omsync_ops.stacks import add_stack_options, use_stack

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.type_defs import MetricDataQueryTypeDef

AGE_LOOKBACK: Final = timedelta(minutes=15)
"""How far back a queue's age datapoint may be (SQS publishes one a minute while the queue is active)."""
NO_DATAPOINT: Final = "n/a"


def _connections(wanted: str | None) -> list[Connection]:
    repository = ConnectionRepository()
    if wanted is not None:
        connection = repository.get(wanted)
        if connection is None:
            raise CommandError(f"no connection {wanted}; `omsync connection list` shows them")
        return [connection]
    return [c for c in (repository.get(cid) for cid in sorted(repository.ids())) if c is not None]


def _age(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "-"
    seconds = int((now - moment).total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172_800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86_400} days"


def invoices_per_prefix(connection_id: str, prefixes: list[str]) -> dict[str, int]:
    """Invoices omsync posted (and did not delete) per document-number prefix, counted on the Ledger's invoice
    index (``gsi2``: one paged Query per prefix, counts only; the index holds every invoiced order, so the read
    grows with them: fine for an operator's command, not for a schedule)."""
    counts: dict[str, int] = {}
    for prefix in prefixes:
        query: dict[str, Any] = {
            "IndexName": "gsi2",
            "KeyConditionExpression": Key("gsi2pk").eq(invoice_partition(connection_id))
            & Key("gsi2sk").begins_with(prefix),
            "FilterExpression": Attr("invoice_deleted").not_exists() | Attr("invoice_deleted").eq(False),
            "Select": "COUNT",
        }
        total = 0
        while True:
            answer = ledger_table().query(**query)
            total += int(answer.get("Count", 0))
            if "LastEvaluatedKey" not in answer:
                break
            query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        counts[prefix] = total
    return counts


def _store_prefixes(connection_id: str) -> dict[str, str]:
    """Store name → its document-number prefix, from the connection's current mapping (empty without one)."""
    repository = MappingRepository()
    version = repository.current_version(connection_id)
    stored = repository.get(connection_id, version) if version else None
    if stored is None:
        return {}
    return {store.name: store.number_prefix for store in stored.mapping.stores.values()}


def _print_connection(connection: Connection, now: datetime) -> None:
    print(f"connection {connection.id} ({connection.name}): {connection.status.value}")
    prefixes = _store_prefixes(connection.id)
    if prefixes:
        # A longer prefix is counted apart from a shorter one it starts with ("SP-" and "SP-X-").
        counts = invoices_per_prefix(connection.id, sorted(set(prefixes.values())))
        for name, prefix in prefixes.items():
            longer = sum(n for p, n in counts.items() if p != prefix and p.startswith(prefix))
            print(f"  store {name:<28} synced: {counts[prefix] - longer} order(s) invoiced")
    else:
        print("  no mapping applied yet: `omsync mapping apply FILE --connection ID`")
    cursors = PollCursors(connection.id)
    pending = cursors.pending(ORDERS)
    print(f"  pending: {len(pending)} order(s) found behind Ginee, not yet caught up")
    held = OrderLedger(connection.id).held()
    by_cause: dict[str, list[SyncRecord]] = defaultdict(list)
    for record in held:
        if record.hold is not None:
            by_cause[record.hold.cause].append(record)
    if by_cause:
        print(f"  on hold: {len(held)} order(s)")
        for cause, records in sorted(by_cause.items()):
            hint = records[0].hold.hint if records[0].hold is not None else ""
            print(f"    {cause:<24} {len(records):>5}  fix: {hint}")
    else:
        print("  on hold: none")
    cursor = cursors.get(ORDERS)
    if cursor is None or cursor.last_run_at is None:
        print("  last reconcile: never")
    else:
        print(
            f"  last reconcile: {cursor.last_run_at.isoformat(timespec='seconds')} ({_age(cursor.last_run_at, now)} ago): "
            f"{cursor.listed} listed, {cursor.enqueued} behind and enqueued; Ginee read up to "
            f"{cursor.since.isoformat(timespec='seconds')}"
        )
    print(f"  last deep pass: {deep_pass_line(connection.id, now)}")


def deep_pass_line(connection_id: str, now: datetime) -> str:
    """When the last deep pass (nightly or `omsync reconcile`) ran, over which days, and its drift per store."""
    last = DeepPassLog(connection_id).last()
    if last is None:
        return "never (nightly, or `omsync reconcile --date D`)"
    days = (
        last.since.isoformat() if last.since == last.until else f"{last.since.isoformat()} .. {last.until.isoformat()}"
    )
    names = _store_names(connection_id)
    per_store = "; ".join(
        f"{names.get(shop, shop)}: " + ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
        for shop, kinds in sorted(last.drift.items())
    )
    drift = f"drift {last.total} ({per_store}), {last.healed} healed" if last.total else "no drift"
    return f"{last.ran_at.isoformat(timespec='seconds')} ({_age(last.ran_at, now)} ago) over {days}: {drift}"


def _store_names(connection_id: str) -> dict[str, str]:
    """Ginee shop id → store name, from the connection's current mapping (empty without one)."""
    repository = MappingRepository()
    version = repository.current_version(connection_id)
    stored = repository.get(connection_id, version) if version else None
    return {shop: store.name for shop, store in stored.mapping.stores.items()} if stored is not None else {}


def queue_ages(client: CloudWatchClient, queue_names: Sequence[str], now: datetime) -> dict[str, float]:
    """Queue name → seconds its oldest message has waited, from CloudWatch's ``AWS/SQS``
    ``ApproximateAgeOfOldestMessage`` (``Maximum`` per minute, the latest datapoint since ``now`` less
    `AGE_LOOKBACK`), in one ``GetMetricData`` call. A queue without a datapoint is left out, and so is every
    queue when CloudWatch cannot be read (not an error of ``status``: those ages show ``n/a``).
    """
    queries: list[MetricDataQueryTypeDef] = [
        {
            "Id": f"q{index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/SQS",
                    "MetricName": "ApproximateAgeOfOldestMessage",
                    "Dimensions": [{"Name": "QueueName", "Value": name}],
                },
                "Period": 60,
                "Stat": "Maximum",
            },
            "ReturnData": True,
        }
        for index, name in enumerate(queue_names)
    ]
    try:
        answer = client.get_metric_data(
            MetricDataQueries=queries,
            StartTime=now - AGE_LOOKBACK,
            EndTime=now + timedelta(minutes=1),
            ScanBy="TimestampDescending",
        )
    except (ClientError, BotoCoreError):
        return {}
    ages: dict[str, float] = {}
    for result in answer["MetricDataResults"]:
        points = sorted(zip(result.get("Timestamps", []), result.get("Values", []), strict=False), reverse=True)
        if points:
            ages[queue_names[int(result["Id"].removeprefix("q"))]] = float(points[0][1])
    return ages


def _seconds(age: float | None) -> str:
    if age is None:
        return NO_DATAPOINT
    return _age(datetime.fromtimestamp(0, UTC), datetime.fromtimestamp(age, UTC))


def status(args: argparse.Namespace) -> int:
    """Per connection and store, then per queue (see the module's doc)."""
    use_stack(args)
    now = datetime.now(UTC)
    connections = _connections(args.connection)
    if not connections:
        print("no connections: create one with `omsync connection create NAME --ginee-url …`")
    for connection in connections:
        _print_connection(connection, now)
    client = sqs()
    urls = {queue: settings().queue_url(queue) for queue in WorkQueue}
    names = {queue: url.rstrip("/").rsplit("/", 1)[-1] for queue, url in urls.items()}
    ages = queue_ages(boto3.client("cloudwatch"), list(names.values()), now)
    print(f"{'queue':<15} {'waiting':>8} {'in flight':>10} {'oldest':>8} {'dead letters':>13}  oldest dead letter")
    unknown = False
    for queue in WorkQueue:
        waiting, in_flight = depth(client, urls[queue])
        letters = peek(client, queue, dead_letter_url(client, urls[queue]))
        oldest_letter = min((letter.sent_at for letter in letters if letter.sent_at is not None), default=None)
        if waiting or in_flight:
            age = _seconds(ages.get(names[queue]))
            unknown = unknown or age == NO_DATAPOINT
        else:
            age = "-"
        print(f"{queue.value:<15} {waiting:>8} {in_flight:>10} {age:>8} {len(letters):>13}  {_age(oldest_letter, now)}")
    if unknown:
        print(
            f"{NO_DATAPOINT}: CloudWatch has no ApproximateAgeOfOldestMessage for the queue in the last "
            f"{int(AGE_LOOKBACK.total_seconds()) // 60} min (none on the local stack); omsync does not receive a work "
            "queue's messages to date them, since each receive counts toward its DLQ limit"
        )
    return 0


def holds(args: argparse.Namespace) -> int:
    """Each held order (of one cause, with ``--cause``): connection, order, cause, since, reason, fix."""
    use_stack(args)
    now = datetime.now(UTC)
    shown = 0
    for connection in _connections(args.connection):
        for record in OrderLedger(connection.id).held():
            hold = record.hold
            if hold is None or (args.cause and hold.cause != args.cause):
                continue
            shown += 1
            since = datetime.fromtimestamp(hold.since, UTC) if hold.since else None
            print(f"{connection.id} {record.order_id}  {hold.cause}  held {_age(since, now)}")
            print(f"    why: {hold.reason}")
            print(f"    fix: {hold.hint}")
    print(f"{shown} order(s) on hold" + (f" for {args.cause}" if args.cause else ""))
    return 0


def _owner(order_id: str, wanted: str | None) -> Connection:
    connections = _connections(wanted)
    found = [c for c in connections if OrderLedger(c.id).load([order_id])]
    if not found and len(connections) == 1:
        return connections[0]
    if not found:
        raise CommandError(f"omsync has no record of order {order_id}; name its connection: --connection C")
    if len(found) > 1:
        raise CommandError(f"order {order_id} is known to several connections; name one: --connection C")
    return found[0]


def order_show(args: argparse.Namespace) -> int:
    """One order's story (see the module's doc)."""
    use_stack(args)
    connection = _owner(args.order_id, args.connection)
    record = OrderLedger(connection.id).load([args.order_id]).get(args.order_id)
    print(f"order {args.order_id} (connection {connection.id})")
    # Imported here, not at the top: the runtime's logger must not exist before a command needs it (the demo
    # points the functions' output at its log file first).
    from omsync.sync.context import context_for

    try:
        batch = context_for(connection.id).ginee.batch_get([args.order_id])
    except Exception as error:  # noqa: BLE001 - Ginee unreachable must not hide what the Ledger knows
        print(f"  Ginee: not read ({type(error).__name__})")
    else:
        rows = list(batch)
        if rows:
            row = rows[0]
            print(f"  Ginee: {row.order_status} in store {row.shop_id}, marketplace number {row.external_order_sn}")
        else:
            print("  Ginee: " + ("its record cannot be read" if batch.unreadable else "does not know this order"))
    if record is None:
        print("  Ledger: nothing recorded (no document posted, no hold)")
    else:
        _print_record(record)
    pending = PollCursors(connection.id).pending(ORDERS).get(args.order_id)
    if pending is not None:
        print(
            f"  reconciler: behind ({pending.reason}) since {pending.first_seen.isoformat(timespec='seconds')}, "
            f"{pending.attempts} run(s)"
        )
    attempts = Counter[str]()
    for flow in (WorkQueue.ORDERS, WorkQueue.CANCELLATIONS, WorkQueue.SETTLEMENTS):
        note = FailureNotes(connection.id).load(flow.value, [args.order_id]).get(args.order_id)
        if note is not None:
            attempts[flow.value] = note.failures
            print(
                f"  {flow.value} failed {note.failures} time(s): {note.error}, first "
                f"{note.first_failed_at.isoformat(timespec='seconds')}, last {note.last_failed_at.isoformat(timespec='seconds')}"
            )
    if not attempts:
        print("  failures: none noted")
    return 0


def _print_record(record: SyncRecord) -> None:
    if record.tombstone:
        print("  tombstone: cancelled before it was invoiced; no invoice will ever be posted")
    if record.invoice is not None:
        state = " (deleted in Accurate: cancelled)" if record.invoice_deleted else ""
        print(f"  Sales Invoice {record.invoice.number} (Accurate id {record.invoice.accurate_id}){state}")
    for return_id, document in sorted(record.returns.items()):
        print(f"  Sales Return {document.number} (Accurate id {document.accurate_id}) for {return_id}")
    if record.receipt is not None:
        print(
            f"  Sales Receipt {record.receipt.number} (Accurate id {record.receipt.accurate_id}), "
            f"source {record.receipt.source}, payment {record.receipt.payment:,}"
        )
    for number, amount in sorted(record.refunds.items()):
        print(f"  Journal Voucher {number}: refund {amount:,} out of the marketplace balance")
    if record.exact_payout:
        print(f"  settled exactly by payout {record.exact_payout}")
    if record.hold is not None:
        since = (
            datetime.fromtimestamp(record.hold.since, UTC).isoformat(timespec="seconds") if record.hold.since else "-"
        )
        print(f"  on hold since {since}: {record.hold.cause}")
        print(f"    why: {record.hold.reason}")
        print(f"    fix: {record.hold.hint}")
    if record.lease_owner and record.lease_until > datetime.now(UTC).timestamp():
        print(f"  being worked on now (intent {record.intent or '-'})")


def register_status(subparsers: Any) -> None:
    """Add `omsync status`."""
    view = subparsers.add_parser("status", help="per connection and store: synced, pending, on hold; queues and DLQs")
    view.add_argument("--connection", metavar="C", help="one connection (default: all)")
    add_stack_options(view)
    view.set_defaults(func=reporting_errors(status))


def register_holds(subparsers: Any) -> None:
    """Add `omsync holds`."""
    held = subparsers.add_parser("holds", help="orders on hold with their reason and fix")
    held.add_argument("--connection", metavar="C", help="one connection (default: all)")
    held.add_argument("--cause", metavar="X", help="one cause (e.g. missing_sku, unmapped_store)")
    add_stack_options(held)
    held.set_defaults(func=reporting_errors(holds))


def register_order(subparsers: Any) -> None:
    """Add `omsync order show`."""
    order = subparsers.add_parser("order", help="one order's story")
    actions = order.add_subparsers(dest="order_command", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="Ginee's status, documents posted with numbers, holds, attempts")
    show.add_argument("order_id", metavar="ID", help="Ginee's order id (SO…)")
    show.add_argument("--connection", metavar="C", help="its connection (default: the one that knows it)")
    add_stack_options(show)
    show.set_defaults(func=reporting_errors(order_show))
