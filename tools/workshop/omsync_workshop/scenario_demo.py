"""`omsync demo`: a scenario played end to end, and the books it leaves checked against the oracle.

Ginee sandbox → webhooks → receiver → queues → workers → Accurate sandbox, all on loopback
(`omsync_workshop.world.LocalWorld`). The report says what was posted per store, what is on hold and why,
Accurate's trial balance, and whether the books equal the oracle's — the demo succeeds only if they do.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omsync.config.mapping import ConnectionMapping
from omsync.ledger.cursors import ORDERS, PollCursors
from omsync_workshop.ginee.webhooks import DeliveryOptions
from omsync_workshop.moto_patches import PatchLevel
from omsync_workshop.scenarios import Scenario, load_scenario
from omsync_workshop.world import LocalWorld, WorldReport

if TYPE_CHECKING:
    from collections.abc import Callable

    from omsync.sync.payouts import PayoutResult
    from omsync.sync.stock import StockLine
    from omsync_workshop.terminal import Progress

JOURNAL_COLUMNS = ("kind", "number", "transDate", "accountNo", "accountName", "debit", "credit")


@dataclass
class ScenarioDemo:
    """The outcome of one demo run."""

    report: WorldReport
    per_store: dict[str, dict[str, int]]
    account_names: dict[str, str]
    webhooks: int
    seconds: float
    payouts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Store → each imported payout (id, orders, amount, status, documents, problems)."""
    balances: dict[str, Decimal] = field(default_factory=dict)
    """Store → its marketplace balance account in Accurate after the payouts."""
    settlement_rows: dict[str, dict[str, int]] = field(default_factory=dict)
    """Store → what its settlement file carried beyond its orders' own rows: line kind → rows
    (`LocalWorld.settlement_rows`)."""
    reconciler: dict[str, int] = field(default_factory=dict)
    """The reconciler's runs after the play: ``runs``, ``orders_enqueued`` (found behind Ginee), ``holds_released``."""

    stock: dict[str, Any] = field(default_factory=dict)
    """`omsync stock compare` at the end: ``warehouses``, ``skus`` compared, ``differences`` (one per SKU and
    warehouse where Ginee's available stock is not Accurate's), and ``checked`` (purchases are booked, so
    Accurate must follow Ginee's stock)."""

    movements: dict[str, int] = field(default_factory=dict)
    """The purchases flow's record of the scenario's inbounds and adjustments (`LocalWorld.movements`)."""

    @property
    def ok(self) -> bool:
        """The books match the oracle and, where purchases are booked, Accurate's stock is Ginee's."""
        return self.report.oracle_match and not (self.stock.get("checked") and self.stock.get("differences"))

    def to_dict(self) -> dict[str, Any]:
        """The one JSON object `omsync demo --json` prints."""
        report = self.report
        return {
            "scenario": report.scenario,
            "orders": report.orders,
            "documents": report.documents,
            "on_hold": report.on_hold,
            "oracle_match": report.oracle_match,
            "trial_balance_difference": str(report.comparison.trial_balance_difference),
            "per_store": self.per_store,
            "stock_compare": self.stock,
            "purchase_movements": self.movements,
            "marketplace_balances": {store: str(balance) for store, balance in self.balances.items()},
            "payouts": self.payouts,
            "settlement_rows": self.settlement_rows,
            "webhooks": self.webhooks,
            "reconciler": self.reconciler,
            "seconds": round(self.seconds, 1),
            "trial_balance": {account: str(balance) for account, balance in report.trial_balance.items() if balance},
            "differences": report.comparison.report().splitlines() if not report.oracle_match else [],
        }


