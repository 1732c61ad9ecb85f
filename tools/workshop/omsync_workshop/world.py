"""The whole flow on one machine: Ginee sandbox → webhooks → receiver → queues → workers → Accurate sandbox.

`LocalWorld` starts the embedded stack (moto + API front + SQS emulator running the template's worker
functions), a Ginee sandbox and an Accurate sandbox on loopback, registers one connection whose
credentials point at the two sandboxes, applies a mapping, and then plays a scenario's timeline: each
change in the Ginee sandbox is announced by webhook, exactly as Ginee would. What ends up in Accurate is
read back over HTTP and compared with the oracle. The demo, the benchmark and the end-to-end tests all
stand on it, so they exercise one and the same path.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self
from urllib.parse import parse_qs, urlsplit

import requests

from omsync.accurate.auth import ApiTokenAuth, authorize_url, exchange_code
from omsync.accurate.client import AccurateClient
from omsync.accurate.documents import Item, ItemOpeningBalance
from omsync.accurate.governor import in_process_governor
from omsync.config.mapping import LoadedMapping, SettlementMode, load_mapping
from omsync.ledger.mappings import MappingRepository
from omsync.ledger.orders import OrderLedger
from omsync.payouts.files import format_for_channel, read_payouts
from omsync_workshop.accurate.server import AccurateSandbox
from omsync_workshop.ginee.server import GineeSandbox
from omsync_workshop.ginee.webhooks import DeliveryOptions, WebhookSender
from omsync_workshop.moto_patches import PatchLevel
from omsync_workshop.oracle import Comparison, compare, expected_books
from omsync_workshop.scenarios import ScenarioPlayer
from omsync_workshop.scenarios.facts import Scenario, TimelineEvent
from omsync_workshop.scenarios.generator import LINE_CANCELLED
from omsync_workshop.scenarios.statements import (
    CANCELLED_ORDER_CHARGE,
    early_export,
    statement_adjustments,
    write_statement,
)
from omsync_workshop.stack import LocalStack, RegisteredConnection, project_root

if TYPE_CHECKING:
    from collections.abc import Callable

    from omsync.sync.payouts import PayoutResult
    from omsync.sync.stock import StockLine

API_TOKEN = "aat.local-world-token"
SIGNATURE_SECRET = "local-world-signature-secret"
OAUTH_CLIENT_ID = "local-world-app"
OAUTH_CLIENT_SECRET = "local-world-app-secret"
OAUTH_REDIRECT = "http://127.0.0.1:9/callback"
GINEE_ACCESS_KEY = "local-world-access-key"
GINEE_SECRET_KEY = "local-world-secret-key"

COMPARED_KINDS = (
    "sales_invoice",
    "sales_return",
    "sales_receipt",
    "journal_voucher",
    "purchase_invoice",
    "receive_item",
    "item_adjustment",
    "item_transfer",
    "item",
)
"""The document kinds the oracle predicts one by one (the others only through the trial balance); ``item``:
the Items created or changed since the books were opened (number: code, total: selling price)."""

DOCUMENT_MODULES = {
    "sales_invoice": "sales-invoice",
    "sales_return": "sales-return",
    "sales_receipt": "sales-receipt",
    "purchase_invoice": "purchase-invoice",
    "receive_item": "receive-item",
    "item_adjustment": "item-adjustment",
    "item_transfer": "item-transfer",
    "journal_voucher": "journal-voucher",
}


def seed_company() -> dict[str, Any]:
    """The Accurate sandbox's seed company (chart of accounts, masters, opening stock)."""
    path = Path(__file__).parent / "accurate" / "seed_company.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def default_mapping_path() -> Path:
    """The commented example mapping of the demo's three stores."""
    return project_root() / "events" / "mapping.example.yaml"


def mapping_path_for(scenario_name: str) -> Path:
    """The mapping a scenario is played with: ``events/mapping.<name>.yaml``, else the example."""
    own = project_root() / "events" / f"mapping.{scenario_name}.yaml"
    return own if own.exists() else default_mapping_path()


@dataclass
class WorldReport:
    """What the books say after a scenario was played, and whether they match the oracle."""

    scenario: str
    orders: int
    documents: dict[str, int]
    on_hold: dict[str, int]
    comparison: Comparison
    trial_balance: dict[str, Decimal]
    totals: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    @property
    def oracle_match(self) -> bool:
        return self.comparison.matches


