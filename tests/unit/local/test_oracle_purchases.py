"""Specification: the oracle's purchases, stock adjustments and Items (docs/POSTING.md §20–§21), worked by
hand from the facts with the journals of POSTING §21's table."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from oracle_builders import T0, scenario, seed, tokopedia, worked_example

from omsync.config.mapping import ConnectionMapping
from omsync.posting.purchases import part_number
from omsync_workshop.oracle import ITEM, ITEM_ADJUSTMENT, PURCHASE_INVOICE, RECEIVE_ITEM, expected_books
from omsync_workshop.scenarios.facts import AdjustmentFacts, InboundFacts, ProductFacts, Scenario, TimelineEvent
from omsync_workshop.scenarios.generator import product_json

PERSEDIAAN, HUTANG_USAHA, HUTANG_BELUM_DITAGIH, PENYESUAIAN = "1301", "2101", "2102", "6108"
INBOUND = "IB0000000000000000000000A1"
SEED = {
    **seed(0),
    "defaults": {**seed(0)["defaults"], "payableAccountNo": HUTANG_USAHA, "unbilledPayableAccountNo": "2102"},
}
CATALOGUE = (
    ProductFacts("MP-K", "KAOS-HITAM-M", "Kaos Polos Hitam M", "fashion", Decimal(55500), Decimal(30000)),
    ProductFacts("MP-M", "KEMEJA-BIRU-M", "Kemeja Oxford Biru M", "fashion", Decimal(149900), Decimal(82000)),
    ProductFacts("MP-L", "LAMPU-LED-9W", "Lampu LED 9 W", "electronics", Decimal(24420), Decimal(11000)),
    ProductFacts("MP-O", "BOTOL-750", "Botol Minum 750 ml", "household", Decimal(38850), Decimal(17500)),
)


def purchases(**overrides: Any) -> ConnectionMapping:
    policy = {"enabled": True, "default_vendor": "V-0001", "adjustment_account": PENYESUAIAN, **overrides}
    return tokopedia().model_copy(update={"purchases": type(tokopedia().purchases).model_validate(policy)})


def world(*, inbounds: tuple[InboundFacts, ...] = (), adjustments: tuple[AdjustmentFacts, ...] = ()) -> Scenario:
    return replace(scenario(), products=CATALOGUE, inbounds=inbounds, adjustments=adjustments)


def inbound(*lines: tuple[str, int, int, int], cancelled: bool = False, inbound_id: str = INBOUND) -> InboundFacts:
    return InboundFacts(
        inbound_id,
        "WW-1",
        "CV Sumber Kain",
        T0,
        T0 + timedelta(hours=5),
        tuple((sku, planned, got, Decimal(price)) for sku, planned, got, price in lines),
        T0 + timedelta(hours=9) if cancelled else None,
    )


def adjustment(sku: str, delta: int, movement_id: str) -> AdjustmentFacts:
    return AdjustmentFacts(T0 + timedelta(hours=15), "WW-1", sku, delta, "stock opname", movement_id)


class TestPurchases:
    def test_an_items_first_purchase_puts_it_in_stock_against_the_vendors_payable(self) -> None:
        books = expected_books(world(inbounds=(inbound(("KAOS-HITAM-M", 200, 200, 31000)),)), purchases(), SEED)

        # numbered as omsync numbers it: too long for Accurate's 30 characters, so shortened with a hash
        assert books.documents[PURCHASE_INVOICE] == {part_number("PB-", INBOUND, 1): Decimal(6200000)}
        assert books.trial_balance == {PERSEDIAAN: Decimal(6200000), HUTANG_USAHA: Decimal(-6200000)}

    def test_a_part_received_inbound_books_only_what_arrived(self) -> None:
        books = expected_books(world(inbounds=(inbound(("KEMEJA-BIRU-M", 50, 45, 80000)),)), purchases(), SEED)

        assert list(books.documents[PURCHASE_INVOICE].values()) == [Decimal(3600000)]
        assert books.trial_balance == {PERSEDIAAN: Decimal(3600000), HUTANG_USAHA: Decimal(-3600000)}

    def test_an_inbound_cancelled_after_posting_leaves_nothing(self) -> None:
        cancelled = inbound(("BOTOL-750", 10, 10, 17000), cancelled=True)

        books = expected_books(world(inbounds=(cancelled,)), purchases(), SEED)

        assert PURCHASE_INVOICE not in books.documents
        assert books.trial_balance == {}

    def test_with_receive_item_the_goods_are_owed_unbilled(self) -> None:
        books = expected_books(
            world(inbounds=(inbound(("KAOS-HITAM-M", 20, 20, 29000)),)), purchases(document="receive_item"), SEED
        )

        assert list(books.documents[RECEIVE_ITEM].values()) == [Decimal(580000)]
        assert books.trial_balance == {PERSEDIAAN: Decimal(580000), HUTANG_BELUM_DITAGIH: Decimal(-580000)}

    def test_the_document_number_is_the_prefix_the_inbound_and_the_part_within_30_characters(self) -> None:
        short = inbound(("KAOS-HITAM-M", 1, 1, 30000), inbound_id="IB-7")

        books = expected_books(world(inbounds=(short,)), purchases(), SEED)

        assert books.documents[PURCHASE_INVOICE] == {"PB-IB-7-1": Decimal(30000)}

    def test_nothing_is_booked_while_purchases_are_off(self) -> None:
        facts = world(
            inbounds=(inbound(("KAOS-HITAM-M", 200, 200, 30000)),), adjustments=(adjustment("BOTOL-750", -3, "OB-1"),)
        )

        books = expected_books(facts, tokopedia(), SEED)

        assert PURCHASE_INVOICE not in books.documents and ITEM_ADJUSTMENT not in books.documents
        assert books.trial_balance == {}


class TestStockAdjustments:
    def test_stock_found_comes_in_at_ginees_average_purchase_price(self) -> None:
        books = expected_books(world(adjustments=(adjustment("LAMPU-LED-9W", 5, "IB-ADJ-1"),)), purchases(), SEED)

        assert books.documents[ITEM_ADJUSTMENT] == {"PB-IB-ADJ-1": Decimal(55000)}
        assert books.trial_balance == {PERSEDIAAN: Decimal(55000), PENYESUAIAN: Decimal(-55000)}

    def test_stock_lost_leaves_at_accurates_average_cost(self) -> None:
        books = expected_books(world(adjustments=(adjustment("BOTOL-750", -3, "OB-ADJ-1"),)), purchases(), SEED)

        assert books.documents[ITEM_ADJUSTMENT] == {"PB-OB-ADJ-1": Decimal(52500)}
        assert books.trial_balance == {PENYESUAIAN: Decimal(52500), PERSEDIAAN: Decimal(-52500)}

    def test_a_scenario_whose_cost_of_goods_depends_on_the_posting_order_is_refused(self) -> None:
        sold_and_bought = replace(
            world(inbounds=(inbound(("SKU-B", 10, 10, 31000)),)),
            orders=(worked_example(),),
            products=(*CATALOGUE, ProductFacts("MP-B", "SKU-B", "Celana", "fashion", Decimal(55500), Decimal(30000))),
        )

        with pytest.raises(ValueError, match="SKU-B at 31000, not its cost 30000"):
            expected_books(sold_and_bought, purchases(), seed(10))


class TestItems:
    def test_a_new_product_and_a_changed_price_are_items_an_unchanged_one_and_a_bundle_are_not(self) -> None:
        topi = ProductFacts("MP-T", "TOPI-BASEBALL", "Topi Baseball Hitam", "fashion", Decimal(44400), Decimal(21000))
        paket = ProductFacts(
            "MP-P", "PAKET-KAOS-3", "Paket", "fashion", Decimal(155400), Decimal(0), (("KAOS-HITAM-M", 3),)
        )
        changes = [topi, replace(CATALOGUE[3], price=Decimal(41070)), CATALOGUE[0], paket]
        facts = replace(world(), product_changes=tuple(_event(product) for product in changes))

        books = expected_books(facts, tokopedia(), SEED)

        assert books.documents[ITEM] == {"TOPI-BASEBALL": Decimal(44400), "BOTOL-750": Decimal(41070)}


def _event(product: ProductFacts) -> TimelineEvent:
    return TimelineEvent(0, T0, "product", "update", product.product_id, product_json(product))
