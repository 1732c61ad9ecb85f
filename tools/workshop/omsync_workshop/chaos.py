"""`omsync chaos`: thousands of order lives in a hostile world; nothing lost, nothing doubled, nothing leaked.

Two sellers (connections) share one local stack (`LocalWorld` and `omsync_workshop.tenants.second_tenant`):
connection A with the demo's Shopee and Tokopedia stores, connection B with its Lazada store, each with its
own Ginee sandbox and Accurate sandbox. Both play a scenario generated from ``events/scenarios/demo.json``
with the orders scaled to ``--orders`` (every order path, settlement files with every payout line kind,
products, inbounds and stock adjustments), at the same time, while everything misbehaves (`ChaosFaults`):

- Ginee's webhooks: 30% never sent, the others sent up to 3 times and shuffled (`DeliveryOptions`);
- Accurate: 5xx answers, saves that commit and then drop the connection (the client sees a timeout), the
  8 requests/s and 8 in flight limits enforced, and B (OAuth) with every database session expiring after a
  minute and every access token revoked each minute, so its workers refresh at once (refresh races);
- Ginee: 429s with and without ``Retry-After``, answers cut in half, and orders served with the buyer's phone
  and postal code as JSON numbers (a type change a lenient reader must survive);
- workers killed: before any I/O step (an HTTP request or an AWS call) of a worker invocation, with a small
  chance the invocation dies there (`WorkerKiller`), and its batch goes back to the queue as Lambda's would.

The timelines are played in rounds (`timeline_rounds`: days pass between an order's changes), the reconciler's
schedule running until it finds nothing behind after each; then the settlement files are imported, the
reconciler converges once more, and each connection's books are compared with the oracle's. Every log line the run writes is scanned for the buyers' data (names, phones, e-mails and
addresses the run gives every order) and for the run's secrets. `ChaosReport` holds the figures.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
import yaml

from omsync.ledger.cursors import ORDERS, PRODUCTS, PollCursors
from omsync_workshop.ginee.webhooks import DeliveryOptions
from omsync_workshop.log_hygiene import Buyer, BuyerIndex
from omsync_workshop.oracle import expected_books
from omsync_workshop.scenarios import apply_event
from omsync_workshop.scenarios.facts import TimelineEvent
from omsync_workshop.scenarios.generator import generate, scenario_path
from omsync_workshop.scenarios.spec import validate_scenario
from omsync_workshop.tenants import second_tenant
from omsync_workshop.world import (
    API_TOKEN,
    GINEE_ACCESS_KEY,
    GINEE_SECRET_KEY,
    OAUTH_CLIENT_SECRET,
    SIGNATURE_SECRET,
    LocalWorld,
    default_mapping_path,
    seed_company,
)

if TYPE_CHECKING:
    from omsync_workshop.moto_patches import PatchLevel
    from omsync_workshop.scenarios import Scenario
    from omsync_workshop.terminal import Progress

BASE_SCENARIO = "demo"
NEVER_DROPPED = frozenset({"inbound_order", "outbound_order"})
"""Webhook entities nothing can find again once lost (`ChaosFaults.delivery`)."""
MAX_RECEIVE_COUNT = "40"
RETRY_DELAY_SECONDS = 3
"""The SQS emulator returns a failed message after this many seconds, where Lambda waits the queue's visibility
timeout (360 s). The template's 5 receives would then last 15 s, less than the lease a killed worker leaves on
its orders (until 5 s after its invocation's end: `omsync.ledger.orders.lease_seconds`, 25 s with
`WORKER_TIMEOUT_SECONDS`), and retries waiting on that lease would end in the DLQ as they never do on AWS
(5 × 360 s); so the chaos run's queues take `MAX_RECEIVE_COUNT` receives: 120 s of retries, which outlast the
lease as AWS's do."""
WORKER_TIMEOUT_SECONDS = 20
"""The worker functions' timeout in the chaos run, where the template gives 60 s: a lease lasts until shortly after
its invocation's end (`omsync.ledger.orders.lease_seconds`), so a killed worker's orders wait 25 s for the next
attempt instead of 65 s (each kill held its batch for a lease's 90 s before, most of a small run's time). Lambda
ends an invocation at its timeout; `WorkerKiller` does too (at its next I/O step), so no worker writes after its
lease lapsed. Its waits keep 10 s of budget (`omsync.deadline`: the timeout less a 10 s safety margin)."""
CONNECTION_STORES = {"A": ("shopee", "tokopedia"), "B": ("lazada",)}
"""The demo's three stores over two connections (store keys of the scenario file)."""
WORKER_LOGICAL_IDS_SPARED = frozenset({"ReceiverFunction", "ReconcilerFunction"})
"""Functions no kill strikes: the receiver answers Ginee (a dead one is a webhook Ginee retries, which the
dropped webhooks already stand for) and the reconciler is what the run waits on to converge."""


