"""Everything a worker needs to act for one connection: its mapping, its two clients and its Ledger.

Workers build one context per connection and keep it for the life of the execution environment (a warm
Lambda reuses it), so secrets, the mapping and the catalogue of master-product prices are read once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from aws_lambda_powertools.metrics import MetricUnit

from omsync.accurate.auth import fingerprint
from omsync.accurate.client import AccurateClient
from omsync.accurate.errors import AccurateError
from omsync.accurate.governor import dynamodb_governor
from omsync.config.mapping import ConnectionMapping, StoreMapping
from omsync.config.settings import settings
from omsync.errors import OnHold, PermanentError
from omsync.ginee.client import GineeClient
from omsync.ginee.models import MasterProduct
from omsync.ledger.connections import ConnectionRepository, ConnectionStatus
from omsync.ledger.credentials import AccurateApiToken, CredentialStore, SecretTokenKeeper, accurate_client
from omsync.ledger.mappings import MappingRepository
from omsync.ledger.orders import OrderLedger
from omsync.observability import logger, metrics

DEFAULT_TRIGGER = "PAID"
ACCURATE_AUTH_FAILED: Final = "AccurateAuthFailed"
"""The metric counted each time Accurate refuses a connection's credentials (the seller must authorise again)."""


@dataclass
class ConnectionContext:
    """One connection's mapping (at a version), clients and Ledger."""

    connection_id: str
    mapping: ConnectionMapping | None
    mapping_version: int
    ginee: GineeClient
    accurate: AccurateClient
    ledger: OrderLedger
    _catalogue: dict[str, MasterProduct] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def store(self, shop_id: str | None) -> StoreMapping:
        """The mapping of one store; raises `OnHold` when the connection or the store has none."""
        if self.mapping is None:
            raise OnHold(
                "unmapped_store",
                f"store {shop_id} has no mapping: this connection has no mapping applied yet",
                "Write the connection's mapping and run `omsync mapping apply FILE --connection ID`; "
                "held orders are posted automatically afterwards.",
            )
        return self.mapping.store(shop_id or "")

    def trigger_status(self, shop_id: str | None, *, is_cod: bool = False) -> str:
        """The status from which a store's orders are invoiced (PAID for a store not mapped yet); ``is_cod``: of a
        cash-on-delivery order (`StoreMapping.trigger_for`)."""
        if self.mapping is None or (shop_id or "") not in self.mapping.stores:
            return DEFAULT_TRIGGER
        return self.mapping.stores[shop_id or ""].trigger_for(is_cod)

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


_contexts: dict[str, ConnectionContext] = {}
_contexts_lock = threading.Lock()


def context_for(connection_id: str) -> ConnectionContext:
    """The context of a connection, built on first use and kept while its mapping version stands.

    Each call reads the connection record and the current mapping version number (two small reads), so
    a mapping applied a second ago is used by the next batch; the mapping itself is read only when its
    version changed.
    """
    connection = ConnectionRepository().get(connection_id)
    if connection is None:
        raise PermanentError(f"connection {connection_id} does not exist")
    if connection.status is not ConnectionStatus.ACTIVE:
        raise PermanentError(f"connection {connection_id} is {connection.status}")
    repository = MappingRepository()
    version = repository.current_version(connection_id)
    with _contexts_lock:
        cached = _contexts.get(connection_id)
        if cached is not None and cached.mapping_version == version:
            return cached
    stored = repository.get(connection_id, version) if version else None
    mapping = stored.mapping if stored is not None else None
    with _contexts_lock:
        cached = _contexts.get(connection_id)
        if cached is not None:
            fresh = ConnectionContext(connection_id, mapping, version, cached.ginee, cached.accurate, cached.ledger)
        else:
            fresh = _build(connection_id, connection.ginee_secret, connection.accurate_secret, mapping, version)
        _contexts[connection_id] = fresh
        return fresh


def _build(
    connection_id: str, ginee_secret: str, accurate_secret: str, mapping: ConnectionMapping | None, version: int
) -> ConnectionContext:
    store = CredentialStore()
    ginee_creds = store.ginee(ginee_secret)
    accurate_creds = store.accurate(accurate_secret)
    token = accurate_creds.api_token if isinstance(accurate_creds, AccurateApiToken) else accurate_creds.client_id
    governor = dynamodb_governor(settings().ledger_table, fingerprint(token))
    keeper = SecretTokenKeeper(connection_id, accurate_secret, store)
    accurate = accurate_client(accurate_creds, governor, keeper, on_refused=authorisation_refused(connection_id))
    ginee = GineeClient(
        ginee_creds.base_url, ginee_creds.access_key, ginee_creds.secret_key, country=ginee_creds.country
    )
    return ConnectionContext(connection_id, mapping, version, ginee, accurate, OrderLedger(connection_id))


def authorisation_refused(connection_id: str) -> Callable[[AccurateError], None]:
    """What a connection's Accurate client does when Accurate refuses its credentials (`AccurateClient`'s
    ``on_refused``): log the connection and the error's class (never its text) and count ``AccurateAuthFailed``,
    which the accurate-auth-failed alarm watches; and forget the connection's context, so that the next batch reads
    the credentials again from Secrets Manager (a token the seller replaced is used at once, not after the warm
    environment is recycled). The error itself goes on to the flow, which decides the order's fate (its message
    fails and, once the seller has authorised again, is retried or redriven)."""

    def report(refusal: AccurateError) -> None:
        logger.error(
            "Accurate refused the connection's credentials: the seller must authorise omsync again",
            extra={"connection_id": connection_id, "error": type(refusal).__name__},
        )
        metrics.add_metric(name=ACCURATE_AUTH_FAILED, unit=MetricUnit.Count, value=1)
        with _contexts_lock:
            _contexts.pop(connection_id, None)

    return report


def cached_contexts() -> list[ConnectionContext]:
    """The contexts this execution environment holds (the benchmark reads their call counters)."""
    with _contexts_lock:
        return list(_contexts.values())


def forget_contexts() -> None:
    """Drop every cached context (a new execution environment; tests and the local stack use this)."""
    with _contexts_lock:
        _contexts.clear()
