"""Specification: `omsync mapping apply` refuses a company whose PPN set-up would compute another tax than the
store's (issue 17, build item 2; docs/POSTING.md §3a).

omsync sends no DPP choice, so Accurate taxes a store's invoices at its tax's rate on DPP 100% (Accurate's
default): a company that followed Accurate's 2025 guidance (PPN 12%) would book 12% of the price, about 8% more
PPN than the effective 11% the example mapping's stores hold. The refusal names the line, the tax and the
setting to change, and nothing is stored.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from omsync.ledger import credentials
from omsync.ledger.mappings import MappingRepository
from omsync_ops.cli import main
from omsync_workshop.accurate.server import AccurateSandbox, seed_company
from omsync_workshop.aws import LocalResources

EXAMPLE = Path(__file__).resolve().parents[3] / "events" / "mapping.example.yaml"


@pytest.fixture
def ledger(aws: LocalResources) -> Iterator[LocalResources]:
    credentials.reset()
    yield aws
    credentials.reset()


@pytest.fixture
def twelve_percent() -> Iterator[AccurateSandbox]:
    """The seed company with its tax PPN at 12% (Accurate's 2025 guidance), default DPP 100%."""
    company = seed_company()
    company["taxes"] = [{**tax, "rate": "12"} if tax["taxCode"] == "PPN" else tax for tax in company["taxes"]]
    server = AccurateSandbox(api_token="aat.sandbox.token", signature_secret="rahasia", company=company).start()
    yield server
    server.stop()


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(list(argv))
    return status, out.getvalue()


def test_apply_refuses_a_company_whose_ppn_is_12_percent_on_a_full_base_naming_the_setting(
    ledger: LocalResources, twelve_percent: AccurateSandbox
) -> None:
    status, output = run(
        "connection", "create", "Toko Rapi", "--id", "toko-rapi", "--ginee-url", "https://api.ginee.com",
        "--ginee-access-key", "a", "--ginee-secret-key", "k", "--accurate-api-token", "aat.sandbox.token",
        "--accurate-signature-secret", "rahasia", "--accurate-account-url", twelve_percent.base_url,
        "--webhook-base", "https://example.invalid",
    )  # fmt: skip
    assert status == 0, output
    text = EXAMPLE.read_text(encoding="utf-8")
    tax_line = text[: text.index("tax_name:")].count("\n") + 1

    status, output = run("mapping", "apply", str(EXAMPLE), "--connection", "toko-rapi")

    assert status == 2, output
    assert (
        f"line {tax_line}: stores.SH64AAV776CFF47E0001SHOPEE.tax.tax_name: Accurate's tax PPN is 12%, and omsync "
        "sends no DPP choice, so Accurate would compute PPN at 12% of the price on DPP 100%, not the store's "
        "effective 11%: in Accurate set the rate of tax PPN to 11% (Perusahaan → Pajak), or name a tax of that rate"
    ) in output
    assert MappingRepository().current("toko-rapi") is None