@dataclass(frozen=True)
class ChaosFaults:
    """How hostile the world is; the defaults are issue 20's."""

    webhook_drop_rate: float = 0.30
    webhook_duplicate_rate: float = 2 / 3
    """Of the webhooks sent: this share is sent 2 or 3 times (evenly), the rest once."""
    webhook_max_copies: int = 3
    webhook_reorder_window: int = 50
    accurate_error_rate: float = 0.10
    """Data calls answered HTTP 500 before anything happens."""
    accurate_timeout_after_commit_rate: float = 0.05
    """Saves that commit and then close the connection unanswered (the client's timeout)."""
    accurate_latency_ms: int = 20
    """Added to every Accurate call, so the 8-in-flight limit is reached (rate-limit pressure)."""
    session_expiry_seconds: float = 60.0
    """Connection B (OAuth): a database session stops working this long after it was opened (0: never)."""
    access_token_lifetime_seconds: float = 60.0
    """Connection B (OAuth): every access token is revoked this often, so workers refresh together."""
    ginee_rate_limit_rate: float = 0.05
    ginee_no_retry_after_share: float = 0.5
    ginee_truncated_rate: float = 0.03
    malformed_share: float = 0.05
    """Orders Ginee serves with the buyer's phone and postal code as JSON numbers."""
    kill_rate: float = 0.002
    """Chance, before each I/O step of a worker invocation, that the invocation dies there."""
    max_kills: int | None = None
    """Stop killing after this many (None: no limit). Each kill costs the run up to a lease's 90 s, as the
    orders the dead worker leased wait for it to lapse: a small run keeps its time with one or two."""

    def accurate(self, *, oauth: bool) -> dict[str, Any]:
        """The Accurate sandbox's faults (`omsync_workshop.accurate.responses.Faults`)."""
        return {
            "error_rate": self.accurate_error_rate,
            "timeout_after_commit_rate": self.accurate_timeout_after_commit_rate,
            "latency_ms": self.accurate_latency_ms,
            "enforce_rate_limit": True,
            "session_expiry_seconds": self.session_expiry_seconds if oauth and self.session_expiry_seconds else None,
        }

    def delivery(self) -> DeliveryOptions:
        """How Ginee's webhook sender misbehaves. Inbound and outbound notifications are never dropped: Ginee
        lists no inbounds (reference/ginee-api.md §3.8), so omsync's reconciler cannot find a lost one (a gap
        `omsync_workshop.chaos` names rather than counts as missing documents); they are duplicated and
        shuffled like the rest."""
        return DeliveryOptions(
            drop_rate=self.webhook_drop_rate,
            duplicate_rate=self.webhook_duplicate_rate,
            max_copies=self.webhook_max_copies,
            reorder_window=self.webhook_reorder_window,
            never_dropped=NEVER_DROPPED,
        )


# --- the scenario ---------------------------------------------------------------------------------------

FIRST_NAMES = ("Sekar", "Bagus", "Ayu", "Dimas", "Intan", "Rizky", "Putri", "Wahyu", "Lestari", "Yoga", "Citra")
LAST_NAMES = ("Wibisono", "Simanjuntak", "Hutapea", "Nugroho", "Siregar", "Prasetyo", "Kusumawati", "Pangaribuan")
STREETS = ("Kembang Sepatu", "Cempaka Putih", "Melati Raya", "Kenanga Indah", "Anggrek Ungu", "Flamboyan")


def chaos_scenarios(orders: int, seed: int) -> dict[str, Scenario]:
    """Connection label (``A``, ``B``) → its scenario: the demo's file, its stores split per
    `CONNECTION_STORES`, ``orders`` in all, shared between the stores as the file weighs them, each product's
    opening stock multiplied by twice the orders over the file's own (rounded up; at least once).

    Raises ValueError when ``orders`` is below one per store.
    """
    spec: dict[str, Any] = json.loads(scenario_path(BASE_SCENARIO).read_text(encoding="utf-8"), parse_float=Decimal)
    stores = {store["key"]: store for store in spec["stores"]}
    if orders < len(stores):
        raise ValueError(f"--orders must be at least {len(stores)} (one per store), not {orders}")
    weights = {key: int(store["mix"]["orders"]) for key, store in stores.items()}
    shares = _apportion(orders, weights)
    # The file's opening stock serves its own orders; more orders get it scaled, twice over, so Accurate always
    # holds the units the oracle expects sold (with the file's stock, 1,000 orders left 250 held insufficient_stock).
    stock_scale = max(1, math.ceil(2 * orders / sum(weights.values())))
    spec["products"] = [
        {**product, "openingStock": int(product["openingStock"]) * stock_scale}
        if "openingStock" in product
        else product
        for product in spec["products"]
    ]
    scenarios: dict[str, Scenario] = {}
    for offset, (label, keys) in enumerate(CONNECTION_STORES.items()):
        part = {
            **spec,
            "name": f"chaos-{label.lower()}",
            "stores": [{**stores[key], "mix": {**stores[key]["mix"], "orders": shares[key]}} for key in keys],
            "settlementFiles": [key for key in spec.get("settlementFiles", []) if key in keys],
        }
        validate_scenario(part, source=f"chaos scenario {label}")
        scenarios[label] = generate(part, seed=seed + offset)
    return scenarios


def _apportion(total: int, weights: Mapping[str, int]) -> dict[str, int]:
    """``total`` split by ``weights`` (largest remainders), at least one each."""
    whole = sum(weights.values())
    exact = {key: Decimal(total) * weight / whole for key, weight in weights.items()}
    shares = {key: max(1, int(value)) for key, value in exact.items()}
    for key in sorted(exact, key=lambda k: exact[k] - int(exact[k]), reverse=True):
        if sum(shares.values()) >= total:
            break
        shares[key] += 1
    return shares


def with_buyers(scenario: Scenario, rng: random.Random) -> tuple[Scenario, list[Buyer]]:
    """The scenario with a buyer of their own on every order (Ginee's ``customerInfo`` and
    ``shippingAddressInfo``), and those buyers."""
    buyers: list[Buyer] = []
    events = []
    for event in scenario.events:
        if event.entity == "order" and event.action == "create":
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            buyer = Buyer(
                name=f"{first} {last}",
                phone=f"628{rng.randrange(10**9, 10**10)}",
                email=f"{first}.{last}{rng.randrange(1000, 10000)}@example.id".lower(),
                address=f"Jl. {rng.choice(STREETS)} No. {rng.randrange(1, 200)}",
            )
            buyers.append(buyer)
            order = {**event.data["order"], **_buyer_fields(buyer)}
            event = replace(event, data={**event.data, "order": order})
        events.append(event)
    return replace(scenario, events=tuple(events)), buyers


