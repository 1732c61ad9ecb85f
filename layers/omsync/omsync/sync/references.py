"""Check that every Accurate record a mapping names exists, before the mapping is stored.

One ``list.do`` per kind of record, never one call per reference: master tables that are small by nature
(accounts, branches, warehouses, taxes, units, item categories) are read whole; customers and vendors,
which can be many, are filtered on the numbers the mapping names (``filter.no`` with one ``val[n]`` each).

A PKP store's tax must also compute what omsync books: its invoices carry the DPP choice the store declares
(``tax.dpp_nilai_lain``: ``taxType: DPP_NILAILAIN``, docs/POSTING.md §3a), and Accurate takes the tax's ``rate``
of that base, which must be the store's ``tax.ppn_rate`` — a company left at PPN 11% would book 11% of 11/12.

A PKP store that books the buyer's shipping as revenue invoices it as a line of its ``shipping_item``
(docs/POSTING.md §4): that item must be a service (no stock moves) whose sales account is the store's
``accounts.shipping_revenue``, since Accurate books a line's revenue on its item's sales account.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from omsync.accurate.client import AccurateClient
from omsync.accurate.errors import AccurateError
from omsync.config.mapping import LoadedMapping, Reference, ReferenceKind

# How many values one filtered list call carries (keeps the query string short).
FILTER_CHUNK = 50


@dataclass(frozen=True)
class Lookup:
    """How one kind of record is found in Accurate: its module, the field holding the name the mapping uses."""

    module: str
    key_field: str
    label: str
    plural: str
    filtered: bool = False
    """True: filter on the wanted keys (``filter.no``); False: read the whole (small) table."""


LOOKUPS: dict[ReferenceKind, Lookup] = {
    ReferenceKind.ACCOUNT: Lookup("glaccount", "no", "GL account", "GL accounts"),
    ReferenceKind.BRANCH: Lookup("branch", "name", "branch", "branches"),
    ReferenceKind.WAREHOUSE: Lookup("warehouse", "name", "warehouse", "warehouses"),
    ReferenceKind.TAX: Lookup("tax", "taxCode", "tax", "taxes"),
    ReferenceKind.UNIT: Lookup("unit", "name", "unit", "units"),
    ReferenceKind.ITEM_CATEGORY: Lookup("item-category", "name", "item category", "item categories"),
    ReferenceKind.CUSTOMER: Lookup("customer", "customerNo", "customer", "customers", filtered=True),
    ReferenceKind.VENDOR: Lookup("vendor", "vendorNo", "vendor", "vendors", filtered=True),
    ReferenceKind.ITEM: Lookup("item", "no", "item", "items", filtered=True),
}

SERVICE_ITEM_TYPES = frozenset({"SERVICE", "NON_INVENTORY"})
"""Accurate item types that move no stock (reference/accurate-spec.md, enum itemType)."""


def check_references(loaded: LoadedMapping, client: AccurateClient) -> list[str]:
    """Every reference of the mapping that Accurate does not hold, as ``line N: path: <kind> X is not in Accurate``.

    A kind Accurate could not be asked about is one problem too: the mapping is not applied unchecked.
    """
    wanted: dict[ReferenceKind, list[Reference]] = defaultdict(list)
    for reference in loaded.references():
        wanted[reference.kind].append(reference)
    problems: list[str] = []
    for kind, references in wanted.items():
        lookup = LOOKUPS[kind]
        try:
            present = _existing(client, lookup, sorted({r.value for r in references}))
        except AccurateError as error:
            problems.append(f"could not read {lookup.plural} from Accurate ({lookup.module}/list.do): {error}")
            continue
        problems.extend(
            f"{r.where}: {lookup.label} {r.value} is not in Accurate" for r in references if r.value not in present
        )
    if wanted.get(ReferenceKind.TAX):
        problems.extend(_tax_rate_problems(loaded, client, wanted[ReferenceKind.TAX]))
    if wanted.get(ReferenceKind.ITEM):
        problems.extend(_shipping_item_problems(loaded, client, wanted[ReferenceKind.ITEM]))
    return problems


def _shipping_item_problems(loaded: LoadedMapping, client: AccurateClient, references: list[Reference]) -> list[str]:
    """Each store's ``shipping_item`` that is not a service, or whose sales account (``salesGlAccountNo``, where
    Accurate's ``item/list.do`` answer shows it) is not the store's ``accounts.shipping_revenue``."""
    wanted = sorted({reference.value for reference in references})
    condition: object = wanted if len(wanted) > 1 else wanted[0]
    try:
        rows = client.list(
            "item", filters={"no": ("EQUAL", condition)}, fields=("id", "no", "itemType", "salesGlAccountNo")
        )
    except AccurateError as error:
        return [f"could not read the shipping items from Accurate (item/list.do): {error}"]
    items = {str(row.get("no")): row for row in rows}
    problems = []
    for reference in references:
        row = items.get(reference.value)
        if row is None:
            continue  # reported as missing with the other references
        store = loaded.mapping.stores[str(reference.path[1])]
        item_type = str(row.get("itemType") or "")
        if item_type and item_type not in SERVICE_ITEM_TYPES:
            problems.append(
                f"{reference.where}: Accurate's item {reference.value} is {item_type}; the buyer's shipping is a "
                "service: in Accurate make it a service item (Barang & Jasa → Jasa), or name another"
            )
        account = row.get("salesGlAccountNo")
        if account not in (None, "") and str(account) != store.accounts.shipping_revenue:
            problems.append(
                f"{reference.where}: Accurate books item {reference.value}'s sales on account {account}, and the "
                f"store's accounts.shipping_revenue is {store.accounts.shipping_revenue}: in Accurate set the item's "
                "sales account (Akun Penjualan) to it, or correct accounts.shipping_revenue"
            )
    return problems


def _tax_rate_problems(loaded: LoadedMapping, client: AccurateClient, references: list[Reference]) -> list[str]:
    """Each PKP store whose Accurate tax has another rate than the store's ``tax.ppn_rate``.

    The rate is read from ``tax/list.do`` (``rate``, percent). The base is the store's own choice, sent on every
    invoice (``tax.dpp_nilai_lain``), so the rate is what decides. A store on DPP 100% sends no choice: Accurate
    then takes its "Default DPP 11/12" preference (Pengaturan → Preferensi → Pajak), which its API does not
    show; an invoice booked on the wrong base is held ``tax_mismatch`` when saved.
    """
    try:
        rows = client.list("tax", fields=("id", "taxCode", "rate"), page_size=100)
    except AccurateError as error:
        return [f"could not read the taxes' rates from Accurate (tax/list.do): {error}"]
    rates: dict[str, Decimal] = {}
    for row in rows:
        try:
            rates[str(row.get("taxCode"))] = Decimal(str(row.get("rate")))
        except InvalidOperation:
            continue
    problems = []
    for reference in references:
        rate = rates.get(reference.value)
        if rate is None or reference.path[0] != "stores":
            continue
        tax = loaded.mapping.stores[str(reference.path[1])].tax
        declared = tax.ppn_rate * 100
        if rate != declared:
            base = "DPP Nilai Lain 11/12" if tax.dpp_nilai_lain else "DPP 100%"
            problems.append(
                f"{reference.where}: Accurate's tax {reference.value} is {rate.normalize():f}%, and the store's "
                f"PPN is {declared.normalize():f}% on {base} (tax.ppn_rate {tax.ppn_rate.normalize():f}), so "
                f"Accurate would book PPN at {rate.normalize():f}% of that base: in Accurate set the rate of tax "
                f"{reference.value} to {declared.normalize():f}% (Perusahaan → Pajak), or set the store's "
                f"tax.ppn_rate to the rate Accurate has"
            )
    return problems


def _existing(client: AccurateClient, lookup: Lookup, values: list[str]) -> set[str]:
    fields = ("id", lookup.key_field)
    if not lookup.filtered:
        return {str(row.get(lookup.key_field)) for row in client.list(lookup.module, fields=fields, page_size=100)}
    found: set[str] = set()
    for start in range(0, len(values), FILTER_CHUNK):
        chunk = values[start : start + FILTER_CHUNK]
        # A list value makes the client send val[0], val[1]…; one value is sent as plain val.
        condition: object = chunk if len(chunk) > 1 else chunk[0]
        rows = client.list(lookup.module, filters={"no": ("EQUAL", condition)}, fields=fields)
        found.update(str(row.get(lookup.key_field)) for row in rows)
    return found
