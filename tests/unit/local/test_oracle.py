"""Specification: the oracle works out the books from a scenario's facts alone (docs/POSTING.md numbers)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from oracle_builders import T0, scenario, seed, worked_example
from oracle_builders import tokopedia as mapping

import omsync_workshop.accurate
from omsync.config.mapping import load_mapping
from omsync_workshop.oracle import JOURNAL_VOUCHER, SALES_INVOICE, SALES_RECEIPT, SALES_RETURN, compare, expected_books
from omsync_workshop.scenarios.facts import LineFacts, ProductFacts
from omsync_workshop.scenarios.generator import load_scenario

SEED = seed(10)
SO_2_DIGEST = hashlib.sha256(b"SO-2").hexdigest()[:8].upper()
OPENING = Decimal(300000)


class TestTheWorkedExample:
    def test_one_invoice_and_its_journal_on_top_of_the_opening_stock(self) -> None:
        books = expected_books(scenario(worked_example()), mapping(), SEED)

        assert books.documents == {SALES_INVOICE: {"TP-INV/1001": Decimal(160950)}}
        assert books.trial_balance == {
            "1201": Decimal(160950),
            "1301": OPENING - 90000,
            "2201": Decimal(-15950),
            "3102": -OPENING,
            "4101": Decimal(-145000),
            "5101": Decimal(90000),
        }

    def test_the_trial_balance_balances(self) -> None:
        books = expected_books(scenario(worked_example()), mapping(), SEED)

        assert sum(books.trial_balance.values()) == 0


class TestCancellations:
    def test_cancelled_before_payment_books_nothing(self) -> None:
        order = worked_example(paid_at=None, completed_at=None, cancelled_at=T0, cancel_stage="PENDING_PAYMENT")

        books = expected_books(scenario(order), mapping(), SEED)

        assert books.documents == {}
        assert books.trial_balance == {"1301": OPENING, "3102": -OPENING}

    def test_cancelled_after_the_invoice_under_rule_delete_leaves_no_invoice(self) -> None:
        order = worked_example(completed_at=None, cancelled_at=T0, cancel_stage="PAID", final_status="CANCELLED")

        books = expected_books(scenario(order), mapping(), SEED)

        assert books.documents == {}

    def test_cancelled_after_the_invoice_under_rule_sales_return_reverses_it_entirely(self) -> None:
        order = worked_example(completed_at=None, cancelled_at=T0, cancel_stage="PAID", final_status="CANCELLED")

        books = expected_books(scenario(order), mapping(cancellation="sales_return"), SEED)

        assert books.documents == {
            SALES_INVOICE: {"TP-INV/1001": Decimal(160950)},
            SALES_RETURN: {"TP-INV/1001-RC": Decimal(160950)},
        }
        assert books.trial_balance == {
            "1301": OPENING,
            "3102": -OPENING,
            "4101": Decimal(-145000),
            "4102": Decimal(145000),
        }


class TestReturns:
    def test_one_unit_returned_gives_back_a_third_of_the_discount(self) -> None:
        line = LineFacts("IT-1", "SKU-B", "fashion", 3, Decimal(55500), Decimal(1850), returned_quantity=1)
        order = worked_example(lines=(line,), returned_at=T0, final_status="RETURNED")

        books = expected_books(scenario(order), mapping(), SEED)

        assert books.documents[SALES_RETURN] == {"TP-INV/1001-R1": Decimal(53650)}
        # As Accurate computes it (reference/accurate-api.md §16): 53,650 / 1.11 = 48,333.333333 to 6 decimals,
        # PPN 5,316.67 rounded down to 5,316, the 0.666667 left over back off the rounding account
        assert books.trial_balance["4102"] == Decimal("48333.333333")
        assert books.trial_balance["2201"] == Decimal(-15950 + 5316)
        assert books.trial_balance["7101"] == Decimal("0.666667")
        assert books.trial_balance["1201"] == Decimal(160950 - 53650)
        assert books.trial_balance["5101"] == Decimal(60000)

    def test_a_refund_a_rupiah_off_the_invoiced_value_is_what_the_return_credits(self) -> None:
        # Given the chaos run's order 25090140859DD6 (seed 584430831): 2 × 149,900 less 14,990 a unit and 55,500,
        # a seller voucher of 5,000 (4,147 on the first line, so its discount is 34,127), one unit of the first
        # line back; its invoiced value is 149,900 − 17,064 (34,127 ÷ 2, half up) = 132,836, but the marketplace
        # pro-rates the voucher over the units back on its own (2,073) and refunds 134,910 − 2,073 = 132,837
        mug = ProductFacts("MP-A", "SKU-A", "Mug", "fashion", Decimal(55500), Decimal(12000))
        for refund in (Decimal(132837), Decimal(132835), Decimal(132836)):
            shirt = _two_shirts_one_back(refund)
            mugs = LineFacts("IT-2", "SKU-A", "fashion", 1, Decimal(55500), Decimal(0))
            order = worked_example(
                lines=(shirt, mugs), voucher_seller=Decimal(5000), returned_at=T0, final_status="COMPLETED"
            )
            world = scenario(order)

            books = expected_books(replace(world, products=(*world.products, mug)), mapping(), SEED)

            # Then the Sales Return credits what was refunded, as omsync posts it (docs/POSTING.md §8)
            assert books.documents[SALES_RETURN] == {"TP-INV/1001-R1": refund}

    def test_a_refund_further_off_than_a_rupiah_a_unit_is_not_taken_for_the_units_value(self) -> None:
        shirt = _two_shirts_one_back(Decimal(132838))
        order = worked_example(lines=(shirt,), voucher_seller=Decimal(5000), returned_at=T0)

        books = expected_books(scenario(order), mapping(), SEED)

        # 29,980 + 5,000 = 34,980 of discount, 17,490 on the unit back: 132,410 invoiced, 428 from the refund
        assert books.documents[SALES_RETURN] == {"TP-INV/1001-R1": Decimal(132410)}


def _two_shirts_one_back(refund: Decimal) -> LineFacts:
    """2 × 149,900 less 14,990 a unit, one unit back for ``refund`` rupiah."""
    return LineFacts(
        "IT-1", "SKU-B", "fashion", 2, Decimal(149900), Decimal(14990), returned_quantity=1, refund_amount=refund
    )


class TestOrdersChangingAfterTheInvoice:
    def test_a_line_gone_after_the_invoice_comes_back_by_its_correction_at_the_invoiced_price(self) -> None:
        # Given the worked example's line plus a second line of SKU-A 2 × 22,200 that leaves after the invoice
        gone = LineFacts("IT-2", "SKU-A", "fashion", 2, Decimal(22200), Decimal(0), cancelled_quantity=2)
        order = worked_example(lines=(*worked_example().lines, gone), outcome="line_cancelled")

        mug = ProductFacts("MP-A", "SKU-A", "Mug", "fashion", Decimal(22200), Decimal(12000))
        world = scenario(order)

        books = expected_books(replace(world, products=(*world.products, mug)), mapping(), SEED)

        # Then the invoice has both lines (160,950 + 44,400) and -K1 takes the second back, stock and all
        assert books.documents[SALES_INVOICE] == {"TP-INV/1001": Decimal(205350)}
        assert books.documents[SALES_RETURN] == {"TP-INV/1001-K1": Decimal(44400)}
        assert books.trial_balance["4102"] == Decimal(40000)
        assert books.trial_balance["1201"] == Decimal(160950)
        assert books.trial_balance["5101"] == Decimal(3 * 30000)

    def test_a_line_gone_before_a_cod_order_is_invoiced_on_delivery_is_never_invoiced_nor_corrected(self) -> None:
        # Given the same order paid by COD (invoiced on delivery, the example mapping's cod_trigger_status), its
        # second line gone before it was delivered
        gone = LineFacts("IT-2", "SKU-A", "fashion", 2, Decimal(22200), Decimal(0), cancelled_quantity=2)
        order = worked_example(
            lines=(*worked_example().lines, gone), outcome="line_cancelled", is_cod=True, delivered_at=T0
        )
        mug = ProductFacts("MP-A", "SKU-A", "Mug", "fashion", Decimal(22200), Decimal(12000))
        world = scenario(order)

        books = expected_books(replace(world, products=(*world.products, mug)), mapping(), SEED)

        # Then the invoice is of the delivered line alone, and no correction follows
        assert books.documents[SALES_INVOICE] == {"TP-INV/1001": Decimal(160950)}
        assert SALES_RETURN not in books.documents
        assert books.trial_balance["5101"] == Decimal(3 * 30000)

    def test_a_second_package_of_one_marketplace_order_has_its_own_invoice_numbered_apart(self) -> None:
        first = worked_example()
        second = worked_example(order_id="SO-2", first_package="SO-1")

        books = expected_books(scenario(first, second), mapping(), SEED)

        # The plain number plus 8 hex digits of the SHA-256 of the second Ginee order's id (docs/POSTING.md §6)
        assert set(books.documents[SALES_INVOICE]) == {"TP-INV/1001", "TP-INV/1001-" + SO_2_DIGEST}

    def test_an_order_returned_in_full_that_bears_fees_books_them_by_a_journal_voucher(self) -> None:
        # Given the worked example completed after all 3 units came back, its fees still charged
        line = LineFacts("IT-1", "SKU-B", "fashion", 3, Decimal(55500), Decimal(1850), returned_quantity=3)
        order = worked_example(lines=(line,), returned_at=T0, completed_at=T0)

        books = expected_books(scenario(order), mapping(), SEED)

        # Then no receipt, and the fee the marketplace keeps on a return (order processing 1,250; the commission
        # 9,657 and payment fee 1,000 it gives back with the refund) leaves Saldo Tokopedia by <invoice>-PF
        assert SALES_RECEIPT not in books.documents
        assert books.documents[JOURNAL_VOUCHER] == {"TP-INV/1001-PF": Decimal(1250)}
        assert books.trial_balance["1104"] == Decimal(-1250)
        assert "1201" not in books.trial_balance  # the receivable ends at 0

    def test_an_order_returned_in_full_and_never_completed_books_the_fee_kept_on_a_return(self) -> None:
        # Given the worked example whose 3 units all came back before it completed: Ginee reports it RETURNED
        line = LineFacts("IT-1", "SKU-B", "fashion", 3, Decimal(55500), Decimal(1850), returned_quantity=3)
        order = worked_example(lines=(line,), returned_at=T0, final_status="RETURNED")

        books = expected_books(scenario(order), mapping(), SEED)

        # Then it is never paid out, and only the order processing fee (1,250) leaves Saldo Tokopedia
        assert SALES_RECEIPT not in books.documents
        assert books.documents[JOURNAL_VOUCHER] == {"TP-INV/1001-PF": Decimal(1250)}
        assert books.trial_balance["1104"] == Decimal(-1250)


class TestHolds:
    def test_a_paid_order_of_an_unmapped_store_is_expected_on_hold_not_invoiced(self) -> None:
        order = worked_example(shop_id="SH-OTHER")

        books = expected_books(scenario(order), mapping(), SEED)

        assert books.documents == {}
        assert books.on_hold == {"unmapped_store": 1}


class TestCompare:
    def test_identical_books_match(self) -> None:
        books = expected_books(scenario(worked_example()), mapping(), SEED)

        result = compare(books, dict(books.trial_balance), books.documents)

        assert result.matches
        assert result.trial_balance_difference == 0

    def test_a_missing_invoice_and_a_wrong_account_are_reported(self) -> None:
        books = expected_books(scenario(worked_example()), mapping(), SEED)
        actual = dict(books.trial_balance) | {"2201": Decimal(-15951), "4101": Decimal(-144999)}

        result = compare(books, actual, {})

        assert not result.matches
        assert result.account_differences == {
            "2201": (Decimal(-15950), Decimal(-15951)),
            "4101": (Decimal(-145000), Decimal(-144999)),
        }
        assert result.trial_balance_difference == 2
        assert result.document_differences == {SALES_INVOICE: {"TP-INV/1001": (Decimal(160950), None)}}
        assert "TP-INV/1001: expected (160,950), missing in Accurate" in result.report()


class TestTheDemoScenario:
    """Given the `demo` scenario and the example mapping: every path of docs/POSTING.md occurs."""

    def test_its_expected_books_balance_and_cover_invoices_returns_and_cancellation_returns(self) -> None:
        root = Path(__file__).resolve().parents[3]
        example = load_mapping((root / "events" / "mapping.example.yaml").read_text()).mapping
        seed = json.loads((Path(omsync_workshop.accurate.__path__[0]) / "seed_company.json").read_text())

        books = expected_books(load_scenario("demo"), example, seed)

        assert sum(books.trial_balance.values()) == 0
        assert books.documents[SALES_INVOICE]
        returns = books.documents[SALES_RETURN]
        assert any(number.endswith("-R1") for number in returns)
        assert any(number.endswith("-RC") for number in returns)
