"""`omsync demo`: the webhook front door, end to end on the embedded stack.

It registers a demo connection, posts the samples in events/webhooks/ (a valid order, the same
envelope three times, a forged token, an unknown connection, malformed JSON, a wrong shape, an
oversized body, an unknown entity, a product, an inbound and a cancelled order) and reports what
was accepted, what was rejected and how deep every queue is, as read from moto. `run_demo` returns
a `DemoResult`; later steps of the flow add their own fields to it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests

from omsync_workshop.stack import LocalStack, RegisteredConnection

OVERSIZE_BYTES = 256 * 1024 + 1


@dataclass(frozen=True)
class WebhookPost:
    """One sample webhook to post: which file, to which URL variant, and the status it must get."""

    label: str
    sample: str
    expected_status: int
    url_kind: str = "valid"
    """`valid`, `forged-token` or `unknown-connection`."""


@dataclass(frozen=True)
class WebhookAttempt:
    """A posted webhook and the answer it got."""

    label: str
    sample: str
    expected_status: int
    status: int
    outcome: str
    answer: Any

    @property
    def accepted(self) -> bool:
        """Whether Ginee would see success (2xx)."""
        return 200 <= self.status < 300

    @property
    def as_expected(self) -> bool:
        """Whether the status is the one the receiver's contract promises."""
        return self.status == self.expected_status


@dataclass
class DemoResult:
    """Everything the demo observed."""

    webhook_base_url: str
    connection_id: str
    attempts: list[WebhookAttempt] = field(default_factory=list)
    queue_depths: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Every webhook got the status it should have."""
        return all(attempt.as_expected for attempt in self.attempts)

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON-ready data."""
        return {
            "ok": self.ok,
            "webhookBaseUrl": self.webhook_base_url,
            "connectionId": self.connection_id,
            "webhooks": [
                {**asdict(attempt), "accepted": attempt.accepted, "asExpected": attempt.as_expected}
                for attempt in self.attempts
            ],
            "queueDepths": self.queue_depths,
        }


DEMO_POSTS: tuple[WebhookPost, ...] = (
    WebhookPost("valid order (PAID)", "order-paid.json", 200),
    WebhookPost("same envelope again (2/3)", "order-paid.json", 200),
    WebhookPost("same envelope again (3/3)", "order-paid.json", 200),
    WebhookPost("forged token", "order-paid.json", 401, url_kind="forged-token"),
    WebhookPost("unknown connection", "order-paid.json", 404, url_kind="unknown-connection"),
    WebhookPost("malformed JSON", "malformed.json.txt", 400),
    WebhookPost("wrong shape (payload not an object)", "wrong-shape.json", 400),
    WebhookPost("oversized body (> 256 KB)", "(generated)", 413),
    WebhookPost("unknown entity (ignored)", "unknown-entity.json", 200),
    WebhookPost("master product", "master-product.json", 200),
    WebhookPost("inbound order", "inbound.json", 200),
    WebhookPost("cancelled order", "order-cancelled.json", 200),
)


def samples_dir(stack: LocalStack) -> Path:
    """events/webhooks/ beside the template."""
    return stack.template_path.parent / "events" / "webhooks"


def _url(connection: RegisteredConnection, base: str, kind: str) -> str:
    if kind == "forged-token":
        return f"{base}/{connection.connection_id}/forged-{connection.token[:8]}"
    if kind == "unknown-connection":
        return f"{base}/conn-unknown/{connection.token}"
    return connection.webhook_url


def _body(folder: Path, post: WebhookPost) -> bytes:
    if post.sample == "(generated)":
        padding = "x" * OVERSIZE_BYTES
        return json.dumps(
            {"id": "GENIE-OVERSIZE", "entity": "order", "action": "UPDATE", "payload": {"note": padding}}
        ).encode()
    return (folder / post.sample).read_bytes()


def run_demo(stack: LocalStack, posts: tuple[WebhookPost, ...] = DEMO_POSTS) -> DemoResult:
    """Register a demo connection on a started stack, post every sample, and collect the answers and queue depths."""
    connection = stack.register_connection("Toko Demo")
    base = stack.webhook_base_url
    folder = samples_dir(stack)
    result = DemoResult(webhook_base_url=base, connection_id=connection.connection_id)
    with requests.Session() as http:
        for post in posts:
            response = http.post(
                _url(connection, base, post.url_kind),
                data=_body(folder, post),
                headers={"Content-Type": "application/json"},
                timeout=30,
            )
            try:
                answer: Any = response.json()
            except ValueError:
                answer = response.text
            outcome = response.headers.get("X-Omsync-Outcome", "accepted" if response.ok else "rejected")
            result.attempts.append(
                WebhookAttempt(post.label, post.sample, post.expected_status, response.status_code, outcome, answer)
            )
    if stack.run_event_sources:
        stack.esm.drain_until_idle(timeout=60)
    result.queue_depths = stack.queue_depths()
    return result


def render(result: DemoResult) -> str:
    """The result as a plain-text report: one line per webhook, then the queue depths."""
    lines = [f"webhook URL base: {result.webhook_base_url}", f"demo connection:  {result.connection_id}", ""]
    width = max(len(a.label) for a in result.attempts) if result.attempts else 10
    lines.append(f"{'webhook':<{width}}  status  verdict   outcome")
    for attempt in result.attempts:
        verdict = "accepted" if attempt.accepted else "rejected"
        mark = "" if attempt.as_expected else f"  (expected {attempt.expected_status})"
        lines.append(f"{attempt.label:<{width}}  {attempt.status:>6}  {verdict:<8}  {attempt.outcome}{mark}")
    lines.append("")
    lines.append("queue depths (read from moto):")
    # Work queues first, then their dead-letter queues.
    for queue, depth in sorted(result.queue_depths.items(), key=lambda item: (item[0].endswith("DLQ"), item[0])):
        lines.append(f"  {queue:<20} {depth}")
    lines.append("")
    lines.append(
        "OK: every webhook got the status its contract promises." if result.ok else "FAILED: see the marked lines."
    )
    return "\n".join(lines)
