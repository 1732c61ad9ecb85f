"""Everything a worker needs to act for one connection: its mapping, its two clients and its Ledger.

Workers build one context per connection and keep it for the life of the execution environment (a warm
Lambda reuses it), so secrets, the mapping and the catalogue of master-product prices are read once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from decimal import Decimal

from omsync.accurate.client import AccurateClient
from omsync.config.mapping import ConnectionMapping
from omsync.ginee.client import GineeClient
from omsync.ginee.models import MasterProduct
from omsync.ledger.orders import OrderLedger


@dataclass
class ConnectionContext:
    """One connection's mapping (at a version), clients and Ledger."""

    connection_id: str
    mapping: ConnectionMapping
    mapping_version: int
    ginee: GineeClient
    accurate: AccurateClient
    ledger: OrderLedger
    _catalogue: dict[str, MasterProduct] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def catalogue(self) -> dict[str, MasterProduct]:
        """Ginee's master products by master SKU (each variation's SKU), read once per context."""
        with self._lock:
            if self._catalogue is None:
                catalogue: dict[str, MasterProduct] = {}
                for product in self.ginee.list_master_products():
                    for variation in product.variations or product.variation_briefs:
                        catalogue[variation.sku] = product
                self._catalogue = catalogue
            return self._catalogue

    def component_prices(self) -> dict[str, Decimal]:
        """Master SKU → selling price, the weights that split a bundle's price over its components."""
        prices: dict[str, Decimal] = {}
        for product in self.catalogue().values():
            for variation in product.variations or product.variation_briefs:
                if variation.selling_price is not None:
                    prices[variation.sku] = variation.selling_price
        return prices

    def forget_catalogue(self) -> None:
        """Read the catalogue again next time (after products changed)."""
        with self._lock:
            self._catalogue = None
