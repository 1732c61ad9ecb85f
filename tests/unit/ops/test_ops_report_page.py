"""Specification: the accountant's page and CSV (`omsync_ops.report`), from a comparison, with no stack.

What a store's name or a hold's text carries is shown as text, never as markup; the chart draws each side to
scale; the CSV has one row per store and day, difference and held order.
"""

from __future__ import annotations

import contextlib
import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from omsync.sync.deep_pass import Comparison, Drift, DriftKind, HeldOrder, StoreDay, nightly_due
from omsync_ops.cli import main
from omsync_ops.report import CSV_COLUMNS, ConnectionReport, bar_chart, csv_rows, render_html

DAY = date(2026, 3, 16)


def comparison() -> Comparison:
    result = Comparison(DAY, DAY)
    result.days[("SH-1", DAY)] = StoreDay("SH-1", DAY, 2, Decimal(111000), 1, Decimal(50000))
    result.drift.append(
        Drift(DriftKind.MISSING, "SH-1", DAY, "TP-1001", "SO-1", Decimal(61000), None, "not on hold", healable=True)
    )
    result.held.append(
        HeldOrder("SH-1", DAY, "SO-2", "TP-1002", None, "missing_sku", "<b>SKU-X</b> not in Accurate", "create it")
    )
    return result


def test_store_names_and_hold_texts_are_shown_as_text_never_as_markup() -> None:
    page = render_html(
        [ConnectionReport("c-1", comparison(), {"SH-1": "Toko <script>alert(1)</script>"})],
        DAY,
        DAY,
        datetime(2026, 3, 17, tzinfo=UTC),
    )

    assert "<script>" not in page and "Toko &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>SKU-X</b>" not in page and "&lt;b&gt;SKU-X&lt;/b&gt; not in Accurate" in page
    assert "Differences (1)" in page and "On hold (1)" in page and "`omsync reconcile` heals it" in page


def test_the_chart_draws_the_larger_side_full_height_and_the_other_to_scale() -> None:
    svg = bar_chart("Toko", [("16 Mar", Decimal(100000), Decimal(50000))])

    heights = [float(part.split('"')[0]) for part in svg.split('height="')[2:4]]
    assert heights == [152.0, 76.0]


def test_the_csv_has_a_row_per_store_day_difference_and_held_order() -> None:
    rows = csv_rows([ConnectionReport("c-1", comparison(), {"SH-1": "Toko Satu"})])
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=CSV_COLUMNS)
    writer.writerows(rows)

    assert [(r["section"], r["store"], r["difference"]) for r in rows] == [
        ("day", "Toko Satu", "-61000"),
        ("difference", "Toko Satu", "-61000"),
        ("on_hold", "Toko Satu", ""),
    ]
    assert rows[2]["cause"] == "missing_sku" and rows[2]["fix"] == "create it"


def test_the_nightly_pass_compares_the_day_before_once_after_one_in_the_morning_jakarta() -> None:
    two_am = datetime(2026, 3, 17, 19, 0, tzinfo=UTC)  # 02:00 on the 18th in Jakarta
    assert nightly_due(None, two_am) == date(2026, 3, 17)
    assert nightly_due(date(2026, 3, 17), two_am) is None
    assert nightly_due(date(2026, 3, 16), two_am) == date(2026, 3, 17)
    assert nightly_due(None, two_am - timedelta(hours=1, minutes=30)) is None  # 00:30 in Jakarta: not yet


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (("reconcile", "--date", "16-03-2026"), "error: --date '16-03-2026' is not a date: give YYYY-MM-DD\n"),
        (("reconcile", "--date", "2026-03-16", "--until", "2026-03-15"), "error: --until is before --date\n"),
        (("report", "--date", "2026-03-01", "--until", "2026-04-30", "--out", "r.html"), "at most 31 days"),
        (("report", "--date", "2026-03-16", "--out", "report.pdf"), "must name an .html file"),
        (("report", "--date", "2026-03-16", "--out", "/no/such/folder/r.html"), "does not exist"),
    ],
)
def test_bad_days_or_a_bad_page_name_are_one_line_before_anything_is_read(argv: tuple[str, ...], said: str) -> None:
    status, out, err = run(*argv)

    assert (status, out) == (2, "")
    assert said in err and err.count("\n") == 1, err
