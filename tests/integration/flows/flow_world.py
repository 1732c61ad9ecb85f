"""What the flow specifications share: their small scenarios, mapping variants, and ways to drive a
`LocalWorld` one order at a time and read back what the Ledger and Accurate hold.

Everything here acts the way the outside world does: changes are made in the Ginee sandbox (which
announces them by webhook), mappings are stored in the Ledger, and results are read from Accurate over
HTTP or from the Ledger table in moto. Nothing inside omsync is patched.
"""

from __future__ import annotations

import contextlib
import io
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from omsync.config.mapping import load_mapping
from omsync.ledger.orders import OrderLedger, SyncRecord
from omsync_ops.cli import main
from omsync_workshop.ginee.models import parse_time
from omsync_workshop.oracle import ExpectedBooks, expected_books
from omsync_workshop.scenarios import OrderFacts, Scenario, ScenarioPlayer, apply_event, load_scenario
from omsync_workshop.world import LocalWorld, default_mapping_path, seed_company

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
SHOPEE = "SH64AAV776CFF47E0001SHOPEE"
TOKOPEDIA = "SH64AAV776CFF47E0001TOKPED"
LAZADA = "SH64AAV776CFF47E0001LAZADA"
RETURN_WAREHOUSE = "Gudang Retur"

OpenWorld = Callable[..., LocalWorld]
"""Starts a `LocalWorld` for one test (the `open_world` fixture)."""


def flow_scenario(name: str) -> Scenario:
    """One of the small scenario files beside these specifications."""
    return load_scenario(SCENARIOS / f"{name}.json")