def _buyer_fields(buyer: Buyer) -> dict[str, Any]:
    return {
        "customerInfo": {"name": buyer.name, "mobile": buyer.phone, "email": buyer.email},
        "shippingAddressInfo": {
            "name": buyer.name,
            "mobile": buyer.phone,
            "fullAddress": f"{buyer.address}, Bandung, Jawa Barat",
            "postalCode": "40287",
        },
    }


def numbers_as_json_numbers(scenario: Scenario, share: float, rng: random.Random) -> dict[str, Any]:
    """Order id → the fields Ginee serves in place of the stored ones (the sandbox's ``malformed`` fault) for
    ``share`` of the orders, at least one when ``share`` is above 0: the buyer's phone and postal code as JSON
    numbers."""
    created = [event for event in scenario.events if event.entity == "order" and event.action == "create"]
    chosen = [event for event in created if rng.random() < share]
    if share > 0 and not chosen and created:
        chosen = [created[0]]
    served: dict[str, Any] = {}
    for event in chosen:
        order = event.data["order"]
        phone = int(order["customerInfo"]["mobile"])
        served[event.target] = {
            "customerInfo": {"mobile": phone},
            "shippingAddressInfo": {"mobile": phone, "postalCode": int(order["shippingAddressInfo"]["postalCode"])},
        }
    return served


def connection_mapping(keys: tuple[str, ...], scenario: Scenario) -> str:
    """The example mapping with only the stores of ``keys`` (the scenario's stores of those keys)."""
    data: dict[str, Any] = yaml.safe_load(default_mapping_path().read_text(encoding="utf-8"))
    kept = {store.shop_id for store in scenario.stores if store.key in keys}
    data["stores"] = {shop_id: store for shop_id, store in data["stores"].items() if shop_id in kept}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


DAYS_PASS = timedelta(hours=1)
"""A change this long after its order's (or inbound's) previous one comes after the reconciler's schedule has run
in between (every few minutes in production): it starts a new round. A day would be too long: a completion and
the marketplace's release a few hours apart in one round let a worker see the release first, and its estimate
is then held as inconsistent with what was released, where in life the reconciler saw the completion hours
before."""


def timeline_rounds(world: LocalWorld) -> list[list[TimelineEvent]]:
    """The world's timeline cut into rounds that are played one after the other, the reconciler converging
    between them; each round keeps the timeline's order.

    A change moves to the round after its order's (or inbound's) previous change when time passes between them
    (`DAYS_PASS`: a delivery, a completion, a return, the marketplace's release) or when omsync must have posted
    something first (`LocalWorld.posted_before`: a return after settlement, a failed delivery's cancellation, a
    line leaving an invoiced order, a second package, after its first). With 30% of the webhooks lost, only
    the reconciler may have told omsync of the earlier change, and in life it has, days before the later one:
    an order first seen once it is returned or paid out would be booked otherwise than it was (an invoice of
    the kept lines instead of an invoice and a Sales Return; the payout's exact receipt instead of the estimate).
    Different orders' changes do not wait on each other: the oracle's books do not depend on their order.
    """
    waits = world.posted_before()
    round_of: dict[str, int] = {}
    last_at: dict[str, datetime] = {}
    rounds: list[list[TimelineEvent]] = []
    for event in world.scenario.events:
        target = event.target
        number = round_of.get(target, 0)
        if target in last_at and event.at - last_at[target] >= DAYS_PASS:
            number = round_of[target] + 1
        earlier = [round_of[t] for t in waits(event) if t in round_of]
        if earlier:
            number = max(number, max(earlier) + 1)
        while len(rounds) <= number:
            rounds.append([])
        rounds[number].append(event)
        round_of[target], last_at[target] = number, event.at
    return rounds


def play_round(world: LocalWorld, events: list[TimelineEvent], applied: Counter[str], label: str) -> None:
    """Make each change in the world's Ginee sandbox, announced by webhook; ``applied[label]`` counts them."""
    if world.sender is None:
        raise RuntimeError("the local world is not started")
    for event in events:
        apply_event(world.ginee.state, event)
        applied[label] += 1
    world.sender.flush()


# --- killing workers ------------------------------------------------------------------------------------


class WorkerKilled(BaseException):
    """A worker invocation dies here. A `BaseException`, as no ``except Exception`` in the code it kills may
    catch it: the invocation ends where it stood, the way a Lambda whose sandbox is torn down does."""


class WorkerTimedOut(WorkerKilled):
    """A worker invocation ran past its function's timeout: Lambda stops it there."""


