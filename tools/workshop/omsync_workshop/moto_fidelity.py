"""What AWS guarantees under concurrent requests and moto 5.2.5 does not: every patched moto (tests, demo, bench).

moto's server (`ThreadedMotoServer`) answers each request on a thread of its own, but moto's models take
no lock for most operations (moto issue #372, "Moto running into thread-safety issues"; #519, duplicate
SQS messages when receiving on several threads). The local stack runs many pollers, workers and the
receiver at once, so it meets both gaps:

- **SQS** (`sqs_queue_atomicity`). In moto 5.2.5 ``Queue.add_message`` appends under the queue's
  ``_messages_lock``, but ``SQSBackend.receive_message`` scans and marks messages, and
  ``Queue.delete_message`` rebuilds ``_messages`` as a new list, without it: two receives can take the
  same message at once, and a message sent while a delete rebuilds the list is dropped. SQS loses no
  message. The patch runs each receive pass, delete, visibility change and purge under that same lock
  (a `threading.Condition` over a re-entrant lock); a long poll waits outside it, as moto's own wait does.
- **DynamoDB** (`dynamodb_serial_requests`). moto 5.2.5's ``DynamoDBBackend`` reads an item, checks the
  condition and writes with no lock, so two conditional writes (the Ledger's per-order lease, the
  Accurate governor's slots) can both succeed; ``transact_write_items`` deep-copies each table it names
  and, when cancelled, puts the copy back, undoing writes other threads made meanwhile. DynamoDB makes
  each write and each transaction atomic. The patch answers one DynamoDB request at a time (a
  process-wide lock around ``DynamoHandler.call_action``; the request body is parsed before it, outside).

Both only add locks around moto's own code: the answers are moto's. Installed by
`omsync_workshop.moto_patches.install` for the ``fidelity`` and ``speed`` levels.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from omsync_workshop.moto_patches import require_moto_version

_DYNAMODB_REQUEST_LOCK = threading.RLock()


def install() -> None:
    """Install both fidelity patches in this process's moto (call through `moto_patches.install`)."""
    install_sqs_queue_atomicity()
    install_dynamodb_serial_requests()


def install_sqs_queue_atomicity() -> None:
    """Each SQS receive pass, delete, visibility change and purge holds the queue's own lock."""
    require_moto_version("sqs_queue_atomicity")
    from moto.sqs import models

    queue_class: Any = models.Queue
    backend_class: Any = models.SQSBackend
    original_receive = backend_class.receive_message
    original_delete = queue_class.delete_message
    original_visibility = backend_class.change_message_visibility
    original_purge = backend_class.purge_queue

    def receive_message(
        backend: Any,
        queue_name: str,
        count: int,
        wait_seconds_timeout: int,
        visibility_timeout: int,
        message_attribute_names: list[str] | None = None,
    ) -> list[Any]:
        queue = backend.get_queue(queue_name)
        deadline = time.monotonic() + wait_seconds_timeout
        while True:
            # One pass of moto's own receive (no wait), atomic with sends and deletes on this queue.
            with queue._messages_lock:
                result: list[Any] = original_receive(
                    backend, queue_name, count, 0, visibility_timeout, message_attribute_names
                )
            remaining = deadline - time.monotonic()
            if result or remaining <= 0:
                return result
            queue.wait_for_messages(min(1.0, remaining))

    def delete_message(queue: Any, receipt_handle: str) -> None:
        with queue._messages_lock:
            original_delete(queue, receipt_handle)

    def change_message_visibility(backend: Any, queue_name: str, receipt_handle: str, visibility_timeout: int) -> None:
        with backend.get_queue(queue_name)._messages_lock:
            original_visibility(backend, queue_name, receipt_handle, visibility_timeout)

    def purge_queue(backend: Any, queue_name: str) -> None:
        with backend.get_queue(queue_name)._messages_lock:
            original_purge(backend, queue_name)

    backend_class.receive_message = receive_message
    queue_class.delete_message = delete_message
    backend_class.change_message_visibility = change_message_visibility
    backend_class.purge_queue = purge_queue


def install_dynamodb_serial_requests() -> None:
    """moto's server answers one DynamoDB request at a time, so each write and transaction is atomic."""
    require_moto_version("dynamodb_serial_requests")
    from moto.dynamodb.responses import DynamoHandler

    handler_class: Any = DynamoHandler
    original = handler_class.call_action

    def call_action(handler: Any) -> Any:
        with _DYNAMODB_REQUEST_LOCK:
            return original(handler)

    handler_class.call_action = call_action
