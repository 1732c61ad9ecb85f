"""Specification: a PKP store's invoices carry the DPP choice its mapping declares, and `omsync mapping apply` refuses
a company whose PPN tax would compute another tax on that base (issue 17, build item 2; docs/POSTING.md §3a).

Accurate's 2025 guidance (reference/accurate-api.md §16): the PPN tax at 12% (Perusahaan → Pajak), the base
chosen per transaction, **100% by default** unless the preference "Default DPP 11/12" is ticked. The example
mapping's stores declare PPN 12% on "DPP Nilai Lain" 11/12 (the defaults ``tax.ppn_rate: 0.12``,
``tax.dpp_nilai_lain: true``), so:
- a company that kept its PPN tax at 11% is refused, naming the line, the tax and the setting to change, and
  nothing is stored;
- a company at 12% that left the preference at 100% is accepted, because the store's invoices say 11/12
  themselves (``taxType: DPP_NILAILAIN``): 111,000 including PPN books PPN 11,000, not the 11,892 of DPP 100%.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from omsync.accurate.auth import ApiTokenAuth
from omsync.accurate.client import AccurateClient
from omsync.ginee.models import Order
from omsync.ledger import credentials
from omsync.ledger.mappings import MappingRepository
from omsync.posting.invoice import plan_sales_invoice
from omsync_ops.cli import main
from omsync_workshop.accurate.server import AccurateSandbox, seed_company
from omsync_workshop.aws import LocalResources

EXAMPLE = Path(__file__).resolve().parents[3] / "events" / "mapping.example.yaml"
SHOPEE = "SH64AAV776CFF47E0001SHOPEE"
TOKEN, SECRET = "aat.sandbox.token", "rahasia"


@pytest.fixture
def ledger(aws: LocalResources) -> Iterator[LocalResources]:
    credentials.reset()
    yield aws
    credentials.reset()


def sandbox(ppn_rate: str, *, default_dpp_1112: bool) -> AccurateSandbox:
    """The seed company with its tax PPN at ``ppn_rate`` percent and the preference "Default DPP 11/12"."""
    company = seed_company()
    company["taxes"] = [{**tax, "rate": ppn_rate} if tax["taxCode"] == "PPN" else tax for tax in company["taxes"]]
    company["preferences"] = {"defaultDpp1112": default_dpp_1112}
    return AccurateSandbox(api_token=TOKEN, signature_secret=SECRET, company=company).start()


@pytest.fixture
def eleven_percent() -> Iterator[AccurateSandbox]:
    server = sandbox("11", default_dpp_1112=False)
    yield server
    server.stop()


@pytest.fixture
def twelve_percent_on_full_dpp() -> Iterator[AccurateSandbox]:
    server = sandbox("12", default_dpp_1112=False)
    yield server
    server.stop()


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(list(argv))
    return status, out.getvalue()


def connect(accurate: AccurateSandbox) -> None:
    status, output = run(
        "connection", "create", "Toko Rapi", "--id", "toko-rapi", "--ginee-url", "https://api.ginee.com",
        "--ginee-access-key", "a", "--ginee-secret-key", "k", "--accurate-api-token", TOKEN,
        "--accurate-signature-secret", SECRET, "--accurate-account-url", accurate.base_url,
        "--webhook-base", "https://example.invalid", "--skip-check",
    )  # fmt: skip
    assert status == 0, output


def shopee_order(price: str) -> Order:
    """A paid Shopee order of one SKU-A at ``price`` (PPN included), out of the example mapping's warehouse."""
    item: dict[str, Any] = {
        "itemId": "IT-1",
        "masterSku": "SKU-A",
        "quantity": 1,
        "originalPrice": price,
        "actualPrice": price,
        "warehouseId": "WW64AAV776CFF47E0001DEMO01",
    }
    return Order.model_validate(
        {
            "orderId": "SO-DPP-1",
            "externalOrderSn": "251105DPP1",
            "shopId": SHOPEE,
            "channel": "SHOPEE_ID",
            "orderStatus": "PAID",
            "createAt": "2026-03-15T03:00:00Z",
            "payAt": "2026-03-15T03:05:00Z",
            "items": [item],
            "paymentInfo": {},
        }
    )


def test_apply_refuses_a_company_whose_ppn_tax_is_still_11_percent_naming_the_setting(
    ledger: LocalResources, eleven_percent: AccurateSandbox
) -> None:
    connect(eleven_percent)
    text = EXAMPLE.read_text(encoding="utf-8")
    tax_line = text[: text.index("tax_name:")].count("\n") + 1

    status, output = run("mapping", "apply", str(EXAMPLE), "--connection", "toko-rapi")

    assert status == 2, output
    assert (
        f"line {tax_line}: stores.{SHOPEE}.tax.tax_name: Accurate's tax PPN is 11%, and the store's PPN is 12% on "
        "DPP Nilai Lain 11/12 (tax.ppn_rate 0.12), so Accurate would book PPN at 11% of that base: in Accurate set "
        "the rate of tax PPN to 12% (Perusahaan → Pajak), or set the store's tax.ppn_rate to the rate Accurate has"
    ) in output
    assert MappingRepository().current("toko-rapi") is None


def test_a_company_whose_default_dpp_is_100_percent_gets_invoices_that_carry_eleven_twelfths(
    ledger: LocalResources, twelve_percent_on_full_dpp: AccurateSandbox
) -> None:
    connect(twelve_percent_on_full_dpp)

    status, output = run("mapping", "apply", str(EXAMPLE), "--connection", "toko-rapi")

    assert status == 0, output
    current = MappingRepository().current("toko-rapi")
    assert current is not None
    invoice = plan_sales_invoice(shopee_order("111000"), current[1].stores[SHOPEE])
    client = AccurateClient(ApiTokenAuth(TOKEN, SECRET), account_url=twelve_percent_on_full_dpp.base_url)
    saved = client.save(invoice).record

    assert saved["taxType"] == "DPP_NILAILAIN"
    assert saved["dppFraction"] == "11/12"
    # 111,000 / 1.11 = 100,000; DPP 11/12 = 91,666.666667; PPN 12% of it = 11,000 (on DPP 100%: 11,892)
    assert (Decimal(str(saved["taxBase"])), Decimal(str(saved["taxAmount"]))) == (
        Decimal("91666.666667"),
        Decimal(11000),
    )
    ppn_keluaran = sum((row["credit"] - row["debit"] for row in twelve_percent_on_full_dpp.journal(invoice.number)
                        if row["accountNo"] == "2201"), Decimal(0))  # fmt: skip
    assert ppn_keluaran == Decimal(11000)