class LocalWorld:
    """Everything of omsync running locally around one connection; use as a context manager."""

    def __init__(
        self,
        scenario: Scenario,
        mapping_yaml: str,
        *,
        endpoint: str | None = None,
        accurate_faults: Mapping[str, Any] | None = None,
        delivery: DeliveryOptions | None = None,
        stack_parameters: Mapping[str, str] | None = None,
        environment_overrides: Mapping[str, str] | None = None,
        apply_mapping: bool = True,
        start_workers: bool = True,
        moto_patches: PatchLevel | None = None,
        accurate_auth: Literal["api_token", "oauth"] = "api_token",
        enforce_iam: bool = False,
    ) -> None:
        self.scenario = scenario
        self.mapping_yaml = mapping_yaml
        self.loaded: LoadedMapping = load_mapping(mapping_yaml)
        self.stack = LocalStack(
            endpoint=endpoint,
            parameters=stack_parameters,
            environment_overrides=environment_overrides,
            run_event_sources=start_workers,
            moto_patches=moto_patches,
            enforce_iam=enforce_iam,
        )
        self.accurate_auth = accurate_auth
        """How the connection's workers authenticate to Accurate: its API token, or OAuth (whose pair
        Accurate rotates on every refresh, so the workers write it back to Secrets Manager)."""
        self.accurate = AccurateSandbox(
            seed=scenario.seed,
            faults=dict(accurate_faults or {}),
            api_token=API_TOKEN,
            signature_secret=SIGNATURE_SECRET,
            client_id=OAUTH_CLIENT_ID,
            client_secret=OAUTH_CLIENT_SECRET,
        )
        self.ginee = GineeSandbox(seed=scenario.seed, access_key=GINEE_ACCESS_KEY, secret_key=GINEE_SECRET_KEY)
        self.delivery = delivery or DeliveryOptions()
        self.apply_mapping_at_start = apply_mapping
        self.connection: RegisteredConnection | None = None
        self.sender: WebhookSender | None = None
        self.player: ScenarioPlayer | None = None
        self.imported_statements: set[str] = set()
        """Store keys whose settlement files were imported (the oracle expects their payouts)."""
        self.opening_items: dict[str, tuple[str, Decimal]] = {}
        """Item code → (name, selling price) as the seller's books opened, before omsync wrote any Item."""

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> Self:
        self.accurate.start()
        self.ginee.start()
        self.stack.start()
        self.connection = self.stack.register_connection(
            "local-world",
            ginee_credentials={
                "base_url": self.ginee.base_url,
                "access_key": GINEE_ACCESS_KEY,
                "secret_key": GINEE_SECRET_KEY,
            },
            accurate_credentials=self.accurate_credentials(),
        )
        self.open_books()
        if self.apply_mapping_at_start:
            self.apply_mapping()
        self.sender = self.ginee.send_webhooks_to(self.connection.webhook_url, options=self.delivery)
        return self

    def accurate_credentials(self) -> dict[str, Any]:
        """The connection's Accurate credentials as `omsync connection` stores them: the API token, or an OAuth
        pair got by the seller's consent (``accurate_auth``)."""
        if self.accurate_auth == "api_token":
            return {
                "kind": "api_token",
                "api_token": API_TOKEN,
                "signature_secret": SIGNATURE_SECRET,
                "account_url": self.accurate.base_url,
            }
        # The seller's consent, as the sandbox gives it at once: the code from the redirect, exchanged.
        approval = requests.get(
            authorize_url(OAUTH_CLIENT_ID, OAUTH_REDIRECT, "sales_invoice_save", "world", self.accurate.base_url),
            allow_redirects=False,
            timeout=10,
        )
        code = parse_qs(urlsplit(approval.headers["Location"]).query)["code"][0]
        tokens = exchange_code(code, OAUTH_REDIRECT, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, self.accurate.base_url)
        return {
            "kind": "oauth",
            "client_id": OAUTH_CLIENT_ID,
            "client_secret": OAUTH_CLIENT_SECRET,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_at": tokens.expires_at,
            "database_id": self.accurate.company.database_id,
            "account_url": self.accurate.base_url,
        }

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self.sender is not None:
            self.sender.close(discard=kind is not None)
        self.stack.stop()
        self.ginee.stop()
        self.accurate.stop()

    @property
    def connection_id(self) -> str:
        if self.connection is None:
            raise RuntimeError("the local world is not started")
        return self.connection.connection_id

    # ------------------------------------------------------------------ acting
    def open_books(self) -> None:
        """The seller's books before omsync starts: every stocked scenario product is an Accurate item with
        its opening stock at cost, in the Accurate warehouse the mapping gives the scenario's warehouse.

        Bundles are not stocked items (their stock lives in their components), so they are left out.
        """
        seeded = {item["no"] for item in seed_company().get("items", [])}
        warehouse = self._opening_warehouse()
        as_of = (self.scenario.start - timedelta(days=1)).date()
        items = [
            Item(
                no=product.sku,
                name=product.name,
                item_type="INVENTORY",
                unit1_name=self.loaded.mapping.items.unit,
                unit_price=product.price,
                detail_open_balance=[
                    ItemOpeningBalance(
                        quantity=Decimal(product.opening_stock),
                        unit_cost=product.cost,
                        warehouse_name=warehouse,
                        as_of=as_of,
                    )
                ]
                if product.opening_stock
                else None,
            )
            for product in self.scenario.products
            if not product.is_bundle and product.sku not in seeded
        ]
        for row in self.accurate_client().bulk_save(items):
            if not row.ok:
                raise RuntimeError(f"could not open the books for item {row.document.key}: {row.error}")
        self.opening_items = self.items()

    def _opening_warehouse(self) -> str:
        ginee_ids = [str(w["id"]) for w in self.scenario.warehouses]
        for store in self.loaded.mapping.stores.values():
            for ginee_id in ginee_ids:
                if ginee_id in store.warehouses:
                    return store.warehouses[ginee_id]
        raise RuntimeError("the mapping names none of the scenario's warehouses")

    def apply_mapping(self, yaml_text: str | None = None) -> int:
        """Store a mapping version for the connection (as `omsync mapping apply` does, without the checks)."""
        text = yaml_text or self.mapping_yaml
        applied = MappingRepository().apply(self.connection_id, load_mapping(text).mapping, text)
        return applied.version

    def play(self, limit: int | None = None) -> int:
        """Apply the scenario's next changes in the Ginee sandbox (each announced by webhook)."""
        if self.sender is None:
            raise RuntimeError("the local world is not started")
        if self.player is None:
            self.player = ScenarioPlayer(self.ginee.state, self.scenario)
        waits = self.posted_before()
        applied = 0
        while not self.player.done and (limit is None or applied < limit):
            upcoming = self.scenario.events[self.player.position]
            after_days = bool(waits(upcoming))
            if after_days and self.stack.run_event_sources:
                # Days pass before a return after settlement or a failed delivery's cancellation: what omsync
                # does meanwhile (the receipt; the invoice) is done before it, as it would be; the timeline is
                # otherwise played as fast as it goes.
                self.sender.flush()
                self.settle()
            self.player.step()
            applied += 1
        self.sender.flush()
        return applied

    def posted_before(self) -> Callable[[TimelineEvent], frozenset[str]]:
        """The rule `play` follows: for a timeline change, the Ginee order or inbound ids whose documents must be
        posted before it is made (days pass before it), or nothing for a change played as fast as it goes."""
        late = {order.order_id for order in self.scenario.orders if order.late_return is not None}
        # A line leaves an order after its invoice, a second package is paid after the first one's invoice: what
        # omsync does before (the invoice) is done before it, as in the seller's hours between them.
        after_invoice = {(o.order_id, "status") for o in self.scenario.orders if o.outcome == LINE_CANCELLED}
        after_invoice |= {(o.order_id, "pay") for o in self.scenario.orders if o.first_package is not None}
        # Likewise an inbound cancelled a day after it was received: its Purchase Invoice is posted before.
        after_invoice |= {(i.inbound_id, "cancel") for i in self.scenario.inbounds if i.cancelled_at is not None}
        failed = self._failed_deliveries()
        first_package = {o.order_id: o.first_package for o in self.scenario.orders if o.first_package is not None}

        def waits_on(event: TimelineEvent) -> frozenset[str]:
            after_days = (
                (event.action == "return" and event.target in late)
                or (event.action == "cancel" and event.target in failed)
                or (event.target, event.action) in after_invoice
            )
            if not after_days:
                return frozenset()
            first = first_package.get(event.target) if event.action == "pay" else None
            return frozenset({event.target, first} if first else {event.target})

        return waits_on

    def _failed_deliveries(self) -> set[str]:
        """Ginee ids of the orders cancelled after shipping that an imported export charges return shipping for
        (`statement_adjustments`): their invoice stood for days before the cancellation."""
        numbers = {
            extra.order_sn
            for key in self.scenario.settlement_files
            for extra in statement_adjustments(self.scenario, key)
            if extra.line_kind == CANCELLED_ORDER_CHARGE
        }
        return {order.order_id for order in self.scenario.orders if order.external_order_sn in numbers}

    def import_settlement_files(self) -> dict[str, list[PayoutResult]]:
        """Import the statement the marketplace would export for the scenario's payouts (written from the facts,
        in the store's channel's format) of every store that settles from files and of every store the scenario
        lists under ``settlementFiles`` (estimate stores: the file then books the differences; a listed store's
        export also carries `statement_adjustments`' rows of no item value and of no order, and a listed Shopee
        store's `early_export` is imported first, so the full report's import posts a supplement). Store name →
        results, in the order imported."""
        from omsync.sync.context import context_for
        from omsync.sync.payouts import import_payouts

        results: dict[str, list[PayoutResult]] = {}
        listed = set(self.scenario.settlement_files)
        for facts in self.scenario.stores:
            store = self.loaded.mapping.stores.get(facts.shop_id)
            if store is None or (store.settlement is not SettlementMode.FILE and facts.key not in listed):
                continue
            fmt = format_for_channel(facts.channel)
            imported: list[PayoutResult] = []
            early = early_export(self.scenario, facts.key) if facts.key in listed else None
            if early is not None:
                text = write_statement(self.scenario, facts.key, fmt, early=early)
                imported += import_payouts(context_for(self.connection_id), facts.shop_id, read_payouts(text, fmt))
            text = write_statement(self.scenario, facts.key, fmt, adjustments=facts.key in listed)
            imported += import_payouts(context_for(self.connection_id), facts.shop_id, read_payouts(text, fmt))
            results[store.name] = imported
            self.imported_statements.add(facts.key)
        return results

    def settlement_rows(self) -> dict[str, dict[str, int]]:
        """What the imported settlement files carried beyond their orders' own rows, per store name: line kind
        (`statements.LINE_KINDS`, and ``supplement`` for an early download completed later) → rows."""
        counted: dict[str, dict[str, int]] = {}
        for facts in self.scenario.stores:
            store = self.loaded.mapping.stores.get(facts.shop_id)
            if (
                store is None
                or facts.key not in self.imported_statements
                or facts.key not in self.scenario.settlement_files
            ):
                continue
            kinds = Counter(extra.line_kind for extra in statement_adjustments(self.scenario, facts.key))
            if early_export(self.scenario, facts.key) is not None:
                kinds["supplement"] += 1
            counted[store.name] = dict(kinds)
        return counted

    def marketplace_balances(self) -> dict[str, Decimal]:
        """Each store's marketplace balance account (Saldo Shopee…) in Accurate: store name → balance."""
        balances = self.accurate.trial_balance()
        return {
            store.name: Decimal(balances.get(store.accounts.marketplace_balance, Decimal(0)))
            for store in self.loaded.mapping.stores.values()
        }

    def announce_orders(self, order_ids: list[str]) -> None:
        """Post one order webhook per order, as Ginee does when an order changes (its current status)."""
        if self.sender is None:
            raise RuntimeError("the local world is not started")
        for order_id in order_ids:
            order = self.ginee.state.get_order(order_id)
            payload = {key: order.get(key) for key in ("orderId", "channel", "shopId", "orderStatus", "payAt")}
            self.sender("order", "UPDATE", payload, datetime.now(UTC))
        self.sender.flush()

    def start_workers(self) -> None:
        """Start the SQS emulator's pollers (when the world was started without them)."""
        self.stack.esm.start()

    def worker_busy_seconds(self) -> float:
        """Seconds the worker functions spent in their handlers, summed over concurrent invocations."""
        return sum(
            stats.seconds for logical_id, stats in self.stack.runner.stats.items() if logical_id != "ReceiverFunction"
        )

    def worker_counters(self) -> dict[str, int]:
        """Ginee calls and Ledger item writes made by the workers' cached connection contexts."""
        from omsync.sync.context import cached_contexts

        contexts = cached_contexts()
        return {
            "ginee_calls": sum(ctx.ginee.calls for ctx in contexts),
            "ledger_writes": sum(ctx.ledger.writes for ctx in contexts),
        }

    def settle(self, timeout: float = 300.0) -> None:
        """Wait until every queue is empty and no worker is busy."""
        self.stack.esm.drain_until_idle(timeout)

    def reconcile(self, max_runs: int = 5) -> list[dict[str, Any]]:
        """Fire the reconciler's schedule and let the queues settle, again until a run finds nothing behind and
        releases nothing (at most ``max_runs`` runs); this connection's outcome of each run, as the function
        answered it (``released`` by cause, ``orders``: the poll's window and counts)."""
        runs: list[dict[str, Any]] = []
        for _ in range(max_runs):
            fired = [f for f in self.stack.fire_schedules() if f.function == "ReconcilerFunction"]
            if not fired or not fired[0].ok:
                raise RuntimeError(f"the reconciler failed: {fired[0].error if fired else 'no schedule'}")
            self.settle()
            run = dict(fired[0].result["connections"].get(self.connection_id) or {})
            runs.append(run)
            orders = run.get("orders") or {}
            if not run.get("released") and not orders.get("enqueued") and not orders.get("missing"):
                break
        return runs

    # ------------------------------------------------------------------ reading the books
    def accurate_client(self) -> AccurateClient:
        """A client of the Accurate sandbox with the connection's token (for reading the books back)."""
        return AccurateClient(
            ApiTokenAuth(API_TOKEN, SIGNATURE_SECRET),
            account_url=self.accurate.base_url,
            governor=in_process_governor(),
        )

    def document_totals(self) -> dict[str, dict[str, Decimal]]:
        """Every document Accurate holds, per kind: number → total amount, read through ``list.do``; a kind
        without a ``totalAmount`` (Item Adjustment, Receive Item) totals its journal's debits. Kind ``item``:
        the Items created or changed since the books were opened, code → selling price."""
        client = self.accurate_client()
        totals: dict[str, dict[str, Decimal]] = {}
        debits: dict[tuple[str, str], Decimal] = {}
        for kind, module in DOCUMENT_MODULES.items():
            rows = list(client.list(module, fields=("id", "number", "totalAmount")))
            if any(row.get("totalAmount") is None for row in rows):
                if not debits:
                    for line in self.accurate.journal():
                        key = (line["kind"], line["number"])
                        debits[key] = debits.get(key, Decimal(0)) + Decimal(line["debit"])
                totals[kind] = {
                    str(row["number"]): debits.get((module, str(row["number"])), Decimal(0)) for row in rows
                }
                continue
            totals[kind] = {str(row["number"]): Decimal(str(row["totalAmount"])) for row in rows}
        now = self.items()
        totals["item"] = {no: price for no, (name, price) in now.items() if self.opening_items.get(no) != (name, price)}
        return totals

    def items(self) -> dict[str, tuple[str, Decimal]]:
        """Every Item in Accurate: code → (name, selling price), read through ``list.do``."""
        rows = self.accurate_client().list("item", fields=("id", "no", "name", "unitPrice"))
        return {str(row["no"]): (str(row["name"]), Decimal(str(row.get("unitPrice") or 0))) for row in rows}

    def movements(self) -> dict[str, int]:
        """What the purchases flow recorded of the scenario's inbounds and adjustments (its Ledger records):
        ``posted`` documents, of which ``deleted`` (an inbound cancelled after it was posted), and ``held``
        movements."""
        from omsync.ledger.purchases import MovementLedger

        ledger = MovementLedger(self.connection_id)
        ids = [inbound.inbound_id for inbound in self.scenario.inbounds]
        ids += [adjustment.movement_id for adjustment in self.scenario.adjustments if adjustment.movement_id]
        records = [ledger.load(movement_id) for movement_id in ids]
        return {
            "posted": sum(len(record.parts) for record in records),
            "deleted": sum(part.deleted for record in records for part in record.parts),
            "held": sum(record.hold_cause is not None for record in records),
        }

    def stock_compare(self) -> list[StockLine]:
        """`omsync stock compare` for the connection (the same code): per mapped warehouse and SKU, Ginee's
        available stock beside Accurate's."""
        from omsync.sync.context import context_for
        from omsync.sync.stock import compare_stock, mapped_warehouses

        ctx = context_for(self.connection_id)
        if ctx.mapping is None:
            raise RuntimeError("the local world's connection has no mapping")
        # The scenario's orders carry its own (past) times: orders awaiting their invoice are read from its start.
        return compare_stock(ctx, mapped_warehouses(ctx.mapping), orders_since=self.scenario.start)

    def on_hold(self) -> dict[str, int]:
        """Orders on hold, counted by cause."""
        return dict(Counter(record.hold.cause for record in OrderLedger(self.connection_id).held() if record.hold))

    def report(self) -> WorldReport:
        """The books after the play, compared with the oracle."""
        totals = self.document_totals()
        trial_balance = self.accurate.trial_balance()
        expected = expected_books(self.scenario, self.loaded.mapping, seed_company(), self.imported_statements)
        actual_documents = {kind: docs for kind, docs in totals.items() if kind in COMPARED_KINDS}
        comparison = compare(expected, trial_balance, actual_documents)
        return WorldReport(
            scenario=self.scenario.name,
            orders=len(self.scenario.orders),
            documents={kind: len(docs) for kind, docs in totals.items()},
            on_hold=self.on_hold(),
            comparison=comparison,
            trial_balance=trial_balance,
            totals=totals,
        )