class WorkerKiller:
    """Kills worker invocations at random between two I/O steps; a context manager.

    Before each HTTP request (`requests.Session.send`: Ginee, Accurate, Secrets Manager is boto3) and each
    AWS call (botocore's ``before-send``: DynamoDB, SQS, Secrets Manager) made inside a worker invocation,
    the invocation dies with chance ``rate``, and dies when it has run past its function's timeout, as Lambda
    stops it then (`WorkerTimedOut`, counted in ``timeouts``). The local runner's ``invoke`` turns the death into a failed
    invocation, so the SQS emulator returns the whole batch to its queue, as Lambda does when a function
    errors. Python still runs the ``finally`` blocks on the way out (a real kill would not); what the dead
    worker left in the Ledger (a lease with its intent) and in Accurate (a document it saved) stays.

    This wraps two library entry points for the run's duration only, as the benchmark's profiler does
    (`omsync_workshop.bench`); nothing inside omsync is patched.
    """

    def __init__(self, world: LocalWorld, rate: float, seed: int, limit: int | None = None) -> None:
        self.world = world
        self.rate = rate
        self.limit = limit
        self.kills: Counter[str] = Counter()
        """Invocations killed, by function."""
        self.timeouts: Counter[str] = Counter()
        """Invocations stopped at their function's timeout, by function."""
        self._rng = random.Random(seed)
        self._deaths = 0
        self._lock = threading.Lock()
        self._inside = threading.local()
        self._undo: list[Callable[[], None]] = []

    def _maybe_die(self, step: str) -> None:
        function = getattr(self._inside, "function", None)
        if function is None:
            return
        if time.monotonic() >= self._inside.ends_at:
            raise WorkerTimedOut(f"{function} timed out before {step}")
        if not self.rate:
            return
        with self._lock:
            spent = self.limit is not None and self._deaths >= self.limit
            dies = not spent and self._rng.random() < self.rate
            self._deaths += dies
        if dies:
            raise WorkerKilled(f"{function} killed before {step}")

    def __enter__(self) -> WorkerKiller:
        runner = self.world.stack.runner
        original_invoke = runner.invoke
        original_send = requests.Session.send
        killer = self

        def invoke(logical_id: str, event: Any) -> Any:
            if logical_id in WORKER_LOGICAL_IDS_SPARED:
                return original_invoke(logical_id, event)
            killer._inside.function = logical_id
            killer._inside.ends_at = time.monotonic() + runner.specs[logical_id].timeout_seconds
            try:
                return original_invoke(logical_id, event)
            except WorkerKilled as killed:
                with killer._lock:
                    (killer.timeouts if isinstance(killed, WorkerTimedOut) else killer.kills)[logical_id] += 1
                raise RuntimeError(str(killed)) from None
            finally:
                killer._inside.function = None

        def send(session: requests.Session, request: Any, **kwargs: Any) -> Any:
            killer._maybe_die("an HTTP request")
            return original_send(session, request, **kwargs)

        def before_send(**_: Any) -> None:
            killer._maybe_die("an AWS call")

        runner.invoke = invoke  # type: ignore[method-assign]
        requests.Session.send = send  # type: ignore[method-assign,assignment]
        self._undo.append(lambda: setattr(runner, "invoke", original_invoke))
        self._undo.append(lambda: setattr(requests.Session, "send", original_send))
        import boto3

        events = boto3.DEFAULT_SESSION._session.get_component("event_emitter") if boto3.DEFAULT_SESSION else None
        if events is not None:
            events.register("before-send", before_send, unique_id="omsync-chaos-kill")
            self._undo.append(lambda: events.unregister("before-send", unique_id="omsync-chaos-kill"))
        return self

    def __exit__(self, *exc: object) -> None:
        while self._undo:
            self._undo.pop()()


# --- log lines ------------------------------------------------------------------------------------------


class LogScan:
    """Scans every log line as it is written, for the buyers' data and for secrets; a context manager.

    Lines are formatted as their logger would write them (the functions' Powertools logger with its own JSON
    formatter, at DEBUG, so debug lines count too) and checked at once, so a long run keeps counts, not lines.
    An offending line is reported by where it was logged (logger, level, module and line), never its text.
    """

    def __init__(self, buyers: BuyerIndex, secrets: Callable[[], list[str]]) -> None:
        self.buyers = buyers
        self._secrets = secrets
        self._pattern: re.Pattern[str] | None = None
        self._known: tuple[str, ...] = ()
        self.lines = 0
        self.buyer_data = 0
        self.secret = 0
        self.where: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._handlers: list[tuple[Any, Any]] = []
        self._level = 0

    def check(self, line: str, where: str) -> None:
        """Count ``line``; when it carries buyer data or a secret, count it and where it came from."""
        buyer = self.buyers.carries(line)
        secret = self._carries_secret(line)
        with self._lock:
            self.lines += 1
            self.buyer_data += buyer
            self.secret += secret
            if buyer or secret:
                self.where[where] += 1

    def _carries_secret(self, line: str) -> bool:
        known = tuple(self._secrets())
        if known != self._known:
            self._known = known
            self._pattern = re.compile("|".join(re.escape(s) for s in known if s), re.IGNORECASE) if known else None
        return bool(self._pattern and self._pattern.search(line))

    def __enter__(self) -> LogScan:
        import logging

        from omsync.observability import logger as powertools_logger

        scan = self

        class Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                where = f"{record.name} {record.levelname} {record.module}:{record.lineno}"
                scan.check(self.format(record), where)

        functions = Handler(logging.DEBUG)
        functions.setFormatter(powertools_logger.registered_formatter)
        others = Handler(logging.DEBUG)
        others.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s %(args)s"))
        self._level = powertools_logger.log_level
        powertools_logger.setLevel(logging.DEBUG)
        self._handlers = [(logging.getLogger(powertools_logger.name), functions), (logging.getLogger(), others)]
        for logger, handler in self._handlers:
            logger.addHandler(handler)
        return self

    def __exit__(self, *exc: object) -> None:
        from omsync.observability import logger as powertools_logger

        for logger, handler in self._handlers:
            logger.removeHandler(handler)
        powertools_logger.setLevel(self._level)