def mapping_yaml(
    *,
    without: Iterable[str] = (),
    cancellation: Mapping[str, str] | None = None,
    auto_create: bool | None = None,
    store_settings: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """The example mapping of the demo's three stores, with stores left out, cancellation rules, the
    auto-create policy or a store's settings changed (``store_settings``: shop id → settings merged into the
    store, a dict value into the store's dict; comments are lost; the rules are the example's)."""
    data: dict[str, Any] = yaml.safe_load(default_mapping_path().read_text(encoding="utf-8"))
    for shop_id in without:
        del data["stores"][shop_id]
    for shop_id, rule in (cancellation or {}).items():
        data["stores"][shop_id]["cancellation"] = rule
    for shop_id, settings in (store_settings or {}).items():
        for key, value in settings.items():
            current = data["stores"][shop_id].get(key)
            data["stores"][shop_id][key] = {**current, **value} if isinstance(current, dict) else value
    if auto_create is not None:
        data["items"]["auto_create"] = auto_create
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    load_mapping(text)  # a variant must itself be a valid mapping
    return text


def orders_of(scenario: Scenario, outcome: str, store_key: str = "shopee") -> list[OrderFacts]:
    """The scenario's orders that take one path, in one store."""
    found = [o for o in scenario.orders if o.outcome == outcome and o.store_key == store_key]
    assert found, f"the scenario has no {outcome} order in {store_key}"
    return found


def invoice_number(prefix: str, order: OrderFacts) -> str:
    """Store prefix + marketplace order number (docs/POSTING.md §6); the scenarios' numbers are short
    enough that no hash shortening applies."""
    number = prefix + order.external_order_sn
    assert len(number) <= 27, "long numbers are shortened; pick a shorter order for this check"
    return number


# --- driving the world -----------------------------------------------------------------------------


def play_through(world: LocalWorld, order_id: str, action: str, *, unannounced: Iterable[tuple[str, str]] = ()) -> None:
    """Apply the scenario's changes up to and including ``action`` of ``order_id``, then let every
    queue settle. Changes listed in ``unannounced`` (order id, action) happen in Ginee without a
    webhook (a notification Ginee has not delivered yet)."""
    player = started_player(world)
    silent = set(unannounced)
    while not player.done:
        event = world.scenario.events[player.position]
        apply_event(world.ginee.state, event, notify=(event.target, event.action) not in silent)
        player.position += 1
        if (event.target, event.action) == (order_id, action):
            break
    else:
        raise AssertionError(f"the scenario has no {action} of {order_id} left to play")
    settle(world)


def started_player(world: LocalWorld) -> ScenarioPlayer:
    """The world's scenario player, with the scenario's starting world (shops, catalogue) set up."""
    world.play(0)
    assert world.player is not None
    return world.player


def play_rest(world: LocalWorld) -> None:
    """Apply every remaining change and let every queue settle."""
    world.play()
    world.settle()


def play_late(world: LocalWorld) -> None:
    """Apply every remaining change with Ginee's notifications late and coalesced: nothing is announced
    while the orders move, then one webhook per order tells its state (omsync re-reads the order, so one
    is enough). A return played after settlement (`OrderFacts.late_return`) still comes days later: what
    stands before it is announced and settled first, as `LocalWorld.play` does.

    For specifications whose subject comes after the orders (settlement files): about a seventh of the
    webhooks of `play_rest`, and the same books."""
    player = started_player(world)
    late_returns = {order.order_id for order in world.scenario.orders if order.late_return is not None}
    touched: list[str] = []
    while not player.done:
        event = world.scenario.events[player.position]
        if event.action == "return" and event.target in late_returns:
            world.announce_orders(touched)
            world.settle()
            touched = []
        apply_event(world.ginee.state, event, notify=False)
        player.position += 1
        if event.entity == "order" and event.target not in touched:
            touched.append(event.target)
    world.announce_orders(touched)
    world.settle()


def settle(world: LocalWorld) -> None:
    """Deliver every webhook still held back, then wait until the queues are empty and workers idle."""
    assert world.sender is not None
    world.sender.flush()
    world.settle()


def order_notification(world: LocalWorld, order_id: str) -> dict[str, Any]:
    """The envelope Ginee sends for the order as it stands now (entity ``order``, action ``UPDATE``)."""
    assert world.sender is not None
    order = world.ginee.state.get_order(order_id)
    payload = {
        "orderId": order["orderId"],
        "channel": order.get("channel"),
        "shopId": order.get("shopId"),
        "externalShopId": order.get("externalShopId", ""),
        "orderStatus": order.get("orderStatus"),
        "createAt": order.get("createAt"),
        "payAt": order.get("payAt"),
    }
    return world.sender.envelope("order", "UPDATE", payload, _last_update(order))


def _last_update(order: Mapping[str, Any]) -> datetime:
    return parse_time(order.get("lastUpdateAt") or order["createAt"])


def envelopes_of(world: LocalWorld, order_id: str) -> list[dict[str, object]]:
    """Every webhook Ginee has emitted for one order so far."""
    assert world.sender is not None
    return [
        e for e in world.sender.emitted if isinstance(e["payload"], dict) and e["payload"].get("orderId") == order_id
    ]


def redeliver(world: LocalWorld, envelopes: Iterable[dict[str, Any]], *, times: int = 1, seed: int = 7) -> None:
    """Send envelopes again (same ids), ``times`` more copies each, in a seeded shuffled order."""
    assert world.sender is not None
    again = [envelope for envelope in envelopes for _ in range(times)]
    random.Random(seed).shuffle(again)
    for envelope in again:
        world.sender.send(envelope)
    settle(world)


def omsync(*argv: str) -> tuple[int, str]:
    """Run the `omsync` command line in-process, as the seller would in a shell."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(list(argv))
    return status, out.getvalue()


def apply_mapping(world: LocalWorld, text: str, folder: Path) -> str:
    """`omsync mapping apply FILE --connection ID` (checks Accurate, stores a version, releases holds)."""
    path = folder / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    status, output = omsync("mapping", "apply", str(path), "--connection", world.connection_id)
    assert status == 0, output
    return output


# --- reading the results ---------------------------------------------------------------------------


def record_of(world: LocalWorld, order_id: str) -> SyncRecord | None:
    """The Ledger's sync record of one order (None if omsync never wrote one)."""
    return OrderLedger(world.connection_id).load([order_id]).get(order_id)


def documents(world: LocalWorld, kind: str) -> dict[str, Decimal]:
    """Documents of one kind Accurate holds: number → total."""
    return world.document_totals()[kind]


def net_by_account(lines: Iterable[Mapping[str, Any]]) -> dict[str, Decimal]:
    """Journal lines summed per account as debit minus credit (zero accounts left out)."""
    net: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        net[str(line["accountNo"])] += Decimal(str(line["debit"])) - Decimal(str(line["credit"]))
    return {account: amount for account, amount in net.items() if amount != 0}


def oracle(scenario: Scenario, mapping_text: str, statements: Iterable[str] = ()) -> ExpectedBooks:
    """The oracle's books for a scenario under a mapping, with the settlement files of ``statements``
    (store keys) imported after the play (none by default)."""
    return expected_books(scenario, load_mapping(mapping_text).mapping, seed_company(), set(statements))


def oracle_journal_of(scenario: Scenario, mapping_text: str, order: OrderFacts) -> dict[str, Decimal]:
    """What the oracle books for one order alone, per account (debit minus credit)."""
    with_order = oracle(replace(scenario, orders=(order,)), mapping_text).trial_balance
    without = oracle(replace(scenario, orders=()), mapping_text).trial_balance
    accounts = set(with_order) | set(without)
    delta = {a: with_order.get(a, Decimal(0)) - without.get(a, Decimal(0)) for a in accounts}
    return {account: amount for account, amount in delta.items() if amount != 0}


def dead_letters(world: LocalWorld) -> dict[str, int]:
    """Messages in any dead-letter queue, by queue (empty when nothing failed for good)."""
    return {queue: n for queue, n in world.stack.queue_depths().items() if "DLQ" in queue.upper() and n}


def announce_again(world: LocalWorld, entity: str, id_field: str, ids: Iterable[str], times: int) -> None:
    """Fresh notifications (new envelope ids, so the receiver's de-duplication lets them through) of
    entities that did not change, ``times`` each, shuffled; then every queue settles."""
    assert world.sender is not None
    envelopes = [
        world.sender.envelope(entity, "UPDATE", {id_field: entity_id}, world.scenario.start)
        for entity_id in ids
        for _ in range(times)
    ]
    random.Random(18).shuffle(envelopes)
    for envelope in envelopes:
        world.sender.send(envelope)
    settle(world)
