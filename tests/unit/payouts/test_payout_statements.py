"""Specification: settlement files written from scenario facts or from payouts read back to the same numbers,
and the example exports in events/settlements are consistent."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from omsync.payouts.files import FORMATS, detect_format, read_payouts
from omsync.payouts.model import Payout, PayoutLine
from omsync.posting.numbers import jakarta_date
from omsync_workshop.scenarios import Scenario, load_scenario
from omsync_workshop.scenarios.facts import OrderFacts
from omsync_workshop.scenarios.statements import write_payouts, write_statement

EXAMPLES = Path(__file__).resolve().parents[3] / "events" / "settlements"
EXAMPLE_FILES = {"shopee": "shopee-income.csv", "tiktok": "tiktok-settlement.csv", "lazada": "lazada-statement.csv"}
# Each demo store in the format of its own marketplace.
DEMO_FORMATS = {"shopee": "shopee", "tokopedia": "tiktok", "lazada": "lazada"}


@cache
def demo() -> Scenario:
    return load_scenario("demo")


def without_rows(payouts: Sequence[Payout]) -> list[Payout]:
    """Payouts with source_row cleared: a written file puts lines on its own rows."""
    return [
        dataclasses.replace(p, lines=tuple(dataclasses.replace(line, source_row=0) for line in p.lines))
        for p in payouts
    ]


def line(order_sn: str, amount: int, net: int | None = None, **fees: int) -> PayoutLine:
    computed = amount - sum(fees.values())
    return PayoutLine(
        order_sn, Decimal(amount), {k: Decimal(v) for k, v in fees.items()}, Decimal(computed if net is None else net)
    )


def payout(payout_id: str, paid_on: date, source: str, *lines: PayoutLine, amount: int | None = None) -> Payout:
    total = sum((item.net for item in lines), Decimal(0)) if amount is None else Decimal(amount)
    return Payout(payout_id, paid_on, total, lines, source)


SEP8, SEP9 = date(2025, 9, 8), date(2025, 9, 9)


# --- the demo scenario ---------------------------------------------------------------------------


@pytest.mark.parametrize(("store", "fmt"), list(DEMO_FORMATS.items()))
def test_a_demo_stores_statement_reads_back_to_every_settled_orders_amount_fees_and_net(store: str, fmt: str) -> None:
    scenario = demo()
    settled = [o for o in scenario.orders if o.store_key == store and o.payout_id is not None]
    assert settled, "the demo settles orders in every store"

    text = write_statement(scenario, store, fmt)

    assert detect_format(text) == fmt
    payouts = read_payouts(text, fmt)
    # The packages of one marketplace order (outcome split_package) share its number: compared by number, summed
    lines: dict[str, list[PayoutLine]] = {}
    for item in (item for p in payouts for item in p.lines if not item.is_refund):
        lines.setdefault(item.order_sn, []).append(item)
    orders: dict[str, list[OrderFacts]] = {}
    for order in settled:
        orders.setdefault(order.external_order_sn, []).append(order)
    assert sorted(lines) == sorted(orders)
    for order_sn, packages in orders.items():
        read = lines[order_sn]
        kept = sum(
            (line.kept_value for order in packages for line in order.lines),
            Decimal(0),
        )
        expected = sum((o.settled_amount for o in packages), Decimal(0))
        vouchers = sum((o.voucher_seller - o.returned_voucher_share for o in packages), Decimal(0))
        assert sum((r.amount for r in read), Decimal(0)) == kept - vouchers == expected
        fees: dict[str, Decimal] = {}
        for o in packages:
            for kind, value in o.file_fees.items():
                fees[kind] = fees.get(kind, Decimal(0)) + value
        read_fees: dict[str, Decimal] = {}
        for r in read:
            for kind, value in r.fees.items():
                read_fees[kind] = read_fees.get(kind, Decimal(0)) + value
        assert read_fees == {kind: value for kind, value in fees.items() if value}
        net = sum((r.net for r in read), Decimal(0))
        assert net == sum((o.released_amount or Decimal(0) for o in packages), Decimal(0))
        assert all(r.net == r.computed_net for r in read)
    assert all(p.amount == p.lines_total for p in payouts)


@pytest.mark.parametrize(("store", "fmt"), list(DEMO_FORMATS.items()))
def test_a_return_after_settlement_is_a_refund_row_with_the_commission_given_back(store: str, fmt: str) -> None:
    scenario = demo()
    late = {o.external_order_sn: o.late_return for o in scenario.orders if o.store_key == store and o.late_return}
    assert late, "the demo returns an order after settlement in every store"

    payouts = read_payouts(write_statement(scenario, store, fmt), fmt)

    refunds = {item.order_sn: (p, item) for p in payouts for item in p.lines if item.is_refund}
    assert sorted(refunds) == sorted(late)
    for order_sn, facts in late.items():
        payout, read = refunds[order_sn]
        assert read.amount == -facts.refund
        assert dict(read.fees) == {kind: -value for kind, value in facts.fees_back.items()}
        assert read.net == -facts.refund + sum(facts.fees_back.values(), Decimal(0)) == read.computed_net
        assert payout.paid_on == jakarta_date(facts.refund_paid_at)
        if fmt != "shopee":
            assert payout.payout_id == facts.refund_payout_id


def test_an_adjusted_shopee_order_is_settled_with_the_files_commission_not_ginees() -> None:
    scenario = demo()
    adjusted = [o for o in scenario.orders if o.settled_fees is not None]
    assert adjusted and all(o.store_key == "shopee" for o in adjusted)

    payouts = read_payouts(write_statement(scenario, "shopee", "shopee"), "shopee")

    lines = {item.order_sn: item for p in payouts for item in p.lines if not item.is_refund}
    for order in adjusted:
        assert order.settled_fees is not None
        read = lines[order.external_order_sn]
        assert read.fees["commission"] == order.fees["commission"] + 150
        assert read.net == order.released_amount


def test_demo_payouts_carry_the_facts_payout_ids_and_jakarta_settlement_dates() -> None:
    scenario = demo()
    for store, fmt in (("tokopedia", "tiktok"), ("lazada", "lazada")):
        expected = {
            (o.external_order_sn, o.payout_id, jakarta_date(o.settled_at))
            for o in scenario.orders
            if o.store_key == store and o.payout_id is not None and o.settled_at is not None
        }

        payouts = read_payouts(write_statement(scenario, store, fmt), fmt)

        read = {(item.order_sn, p.payout_id, p.paid_on) for p in payouts for item in p.lines if not item.is_refund}
        assert read == expected


def test_a_shopee_income_report_of_the_demo_is_keyed_by_release_date() -> None:
    scenario = demo()
    shopee = [o for o in scenario.orders if o.store_key == "shopee"]
    dates = {jakarta_date(o.settled_at) for o in shopee if o.settled_at and o.payout_id}
    dates |= {jakarta_date(o.late_return.refund_paid_at) for o in shopee if o.late_return}

    payouts = read_payouts(write_statement(scenario, "shopee", "shopee"), "shopee")

    assert [p.payout_id for p in payouts] == [f"SHOPEE-{d:%Y%m%d}" for d in sorted(dates)]


def test_partly_returned_orders_are_written_with_their_kept_items_only() -> None:
    scenario = demo()
    partial = [o for o in scenario.orders if o.outcome == "returned_partial" and o.payout_id]
    assert partial
    order = partial[0]

    payouts = read_payouts(write_statement(scenario, order.store_key, "lazada"), "lazada")

    [read] = [item for p in payouts for item in p.lines if item.order_sn == order.external_order_sn]
    assert read.amount == order.seller_net - order.refund_amount


def test_a_store_is_found_by_its_ginee_shop_id_too() -> None:
    scenario = demo()
    store = scenario.store("lazada")

    assert write_statement(scenario, store.shop_id, "lazada") == write_statement(scenario, "lazada", "lazada")


def test_a_tokopedia_statement_can_be_written_in_every_format() -> None:
    scenario = demo()
    for fmt in FORMATS:
        payouts = read_payouts(write_statement(scenario, "tokopedia", fmt), fmt)
        assert sum(len(p.lines) for p in payouts) == sum(
            bool(o.payout_id) + bool(o.late_return) for o in scenario.orders if o.store_key == "tokopedia"
        )


def test_a_fee_kind_the_format_has_no_column_for_is_refused() -> None:
    # Shopee charges a service fee; a TikTok settlement has no such column.
    with pytest.raises(ValueError, match="a tiktok export has no column for fee kind 'service'"):
        write_statement(demo(), "shopee", "tiktok")


def test_an_unknown_format_cannot_be_written() -> None:
    with pytest.raises(ValueError, match="unknown settlement format 'csv'"):
        write_statement(demo(), "shopee", "csv")


# --- any payouts ---------------------------------------------------------------------------------

WELL_FORMED = {
    "shopee": [
        payout(
            "SHOPEE-20250908", SEP8, "shopee", line("A1", 100000, commission=7000, order_processing=1250, pph22=500)
        ),
        payout(
            "SHOPEE-20250909",
            SEP9,
            "shopee",
            line("B2", 200000, commission=14000, service=8000, payment=2000, affiliate=10000, shipping_difference=3000),
            line("C3", 50000),
        ),
    ],
    "tiktok": [
        payout(
            "S1",
            SEP8,
            "tiktok",
            line("1", 222000, payment=1000, commission=13320, sfp_service=6660, order_processing=1250, pph22=1110),
            line("2", -55500, commission=-3330),
        ),
        payout("S2", SEP8, "tiktok", line("3", 74000, affiliate=2960, shipping_difference=3000)),
    ],
    "lazada": [
        payout(
            "08 Sep 2025 - 14 Sep 2025",
            SEP8,
            "lazada",
            line("460803166623940", 172050, commission=12044, payment=3097, lost_damaged_claim=-5000),
            line("459987215530412", -55500, commission=-3885),
            line(
                "461355208374516",
                48840,
                service=1000,
                order_processing=1250,
                affiliate=500,
                shipping_difference=2500,
                pph22=240,
            ),
        ),
        payout(
            "15 Sep 2025 - 21 Sep 2025", SEP9, "lazada", line("462004417786120", 155400, commission=10878), amount=1
        ),
    ],
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_well_formed_payouts_read_back_equal(fmt: str) -> None:
    written = WELL_FORMED[fmt]

    read = read_payouts(write_payouts(written, fmt), fmt)

    assert without_rows(read) == written


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_read_and_written_again_reads_the_same_including_rows(fmt: str) -> None:
    first = read_payouts(write_payouts(WELL_FORMED[fmt], fmt), fmt)

    assert read_payouts(write_payouts(first, fmt), fmt) == first


def test_a_changed_fee_is_what_the_written_file_says() -> None:
    [original] = read_payouts(write_statement(demo(), "lazada", "lazada"), "lazada")[:1]
    first = original.lines[0]
    changed = dataclasses.replace(first, fees={**first.fees, "commission": first.fees["commission"] + 100})
    edited = dataclasses.replace(original, lines=(changed, *original.lines[1:]))

    [read] = read_payouts(write_payouts([edited], "lazada"), "lazada")

    assert read.lines[0].fees["commission"] == first.fees["commission"] + 100
    assert read.lines[0].net == first.net - 100
    assert read.amount == original.amount
    assert read.lines_total == read.amount - 100


def test_a_wrong_lazada_total_is_written_as_the_payout_row() -> None:
    [read] = read_payouts(write_payouts([payout("W", SEP8, "lazada", line("A", 1000), amount=999)], "lazada"), "lazada")

    assert (read.amount, read.lines_total) == (Decimal(999), Decimal(1000))


def test_a_lazada_refund_is_written_as_reversal_rows() -> None:
    text = write_payouts([payout("W", SEP8, "lazada", line("A", -55500, commission=-3885))], "lazada")

    assert ",Refunds-Sales,Reversal Item Price," in text
    assert ",Refunds-Lazada Fees,Reversal Commission," in text


def test_a_tiktok_refund_is_written_with_type_refund_and_positive_fees() -> None:
    text = write_payouts([payout("S", SEP8, "tiktok", line("A", -55500, commission=-3330))], "tiktok")

    assert text.splitlines()[1] == "A,Refund,S,2025/09/08,-55500,0,3330,0,0,0,0,0,0,-52170"


def test_a_stated_net_that_is_off_survives_shopee_and_tiktok_files() -> None:
    for fmt, payout_id in (("shopee", "SHOPEE-20250908"), ("tiktok", "S")):
        off = payout(payout_id, SEP8, fmt, line("A", 1000, net=900, commission=50))

        [read] = read_payouts(write_payouts([off], fmt), fmt)

        assert (read.lines[0].net, read.lines[0].computed_net) == (Decimal(900), Decimal(950))


def test_a_shopee_payout_must_be_keyed_by_its_date() -> None:
    with pytest.raises(ValueError, match="keys payouts by date: PO-1 cannot be written"):
        write_payouts([payout("PO-1", SEP8, "shopee", line("A", 1000))], "shopee")


@pytest.mark.parametrize(("fmt", "payout_id"), [("shopee", "SHOPEE-20250908"), ("tiktok", "S")])
def test_only_lazada_states_a_total_apart_from_its_lines(fmt: str, payout_id: str) -> None:
    with pytest.raises(ValueError, match=f"a {fmt} export states no payout total apart from its lines"):
        write_payouts([payout(payout_id, SEP8, fmt, line("A", 1000), amount=999)], fmt)


@pytest.mark.parametrize(("fmt", "payout_id"), [("shopee", "SHOPEE-20250908"), ("tiktok", "S")])
def test_an_extra_fee_kind_needs_a_column(fmt: str, payout_id: str) -> None:
    with pytest.raises(ValueError, match=f"a {fmt} export has no column for fee kind 'laz_subsidy'"):
        write_payouts([payout(payout_id, SEP8, fmt, line("A", 1000, laz_subsidy=-100))], fmt)


def test_a_lazada_extra_fee_kind_must_read_back_as_itself() -> None:
    # "free_shipping_max_fee" would be written "Free Shipping Max Fee", which Lazada's reader counts as service.
    with pytest.raises(ValueError, match="fee kind 'free_shipping_max_fee' has no Lazada fee name"):
        write_payouts([payout("W", SEP8, "lazada", line("A", 1000, free_shipping_max_fee=10))], "lazada")


# --- the example files ---------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "name"), list(EXAMPLE_FILES.items()))
def test_each_example_file_is_detected_and_every_line_and_payout_adds_up(fmt: str, name: str) -> None:
    text = (EXAMPLES / name).read_text(encoding="utf-8")

    assert detect_format(text) == fmt
    payouts = read_payouts(text, fmt)
    lines = [item for p in payouts for item in p.lines]
    assert 5 <= len(lines) <= 10
    assert all(item.net == item.amount - sum(item.fees.values(), Decimal(0)) for item in lines)
    assert all(p.amount == p.lines_total for p in payouts)
    assert all(p.source == fmt for p in payouts)


@pytest.mark.parametrize("fmt", ["tiktok", "lazada"])
def test_the_tiktok_and_lazada_examples_carry_a_refund(fmt: str) -> None:
    payouts = read_payouts((EXAMPLES / EXAMPLE_FILES[fmt]).read_text(encoding="utf-8"), fmt)

    refunds = [item for p in payouts for item in p.lines if item.is_refund]
    assert refunds
    assert all(item.fees.get("commission", Decimal(0)) < 0 for item in refunds)


def test_the_example_payouts_are_the_ones_the_readme_names() -> None:
    ids = {
        fmt: [p.payout_id for p in read_payouts((EXAMPLES / name).read_text(encoding="utf-8"), fmt)]
        for fmt, name in EXAMPLE_FILES.items()
    }

    assert ids == {
        "shopee": ["SHOPEE-20250908", "SHOPEE-20250909"],
        "tiktok": ["7541029384756102938", "7541183920475610293"],
        "lazada": ["08 Sep 2025 - 14 Sep 2025", "15 Sep 2025 - 21 Sep 2025"],
    }