# --- the run --------------------------------------------------------------------------------------------


@dataclass
class ChaosReport:
    """The figures of one chaos run (`chaos.json`)."""

    seed: int
    orders_asked: int
    """``--orders``: order lives generated (a split package is one of them, with two Ginee orders)."""
    orders: int
    """Ginee orders across both connections."""
    documents_expected: int
    documents_posted: int
    missing: int
    duplicated: int
    """Documents Accurate holds that the oracle does not expect: Accurate refuses a number twice, so a fact
    posted twice shows as a second number (or as a document that should not exist)."""
    amount_mismatches: int
    trial_balance_difference: str
    cross_tenant_effects: int
    """Documents of one connection's facts in the other's Accurate, plus Ledger items under one connection's
    keys naming the other's orders or documents."""
    log_lines: int
    log_lines_with_buyer_data: int
    log_lines_with_secrets: int
    dlq_messages: int
    on_hold: dict[str, int]
    minutes_to_converge: float
    """From the first change played until the reconciler found nothing behind."""
    seconds: float
    reconciler_runs: int
    stalled: int = 0
    """Times the reconciler kept finding the same work and changing nothing (`STALL_ROUNDS` runs in a row): the
    run stopped converging there; must be 0."""
    rounds: int = 0
    """Rounds the timeline was played in (`timeline_rounds`), the reconciler converging after each."""
    faults_injected: dict[str, int] = field(default_factory=dict)
    per_connection: dict[str, dict[str, Any]] = field(default_factory=dict)
    offending_log_sites: dict[str, int] = field(default_factory=dict)
    differences: list[str] = field(default_factory=list)
    """The first differences from the oracle, one line each (document numbers and amounts, no buyer data)."""
    payouts_not_posted: list[str] = field(default_factory=list)
    """Payouts of the settlement files still not posted after `IMPORT_ATTEMPTS` imports: connection, store,
    payout id, status and causes; must be empty."""

    FAILURE_FIELDS = (
        "stalled",
        "missing",
        "duplicated",
        "amount_mismatches",
        "cross_tenant_effects",
        "log_lines_with_buyer_data",
        "log_lines_with_secrets",
        "dlq_messages",
    )

    @property
    def failures(self) -> dict[str, int | str]:
        """Every count that must be zero and is not (the trial balance difference as its rupiah text, orders on
        hold as their number: the oracle expects none)."""
        found: dict[str, int | str] = {
            name: int(getattr(self, name)) for name in self.FAILURE_FIELDS if getattr(self, name)
        }
        if Decimal(self.trial_balance_difference):
            found["trial_balance_difference"] = self.trial_balance_difference
        if sum(self.on_hold.values()):
            found["on_hold"] = sum(self.on_hold.values())
        if self.payouts_not_posted:
            found["payouts_not_posted"] = len(self.payouts_not_posted)
        return found

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        """The one JSON object written to chaos.json."""
        return {**asdict(self), "ok": self.ok, "failures": self.failures}


@dataclass
class _Tenant:
    label: str
    world: LocalWorld
    buyers: list[Buyer]


