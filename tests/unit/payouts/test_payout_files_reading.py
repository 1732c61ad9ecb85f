"""Specification: what every settlement format shares — money cells, the header row, format detection."""

from __future__ import annotations

from decimal import Decimal

import pytest

from omsync.payouts.files import FORMATS, LAZADA_TYPE, SHOPEE_DATE, detect_format, read_payouts
from omsync.payouts.model import SettlementFileError

SHOPEE = (
    "Order ID,Payout Completed Date,Original Price,Seller Discount,Seller Voucher,Commission Fee,Service Fee,"
    "Transaction Fee,Order Processing Fee,AMS Commission Fee,Seller Shipping Fee,Withholding Tax,Total Released Amount"
)
TIKTOK = (
    "Order ID,Type,Statement ID,Settlement Date,Total Revenue,Transaction fee,TikTok Shop commission fee,"
    "SFP service fee,Order processing fee,Affiliate commission,Affiliate Shop Ads commission,Seller shipping fee,"
    "Withholding tax,Total settlement amount"
)
LAZADA = (
    "Transaction Date,Transaction Type,Fee Name,Transaction Number,Amount,VAT in Amount,WHT Amount,"
    "Statement,Paid Status,Order No.,Order Item No.,Details"
)


def released(cell: str) -> str:
    """A Shopee report whose only order's Original Price and Total Released Amount are ``cell``."""
    return f'{SHOPEE}\nA1,2025-09-09,"{cell}",0,0,0,0,0,0,0,0,0,"{cell}"\n'


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("12,345", 12345),
        ("12345", 12345),
        ("12345.00", 12345),
        ("-1,250", -1250),
        ("+1,250", 1250),
        ("1,234,567", 1234567),
        (" 500 ", 500),
        ("", 0),
        ("-0", 0),
    ],
)
def test_money_cells_read_as_whole_rupiah(cell: str, value: int) -> None:
    [payout] = read_payouts(released(cell), "shopee")

    assert payout.lines[0].amount == Decimal(value)
    assert payout.lines[0].net == Decimal(value)


@pytest.mark.parametrize("cell", ["abc", "Rp 12.000", "12,34", "1,2345", "1 000", "12-3", "--5", "1e3"])
def test_a_money_cell_that_is_not_an_amount_is_refused_naming_line_and_column(cell: str) -> None:
    with pytest.raises(SettlementFileError, match=f"line 2, column 'Original Price': not an amount: '{cell.strip()}'"):
        read_payouts(released(cell), "shopee")


def test_a_fraction_of_a_rupiah_is_refused_rather_than_guessed() -> None:
    with pytest.raises(
        SettlementFileError, match="line 2, column 'Original Price': not a whole rupiah amount: '12.345'"
    ):
        read_payouts(released("12.345"), "shopee")


def test_money_values_are_decimals() -> None:
    [payout] = read_payouts(released("12,345"), "shopee")

    assert isinstance(payout.lines[0].amount, Decimal)
    assert isinstance(payout.amount, Decimal)


def test_the_header_is_the_first_non_blank_row_and_lines_count_from_the_top_of_the_file() -> None:
    text = f'\ufeff\n,,\n{SHOPEE}\n\nA1,2025-09-09,100,0,0,0,0,0,0,0,0,0,100\n"B\n2",2025-09-09,100,0,0,0,0,0,0,0,0,0,100\nC3,2025-09-09,oops,0,0,0,0,0,0,0,0,0,100\n'

    with pytest.raises(SettlementFileError, match="line 8, column 'Original Price'"):
        read_payouts(text, "shopee")


def test_a_multi_line_cell_does_not_shift_the_source_rows() -> None:
    text = f'{SHOPEE}\n"A\n1",2025-09-09,100,0,0,0,0,0,0,0,0,0,100\nB2,2025-09-09,100,0,0,0,0,0,0,0,0,0,100\n'

    [payout] = read_payouts(text, "shopee")

    assert [line.source_row for line in payout.lines] == [2, 4]


def test_column_names_match_ignoring_case_and_repeated_spaces() -> None:
    header = SHOPEE.upper().replace("ORDER ID", "  order   id ")
    text = f"{header}\nA1,2025-09-09,100,0,0,0,0,0,0,0,0,0,100\n"

    [payout] = read_payouts(text, "shopee")

    assert payout.lines[0].order_sn == "A1"


def test_short_rows_read_the_missing_cells_as_empty() -> None:
    text = f"{SHOPEE}\nA1,2025-09-09,100,0,0,0,0,0,0,0,0,0\n"

    [payout] = read_payouts(text, "shopee")

    assert payout.lines[0].net == Decimal(0)


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(SettlementFileError, match="the file is empty"):
        read_payouts("\n \n", "shopee")


@pytest.mark.parametrize("broken", ['"A1"x,2025-09-09', '"A1,2025-09-09'])
def test_a_file_that_is_not_csv_is_refused(broken: str) -> None:
    with pytest.raises(SettlementFileError, match="line 2: not readable as CSV"):
        read_payouts(f"{SHOPEE}\n{broken}\n", "shopee")


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(SettlementFileError, match="unknown settlement format 'bukalapak'"):
        read_payouts(SHOPEE, "bukalapak")


@pytest.mark.parametrize(("header", "fmt"), [(SHOPEE, "shopee"), (TIKTOK, "tiktok"), (LAZADA, "lazada")])
def test_the_format_is_detected_from_the_header(header: str, fmt: str) -> None:
    assert detect_format(f"\n{header.lower()}\n") == fmt
    assert fmt in FORMATS


def test_a_header_of_no_known_export_is_refused_naming_the_columns_looked_for_never_its_cells() -> None:
    with pytest.raises(SettlementFileError, match="line 1: not a known settlement export") as refused:
        detect_format("Budi Santoso,0812-3456-7890,budi@example.com\nSiti,0813,siti@example.com\n")
    message = str(refused.value)
    assert "has 3 columns" in message and SHOPEE_DATE in message and LAZADA_TYPE in message, message
    assert "Budi" not in message and "0812" not in message and "@" not in message, message


def test_a_header_matching_two_formats_is_refused() -> None:
    with pytest.raises(SettlementFileError, match="not a known settlement export"):
        detect_format(f"{SHOPEE},{TIKTOK}\n")


def test_an_empty_file_has_no_format() -> None:
    with pytest.raises(SettlementFileError, match="the file is empty"):
        detect_format("")


def test_reading_a_file_as_the_wrong_format_names_the_first_missing_column() -> None:
    with pytest.raises(SettlementFileError, match="missing column 'Type'"):
        read_payouts(f"{SHOPEE}\n", "tiktok")
