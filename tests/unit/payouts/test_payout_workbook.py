"""Specification: `omsync settlement import` reads an .xlsx export's first sheet (openpyxl) into the rows the
readers take; a file that is not a workbook is one clear line, exit 2, nothing read."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from omsync.payouts.files import detect_rows_format, read_payout_rows
from omsync.payouts.model import SettlementFileError
from omsync_ops.cli import main
from omsync_ops.settlements import XLSX_SIGNATURE, workbook_rows

HEADER = [
    "Order ID", "Type", "Statement ID", "Settlement Date", "Total Revenue", "Transaction fee",
    "TikTok Shop commission fee", "SFP service fee", "Order processing fee", "Affiliate commission",
    "Affiliate Shop Ads commission", "Seller shipping fee", "Withholding tax", "Total settlement amount",
]  # fmt: skip


def workbook_bytes(*rows: Sequence[object]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_workbooks_cells_become_text_the_readers_understand() -> None:
    data = workbook_bytes(
        HEADER,
        ["INV/20250901/MPL/1", "Order", "7549000000000000001", datetime(2025, 9, 12), 111000.0, -1000, -6660]
        + [0, -1250, 0, 0, 0, 0, 102090],
    )
    assert data.startswith(XLSX_SIGNATURE)

    rows = workbook_rows(data)

    assert rows[1][2:5] == ["7549000000000000001", "2025-09-12", "111000"]
    assert detect_rows_format(rows) == "tiktok"
    [payout] = read_payout_rows(rows, "tiktok")
    assert payout.payout_id == "7549000000000000001" and payout.amount == Decimal(102090)
    assert payout.lines[0].fees == {
        "payment": Decimal(1000),
        "commission": Decimal(6660),
        "order_processing": Decimal(1250),
    }


def test_bytes_that_look_like_a_zip_but_are_no_workbook_are_refused() -> None:
    with pytest.raises(SettlementFileError, match="not a readable .xlsx workbook"):
        workbook_rows(XLSX_SIGNATURE + b"garbage")


def test_the_command_says_so_in_one_line_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "income.xlsx"
    path.write_bytes(XLSX_SIGNATURE + b"garbage")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(["settlement", "import", str(path), "--store", "SH1", "--connection", "c1"])
    assert status == 2
    assert out.getvalue().strip().splitlines() == [f"error: {path}: not a readable .xlsx workbook (BadZipFile)"]