def run_chaos(
    orders: int,
    seed: int,
    *,
    faults: ChaosFaults | None = None,
    endpoint: str | None = None,
    progress: Progress | None = None,
    converge_timeout: float = 3600.0,
    moto_patches: PatchLevel | None = None,
    environment_overrides: Mapping[str, str] | None = None,
    worker_timeout: int = WORKER_TIMEOUT_SECONDS,
) -> ChaosReport:
    """Play ``orders`` order lives over two connections under ``faults``, converge, and compare with the oracle.

    ``endpoint`` reuses a running moto server (the tests'); ``converge_timeout`` bounds the reconciler's
    rounds (seconds); ``worker_timeout`` is the worker functions' timeout (seconds, `WORKER_TIMEOUT_SECONDS`).
    Raises ValueError for fewer orders than stores, and RuntimeError when the reconciler itself fails or the run
    does not converge in time.
    """
    faults = faults or ChaosFaults()
    started = time.monotonic()
    rng = random.Random(seed)
    scenarios = chaos_scenarios(orders, seed)
    buyers: dict[str, list[Buyer]] = {}
    for label in scenarios:
        scenarios[label], buyers[label] = with_buyers(scenarios[label], rng)

    def phase(name: str, count: Callable[[], str] | None = None) -> None:
        if progress is not None:
            progress.phase(name, count)

    phase("starting moto and two sellers' Ginee and Accurate sandboxes")
    with contextlib.ExitStack() as stack:
        first = stack.enter_context(
            LocalWorld(
                scenarios["A"],
                connection_mapping(CONNECTION_STORES["A"], scenarios["A"]),
                endpoint=endpoint,
                delivery=faults.delivery(),
                stack_parameters={"MaxReceiveCount": MAX_RECEIVE_COUNT},
                environment_overrides=environment_overrides,
                moto_patches=moto_patches,
            )
        )
        second = stack.enter_context(
            second_tenant(
                first,
                connection_mapping(CONNECTION_STORES["B"], scenarios["B"]),
                "chaos-seller-b",
                scenario=scenarios["B"],
                accurate_auth="oauth",
                delivery=faults.delivery(),
            )
        )
        tenants = [_Tenant("A", first, buyers["A"]), _Tenant("B", second, buyers["B"])]
        first.stack.esm.retry_delay_seconds = RETRY_DELAY_SECONDS
        runner = first.stack.runner
        for logical_id, spec in list(runner.specs.items()):
            if logical_id not in WORKER_LOGICAL_IDS_SPARED:
                runner.specs[logical_id] = replace(spec, timeout_seconds=worker_timeout)
        for index, tenant in enumerate(tenants):
            world = tenant.world
            # The sellers' books were opened and the mappings applied in a calm world; the storm starts now.
            for name, value in faults.accurate(oauth=world.accurate_auth == "oauth").items():
                setattr(world.accurate.faults, name, value)
            world.ginee.responses.faults.rate_limit_rate = faults.ginee_rate_limit_rate
            world.ginee.responses.faults.no_retry_after_share = faults.ginee_no_retry_after_share
            world.ginee.responses.faults.truncated_rate = faults.ginee_truncated_rate
            world.ginee.responses.faults.malformed = numbers_as_json_numbers(
                world.scenario, faults.malformed_share, random.Random(seed * 31 + index)
            )
        secrets = _secrets(tenants)
        scan = stack.enter_context(LogScan(BuyerIndex(b for t in tenants for b in t.buyers), secrets))
        killer = stack.enter_context(WorkerKiller(first, faults.kill_rate, seed, faults.max_kills))
        revoker = stack.enter_context(_Revoker(second, faults.access_token_lifetime_seconds))

        total = sum(len(t.world.scenario.events) for t in tenants)
        applied: Counter[str] = Counter()

        def played() -> str:
            done = sum(applied.values())
            posted = sum(len(t.world.accurate.company.records.get("sales-invoice", {})) for t in tenants)
            return f"{done}/{total} changes, {posted} invoices in Accurate, {sum(killer.kills.values())} workers killed"

        runs = 0
        played_rounds = 0

        def rounds() -> str:
            return f"reconciler run {runs}, " + played()

        stalled = 0

        def converge() -> None:
            nonlocal runs, stalled
            deadline = time.monotonic() + converge_timeout
            seen: list[object] = []
            while True:
                runs += 1
                found, state = _reconcile_round(first, tenants, converge_timeout)
                if not found:
                    return
                seen.append(state)
                if len(seen) >= STALL_ROUNDS and all(s == state for s in seen[-STALL_ROUNDS:]):
                    # The same orders behind, the same holds, the same books, run after run: work that fails
                    # every time (its messages end in a DLQ); the comparison says which.
                    stalled += 1
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the reconciler still finds work after {converge_timeout:.0f} s (seed {seed})")

        play_started = time.monotonic()
        for tenant in tenants:
            tenant.world.play(0)  # the starting world: shops, warehouses, the catalogue and its stock
        timelines = {t.label: timeline_rounds(t.world) for t in tenants}
        for number in range(max(len(r) for r in timelines.values())):
            played_rounds = number + 1
            phase(f"playing both sellers' days under faults, round {played_rounds}", played)
            _in_parallel(
                [
                    functools.partial(play_round, t.world, timelines[t.label][number], applied, t.label)
                    for t in tenants
                    if number < len(timelines[t.label])
                ]
            )
            first.settle(timeout=converge_timeout)
            # Days pass: the reconciler's schedule finds what the lost webhooks did not say. Ginee stamps each
            # change with the scenario's time, not the clock's, so the polls read from this round's first change
            # (as polls run every few minutes during those days would have read each change).
            for tenant in tenants:
                events = timelines[tenant.label][number] if number < len(timelines[tenant.label]) else []
                if events:
                    cursors = PollCursors(tenant.world.connection_id)
                    cursors.start_at(ORDERS, min(event.at for event in events))
                    cursors.start_at(PRODUCTS, min(event.at for event in events))
            phase(f"round {played_rounds}: running the reconciler until it finds nothing behind", rounds)
            converge()
        phase("importing settlement files", played)
        # Each seller imports their own files, at the same time (the imports read and post in their caller's thread).
        not_posted: dict[str, list[str]] = {t.label: [] for t in tenants}
        _in_parallel([functools.partial(_import_until_posted, t.world, not_posted[t.label]) for t in tenants])
        first.settle(timeout=converge_timeout)
        phase("running the reconciler again after the imports", rounds)
        converge()
        converged = time.monotonic() - play_started
        revoker.stop()
        phase("comparing both sellers' books with the oracle")
        for tenant in tenants:
            _calm(tenant.world)
        report = _compare(tenants, seed)
        report.orders_asked = orders
        report.minutes_to_converge = round(converged / 60, 2)
        report.reconciler_runs = runs
        report.payouts_not_posted = [f"{label}: {line}" for label, lines in not_posted.items() for line in lines]
        report.rounds = played_rounds
        report.stalled = stalled
        report.dlq_messages = sum(n for queue, n in first.stack.queue_depths().items() if "DLQ" in queue.upper())
        report.log_lines = scan.lines
        report.log_lines_with_buyer_data = scan.buyer_data
        report.log_lines_with_secrets = scan.secret
        report.offending_log_sites = dict(scan.where)
        report.faults_injected = _faults_injected(tenants, killer, revoker)
    report.seconds = round(time.monotonic() - started, 1)
    return report


IMPORT_ATTEMPTS = 5
PAYOUT_DONE = frozenset({"posted", "already_posted"})


def _import_until_posted(world: LocalWorld, not_posted: list[str]) -> None:
    """Import the world's settlement files as a seller does under a flaky Accurate: again while a payout is not
    posted (a 5xx or a lease in the way holds it; the same file again posts what is missing, or finds it posted),
    at most `IMPORT_ATTEMPTS` times. Each payout still not posted then is added to ``not_posted`` (store, payout
    id, status and the causes the import gave), beside the oracle's difference it leaves."""
    for _ in range(IMPORT_ATTEMPTS):
        results = world.import_settlement_files()
        if all(result.status in PAYOUT_DONE for imported in results.values() for result in imported):
            return
    not_posted += [
        f"{store}: payout {result.payout_id} {result.status}"
        + (": " + "; ".join(sorted({problem.cause for problem in result.problems})) if result.problems else "")
        for store, imported in results.items()
        for result in imported
        if result.status not in PAYOUT_DONE
    ]


