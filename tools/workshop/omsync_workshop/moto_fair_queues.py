"""SQS fair queues, which moto 5.2.5 does not have: a standard queue delivers a quiet tenant's messages first.

Since 2025 a *standard* SQS queue whose messages carry a ``MessageGroupId`` is a fair queue (SQS Developer
Guide, "Amazon SQS fair queues" and "How Amazon SQS fair queues work"). The group is the tenant. SQS marks a
tenant a *noisy neighbour* when it holds more than 10% of the queue's in-flight messages and at least 30 of
its own are in flight (its concurrency share), or when it took more than 10% of the consumers' recent
processing time; while one is, every receive returns the quiet tenants' messages first whenever there are
any, and the noisy tenants' only when no quiet message waits (of several noisy tenants, first the one with
the fewest in flight). Nothing is dropped or throttled; a message without a group is a tenant of its own.
The groups impose no order and no one-at-a-time on a standard queue.

moto 5.2.5 accepts and returns ``MessageGroupId`` on a standard queue but delivers strictly in the order
sent, so a flash sale's backlog holds every other seller's orders behind it: the local figures of fairness
would mean nothing. This patch gives moto's receive the documented choice, by the concurrency share:

- `noisy_tenants` and `next_group` are the rule, pure;
- for moto's own queues (the ``fidelity`` level), the queue's visible messages are listed quiet tenants
  first (moto's receive takes them in that order), counting in-flight messages per group by scanning, as
  moto's own code does; the ``speed`` level's indexed queues (`omsync_workshop.moto_speedups`) keep a heap
  of visible messages per group and in-flight counts, and ask `next_group` which group to take from.

Differences from AWS, on purpose and stated: the processing-time share is not measured (a tenant with few,
slow messages is not detected; omsync's workers spend about the same time per message of any seller);
detection holds exactly at the documented thresholds, where AWS's are approximate, and has no memory (a
tenant stops being noisy as soon as its share falls under them, where AWS waits for its share to come down
to the quiet tenants', its backlog to drain, or five minutes without a send).

Installed by `omsync_workshop.moto_patches.install` at the ``fidelity`` and ``speed`` levels; refuses any moto
but `omsync_workshop.moto_patches.MOTO_VERSION`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from omsync_workshop.moto_patches import require_moto_version

NOISY_SHARE = 0.10
"""A tenant above this share of the queue's in-flight messages…"""
NOISY_MIN_IN_FLIGHT = 30
"""…with at least this many of its own in flight is a noisy neighbour."""


def noisy_tenants(in_flight: Mapping[str, int]) -> frozenset[str]:
    """The groups (tenants) whose concurrency share makes them noisy neighbours: group → messages in flight."""
    total = sum(in_flight.values())
    return frozenset(
        group for group, count in in_flight.items() if count >= NOISY_MIN_IN_FLIGHT and count > NOISY_SHARE * total
    )


def next_group(heads: Mapping[str | None, int], in_flight: Mapping[str, int]) -> str | None:
    """The group whose oldest visible message a receive takes next.

    ``heads``: group (None: messages without one, each its own tenant, never noisy) → send sequence of its
    oldest visible message (not empty); ``in_flight``: group → messages in flight. With no noisy tenant this
    is the oldest message of all (moto's order); otherwise the oldest of the quiet tenants', and only when
    none waits, the noisy tenant with the fewest in flight.
    """
    noisy = noisy_tenants(in_flight)
    quiet = [(sequence, group) for group, sequence in heads.items() if group is None or group not in noisy]
    if quiet:
        return min(quiet, key=lambda entry: entry[0])[1]
    return min(heads, key=lambda group: (in_flight.get(group, 0) if group is not None else 0, heads[group]))


def fair_order(visible: Sequence[Any], in_flight: Mapping[str, int]) -> list[Any]:
    """moto messages (each with ``group_id``), visible and in send order, in the order a fair queue delivers them."""
    noisy = noisy_tenants(in_flight)
    if not noisy:
        return list(visible)
    quiet = [message for message in visible if message.group_id not in noisy]
    loud = [message for message in visible if message.group_id in noisy]
    loud.sort(key=lambda message: in_flight[message.group_id])  # stable: each group keeps its send order
    return quiet + loud


def in_flight_by_group(messages: Sequence[Any]) -> Counter[str]:
    """Group → messages in flight (received, not deleted, invisible) among moto's list of a queue's messages."""
    return Counter(
        message.group_id
        for message in messages
        if message.group_id is not None and not message.visible and not message.delayed
    )


def install() -> None:
    """moto's standard queues deliver as fair queues (the indexed queues of the ``speed`` level already do)."""
    require_moto_version("sqs_fair_queues")
    from moto.sqs import models

    queue_class: Any = models.Queue
    original_messages = queue_class.messages

    def messages(queue: Any) -> list[Any]:
        visible: list[Any] = list(original_messages.fget(queue))
        if queue.fifo_queue or len(visible) < 2:
            return visible
        # The speed level's queues keep no list (`_messages` is empty) and choose in their own heaps.
        return fair_order(visible, in_flight_by_group(queue.__dict__.get("_messages", [])))

    queue_class.messages = property(messages)
