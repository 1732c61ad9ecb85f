"""``omsync scenario show NAME`` (totals per store) and ``omsync scenario play NAME --to URL``.

``play`` starts a Ginee sandbox with the scenario's starting world, plays the timeline (each change →
one webhook to URL), waits until every webhook is settled, prints what was sent, and then keeps the
sandbox serving so the receiver's workers can still re-fetch orders, until Ctrl-C (or at once with
``--exit``).
"""

from __future__ import annotations

import argparse
import threading
from collections import defaultdict
from decimal import Decimal
from typing import Any

from omsync.money import ZERO
from omsync_ops.errors import CommandError
from omsync_workshop.arguments import port_number
from omsync_workshop.ginee.server import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, GineeSandbox
from omsync_workshop.ginee.webhooks import DeliveryOptions
from omsync_workshop.scenarios.facts import Scenario
from omsync_workshop.scenarios.fees import FEE_KINDS
from omsync_workshop.scenarios.generator import load_scenario, scenario_names
from omsync_workshop.scenarios.player import ScenarioPlayer
from omsync_workshop.scenarios.spec import ScenarioError


def register(subparsers: Any) -> None:
    """Add ``scenario show`` and ``scenario play``."""
    parser: argparse.ArgumentParser = subparsers.add_parser("scenario", help="seeded marketplace scenarios")
    commands = parser.add_subparsers(dest="scenario_command", metavar="ACTION", required=True)
    show = commands.add_parser("show", help="totals per store: orders, GMV, discounts, shipping, fees")
    show.add_argument("name", help=f"a scenario ({', '.join(scenario_names())}) or a file path")
    show.add_argument("--seed", type=int)
    show.set_defaults(func=run_show)
    play = commands.add_parser("play", help="play the timeline as webhooks into URL from a Ginee sandbox")
    play.add_argument("name")
    play.add_argument("--to", required=True, help="webhook URL")
    play.add_argument("--seed", type=int)
    play.add_argument("--ginee-port", type=port_number, default=0)
    play.add_argument("--access-key", default=DEFAULT_ACCESS_KEY)
    play.add_argument("--secret-key", default=DEFAULT_SECRET_KEY)
    play.add_argument("--duplicate-rate", type=float, default=0.0)
    play.add_argument("--drop-rate", type=float, default=0.0)
    play.add_argument("--reorder-window", type=int, default=0)
    play.add_argument("--exit", action="store_true", help="stop the sandbox once every webhook is settled")
    play.set_defaults(func=run_play)


def store_totals(scenario: Scenario) -> list[dict[str, Any]]:
    """Per store: order counts by fate and money totals (GMV and discounts over paid orders; fees over settled)."""
    rows: dict[str, dict[str, Any]] = {}
    for store in scenario.stores:
        rows[store.key] = defaultdict(lambda: ZERO, store=store.key, channel=store.channel)
    for order in scenario.orders:
        row = rows[order.store_key]
        row["orders"] += 1
        if order.cancel_stage is not None:
            row["cancelled"] += 1
        if order.returned_at is not None:
            row["returned"] += 1
        if order.paid_at is None:
            continue
        row["paid"] += 1
        row["gmv"] += order.gmv
        row["seller_discount"] += order.seller_discounts
        row["voucher_seller"] += order.voucher_seller
        row["voucher_platform"] += order.voucher_platform + order.coin
        row["buyer_shipping"] += order.buyer_shipping
        row["shipping_subsidy"] += order.shipping_subsidy
        if order.settled_at is not None:
            row["settled"] += 1
            for kind in FEE_KINDS:
                row[kind] += order.fees[kind]
            row["released"] += order.released_amount or ZERO
    return [dict(row) for row in rows.values()]


COLUMNS = (
    ("store", "store"),
    ("orders", "orders"),
    ("paid", "paid"),
    ("cancelled", "cancel"),
    ("returned", "return"),
    ("settled", "settled"),
    ("gmv", "GMV"),
    ("seller_discount", "disc.seller"),
    ("voucher_seller", "vouch.seller"),
    ("voucher_platform", "vouch.platf+coin"),
    ("buyer_shipping", "ship.buyer"),
    ("shipping_subsidy", "ship.subsidy"),
    *((kind, f"fee.{kind}") for kind in FEE_KINDS),
    ("released", "released"),
)


def _cell(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.0f}"
    return str(value)


def render_table(rows: list[dict[str, Any]]) -> str:
    """Rows as a text table, one line per column (stores side by side), rupiah with thousands separators."""
    lines = []
    width = max(len(title) for _, title in COLUMNS)
    cells = [[_cell(row.get(key, ZERO)) for row in rows] for key, _ in COLUMNS]
    col = max(len(c) for group in cells for c in group) + 2
    for (_, title), values in zip(COLUMNS, cells, strict=True):
        lines.append(title.ljust(width) + "".join(v.rjust(col) for v in values))
    return "\n".join(lines)


def loaded(name: str, seed: int | None) -> Scenario:
    """`load_scenario`, with its problem (unknown name, bad file) as the command's one-line answer."""
    try:
        return load_scenario(name, seed=seed)
    except ScenarioError as error:
        raise CommandError(str(error)) from None


def run_show(args: argparse.Namespace) -> int:
    """Print the scenario's totals per store."""
    scenario = loaded(args.name, args.seed)
    print(f"{scenario.name} (seed {scenario.seed}): {len(scenario.orders)} orders, {len(scenario.events)} changes")
    print(render_table(store_totals(scenario)))
    return 0


def run_play(args: argparse.Namespace) -> int:
    """Play the scenario into ``--to`` and keep the sandbox serving until Ctrl-C (or ``--exit``)."""
    scenario = loaded(args.name, args.seed)
    sandbox = GineeSandbox(
        port=args.ginee_port, seed=scenario.seed, access_key=args.access_key, secret_key=args.secret_key
    ).start()
    try:
        player = ScenarioPlayer(sandbox.state, scenario)
        options = DeliveryOptions(
            duplicate_rate=args.duplicate_rate, drop_rate=args.drop_rate, reorder_window=args.reorder_window
        )
        sender = sandbox.send_webhooks_to(args.to, options=options)
        print(
            f"Ginee sandbox on {sandbox.base_url}; playing {len(scenario.events)} changes of {scenario.name}",
            flush=True,
        )
        player.play()
        sender.flush()
        log = sender.log
        print(f"webhooks: {len(log.sent)} delivered, {len(log.dropped)} dropped on purpose, {len(log.failed)} failed")
        if not args.exit:
            print("sandbox still serving for re-fetches; Ctrl-C to stop", flush=True)
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0