def _in_parallel(calls: list[Callable[[], object]]) -> None:
    errors: list[BaseException] = []

    def run(call: Callable[[], object]) -> None:
        try:
            call()
        except BaseException as error:  # carried to the caller's thread below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(call,), name="chaos-play") for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


STALL_ROUNDS = 3
"""Reconciler runs that find the same work and change nothing before the run stops converging (`ChaosReport.stalled`)."""


def _reconcile_round(world: LocalWorld, tenants: list[_Tenant], timeout: float) -> tuple[bool, object]:
    """Fire the reconciler's schedule once and let the queues settle. Returns whether it changed anything (found
    orders behind Ginee, or released holds that did not come back the same: a hold released and held again for
    the same cause is a problem the seller must fix, reported as on hold, not work left), and the state it left
    (what it found, the holds, the documents in each Accurate), to tell a run that makes no progress."""
    connection_ids = [t.world.connection_id for t in tenants]
    held_before = _held(connection_ids)
    fired = [f for f in world.stack.fire_schedules() if f.function == "ReconcilerFunction"]
    if not fired or not fired[0].ok:
        raise RuntimeError(f"the reconciler failed: {fired[0].error if fired else 'no schedule'}")
    world.settle(timeout=timeout)
    behind = []
    for connection_id in connection_ids:
        orders = dict(fired[0].result["connections"].get(connection_id) or {}).get("orders") or {}
        behind.append((int(orders.get("enqueued") or 0), int(orders.get("missing") or 0)))
    held_after = _held(connection_ids)
    documents = [sum(len(r) for r in t.world.accurate.company.records.values()) for t in tenants]
    found = any(enqueued or missing for enqueued, missing in behind) or held_after != held_before
    return found, (behind, held_after, documents)


def _held(connection_ids: list[str]) -> set[tuple[str, str, str]]:
    from omsync.ledger.orders import OrderLedger

    return {
        (connection_id, record.order_id, record.hold.cause)
        for connection_id in connection_ids
        for record in OrderLedger(connection_id).held()
        if record.hold is not None
    }


def _calm(world: LocalWorld) -> None:
    """The sandboxes' faults off, so the books are read back whole."""
    faults = world.accurate.faults
    faults.error_rate = faults.timeout_after_commit_rate = 0.0
    faults.latency_ms = 0
    faults.session_expiry_seconds = None


def _secrets(tenants: list[_Tenant]) -> Callable[[], list[str]]:
    static = [API_TOKEN, SIGNATURE_SECRET, OAUTH_CLIENT_SECRET, GINEE_ACCESS_KEY, GINEE_SECRET_KEY]
    static += [t.world.connection.token for t in tenants if t.world.connection is not None]

    def known() -> list[str]:
        return static + [token for t in tenants for token in t.world.accurate.responses.issued]

    return known


class _Revoker:
    """Revokes every OAuth access token of one Accurate sandbox every ``every`` seconds."""

    def __init__(self, world: LocalWorld, every: float) -> None:
        self.world = world
        self.every = every
        self.revocations = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-revoker", daemon=True)

    def __enter__(self) -> _Revoker:
        if self.every > 0:
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.world.accurate.expire_access_tokens()
            self.revocations += 1

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _faults_injected(tenants: list[_Tenant], killer: WorkerKiller, revoker: _Revoker) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for tenant in tenants:
        sender = tenant.world.sender
        if sender is not None:
            counts["webhooks_emitted"] += len(sender.emitted)
            counts["webhooks_dropped"] += len(sender.log.dropped)
            counts["webhooks_delivered"] += len(sender.log.sent)
        counts["accurate_rate_limit_violations"] += (
            tenant.world.accurate.rate_violations + tenant.world.accurate.parallel_violations
        )
        counts["malformed_orders"] += len(tenant.world.ginee.responses.faults.malformed)
    counts["workers_killed"] = sum(killer.kills.values())
    counts["workers_timed_out"] = sum(killer.timeouts.values())
    counts["access_token_revocations"] = revoker.revocations
    return dict(counts)


