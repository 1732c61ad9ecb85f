"""What the oracle specifications share: the seed company's defaults and DESIGN §1's worked example as facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from omsync.config.mapping import ConnectionMapping
from omsync_workshop.scenarios.facts import LineFacts, OrderFacts, ProductFacts, Scenario, StoreFacts
from omsync_workshop.scenarios.fees import FeeRules

T0 = datetime(2026, 3, 15, 3, 0, tzinfo=UTC)
KOMISI, PEMBAYARAN, PROSES_PESANAN, PEMBULATAN = "6101", "6103", "6104", "7101"


def seed(opening_units: int) -> dict[str, Any]:
    """The demo company's default accounts, with ``opening_units`` of SKU-B at 30,000 in Gudang Utama."""
    return {
        "defaults": {
            "receivableAccountNo": "1201",
            "salesAccountNo": "4101",
            "salesReturnAccountNo": "4102",
            "inventoryAccountNo": "1301",
            "cogsAccountNo": "5101",
            "outputTaxAccountNo": "2201",
            "openingEquityAccountNo": "3102",
            "roundingAccountNo": PEMBULATAN,
        },
        "items": [
            {
                "no": "SKU-B",
                "openingStock": [
                    {"warehouseName": "Gudang Utama", "quantity": str(opening_units), "unitCost": "30000"}
                ],
            }
        ],
    }


def worked_example(**changes: Any) -> OrderFacts:
    """DESIGN §1: 3 × B at 55,500, seller discount 5,550 (1,850 a unit), platform voucher 10,000; paid, with
    the fees the marketplace charges (commission 9,657, processing 1,250, payment 1,000)."""
    facts = OrderFacts(
        order_id="SO-1",
        external_order_sn="INV/1001",
        store_key="tokopedia",
        shop_id="SH-TOKO",
        channel="TOKOPEDIA_ID",
        warehouse_id="WW-1",
        outcome="completed",
        final_status="COMPLETED",
        created_at=T0,
        lines=(LineFacts("IT-1", "SKU-B", "fashion", 3, Decimal(55500), Decimal(1850)),),
        is_cod=False,
        payment_method="VA",
        affiliate=False,
        voucher_seller=Decimal(0),
        voucher_platform=Decimal(10000),
        coin=Decimal(0),
        shipping_fee=Decimal(9000),
        shipping_subsidy=Decimal(0),
        seller_shipping=Decimal(0),
        fees={"commission": Decimal(9657), "order_processing": Decimal(1250), "payment": Decimal(1000)},
        paid_at=T0,
    )
    return replace(facts, **changes)


def accounts(saldo: str, **extra: str) -> dict[str, str]:
    return {
        "marketplace_balance": saldo,
        "commission": KOMISI,
        "service": "6102",
        "payment": PEMBAYARAN,
        "order_processing": PROSES_PESANAN,
        "affiliate": "6105",
        "shipping_difference": "6106",
        "other": "6107",
        "rounding": PEMBULATAN,
        **extra,
    }


def scenario(*orders: OrderFacts) -> Scenario:
    return Scenario(
        name="handmade",
        seed=1,
        description="",
        start=T0,
        warehouses=(),
        stores=(
            StoreFacts("tokopedia", "SH-TOKO", "Toko", "TOKOPEDIA_ID", "ext", "WW-1", True, True, FeeRules()),
            StoreFacts("lazada", "SH-LZ", "Toko", "LAZADA_ID", "ext-lz", "WW-1", False, False, FeeRules()),
        ),
        products=(ProductFacts("MP-B", "SKU-B", "Celana", "fashion", Decimal(55500), Decimal(30000)),),
        orders=orders,
        inbounds=(),
        adjustments=(),
        product_changes=(),
        events=(),
    )


def tokopedia(**overrides: Any) -> ConnectionMapping:
    """A PKP Tokopedia store, PPN-inclusive prices, estimate settlement (the DESIGN §1 store)."""
    store: dict[str, Any] = {
        "name": "Toko Tokopedia",
        "channel": "TOKOPEDIA_ID",
        "customer_no": "C-TOKOPEDIA",
        "number_prefix": "TP-",
        "tax": {"pkp": True, "prices_include_ppn": True, "tax_name": "PPN"},
        "accounts": accounts("1104"),
        "warehouses": {"WW-1": "Gudang Utama"},
    }
    store.update(overrides)
    return ConnectionMapping.model_validate({"stores": {"SH-TOKO": store}})
