"""Speed-only patches of moto 5.2.5's internals, for `omsync bench` and `make demo` (not the tests' server).

They change how fast moto answers, not what it answers: each keeps moto's own answers, which
``tests/integration/local/test_moto_speedups.py`` and ``test_moto_expressions.py`` check over HTTP against
moto as released. Installed by `omsync_workshop.moto_patches.install` at the ``speed`` level only, under the
fidelity patches (`omsync_workshop.moto_fidelity`), which make each operation atomic. Each names the moto
behaviour it works around (found in moto 5.2.5's source; upstream has no fix in that version) and refuses
any other moto version.

- ``sqs_indexed_queues``. moto keeps a queue's messages in one list and answers every SQS call by
  scanning it (``moto/sqs/models.py``): each send reads the queue's attributes, which count the visible
  messages by asking every message for the time (a datetime computation each); each receive scans and
  deep-copies; each delete scans the list twice. A flash sale of 20,000 webhooks makes that hours of CPU.
  For standard (non-FIFO) queues only, the patch stores live messages by id and receipt handle (current
  and past, as moto accepts both), the visible ones in a heap by send sequence per message group (redelivered
  messages come first, as in moto; the group a receive takes from is a fair queue's choice,
  `omsync_workshop.moto_fair_queues`, which counts the in-flight messages per group), in-flight and delayed ones in a heap by when they become visible, with counters per
  state (the ApproximateNumberOf* attributes in O(1)), the epoch clock from ``time.time``, and a shallow
  copy of a received message. Kept as moto does it: visibility timeouts and ChangeMessageVisibility,
  ApproximateReceiveCount and the first-receive timestamp, redrive to the dead-letter queue once the
  receive count reached ``maxReceiveCount``, delays, long polling, batch calls, purge, deleting twice.
  FIFO queues keep moto's code. One difference: a message past the queue's retention period is dropped
  when a receive reaches it (moto skips it and stops the receive).
- ``dynamodb_transaction_rollback``. moto's ``transact_write_items`` deep-copies every table it names, once
  per item, to roll back: a 100-item lease on a Ledger of 20,000 orders is 100 copies of 20,000 items
  (moto PR #9670 speeds up item deep copies, after 5.2.5). The patch makes the table copy a no-op inside a
  transaction and saves and restores only the items the transaction names; moto's transaction code
  (conditions, updates, cancellation reasons) is kept.
- ``dynamodb_partition_query``. A Query on the table's key makes moto list and sort every item of the
  table, then keep those of the partition (``Table.query`` → ``all_items``); the patch hands moto's query
  that one partition (moto sorts it by range key). A Query on an index makes moto sort the whole table by its
  own key (DynamoType comparisons in Python, N log N of them), then sorts every item of the index partition
  again and walks it, sizing each item, to keep those its range condition matches: the patch hands moto's
  loop only the items that loop would keep (hash key equal, range condition true), unsorted; moto sorts them
  by the index key then the table key, a total order, so the answer is the same. A ``gsi2`` query for one
  invoice number among 10,000 took 0.28 to 0.72 s in moto, 0.020 s with the patch (median of 10 queries, shared
  machine). With a Limit only the hash key is tested before moto's loop (see `_index_candidates`).
- ``dynamodb_json_bodies``. moto's server parses every DynamoDB request body with botocore's shape-driven
  parser, walking each attribute value of a 100-item transaction against the model: a quarter of its CPU
  in a drain. For the item operations, a body without binary values parses to the same dict with
  `json.loads`; bodies with ``B``/``BS`` values and every other operation keep moto's parser.
- ``server_dispatch_cache``. moto's server finds the service of every request by listing its own package
  folder (a stat per service) and trying every service's URL patterns, under one lock; the patch
  remembers the answer per host name (neither changes while the process runs).
- ``dynamodb_compiled_expressions``: `omsync_workshop.moto_expressions`.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from omsync_workshop.moto_fair_queues import next_group
from omsync_workshop.moto_patches import require_moto_version

_STATE_ATTRIBUTE = "_omsync_fast_state"
_SEQUENCE = itertools.count()

VISIBLE = "visible"
IN_FLIGHT = "in_flight"
DELAYED = "delayed"


def epoch_seconds(_: Any = None) -> float:
    """Seconds since the epoch (what moto's ``unix_time`` computes from a datetime, for the current time)."""
    return time.time()


def epoch_millis(_: Any = None) -> float:
    """Milliseconds since the epoch."""
    return time.time() * 1000.0


@dataclass
class FastQueueState:
    """Where one standard queue's messages are, by state; guarded by the queue's lock."""

    live: dict[str, Any] = field(default_factory=dict)
    by_handle: dict[str, Any] = field(default_factory=dict)
    visible: dict[str | None, list[tuple[int, int, str]]] = field(default_factory=dict)
    """Per message group (None: messages without one): (send sequence, version, message id)."""
    in_flight: dict[str, int] = field(default_factory=dict)
    """Message group → its messages in flight (what a fair queue's choice weighs, `moto_fair_queues`)."""
    timers: list[tuple[float, int, int, str]] = field(default_factory=list)
    """(epoch ms it becomes visible, send sequence, version, message id)."""
    counts: dict[str, int] = field(default_factory=lambda: {VISIBLE: 0, IN_FLIGHT: 0, DELAYED: 0})

    def place(self, message: Any, now_ms: float) -> None:
        """File a live message under the state its timestamps give it now (and count it there)."""
        message._omsync_version = getattr(message, "_omsync_version", 0) + 1
        version = message._omsync_version
        if now_ms < message.delayed_until:
            state, due = DELAYED, message.delayed_until
        elif now_ms > message.visible_at:
            state, due = VISIBLE, 0.0
        else:
            state, due = IN_FLIGHT, message.visible_at
        message._omsync_state = state
        self.counts[state] += 1
        if state == IN_FLIGHT and message.group_id is not None:
            self.in_flight[message.group_id] = self.in_flight.get(message.group_id, 0) + 1
        if state == VISIBLE:
            group = self.visible.setdefault(message.group_id, [])
            heapq.heappush(group, (message._omsync_sequence, version, message.id))
        else:
            heapq.heappush(self.timers, (due, message._omsync_sequence, version, message.id))

    def unplace(self, message: Any) -> None:
        """Take a message out of its state (its heap entries become stale)."""
        if message._omsync_state is not None:
            self.counts[message._omsync_state] -= 1
        if message._omsync_state == IN_FLIGHT and message.group_id is not None:
            left = self.in_flight[message.group_id] - 1
            if left:
                self.in_flight[message.group_id] = left
            else:
                del self.in_flight[message.group_id]
        message._omsync_version += 1
        message._omsync_state = None

    def add(self, message: Any, now_ms: float) -> None:
        """A message enters the queue (sent, or moved here as a dead letter)."""
        message._omsync_sequence = next(_SEQUENCE)
        self.live[message.id] = message
        for handle in message.all_receipt_handles:
            if handle is not None:
                self.by_handle[handle] = message
        self.place(message, now_ms)

    def forget(self, message: Any) -> None:
        """A message leaves the queue (deleted, expired or moved to the dead-letter queue)."""
        self.unplace(message)
        self.live.pop(message.id, None)
        for handle in message.all_receipt_handles:
            if handle is not None:
                self.by_handle.pop(handle, None)

    def current(self, message_id: str, version: int) -> Any:
        """The message a heap entry names, or None when the entry is stale."""
        message = self.live.get(message_id)
        if message is None or message._omsync_version != version:
            return None
        return message

    def promote(self, now_ms: float) -> None:
        """Messages whose visibility timeout or delay ran out become visible."""
        while self.timers and self.timers[0][0] < now_ms:
            _, _, version, message_id = heapq.heappop(self.timers)
            message = self.current(message_id, version)
            if message is not None:
                self.unplace(message)
                self.place(message, now_ms)

    def pop_visible(self) -> Any:
        """The visible message a fair queue delivers next (taken out of the visible state), or None: the one sent
        first, unless a message group is a noisy neighbour (`moto_fair_queues.next_group`)."""
        heads: dict[str | None, int] = {}
        for group, entries in list(self.visible.items()):
            while entries and self.current(entries[0][2], entries[0][1]) is None:
                heapq.heappop(entries)  # stale: the message was received, deleted or moved since
            if entries:
                heads[group] = entries[0][0]
            else:
                del self.visible[group]
        if not heads:
            return None
        _, version, message_id = heapq.heappop(self.visible[next_group(heads, self.in_flight)])
        message = self.current(message_id, version)
        self.unplace(message)
        return message

    def visible_in_order(self) -> list[Any]:
        """Visible messages, first sent first."""
        entries = sorted(entry for group in self.visible.values() for entry in group)
        return [m for _, v, mid in entries if (m := self.current(mid, v)) is not None]


def install() -> None:
    """Install every speed-only patch in this process's moto (call through `moto_patches.install`)."""
    from omsync_workshop import moto_expressions

    install_sqs_indexed_queues()
    install_dynamodb_transaction_rollback()
    install_dynamodb_partition_query()
    install_dynamodb_json_bodies()
    install_server_dispatch_cache()
    moto_expressions.install()


def _state(queue: Any) -> FastQueueState | None:
    """The queue's fast state (made on first use from whatever moto already holds); None for FIFO queues."""
    if queue.fifo_queue:
        return None
    state: FastQueueState | None = queue.__dict__.get(_STATE_ATTRIBUTE)
    if state is None:
        state = FastQueueState()
        now = epoch_millis()
        for message in queue.__dict__.get("_messages", []):
            state.add(message, now)
        queue.__dict__["_messages"] = []
        queue.__dict__[_STATE_ATTRIBUTE] = state
    return state


def install_sqs_indexed_queues() -> None:
    """Standard queues' messages indexed by state, id and receipt handle instead of one scanned list."""
    require_moto_version("sqs_indexed_queues")
    from moto.sqs import models as sqs_models

    models: Any = sqs_models

    queue_class = models.Queue
    backend_class = models.SQSBackend
    models.unix_time = epoch_seconds
    models.unix_time_millis = epoch_millis

    original_add = queue_class.add_message
    original_delete = queue_class.delete_message
    original_wait = queue_class.wait_for_messages
    original_messages = queue_class.messages
    original_counts = {
        VISIBLE: queue_class.approximate_number_of_messages,
        IN_FLIGHT: queue_class.approximate_number_of_messages_not_visible,
        DELAYED: queue_class.approximate_number_of_messages_delayed,
    }
    original_receive = backend_class.receive_message
    original_visibility = backend_class.change_message_visibility
    original_purge = backend_class.purge_queue

    def count_of(state_name: str) -> property:
        def read(queue: Any) -> int:
            state = _state(queue)
            if state is None:
                return int(original_counts[state_name].fget(queue))
            with queue._messages_lock:
                state.promote(epoch_millis())
                return state.counts[state_name]

        return property(read)

    def messages(queue: Any) -> list[Any]:
        state = _state(queue)
        if state is None:
            return list(original_messages.fget(queue))
        with queue._messages_lock:
            state.promote(epoch_millis())
            return state.visible_in_order()

    def add_message(queue: Any, message: Any) -> None:
        state = _state(queue)
        if state is None:
            original_add(queue, message)
            return
        with queue._messages_lock:
            state.add(message, epoch_millis())
            queue._messages_lock.notify_all()
        _feed_moto_lambdas(models, queue)

    def delete_message(queue: Any, receipt_handle: str) -> None:
        state = _state(queue)
        if state is None:
            original_delete(queue, receipt_handle)
            return
        with queue._messages_lock:
            if receipt_handle in queue.deleted_messages:
                return
            message = state.by_handle.get(receipt_handle)
            if message is None:
                raise models.ReceiptHandleIsInvalid()
            state.forget(message)
            queue.pending_messages.discard(message)
            queue.deleted_messages.update(message.all_receipt_handles)

    def wait_for_messages(queue: Any, timeout: int) -> None:
        state = _state(queue)
        if state is None:
            original_wait(queue, timeout)
            return

        def any_visible() -> bool:
            assert state is not None
            state.promote(epoch_millis())
            return state.counts[VISIBLE] > 0

        with queue._messages_lock:
            queue._messages_lock.wait_for(any_visible, timeout=timeout)

    def receive_message(
        backend: Any,
        queue_name: str,
        count: int,
        wait_seconds_timeout: int,
        visibility_timeout: int,
        message_attribute_names: list[str] | None = None,
    ) -> list[Any]:
        queue = backend.get_queue(queue_name)
        state = _state(queue)
        if state is None:
            return list(
                original_receive(
                    backend, queue_name, count, wait_seconds_timeout, visibility_timeout, message_attribute_names
                )
            )
        polling_end = epoch_seconds() + wait_seconds_timeout
        while True:
            result = _take(models, queue, state, count, visibility_timeout, message_attribute_names or [])
            if result or not wait_seconds_timeout or epoch_seconds() >= polling_end:
                return result
            queue.wait_for_messages(min(1.0, max(0.0, polling_end - epoch_seconds())))

    def change_message_visibility(backend: Any, queue_name: str, receipt_handle: str, visibility_timeout: int) -> None:
        queue = backend.get_queue(queue_name)
        state = _state(queue)
        if state is None:
            original_visibility(backend, queue_name, receipt_handle, visibility_timeout)
            return
        with queue._messages_lock:
            message = state.by_handle.get(receipt_handle)
            if message is None:
                raise models.ReceiptHandleIsInvalid
            now = epoch_millis()
            if now + int(visibility_timeout) * 1000 - message.sent_timestamp > 43200 * 1000:
                raise models.InvalidParameterValue(
                    f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid. Reason: Total "
                    "VisibilityTimeout for the message is beyond the limit [43200 seconds]"
                )
            message.change_visibility(visibility_timeout)
            state.unplace(message)
            state.place(message, epoch_millis())
            if message._omsync_state == VISIBLE:
                queue.pending_messages.discard(message)

    def purge_queue(backend: Any, queue_name: str) -> None:
        queue = backend.get_queue(queue_name)
        with queue._messages_lock:
            original_purge(backend, queue_name)
            if _state(queue) is not None:
                queue.__dict__[_STATE_ATTRIBUTE] = FastQueueState()

    queue_class.approximate_number_of_messages = count_of(VISIBLE)
    queue_class.approximate_number_of_messages_not_visible = count_of(IN_FLIGHT)
    queue_class.approximate_number_of_messages_delayed = count_of(DELAYED)
    queue_class.messages = property(messages)
    queue_class.add_message = add_message
    queue_class.delete_message = delete_message
    queue_class.wait_for_messages = wait_for_messages
    backend_class.receive_message = receive_message
    backend_class.change_message_visibility = change_message_visibility
    backend_class.purge_queue = purge_queue


def _take(
    models: Any,
    queue: Any,
    state: FastQueueState,
    count: int,
    visibility_timeout: int,
    attribute_names: list[str],
) -> list[Any]:
    """Receive up to ``count`` visible messages (each at most once per call); dead letters move on."""
    result: list[Any] = []
    dead_letters: list[Any] = []
    taken: list[Any] = []
    redrive = queue.redrive_policy if queue.dead_letter_queue is not None else None
    retention_ms = float(queue.message_retention_period) * 1000.0
    with queue._messages_lock:
        now = epoch_millis()
        state.promote(now)
        while len(result) < count:
            message = state.pop_visible()
            if message is None:
                break
            if redrive and message.approximate_receive_count >= redrive["maxReceiveCount"]:
                state.forget(message)
                dead_letters.append(message)
                continue
            if message.sent_timestamp + retention_ms <= now:
                state.forget(message)
                continue
            message.mark_received(visibility_timeout=visibility_timeout)
            state.by_handle[message.receipt_handle] = message
            taken.append(message)
            delivered = copy.copy(message)
            models._filter_message_attributes(delivered, attribute_names)
            result.append(delivered)
        for message in taken:  # filed after the loop: a 0-second visibility must not deliver it twice now
            state.place(message, now)
    for message in dead_letters:
        queue.dead_letter_queue.add_message(message)
    return result


def _feed_moto_lambdas(models: Any, queue: Any) -> None:
    """moto's own Lambda event-source mappings on a queue (unused by omsync): one batch per new message."""
    mappings: dict[str, Any] = queue.lambda_event_source_mappings
    if not mappings:
        return
    from moto.awslambda.utils import get_backend

    backend = models.sqs_backends[queue.account_id][queue.region]
    for arn, mapping in mappings.items():
        if not mapping.enabled:
            continue
        batch = backend.receive_message(
            queue.name, mapping.batch_size, queue.receive_message_wait_time_seconds, queue.visibility_timeout
        )
        handled = get_backend(queue.account_id, queue.region).send_sqs_batch(arn, batch, queue.queue_arn)
        for message in batch:
            if handled:
                backend.delete_message(queue.name, message.receipt_handle)
            else:
                backend.change_message_visibility(queue.name, message.receipt_handle, visibility_timeout=0)


_TRANSACTION = threading.local()
_PARTITION = threading.local()


class _TableCopyShim:
    """Stands in for the ``copy`` module inside moto's DynamoDB models: inside a transaction a table
    "copy" is the table itself (the transaction saves the items it touches instead)."""

    def __init__(self, real: Any, table_class: type) -> None:
        self._real = real
        self._table_class = table_class

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if getattr(_TRANSACTION, "active", False) and isinstance(value, self._table_class):
            return value
        return self._real.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def install_dynamodb_transaction_rollback() -> None:
    """A transaction saves and restores the items it names instead of deep-copying whole tables."""
    require_moto_version("dynamodb_transaction_rollback")
    from moto.dynamodb import models as dynamodb_models

    models: Any = dynamodb_models

    backend_class = models.DynamoDBBackend
    models.copy = _TableCopyShim(copy, models.Table)
    original_transact = backend_class.transact_write_items

    def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
        # Atomic with other requests only under `moto_fidelity`'s request lock, installed around this.
        saved = _items_before(backend, transact_items)
        _TRANSACTION.active = True
        try:
            original_transact(backend, transact_items)
        except Exception:
            _restore(backend, saved)
            raise
        finally:
            _TRANSACTION.active = False

    backend_class.transact_write_items = transact_write_items


@dataclass(frozen=True)
class _IndexCandidates:
    """`_PARTITION.key` of an index query: the items moto's query loop would keep, in no order.

    The same tests as that loop (``Table.query`` in moto 5.2.5): each index hash key condition equal, and, when
    the query has no Limit, a range comparison on the index's one range key and no legacy key filters, that
    comparison.
    moto then sorts what it kept by the index key then the table key (``sorted_items``), a total order.
    """

    hash_conditions: tuple[tuple[str, Any], ...]
    range_attribute: str | None = None
    range_comparison: str | None = None
    range_values: tuple[Any, ...] = ()

    def keeps(self, item: Any) -> bool:
        for name, expected in self.hash_conditions:
            value = item.attrs.get(name)
            if not value or not _equal(value, expected):
                return False
        if self.range_attribute is None:
            return True
        value = item.attrs.get(self.range_attribute)
        if not value:
            return False
        if value.type == "S" and all(bound.type == "S" for bound in self.range_values):
            # moto's DynamoType.compare casts both sides first; for strings that is the string itself.
            if self.range_comparison in ("EQ", "="):
                return bool(value.value == self.range_values[0].value)
            if self.range_comparison == "BEGINS_WITH":
                return bool(value.value.startswith(self.range_values[0].value))
        return bool(value.compare(self.range_comparison, list(self.range_values)))


def _equal(value: Any, expected: Any) -> bool:
    """moto's ``DynamoType.__eq__`` without its casts where they change nothing: two strings are equal as strings."""
    if value.type == "S" and expected.type == "S":
        return bool(value.value == expected.value)
    return bool(value == expected)


_QUERY_KEYWORDS = {"index_name", "hash_key_conditions", "range_key_conditions"}


def _index_candidates(table: Any, index_name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _IndexCandidates:
    """What moto's loop keeps of an index query called as moto's backend calls ``Table.query``."""
    hash_conditions = tuple(kwargs.get("hash_key_conditions") or ())
    range_conditions = kwargs.get("range_key_conditions") or []
    range_comparison = args[0] if args else None
    legacy_filters = set(kwargs) - _QUERY_KEYWORDS
    index = next((index for index in table.all_indexes() if index.name == index_name), None)
    range_keys = [key["AttributeName"] for key in index.schema if key["KeyType"] == "RANGE"] if index else []
    limit = args[2] if len(args) > 2 else None
    # With a Limit, whether moto sets LastEvaluatedKey on the last page depends on whether an item the range
    # condition rejects follows the last match, so those items stay in; no Limit, no difference.
    if limit is not None or not range_comparison or legacy_filters or len(range_conditions) > 1 or len(range_keys) != 1:
        return _IndexCandidates(hash_conditions)
    attribute = range_conditions[-1][0] if range_conditions else range_keys[0]
    return _IndexCandidates(hash_conditions, attribute, range_comparison, tuple(args[1]))


def _each_item(table: Any) -> Any:
    return (item for partition in table.items.values() for item in partition.values())


def install_dynamodb_partition_query() -> None:
    """A Query on the table's own key reads that partition only (moto lists and sorts the whole table)."""
    require_moto_version("dynamodb_partition_query")
    from moto.dynamodb.models.table import Table

    table_class: Any = Table
    original_query = table_class.query
    original_all_items = table_class.all_items

    def query(table: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name is None and hash_key is None:
            return original_query(table, hash_key, *args, **kwargs)
        _PARTITION.key = _index_candidates(table, index_name, args, kwargs) if index_name is not None else hash_key
        try:
            return original_query(table, hash_key, *args, **kwargs)
        finally:
            _PARTITION.key = None

    def all_items(table: Any) -> list[Any]:
        hash_key = getattr(_PARTITION, "key", None)
        if hash_key is None:
            return original_all_items(table)  # type: ignore[no-any-return]
        if isinstance(hash_key, _IndexCandidates):
            every_item = table.items.values() if not table.range_key_attr else _each_item(table)
            return [item for item in every_item if hash_key.keeps(item)]
        partition = table.items.get(hash_key)
        if partition is None:
            return []
        # Unsorted: moto's query sorts a partition's results by range key itself.
        return [partition] if not table.range_key_attr else list(partition.values())

    table_class.query = query
    table_class.all_items = all_items


def _items_before(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any], Any]]:
    """(table, key, a copy of the item or None) for every item a transaction names that exists as a table."""
    saved = []
    for entry in transact_items:
        for operation in entry.values():
            table_name = operation.get("TableName")
            if table_name not in backend.tables:
                continue
            table = backend.tables[table_name]
            if "Key" in operation:
                key = dict(operation["Key"])
            elif "Item" in operation and table.hash_key_attr in operation["Item"]:
                attributes = operation["Item"]
                key = {table.hash_key_attr: attributes[table.hash_key_attr]}
                if table.range_key_attr is not None and table.range_key_attr in attributes:
                    key[table.range_key_attr] = attributes[table.range_key_attr]
            else:
                continue
            try:
                current = backend.get_item(table_name, key)
            except Exception:  # a malformed key: moto's own validation will refuse the transaction
                continue
            saved.append((table_name, key, copy.deepcopy(current)))
    return saved


def _restore(backend: Any, saved: list[tuple[str, dict[str, Any], Any]]) -> None:
    """Put back the items a failed transaction may have changed (in reverse, so the first copy wins)."""
    for table_name, key, before in reversed(saved):
        if before is None:
            if backend.get_item(table_name, key) is not None:
                backend.delete_item(table_name, key)
        else:
            backend.put_item(table_name, before.to_json()["Attributes"])


# DynamoDB operations whose requests hold only strings, numbers as strings, booleans, lists and maps,
# apart from binary attribute values.
_JSON_ONLY_DYNAMODB_ACTIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
_BINARY_VALUE = re.compile(rb'"BS?"\s*:')


def install_dynamodb_json_bodies() -> None:
    """Item operations' bodies without binary values parsed with `json.loads` instead of botocore's parser."""
    require_moto_version("dynamodb_json_bodies")
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.parse_parameters

    def parse_parameters(handler: Any, request: Any) -> None:
        if handler._get_action() in _JSON_ONLY_DYNAMODB_ACTIONS:
            body = request.get_data()
            if not _BINARY_VALUE.search(body):
                handler.params = json.loads(body) if body else {}
                return
        original(handler, request)

    handler_class: Any = DynamoHandler
    handler_class.parse_parameters = parse_parameters


def install_server_dispatch_cache() -> None:
    """The server's service lookup remembered per host name."""
    require_moto_version("server_dispatch_cache")
    from moto import backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    original = DomainDispatcherApplication.get_backend_for_host
    found: dict[str | None, Any] = {}

    def get_backend_for_host(application: Any, host: str | None) -> Any:
        if host not in found:
            found[host] = original(application, host)
        return found[host]

    dispatcher: Any = DomainDispatcherApplication
    dispatcher.get_backend_for_host = get_backend_for_host