def _compare(tenants: list[_Tenant], seed: int) -> ChaosReport:
    missing = duplicated = mismatched = expected_count = posted = 0
    difference = Decimal(0)
    per_connection: dict[str, dict[str, Any]] = {}
    differences: list[str] = []
    on_hold: Counter[str] = Counter()
    identifiers: dict[str, set[str]] = {}
    expected_numbers: dict[str, set[str]] = {}
    actual_numbers: dict[str, set[str]] = {}
    for tenant in tenants:
        world = tenant.world
        report = world.report()
        expected = expected_books(world.scenario, world.loaded.mapping, seed_company(), world.imported_statements)
        documents = report.comparison.document_differences
        gone = sum(1 for numbers in documents.values() for exp, act in numbers.values() if act is None)
        extra = sum(1 for numbers in documents.values() for exp, act in numbers.values() if exp is None)
        wrong = sum(
            1 for numbers in documents.values() for exp, act in numbers.values() if exp is not None and act is not None
        )
        missing += gone
        duplicated += extra
        mismatched += wrong
        difference += report.comparison.trial_balance_difference
        expected_count += sum(len(docs) for kind, docs in expected.documents.items())
        posted += sum(report.documents.values())
        on_hold.update(report.on_hold)
        differences += [f"{tenant.label}: {line}" for line in report.comparison.report().splitlines()[:20]]
        if report.oracle_match:
            differences = [d for d in differences if not d.startswith(f"{tenant.label}: ")]
        per_connection[tenant.label] = {
            "connection_id": world.connection_id,
            "stores": [store.name for store in world.loaded.mapping.stores.values()],
            "orders": report.orders,
            "documents": report.documents,
            "oracle_match": report.oracle_match,
            "trial_balance_difference": str(report.comparison.trial_balance_difference),
        }
        identifiers[tenant.label] = {o.order_id for o in world.scenario.orders}
        identifiers[tenant.label] |= {o.external_order_sn for o in world.scenario.orders}
        numbers = {n for kind, docs in expected.documents.items() if kind != "item" for n in docs}
        expected_numbers[tenant.label] = numbers
        identifiers[tenant.label] |= numbers
        actual_numbers[tenant.label] = {n for kind, docs in report.totals.items() if kind != "item" for n in docs}
    cross = _cross_tenant(tenants, identifiers, expected_numbers, actual_numbers)
    return ChaosReport(
        seed=seed,
        orders_asked=0,
        orders=sum(len(t.world.scenario.orders) for t in tenants),
        documents_expected=expected_count,
        documents_posted=posted,
        missing=missing,
        duplicated=duplicated,
        amount_mismatches=mismatched,
        trial_balance_difference=str(difference),
        cross_tenant_effects=cross,
        log_lines=0,
        log_lines_with_buyer_data=0,
        log_lines_with_secrets=0,
        dlq_messages=0,
        on_hold=dict(on_hold),
        minutes_to_converge=0.0,
        seconds=0.0,
        reconciler_runs=0,
        per_connection=per_connection,
        differences=differences[:40],
    )


_TOKENS = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_-]*[A-Za-z0-9]")


def _cross_tenant(
    tenants: list[_Tenant],
    identifiers: dict[str, set[str]],
    expected_numbers: dict[str, set[str]],
    actual_numbers: dict[str, set[str]],
) -> int:
    """Documents of one connection's facts in the other's Accurate, and Ledger items under one connection's
    keys that name the other's orders (Ginee id or marketplace number) or documents."""
    from omsync.ledger.tables import ledger_table

    found = 0
    labels = [t.label for t in tenants]
    for label in labels:
        for other in labels:
            if other != label:
                found += len((actual_numbers[label] & expected_numbers[other]) - expected_numbers[label])
    prefixes = {t.label: f"CONN#{t.world.connection_id}#" for t in tenants}
    table = ledger_table()
    scan: dict[str, Any] = {}
    while True:
        page = table.scan(**scan)
        for item in page.get("Items", []):
            key = str(item.get("pk", ""))
            owner = next((label for label, prefix in prefixes.items() if key.startswith(prefix)), None)
            if owner is None:
                continue
            tokens = set(_TOKENS.findall(str(item)))
            for other in labels:
                if other != owner and tokens & (identifiers[other] - identifiers[owner]):
                    found += 1
        if "LastEvaluatedKey" not in page:
            return found
        scan = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


# --- the report -----------------------------------------------------------------------------------------


def write(report: ChaosReport, path: Path) -> None:
    """chaos.json: the figures of this run."""
    path.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")


def render(report: ChaosReport) -> str:
    """The terminal summary; the seed first, so a failing run can be replayed."""
    rows = [
        ("seed", f"{report.seed}"),
        ("orders", f"{report.orders:,}"),
        ("documents expected", f"{report.documents_expected:,}"),
        ("documents posted", f"{report.documents_posted:,}"),
        ("missing", f"{report.missing:,}"),
        ("duplicated", f"{report.duplicated:,}"),
        ("amount mismatches", f"{report.amount_mismatches:,}"),
        ("trial-balance difference", report.trial_balance_difference),
        ("cross-tenant effects", f"{report.cross_tenant_effects:,}"),
        ("log lines scanned", f"{report.log_lines:,}"),
        ("  carrying buyer data", f"{report.log_lines_with_buyer_data:,}"),
        ("  carrying secrets", f"{report.log_lines_with_secrets:,}"),
        ("messages left in DLQs", f"{report.dlq_messages:,}"),
        ("on hold", ", ".join(f"{c} {n}" for c, n in sorted(report.on_hold.items())) or "0"),
        ("payouts not posted", f"{len(report.payouts_not_posted):,}"),
        ("minutes to converge", f"{report.minutes_to_converge}"),
        ("reconciler stalled", f"{report.stalled}"),
        ("reconciler runs", f"{report.reconciler_runs}"),
        ("wall time (s)", f"{report.seconds}"),
    ]
    lines = [f"{name:<28}{value:>16}" for name, value in rows]
    lines.append("faults injected: " + ", ".join(f"{k} {v:,}" for k, v in sorted(report.faults_injected.items())))
    if report.offending_log_sites:
        lines.append("log lines with buyer data or secrets, by where they were logged:")
        lines += [f"  {where}: {n}" for where, n in sorted(report.offending_log_sites.items())]
    lines += [f"  {line}" for line in report.payouts_not_posted]
    lines += [f"  {line}" for line in report.differences]
    verdict = "OK: nothing lost, nothing doubled, nothing leaked." if report.ok else f"FAILED: {report.failures}"
    lines.append(f"{verdict} Replay with: omsync chaos --orders {report.orders_asked} --seed {report.seed}")
    return "\n".join(lines)
