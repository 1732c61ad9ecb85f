"""Specification: a paid order becomes one Sales Invoice (docs/POSTING.md §1–§6)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from posting_builders import item, order, rp, store, worked_example_order

from omsync.errors import OnHold
from omsync.posting.amounts import document_amounts, split_inclusive
from omsync.posting.invoice import plan_sales_invoice, split_proportionally
from omsync.posting.numbers import MAX_NUMBER_LENGTH

PPN = Decimal("0.11")


class TestWorkedExample:
    """Given the Tokopedia PKP store with inclusive prices of DESIGN §1."""

    def test_the_invoice_books_piutang_160950_penjualan_145000_ppn_15950(self) -> None:
        invoice = plan_sales_invoice(worked_example_order(), store())

        amounts = document_amounts(invoice, PPN)

        assert amounts.receivable == rp(160950)
        assert amounts.revenue == rp(145000)
        assert amounts.ppn == rp(15950)
        assert amounts.other_revenue == 0

    def test_the_line_is_three_units_at_the_marketplace_price_less_the_seller_discount(self) -> None:
        invoice = plan_sales_invoice(worked_example_order(), store())

        [line] = invoice.detail_item
        assert (line.item_no, line.quantity, line.unit_price, line.item_cash_discount) == ("SKU-B", 3, 55500, 5550)
        assert line.warehouse_name == "Gudang Jakarta"
        assert line.use_tax1 is True

    def test_the_platform_voucher_and_buyer_shipping_appear_nowhere(self) -> None:
        invoice = plan_sales_invoice(worked_example_order(), store())

        assert invoice.detail_expense == []
        assert invoice.cash_discount is None

    def test_the_invoice_is_the_store_customers_with_ppn_inclusive(self) -> None:
        invoice = plan_sales_invoice(worked_example_order(), store())

        assert invoice.customer_no == "C-TOKOPEDIA"
        assert (invoice.taxable, invoice.inclusive_tax, invoice.tax1_name) == (True, True, "PPN")


class TestSellerFundedDiscounts:
    def test_the_sellers_order_voucher_is_spread_over_lines_by_their_value_last_line_takes_the_rest(self) -> None:
        # Lines worth 100,000 and 50,000; a seller voucher of 10,001 → 6,667 and 3,334.
        paid = order(item("A", 1, "100000"), item("B", 2, "25000"), payment={"voucherSeller": "10001"})

        invoice = plan_sales_invoice(paid, store())

        assert [line.item_cash_discount for line in invoice.detail_item] == [6667, 3334]
        amounts = document_amounts(invoice, PPN)
        assert (amounts.receivable, amounts.revenue, amounts.ppn) == (rp(139999), rp(126125), rp(13874))

    def test_platform_vouchers_coins_and_subsidies_do_not_reduce_revenue(self) -> None:
        paid = order(
            item("A", 1, "111000"),
            payment={"voucherPlatform": "20000", "coin": "5000", "discountPlatform": "7000"},
        )

        amounts = document_amounts(plan_sales_invoice(paid, store()), PPN)

        assert (amounts.receivable, amounts.revenue, amounts.ppn) == (rp(111000), rp(100000), rp(11000))

    def test_a_line_without_seller_discount_carries_no_discount_field(self) -> None:
        invoice = plan_sales_invoice(order(item("A", 1, "50000")), store())

        assert invoice.detail_item[0].item_cash_discount is None

    def test_seller_discounts_above_the_price_hold_the_order_with_the_figures(self) -> None:
        with pytest.raises(OnHold) as held:
            plan_sales_invoice(order(item("A", 1, "10000"), payment={"voucherSeller": "10001"}), store())

        assert held.value.cause == "seller_discount_above_price"
        assert "10,001" in held.value.reason and "10,000" in held.value.reason and "by 1" in held.value.reason


class TestTax:
    def test_a_pkp_store_with_exclusive_prices_adds_ppn_on_top(self) -> None:
        shop = store(tax={"pkp": True, "prices_include_ppn": False, "tax_name": "PPN"})

        amounts = document_amounts(plan_sales_invoice(order(item("A", 2, "50000")), shop), PPN)

        assert (amounts.receivable, amounts.revenue, amounts.ppn) == (rp(111000), rp(100000), rp(11000))

    def test_a_non_pkp_store_books_the_whole_price_as_revenue(self) -> None:
        shop = store(tax={"pkp": False})

        invoice = plan_sales_invoice(order(item("A", 2, "55500")), shop)
        amounts = document_amounts(invoice, PPN)

        assert (invoice.taxable, invoice.tax1_name, invoice.detail_item[0].use_tax1) == (False, None, None)
        assert (amounts.receivable, amounts.revenue, amounts.ppn) == (rp(111000), rp(111000), 0)

    def test_a_pkp_store_declares_ppn_12_percent_on_dpp_nilai_lain_and_its_invoice_says_so(self) -> None:
        # PMK 131/2024: PPN 12% on 11/12 of the price, an effective 11%; Accurate's default base is 100%, so the
        # invoice carries the choice (taxType DPP_NILAILAIN) rather than trust the company's preference
        shop = store()

        invoice = plan_sales_invoice(order(item("A", 1, "111000")), shop)

        assert (shop.tax.ppn_rate, shop.tax.dpp_nilai_lain, shop.tax.effective_rate) == (
            Decimal("0.12"),
            True,
            Decimal("0.11"),
        )
        assert invoice.tax_type == "DPP_NILAILAIN"
        assert invoice.request_body()["taxType"] == "DPP_NILAILAIN"

    def test_a_store_on_dpp_100_percent_or_not_pkp_sends_no_dpp_choice(self) -> None:
        full = store(tax={"pkp": True, "tax_name": "PPN", "ppn_rate": "0.11", "dpp_nilai_lain": False})
        untaxed = store(tax={"pkp": False})

        assert full.tax.effective_rate == PPN
        assert plan_sales_invoice(order(item("A", 1, "111000")), full).tax_type is None
        assert plan_sales_invoice(order(item("A", 1, "111000")), untaxed).tax_type is None

    def test_ppn_of_an_inclusive_amount_rounds_half_up_once_per_document(self) -> None:
        # 10,000 × 11/111 = 990.99… → 991; revenue takes the rest.
        assert split_inclusive(rp(10000), PPN) == (rp(9009), rp(991))
        # 50 × 11/111 = 4.95… → 5 ; 5 × 11/111 = 0.495… → 0
        assert split_inclusive(rp(50), PPN) == (rp(45), rp(5))
        assert split_inclusive(rp(5), PPN) == (rp(5), rp(0))


class TestShipping:
    def test_by_default_buyer_paid_shipping_stays_out_of_the_books(self) -> None:
        invoice = plan_sales_invoice(worked_example_order(), store())

        assert document_amounts(invoice, PPN).receivable == rp(160950)

    def test_revenue_and_expense_books_the_buyers_shipping_as_revenue_of_a_store_that_is_not_pkp(self) -> None:
        invoice = plan_sales_invoice(worked_example_order(), store(shipping="revenue_and_expense", tax={"pkp": False}))

        [shipping] = invoice.detail_expense
        assert (shipping.account_no, shipping.expense_amount) == ("4-2001", 9000)
        amounts = document_amounts(invoice, PPN)
        assert (amounts.receivable, amounts.revenue, amounts.ppn, amounts.other_revenue) == (
            rp(169950),
            rp(160950),
            rp(0),
            rp(9000),
        )

    def test_a_pkp_store_books_shipping_revenue_inside_the_ppn_base_as_a_taxed_line_of_its_shipping_item(
        self,
    ) -> None:
        # Given the worked example's PKP store booking the buyer's 9,000 shipping as revenue (docs/POSTING.md §4)
        invoice = plan_sales_invoice(
            worked_example_order(), store(shipping="revenue_and_expense", shipping_item="JASA-ONGKIR")
        )

        # Then the shipping is a second line, of the service item, taxed like the goods and leaving no warehouse
        goods, shipping = invoice.detail_item
        assert (shipping.item_no, shipping.quantity, shipping.unit_price, shipping.use_tax1) == (
            "JASA-ONGKIR",
            1,
            9000,
            True,
        )
        assert shipping.warehouse_name is None and goods.warehouse_name == "Gudang Jakarta"
        assert invoice.detail_expense == []
        # And the plan takes PPN from goods and shipping together: 169,950 x 11/111 = 16,842 (half up)
        amounts = document_amounts(invoice, PPN)
        assert (amounts.receivable, amounts.revenue, amounts.ppn, amounts.other_revenue) == (
            rp(169950),
            rp(153108),
            rp(16842),
            rp(0),
        )

    def test_a_pkp_store_needs_a_shipping_item_to_book_shipping_as_revenue(self) -> None:
        with pytest.raises(ValueError, match="revenue_and_expense on a PKP store needs shipping_item"):
            store(shipping="revenue_and_expense")


class TestBundles:
    bundle: dict[str, Any] = {"bundleSkus": [{"masterSku": "MUG", "quantity": 2}, {"masterSku": "TEA", "quantity": 1}]}

    def test_a_bundle_stays_one_line_unless_the_store_explodes_bundles(self) -> None:
        invoice = plan_sales_invoice(order(item("GIFTSET", 1, "100000", **self.bundle)), store())

        assert [(line.item_no, line.quantity) for line in invoice.detail_item] == [("GIFTSET", 1)]

    def test_an_exploded_bundle_splits_its_price_by_component_value(self) -> None:
        # Mug 30,000 × 2 and tea 40,000 × 1 weigh 60:40 of the 100,000 bundle sold twice (200,000).
        sold = order(item("GIFTSET", 2, "100000", **self.bundle))
        prices = {"MUG": rp(30000), "TEA": rp(40000)}

        invoice = plan_sales_invoice(sold, store(explode_bundles=True), prices)

        lines = [
            (line.item_no, line.quantity, line.unit_price, line.item_cash_discount) for line in invoice.detail_item
        ]
        assert lines == [("MUG", 4, 30000, None), ("TEA", 2, 40000, None)]
        amounts = document_amounts(invoice, PPN)
        assert (amounts.receivable, amounts.revenue, amounts.ppn) == (rp(200000), rp(180180), rp(19820))

    def test_rupiah_left_over_by_the_split_joins_the_last_components_discount(self) -> None:
        # No prices known: weights are the quantities, 2 mugs : 1 tea. 100,001 → mugs 66,667, tea 33,334.
        # A mug costs 66,667 / 2 rounded up = 33,334 (66,668 for two): the 1 rupiah surplus becomes a discount
        # on tea, the last component, so the total stays 100,001.
        invoice = plan_sales_invoice(order(item("GIFTSET", 1, "100001", **self.bundle)), store(explode_bundles=True))

        lines = [
            (line.item_no, line.quantity, line.unit_price, line.item_cash_discount) for line in invoice.detail_item
        ]
        assert lines == [("MUG", 2, 33334, None), ("TEA", 1, 33334, 1)]
        assert document_amounts(invoice, PPN).receivable == rp(100001)


class TestNumberDateAndReference:
    def test_the_number_is_the_store_prefix_and_the_marketplace_order_number(self) -> None:
        invoice = plan_sales_invoice(order(item("A", 1, "1000")), store())

        assert invoice.number == "TP-INV/20260315/1001"

    def test_a_number_too_long_for_accurate_is_shortened_with_a_hash_of_the_whole(self) -> None:
        long_sn = "INV/20260315/MPL/3901234567890123"
        first = plan_sales_invoice(order(item("A", 1, "1000"), externalOrderSn=long_sn), store())
        again = plan_sales_invoice(order(item("A", 1, "1000"), externalOrderSn=long_sn), store())
        other = plan_sales_invoice(order(item("A", 1, "1000"), externalOrderSn=long_sn + "4"), store())

        assert first.number is not None and len(first.number) == MAX_NUMBER_LENGTH
        assert first.number == again.number
        assert first.number != other.number
        assert first.number.startswith("TP-INV/20260315/MPL/")

    def test_the_marketplace_order_number_is_the_po_number_and_in_the_description(self) -> None:
        invoice = plan_sales_invoice(order(item("A", 1, "1000")), store())

        assert invoice.po_number == "INV/20260315/1001"
        assert invoice.description is not None and "INV/20260315/1001" in invoice.description

    def test_the_date_is_the_paid_date_in_jakarta(self) -> None:
        # Paid 17:05 UTC on 15 March is 00:05 WIB on 16 March.
        invoice = plan_sales_invoice(order(item("A", 1, "1000")), store())

        assert invoice.trans_date == date(2026, 3, 16)

    def test_an_order_without_a_paid_time_is_dated_when_it_was_created(self) -> None:
        invoice = plan_sales_invoice(order(item("A", 1, "1000"), payAt=None), store())

        assert invoice.trans_date == date(2026, 3, 15)


class TestHolds:
    def test_a_line_from_an_unmapped_ginee_warehouse_puts_the_order_on_hold(self) -> None:
        with pytest.raises(OnHold) as held:
            plan_sales_invoice(order(item("A", 1, "1000", warehouseId="WW-SBY")), store())

        assert held.value.cause == "unmapped_warehouse"
        assert "WW-SBY" in held.value.reason

    def test_a_line_without_master_sku_puts_the_order_on_hold(self) -> None:
        with pytest.raises(OnHold) as held:
            plan_sales_invoice(order(item("A", 1, "1000", masterSku=None)), store())

        assert held.value.cause == "missing_sku"


class TestProportionalSplit:
    def test_shares_always_add_up_to_the_total(self) -> None:
        shares = split_proportionally(rp(100), [rp(1), rp(1), rp(1)])

        assert shares == [rp(33), rp(33), rp(34)]

    def test_without_positive_weights_the_last_share_takes_everything(self) -> None:
        assert split_proportionally(rp(7), [rp(0), rp(0)]) == [rp(0), rp(7)]
