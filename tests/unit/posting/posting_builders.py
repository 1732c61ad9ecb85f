"""Small builders for the posting specs: a store mapping and Ginee orders written the way the tests read."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from omsync.config.mapping import StoreMapping
from omsync.ginee.models import Order

ACCOUNTS = {
    "marketplace_balance": "1-1102",
    "commission": "6-2001",
    "service": "6-2002",
    "payment": "6-2003",
    "order_processing": "6-2004",
    "affiliate": "6-2005",
    "shipping_difference": "6-2006",
    "other": "6-2009",
    "rounding": "8-1001",
    "shipping_revenue": "4-2001",
    "shipping_expense": "6-2007",
}


def store(**overrides: Any) -> StoreMapping:
    """A Tokopedia PKP store with PPN-inclusive prices, unless overridden."""
    fields: dict[str, Any] = {
        "name": "Toko Tokopedia",
        "channel": "TOKOPEDIA_ID",
        "customer_no": "C-TOKOPEDIA",
        "number_prefix": "TP-",
        "tax": {"pkp": True, "prices_include_ppn": True, "tax_name": "PPN"},
        "accounts": ACCOUNTS,
        "warehouses": {"WW-JKT": "Gudang Jakarta"},
        "return_warehouse": "Gudang Retur",
    }
    fields.update(overrides)
    return StoreMapping.model_validate(fields)


def item(sku: str, quantity: int, price: str, actual: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "itemId": f"IT-{sku}",
        "masterSku": sku,
        "quantity": quantity,
        "originalPrice": price,
        "actualPrice": actual if actual is not None else price,
        "warehouseId": "WW-JKT",
        **extra,
    }


def order(*items: dict[str, Any], payment: dict[str, Any] | None = None, **fields: Any) -> Order:
    data: dict[str, Any] = {
        "orderId": "SO-1001",
        "externalOrderSn": "INV/20260315/1001",
        "shopId": "SH-TOKO",
        "channel": "TOKOPEDIA_ID",
        "orderStatus": "PAID",
        "createAt": "2026-03-15T16:50:00Z",
        "payAt": "2026-03-15T17:05:00Z",
        "items": list(items),
        "paymentInfo": payment or {},
    }
    data.update(fields)
    return Order.model_validate(data)


def worked_example_order() -> Order:
    """DESIGN §1: 3 × item B at 55,500, seller discount 5,550, platform voucher 10,000, buyer shipping 9,000."""
    return order(
        item("SKU-B", 3, "55500", "53650"),
        payment={
            "sellerRebate": "5550",
            "voucherPlatform": "10000",
            "finalShippingFee": "9000",
            "totalShippingFee": "9000",
            "commissionFee": "9657",
            "orderProcessingFee": "1250",
            "creditCardTransactionFee": "1000",
        },
    )


def rp(value: str | int) -> Decimal:
    return Decimal(value)
