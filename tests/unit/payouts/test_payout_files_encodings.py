"""Specification: the bytes of an export as Windows Excel or the marketplace saved them, and the separator
and number style that go with them (`decode_export`, `read_payouts`).

Each file is written here as bytes, as the program writes it (BOMs, CRLF, the code page), never through
omsync's writer. The shared example is Shopee's income report of events/settlements/.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from omsync.payouts.files import decode_export, detect_format, format_for_channel, read_payouts
from omsync.payouts.model import SettlementFileError

SAMPLE = Path(__file__).resolve().parents[3] / "events" / "settlements" / "shopee-income.csv"
HEADER = "Order ID;Payout Completed Date;Original Price;Seller Discount;Seller Voucher;Commission Fee;Service Fee;"
HEADER += (
    "Transaction Fee;Order Processing Fee;AMS Commission Fee;Seller Shipping Fee;Withholding Tax;Total Released Amount"
)


def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("UTF-8 without BOM", lambda text: text.encode("utf-8")),
        ("CSV UTF-8 (BOM)", lambda text: codecs.BOM_UTF8 + text.encode("utf-8")),
        ("CSV (cp1252)", lambda text: text.encode("cp1252")),
        ("UTF-16 LE with BOM", lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le")),
        ("UTF-16 BE with BOM", lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be")),
    ],
)
def test_every_encoding_excel_saves_in_reads_the_same_payouts(name: str, data: Callable[[str], bytes]) -> None:
    text = sample_text().replace("\n", "\r\n")
    expected = read_payouts(sample_text(), "shopee")

    decoded = decode_export(data(text))

    assert read_payouts(decoded, detect_format(decoded)) == expected, name


def test_cp1252_bytes_that_are_not_utf8_are_read_as_the_windows_code_page() -> None:
    data = "Details\r\nKaos – ukuran M\r\n".encode("cp1252")
    assert b"\x96" in data  # the en dash: not UTF-8

    assert decode_export(data) == "Details\r\nKaos – ukuran M\r\n"


def test_bytes_that_are_no_text_in_any_of_those_encodings_are_refused_with_the_fix() -> None:
    with pytest.raises(SettlementFileError, match="save it from Excel as CSV UTF-8"):
        decode_export(b"Order ID\r\n\x81\x8d\x8f\x90\x9d\r\n")  # the five bytes cp1252 leaves undefined


def test_unicode_text_is_tab_separated_with_its_thousands_commas_left_unquoted() -> None:
    rows = list(csv.reader(io.StringIO(sample_text())))
    text = "".join("\t".join(row) + "\r\n" for row in rows)  # Excel quotes a cell only for a tab or a quote
    assert "\t166,500\t" in text

    decoded = decode_export(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))

    assert read_payouts(decoded, detect_format(decoded)) == read_payouts(sample_text(), "shopee")


def test_a_semicolon_file_reads_its_numbers_with_a_thousands_dot_and_a_decimal_comma() -> None:
    row = "A1;2025-09-09;166.500;0;0;12.071;6.660,00;0;1.250;0;0;0;146.519\r\n"
    data = (HEADER + "\r\n" + row).encode("cp1252")

    [payout] = read_payouts(decode_export(data), "shopee")

    [line] = payout.lines
    assert (line.amount, line.net) == (Decimal(166500), Decimal(146519))
    assert line.fees == {"commission": Decimal(12071), "service": Decimal(6660), "order_processing": Decimal(1250)}


def test_a_semicolon_file_with_a_fraction_of_a_rupiah_is_refused_naming_the_cell() -> None:
    row = "A1;2025-09-09;166.500;0;0;12.071;6.660,50;0;1.250;0;0;0;146.519\r\n"

    with pytest.raises(SettlementFileError, match="line 2, column 'Service Fee': not a whole rupiah amount"):
        read_payouts(decode_export((HEADER + "\r\n" + row).encode("cp1252")), "shopee")


def test_a_comma_inside_a_quoted_header_cell_does_not_decide_the_separator() -> None:
    text = '"Order ID, as Shopee names it";Payout Completed Date;x\r\n'

    with pytest.raises(SettlementFileError, match="the row read as its header has 3 columns"):
        detect_format(text)


@pytest.mark.parametrize(
    ("channel", "fmt"),
    [("SHOPEE_ID", "shopee"), ("TOKOPEDIA_ID", "tiktok"), ("TIKTOK_ID", "tiktok"), ("LAZADA_ID", "lazada")],
)
def test_each_channel_has_its_export_format(channel: str, fmt: str) -> None:
    assert format_for_channel(channel) == fmt


def test_a_channel_without_a_known_export_is_named() -> None:
    with pytest.raises(SettlementFileError, match="no settlement file format is known for channel BLIBLI_ID"):
        format_for_channel("BLIBLI_ID")


def test_a_date_excel_rewrote_in_its_own_style_is_refused_with_the_fix() -> None:
    row = "A1;9/8/2025;166.500;0;0;12.071;6.660;0;1.250;0;0;0;146.519\r\n"

    with pytest.raises(
        SettlementFileError, match="line 2, column 'Payout Completed Date'.*format the column as yyyy-mm-dd"
    ):
        read_payouts(decode_export((HEADER + "\r\n" + row).encode("cp1252")), "shopee")