def run_scenario_demo(
    scenario_ref: Scenario | str,
    mapping_yaml: str,
    *,
    seed: int | None = None,
    journal_out: Path | None = None,
    delivery: DeliveryOptions | None = None,
    environment_overrides: dict[str, str] | None = None,
    progress: Progress | None = None,
    moto_patches: PatchLevel | None = None,
) -> ScenarioDemo:
    """Play a scenario (loaded, or a name in events/scenarios/ or a file path) through the local world and report.

    ``progress``, when given, is told each phase, and how many of the scenario's changes were played.
    ``moto_patches``: the level of moto's patches (`omsync_workshop.moto_patches`; None: its default).
    """
    started = time.monotonic()
    scenario = scenario_ref if isinstance(scenario_ref, Scenario) else load_scenario(scenario_ref, seed=seed)

    def phase(name: str, count: Callable[[], str] | None = None) -> None:
        if progress is not None:
            progress.phase(name, count)

    phase("starting moto, the Ginee and Accurate sandboxes")
    faults = scenario.webhooks
    with LocalWorld(
        scenario,
        mapping_yaml,
        delivery=delivery
        or DeliveryOptions(
            drop_rate=faults.drop_rate, duplicate_rate=faults.duplicate_rate, reorder_window=faults.reorder_window
        ),
        environment_overrides=environment_overrides,
        moto_patches=moto_patches,
    ) as world:
        # The connection's history starts with the scenario: the reconciler's poll reads Ginee from there.
        PollCursors(world.connection_id).start_at(ORDERS, scenario.start)
        total = len(scenario.events)
        phase("playing", lambda: f"{world.player.position if world.player else 0}/{total} changes")
        world.play()
        phase("waiting for the workers to post everything")
        world.settle()
        phase("importing settlement files")
        payouts = {
            store: [_payout_summary(result) for result in results]
            for store, results in world.import_settlement_files().items()
        }
        world.settle()
        phase("running the reconciler's schedule until it finds nothing behind")
        reconciler = world.reconcile()
        phase("comparing the books with the oracle")
        report = world.report()
        phase("comparing Ginee's stock with Accurate's (omsync stock compare)")
        stock = _stock_summary(world.stock_compare(), checked=world.loaded.mapping.purchases.enabled)
        movements = world.movements()
        balances = world.marketplace_balances()
        settlement_rows = world.settlement_rows()
        webhooks = len(world.sender.emitted) if world.sender is not None else 0
        journal = world.accurate.journal()
        names = {row["accountNo"]: row["accountName"] for row in world.accurate.company.trial_balance()}
    if journal_out is not None:
        write_journal(journal, journal_out)
    return ScenarioDemo(
        report=report,
        per_store=documents_per_store(report, world.loaded.mapping),
        account_names=names,
        webhooks=webhooks,
        seconds=time.monotonic() - started,
        payouts=payouts,
        balances=balances,
        stock=stock,
        movements=movements,
        settlement_rows=settlement_rows,
        reconciler=_reconciler_summary(reconciler),
    )


def _reconciler_summary(runs: list[dict[str, Any]]) -> dict[str, int]:
    polls = [run.get("orders") or {} for run in runs]
    return {
        "runs": len(runs),
        "orders_enqueued": sum(int(poll.get("enqueued", 0)) for poll in polls),
        "holds_released": sum(sum(dict(run.get("released") or {}).values()) for run in runs),
    }


def _stock_summary(lines: list[StockLine], *, checked: bool) -> dict[str, Any]:
    differing = [line for line in lines if line.difference != 0]
    return {
        "checked": checked,
        "warehouses": len({line.warehouse for line in lines}),
        "skus": len(lines),
        "differences": [
            {
                "warehouse": line.warehouse,
                "sku": line.sku,
                "ginee": str(line.ginee),
                "accurate": str(line.accurate),
                "difference": str(line.difference),
            }
            for line in differing
        ],
    }


def _payout_summary(result: PayoutResult) -> dict[str, Any]:
    return {
        "payout_id": result.payout_id,
        "orders": result.orders,
        "amount": str(result.amount),
        "status": result.status,
        "documents": result.documents,
        "problems": [f"{p.cause}: {p.message}" for p in result.problems],
    }


PURCHASES_ROW = "Purchases and stock"
"""The report's row of what belongs to no store: Items, purchase documents and Item Adjustments (Ginee keeps
inbounds and stock per warehouse, which the stores share)."""


def documents_per_store(report: WorldReport, mapping: ConnectionMapping) -> dict[str, dict[str, int]]:
    """Documents per store and kind, attributed by the store's number prefix; Items and the documents
    numbered with ``purchases.number_prefix`` on the `PURCHASES_ROW` row."""
    prefixes = sorted(((store.number_prefix, store.name) for store in mapping.stores.values()), reverse=True)
    prefixes.append((mapping.purchases.number_prefix, PURCHASES_ROW))
    counts: dict[str, Counter[str]] = {name: Counter() for _, name in prefixes}
    for kind, documents in report.totals.items():
        for number in documents:
            store = PURCHASES_ROW if kind == "item" else None
            store = store or next((name for prefix, name in prefixes if number.startswith(prefix)), None)
            if store is not None:
                counts[store][kind] += 1
    return {store: dict(kinds) for store, kinds in counts.items() if kinds or store != PURCHASES_ROW}


