"""`omsync report --date D [--until D] [--store S] [--connection C] --out FILE.html`: a page an accountant prints.

Built on the deep pass's comparison (`omsync.sync.deep_pass.deep_pass`, run without healing: a report changes
nothing): per store and business day (Asia/Jakarta), Ginee's orders owing a Sales Invoice and their total beside
Accurate's invoices and their total (``totalAmount``, rupiah, PPN included), with a bar chart of both; then each
difference with the order and invoice number behind it; then the orders on hold with their cause, reason and fix.
The same rows go to a CSV beside the page (same stem, ``.csv``) for a spreadsheet.

Only ids, invoice numbers, dates, amounts, store names and omsync's own causes and hints appear: never buyer data.
The chart is inline SVG written here: a dozen rectangles need no charting library in the operator's install, and
the page then needs no script and no network to show or print.
"""

from __future__ import annotations

import argparse
import csv
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omsync_ops.errors import CommandError, reporting_errors
from omsync_ops.reconcile import add_range_options, connections_to_compare, day_range, store_name
from omsync_ops.stacks import use_stack

if TYPE_CHECKING:
    from omsync.sync.context import ConnectionContext
    from omsync.sync.deep_pass import Comparison

CSV_COLUMNS = (
    "section",
    "connection",
    "store",
    "day",
    "kind",
    "invoice_number",
    "ginee_order_id",
    "ginee_orders",
    "ginee_total",
    "accurate_invoices",
    "accurate_total",
    "difference",
    "cause",
    "note",
    "fix",
)
"""The CSV's columns; ``section`` is ``day`` (a store's day), ``difference`` or ``on_hold``. Amounts in rupiah."""

GINEE_COLOUR, ACCURATE_COLOUR = "#e4572e", "#2e86ab"


@dataclass(frozen=True)
class ConnectionReport:
    """One connection's comparison and its store names (Ginee shop id → name)."""

    connection_id: str
    comparison: Comparison
    stores: dict[str, str]


def _rupiah(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def csv_rows(reports: Iterable[ConnectionReport]) -> list[dict[str, str]]:
    """The report's rows as the CSV has them (`CSV_COLUMNS`)."""
    rows: list[dict[str, str]] = []
    for report in reports:
        result, name = report.comparison, report.stores
        for (shop, day), row in sorted(result.days.items(), key=lambda item: (item[0][1], item[0][0])):
            rows.append(
                {
                    "section": "day",
                    "connection": report.connection_id,
                    "store": name.get(shop, shop),
                    "day": day.isoformat(),
                    "ginee_orders": str(row.ginee_orders),
                    "ginee_total": str(row.ginee_total),
                    "accurate_invoices": str(row.accurate_invoices),
                    "accurate_total": str(row.accurate_total),
                    "difference": str(row.difference),
                }
            )
        for found in result.drift:
            rows.append(
                {
                    "section": "difference",
                    "connection": report.connection_id,
                    "store": name.get(found.shop_id, found.shop_id),
                    "day": found.day.isoformat(),
                    "kind": found.kind.value,
                    "invoice_number": found.invoice_number,
                    "ginee_order_id": found.order_id or "",
                    "ginee_total": "" if found.ginee_amount is None else str(found.ginee_amount),
                    "accurate_total": "" if found.accurate_amount is None else str(found.accurate_amount),
                    "difference": str(found.difference),
                    "note": found.note,
                }
            )
        for held in result.held:
            rows.append(
                {
                    "section": "on_hold",
                    "connection": report.connection_id,
                    "store": name.get(held.shop_id, held.shop_id),
                    "day": held.day.isoformat(),
                    "invoice_number": held.invoice_number,
                    "ginee_order_id": held.order_id,
                    "ginee_total": "" if held.ginee_amount is None else str(held.ginee_amount),
                    "cause": held.cause,
                    "note": held.reason,
                    "fix": held.hint,
                }
            )
    return [{column: row.get(column, "") for column in CSV_COLUMNS} for row in rows]


def bar_chart(title: str, bars: Sequence[tuple[str, Decimal, Decimal]]) -> str:
    """An inline SVG of one store's days: per day (label) a Ginee bar and an Accurate bar (rupiah), to scale."""
    width, height, top, bottom, left = 640, 220, 28, 40, 8
    slot = (width - left * 2) / max(len(bars), 1)
    bar = min(slot * 0.35, 48.0)
    peak = max((max(g, a) for _, g, a in bars), default=Decimal(0)) or Decimal(1)
    usable = height - top - bottom
    parts = [
        f'<svg class="chart" role="img" aria-label="{_e(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="{left}" y="16" font-size="13" font-weight="bold">{_e(title)}</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - left}" y2="{height - bottom}" stroke="#555"/>',
    ]
    for index, (label, ginee, accurate) in enumerate(bars):
        centre = left + slot * index + slot / 2
        for offset, value, colour, side in (
            (-bar, ginee, GINEE_COLOUR, "Ginee"),
            (0.0, accurate, ACCURATE_COLOUR, "Accurate"),
        ):
            tall = float(value / peak) * usable
            x, y = centre + offset, height - bottom - tall
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{tall:.1f}" fill="{colour}">'
                f"<title>{_e(label)} {side} {_rupiah(value)}</title></rect>"
            )
        parts.append(
            f'<text x="{centre:.1f}" y="{height - bottom + 16}" font-size="11" text-anchor="middle">{_e(label)}</text>'
        )
    legend_y = height - 8
    parts.append(f'<rect x="{left}" y="{legend_y - 9}" width="10" height="10" fill="{GINEE_COLOUR}"/>')
    parts.append(f'<text x="{left + 14}" y="{legend_y}" font-size="11">Ginee</text>')
    parts.append(f'<rect x="{left + 70}" y="{legend_y - 9}" width="10" height="10" fill="{ACCURATE_COLOUR}"/>')
    parts.append(f'<text x="{left + 84}" y="{legend_y}" font-size="11">Accurate</text>')
    parts.append("</svg>")
    return "".join(parts)


STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 17px; margin-top: 28px; } h3 { font-size: 15px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 12px; }
th, td { border: 1px solid #bbb; padding: 3px 8px; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.off td { background: #fdecea; }
.muted { color: #666; font-size: 12px; }
@media print { body { margin: 8mm; } h2 { page-break-before: auto; } .chart { page-break-inside: avoid; } }
"""


def _table(headers: Sequence[tuple[str, bool]], rows: Iterable[tuple[Sequence[str], bool]]) -> str:
    head = "".join(f"<th{' class=n' if numeric else ''}>{_e(text)}</th>" for text, numeric in headers)
    body = []
    for cells, off in rows:
        tds = "".join(
            f"<td{' class=n' if numeric else ''}>{_e(cell)}</td>"
            for cell, (_, numeric) in zip(cells, headers, strict=True)
        )
        body.append(f"<tr{' class=off' if off else ''}>{tds}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_html(reports: Sequence[ConnectionReport], since: date, until: date, made_at: datetime) -> str:
    """The whole page (see the module's doc)."""
    days = since.isoformat() if since == until else f"{since.isoformat()} to {until.isoformat()}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>omsync report {_e(days)}</title><style>{STYLE}</style></head><body>",
        f"<h1>Ginee beside Accurate: {_e(days)}</h1>",
        '<p class="muted">Sales Invoices (Faktur Penjualan) per store and business day (Asia/Jakarta); amounts in rupiah, '
        f"PPN included. Made {_e(made_at.astimezone(UTC).isoformat(timespec='seconds'))} by omsync.</p>",
    ]
    from omsync.sync.deep_pass import DRIFT_MEANING

    for report in reports:
        result, names = report.comparison, report.stores
        out.append(f"<h2>Connection {_e(report.connection_id)}</h2>")
        by_store: dict[str, list[Any]] = {}
        for (shop, _day), row in sorted(result.days.items(), key=lambda item: (item[0][0], item[0][1])):
            by_store.setdefault(shop, []).append(row)
        if not by_store:
            out.append('<p class="muted">No orders and no invoices on these days.</p>')
        for shop, rows in sorted(by_store.items(), key=lambda item: names.get(item[0], item[0])):
            name = names.get(shop, shop)
            out.append(f'<h3 class="store">{_e(name)}</h3>')
            chart_bars = [(row.day.strftime("%d %b"), row.ginee_total, row.accurate_total) for row in rows]
            out.append(bar_chart(f"{name}: Ginee and Accurate per day", chart_bars))
            out.append(
                _table(
                    [
                        ("Day", False),
                        ("Ginee orders", True),
                        ("Ginee total", True),
                        ("Accurate invoices", True),
                        ("Accurate total", True),
                        ("Difference", True),
                    ],
                    (
                        (
                            [
                                row.day.isoformat(),
                                str(row.ginee_orders),
                                _rupiah(row.ginee_total),
                                str(row.accurate_invoices),
                                _rupiah(row.accurate_total),
                                _rupiah(row.difference),
                            ],
                            row.difference != 0,
                        )
                        for row in rows
                    ),
                )
            )
        out.append(f"<h3>Differences ({len(result.drift)})</h3>")
        if result.drift:
            out.append(
                _table(
                    [
                        ("Day", False),
                        ("Store", False),
                        ("What", False),
                        ("Invoice", False),
                        ("Ginee order", False),
                        ("Ginee", True),
                        ("Accurate", True),
                        ("Difference", True),
                        ("Note", False),
                    ],
                    (
                        (
                            [
                                found.day.isoformat(),
                                names.get(found.shop_id, found.shop_id),
                                f"{found.kind.value}: {DRIFT_MEANING[found.kind]}",
                                found.invoice_number,
                                found.order_id or "",
                                _rupiah(found.ginee_amount),
                                _rupiah(found.accurate_amount),
                                _rupiah(found.difference),
                                found.note + ("; `omsync reconcile` heals it" if found.healable else ""),
                            ],
                            True,
                        )
                        for found in result.drift
                    ),
                )
            )
        else:
            out.append('<p class="muted">None: every invoice agrees with Ginee.</p>')
        out.append(f"<h3>On hold ({len(result.held)})</h3>")
        if result.held:
            out.append(
                _table(
                    [
                        ("Day", False),
                        ("Store", False),
                        ("Ginee order", False),
                        ("Invoice", False),
                        ("Ginee", True),
                        ("Cause", False),
                        ("Why", False),
                        ("Fix", False),
                    ],
                    (
                        (
                            [
                                held.day.isoformat(),
                                names.get(held.shop_id, held.shop_id),
                                held.order_id,
                                held.invoice_number,
                                _rupiah(held.ginee_amount),
                                held.cause,
                                held.reason,
                                held.hint,
                            ],
                            False,
                        )
                        for held in result.held
                    ),
                )
            )
        else:
            out.append('<p class="muted">None.</p>')
        if result.left_out:
            out.append(
                f'<p class="muted">{len(result.left_out)} order(s) Ginee listed but did not answer: not compared.</p>'
            )
    out.append("</body></html>")
    return "\n".join(out)


def report(args: argparse.Namespace) -> int:
    """Compare (never heal) and write the page and its CSV; see the module's doc."""
    since, until = day_range(args)
    out = Path(args.out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise CommandError(f"--out {args.out!r} must name an .html file (the CSV goes beside it)")
    if not out.parent.is_dir():
        raise CommandError(f"--out: folder {str(out.parent)!r} does not exist")
    use_stack(args)
    from omsync.sync.deep_pass import deep_pass

    contexts: list[ConnectionContext] = connections_to_compare(args.connection, args.store)
    made_at = datetime.now(UTC)
    reports = [
        ConnectionReport(
            ctx.connection_id,
            deep_pass(ctx, since, until, store=args.store, heal=False, now=made_at),
            {shop: store_name(ctx, shop) for shop in (ctx.mapping.stores if ctx.mapping is not None else {})},
        )
        for ctx in contexts
    ]
    out.write_text(render_html(reports, since, until, made_at), encoding="utf-8")
    table = out.with_suffix(".csv")
    with table.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(csv_rows(reports))
    differences = sum(len(r.comparison.drift) for r in reports)
    held = sum(len(r.comparison.held) for r in reports)
    print(f"{out} and {table}: {len(reports)} connection(s), {differences} difference(s), {held} order(s) on hold")
    return 0


def register(subparsers: Any) -> None:
    """Add `omsync report`."""
    parser = subparsers.add_parser(
        "report", help="an accountant's page: Ginee's totals beside Accurate's per store and day, with a CSV"
    )
    add_range_options(parser)
    parser.add_argument("--out", required=True, metavar="FILE.html", help="the page; the CSV goes beside it")
    parser.set_defaults(func=reporting_errors(report))
