"""Specification: `omsync settlement import` reads a settlement export as Windows Excel saves it, and refuses
a file of another marketplace than the store's.

The files are written here byte by byte as Excel writes them, not through omsync's own writer: every row
ends in CRLF; a cell is quoted only when it holds the separator, a quote or a line break; and

- "CSV (Comma delimited)" on Western or Indonesian Windows: the ANSI code page cp1252, no BOM;
- "CSV UTF-8 (Comma delimited)": UTF-8 after a BOM;
- "Unicode Text": UTF-16 little-endian after its BOM, tab-separated;
- "CSV" where the decimal separator is a comma (Indonesian or European regional settings): cp1252,
  semicolon-separated, numbers with a thousands dot and a decimal comma.

Each cell of the statement's Details column carries an en dash, which cp1252 writes as byte 0x96: not UTF-8.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

from flow_world import LAZADA, OpenWorld, documents, flow_scenario, mapping_yaml, omsync, play_late

from omsync.payouts.files import read_payouts
from omsync_workshop.scenarios import Scenario
from omsync_workshop.scenarios.statements import write_statement
from omsync_workshop.world import LocalWorld

_THOUSANDS = re.compile(r"-?\d{1,3}(?:,\d{3})+")
_DECIMAL = re.compile(r"-?\d+\.\d+")


def _excel_rows(rows: list[list[str]], separator: str) -> str:
    def cell(value: str) -> str:
        if any(ch in value for ch in (separator, '"', "\r", "\n")):
            return '"' + value.replace('"', '""') + '"'
        return value

    return "".join(separator.join(cell(value) for value in row) + "\r\n" for row in rows)


def _decimal_comma(value: str) -> str:
    """A number as Excel writes it where the decimal separator is a comma: 166.500, 55500,50."""
    if _THOUSANDS.fullmatch(value):
        return value.replace(",", ".")
    if _DECIMAL.fullmatch(value):
        return value.replace(".", ",")
    return value


def csv_cp1252(rows: list[list[str]]) -> bytes:
    return _excel_rows(rows, ",").encode("cp1252")


def csv_utf8_bom(rows: list[list[str]]) -> bytes:
    return codecs.BOM_UTF8 + _excel_rows(rows, ",").encode("utf-8")


def unicode_text(rows: list[list[str]]) -> bytes:
    return codecs.BOM_UTF16_LE + _excel_rows(rows, "\t").encode("utf-16-le")


def csv_semicolon_decimal_comma(rows: list[list[str]]) -> bytes:
    return _excel_rows([[_decimal_comma(value) for value in row] for row in rows], ";").encode("cp1252")


EXCEL_SAVES: dict[str, Callable[[list[list[str]]], bytes]] = {
    "csv-cp1252.csv": csv_cp1252,
    "csv-utf8-bom.csv": csv_utf8_bom,
    "unicode-text.txt": unicode_text,
    "csv-semicolon.csv": csv_semicolon_decimal_comma,
}


def with_dashed_details(text: str) -> list[list[str]]:
    """The statement's rows, each Details cell ending in an en dash and a size ("Kaos Polos – ukuran M")."""
    rows = list(csv.reader(io.StringIO(text)))
    details = rows[0].index("Details")
    return [rows[0], *([*row[:details], f"{row[details]} – ukuran M", *row[details + 1 :]] for row in rows[1:])]


def test_a_statement_saved_by_excel_reads_as_the_marketplace_wrote_it_and_another_marketplaces_is_refused(
    open_world: OpenWorld, tmp_path: Path
) -> None:
    # Given flows-small played through the stack, and the statement Lazada exports for its payouts
    scenario = flow_scenario("flows-small")
    world = open_world(scenario, mapping_yaml())
    play_late(world)
    rows = with_dashed_details(write_statement(scenario, "lazada", "lazada"))
    original = tmp_path / "lazada.csv"
    original.write_text(_excel_rows(rows, ","), encoding="utf-8", newline="")
    payouts = read_payouts(original.read_text(encoding="utf-8"), "lazada")
    assert payouts
    status, planned = omsync(
        "settlement", "import", str(original), "--store", LAZADA, "--connection", world.connection_id, "--dry-run"
    )
    assert status == 0, planned
    refuses_a_file_of_another_marketplace(world, scenario, tmp_path)

    for name, save in EXCEL_SAVES.items():
        # When the statement saved by Excel is imported (dry run)
        saved = tmp_path / name
        saved.write_bytes(save(rows))
        status, output = omsync(
            "settlement", "import", str(saved), "--store", LAZADA, "--connection", world.connection_id, "--dry-run"
        )

        # Then omsync plans exactly what it plans for the marketplace's own file
        assert status == 0, (name, output)
        assert output.replace(str(saved), str(original)) == planned, name

    assert b"\x96" in csv_cp1252(rows) and b"\xe2\x80\x93" in csv_utf8_bom(rows)  # the dash, as each encodes it

    # When the semicolon file is imported for real, its payouts are the marketplace's, to the rupiah
    status, output = omsync(
        "settlement", "import", str(tmp_path / "csv-semicolon.csv"), "--store", LAZADA,
        "--connection", world.connection_id,
    )  # fmt: skip
    assert status == 0, output
    receipts = {n: t for n, t in documents(world, "sales_receipt").items() if n.startswith("LZ-")}
    assert receipts == {f"LZ-{p.payout_id}": p.amount for p in payouts}

    # And the UTF-16 file, imported again, is recognised as the same payouts: nothing changes
    books = world.accurate.trial_balance()
    status, output = omsync(
        "settlement", "import", str(tmp_path / "unicode-text.txt"), "--store", LAZADA,
        "--connection", world.connection_id,
    )  # fmt: skip
    assert status == 0 and "already_posted" in output, output
    assert world.accurate.trial_balance() == books


def refuses_a_file_of_another_marketplace(world: LocalWorld, scenario: Scenario, tmp_path: Path) -> None:
    """A file of one marketplace imported for another one's store: one line naming both, exit 2, no change."""
    # Given Shopee's income report of the scenario's Shopee store
    shopee_report = tmp_path / "income.csv"
    shopee_report.write_bytes(csv_cp1252(list(csv.reader(io.StringIO(write_statement(scenario, "shopee", "shopee"))))))
    books = world.accurate.trial_balance()
    receipts = documents(world, "sales_receipt")

    for extra in ((), ("--format", "shopee"), ("--dry-run",)):
        # When it is imported for the Lazada store
        status, output = omsync(
            "settlement", "import", str(shopee_report), "--store", LAZADA, "--connection", world.connection_id, *extra
        )

        # Then one line names both marketplaces, the exit status is 2, and the books are as they were
        assert status == 2, output
        assert output.count("\n") == 1, output
        assert "is a shopee settlement export" in output and "LAZADA_ID, whose export is lazada" in output, output
    assert world.accurate.trial_balance() == books
    assert documents(world, "sales_receipt") == receipts