def write_journal(journal: list[dict[str, Any]], path: Path) -> None:
    """Every journal line Accurate holds, as CSV, for an accountant to check line by line."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("document_kind", "number", "date", "account_no", "account_name", "debit", "credit"))
        for row in journal:
            writer.writerow([row[column] for column in JOURNAL_COLUMNS])


def render(demo: ScenarioDemo) -> str:
    """The human report."""
    report = demo.report
    out = [
        f"Scenario {report.scenario}: {report.orders} orders, {demo.webhooks} webhooks, {demo.seconds:.0f} s",
        "",
        "Posted to Accurate, per store:",
    ]
    for store, kinds in demo.per_store.items():
        listed = ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in sorted(kinds.items())) or "nothing"
        out.append(f"  {store:<28} {listed}")
    out.append("")
    if report.on_hold:
        out.append("On hold, by cause:")
        out.extend(f"  {cause:<20} {n}" for cause, n in sorted(report.on_hold.items()))
    else:
        out.append("On hold: none")
    if demo.reconciler:
        runs = demo.reconciler
        out.append(
            f"Reconciler: {runs['runs']} run(s), {runs['orders_enqueued']} order(s) found behind Ginee, "
            f"{runs['holds_released']} hold(s) released"
        )
    if demo.payouts:
        out += ["", "Payouts imported from settlement files:"]
        for store, payouts in demo.payouts.items():
            for payout in payouts:
                documents = ", ".join(payout["documents"]) or "-"
                out.append(
                    f"  {store:<24} {payout['payout_id']:<28} {payout['orders']:>3} "
                    f"{'order ' if payout['orders'] == 1 else 'orders'} "
                    f"{_money(Decimal(payout['amount'])):>14}  {payout['status']} ({documents})"
                )
                out.extend(f"      {problem}" for problem in payout["problems"])
    if demo.settlement_rows:
        out += ["", "Settlement rows beyond the orders' own, per store (booked as docs/POSTING.md §15-§18 say):"]
        for store, kinds in demo.settlement_rows.items():
            listed = ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in sorted(kinds.items())) or "none"
            out.append(f"  {store:<28} {listed}")
    if demo.balances:
        out += ["", "Marketplace balances after the payouts:"]
        out.extend(f"  {store:<28}{_money(balance) or '0':>18}" for store, balance in demo.balances.items())
    out += ["", "Trial balance (Accurate sandbox):", f"  {'account':<36}{'debit':>18}{'credit':>18}"]
    debit_total = credit_total = Decimal(0)
    for account, balance in sorted(report.trial_balance.items()):
        if not balance:
            continue
        name = f"{account} {demo.account_names.get(account, '')}"
        debit, credit = (balance, Decimal(0)) if balance > 0 else (Decimal(0), -balance)
        debit_total += debit
        credit_total += credit
        out.append(f"  {name:<36}{_money(debit):>18}{_money(credit):>18}")
    out.append(f"  {'total':<36}{_money(debit_total):>18}{_money(credit_total):>18}")
    out.append("")
    if report.oracle_match:
        out.append("Books match the oracle: every document and every account, to the rupiah.")
    else:
        out.append("Books DO NOT match the oracle:")
        out.extend(f"  {line}" for line in report.comparison.report().splitlines())
    if demo.movements.get("posted"):
        moved = demo.movements
        out += [
            "",
            f"Purchases and stock adjustments: {moved['posted']} document(s) posted, {moved['deleted']} of them "
            f"deleted again (an inbound cancelled after it was posted), {moved['held']} held.",
        ]
    out += ["", *_render_stock(demo.stock)]
    return "\n".join(out)


def _render_stock(stock: dict[str, Any]) -> list[str]:
    if not stock:
        return []
    head = f"Stock compare (omsync stock compare): {stock['skus']} SKU(s) in {stock['warehouses']} warehouse(s), "
    differences = stock["differences"]
    if not differences:
        return [head + "Ginee and Accurate agree."]
    note = "" if stock["checked"] else " (purchases are not booked: Accurate does not follow Ginee's stock)"
    lines = [head + f"{len(differences)} differ{note}:"]
    lines.extend(
        f"  {d['warehouse']:<16} {d['sku']:<20} Ginee {d['ginee']:>6}  Accurate {d['accurate']:>6}" for d in differences
    )
    return lines


def _money(amount: Decimal) -> str:
    return f"{amount:,.0f}" if amount else ""
