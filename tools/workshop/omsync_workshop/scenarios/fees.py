"""Marketplace fee rules: what a store pays its marketplace for one order, in whole rupiah.

Pure functions, no I/O. The base of every percentage fee is the seller's net: the items' price after
seller-funded discounts and vouchers (platform-funded vouchers and coins do not lower it, the platform
pays them). Commission is by category; the service fee may be capped; the payment fee is a rate on what
the buyer's payment covers (seller net plus buyer-paid shipping) plus a flat part; the order-processing
fee is flat per order (Rp1,250 on Shopee and TikTok Shop/Tokopedia); affiliate commission applies to
orders that came through an affiliate; a seller-borne shipping difference is a fee too.
Each fee is rounded half up to a whole rupiah once per order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from omsync.money import ZERO, round_rupiah, to_decimal

# Fee kinds, and the Ginee paymentInfo field each one is reported in (see ARCHITECTURE §5).
FEE_FIELDS: Final[dict[str, str]] = {
    "commission": "commissionFee",
    "service": "serviceFee",
    "payment": "creditCardTransactionFee",
    "order_processing": "orderProcessingFee",
    "affiliate": "affiliateCommissionFee",
    "shipping_difference": "sellerShippingFee",
}
FEE_KINDS: Final = tuple(FEE_FIELDS)


@dataclass(frozen=True)
class FeeRules:
    """One store's fee schedule."""

    commission_default: Decimal = ZERO
    commission_by_category: Mapping[str, Decimal] = field(default_factory=dict)
    service_rate: Decimal = ZERO
    service_cap: Decimal | None = None
    payment_rate: Decimal = ZERO
    payment_flat: Decimal = ZERO
    order_processing: Decimal = ZERO
    affiliate_rate: Decimal = ZERO

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeeRules:
        """Read a scenario file's ``fees`` object (rates as strings, amounts in rupiah)."""
        commission = dict(data.get("commission", {}))
        default = to_decimal(commission.pop("default", "0"))
        cap = data.get("serviceFeeCap")
        return cls(
            commission_default=default,
            commission_by_category={k: to_decimal(v) for k, v in commission.items()},
            service_rate=to_decimal(data.get("serviceFeeRate", "0")),
            service_cap=to_decimal(cap) if cap is not None else None,
            payment_rate=to_decimal(data.get("paymentFeeRate", "0")),
            payment_flat=to_decimal(data.get("paymentFeeFlat", 0)),
            order_processing=to_decimal(data.get("orderProcessingFee", 0)),
            affiliate_rate=to_decimal(data.get("affiliateRate", "0")),
        )

    def commission_rate(self, category: str) -> Decimal:
        """The commission rate of a product category (the store's default when not listed)."""
        return self.commission_by_category.get(category, self.commission_default)


@dataclass(frozen=True)
class FeeBase:
    """What the fees of one order are computed on."""

    lines: Sequence[tuple[str, Decimal]]  # (category, line total after seller item discounts)
    voucher_seller: Decimal = ZERO
    buyer_shipping: Decimal = ZERO
    seller_shipping: Decimal = ZERO
    affiliate: bool = False

    @property
    def seller_net(self) -> Decimal:
        """Item value after every seller-funded discount and voucher."""
        return sum((amount for _, amount in self.lines), ZERO) - self.voucher_seller


def order_fees(rules: FeeRules, base: FeeBase) -> dict[str, Decimal]:
    """Each fee kind of `FEE_KINDS` for one order, whole rupiah (zero when the order has no items)."""
    gross = sum((amount for _, amount in base.lines), ZERO)
    if gross <= 0:
        return dict.fromkeys(FEE_KINDS, ZERO)
    net = base.seller_net
    # The seller voucher lowers each line's commission base in proportion to the line's value.
    weighted = sum((amount * rules.commission_rate(category) for category, amount in base.lines), ZERO)
    commission = round_rupiah(weighted * net / gross)
    service = round_rupiah(net * rules.service_rate)
    if rules.service_cap is not None:
        service = min(service, rules.service_cap)
    payment = round_rupiah((net + base.buyer_shipping) * rules.payment_rate) + rules.payment_flat
    affiliate = round_rupiah(net * rules.affiliate_rate) if base.affiliate else ZERO
    return {
        "commission": commission,
        "service": service,
        "payment": payment,
        "order_processing": rules.order_processing,
        "affiliate": affiliate,
        "shipping_difference": round_rupiah(base.seller_shipping),
    }
