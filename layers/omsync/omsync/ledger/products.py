"""Product bindings: which master SKUs (Accurate Item codes) a Ginee master product had when last synced.

One item per master product at pk=``CONN#{cid}#PRODUCT#{productId}``, sk=``ITEMS``, holding ``skus`` (a
list of strings). It is the binder the products flow needs for what Ginee no longer tells: a deleted
product answers ``DATA_NOT_EXISTED`` with no variations, and a SKU removed from a product is simply
absent; the binding names the Items to suspend in both cases. A deleted product keeps its item with
``deleted`` set and no SKUs (workers may not delete Ledger items). A product some of whose SKUs cannot become
Items (``sku_too_long``) carries ``hold_cause``, ``hold_reason`` and ``hold_hint`` beside the SKUs that did.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from omsync.errors import OnHold
from omsync.ledger.tables import dynamodb, ledger_table

ITEMS_SK = "ITEMS"
BATCH_GET_LIMIT = 100


def product_key(connection_id: str, product_id: str) -> dict[str, str]:
    """The Ledger key of one master product's binding."""
    return {"pk": f"CONN#{connection_id}#PRODUCT#{product_id}", "sk": ITEMS_SK}


class ProductBindings:
    """The product → master SKU bindings of one connection."""

    def __init__(self, connection_id: str) -> None:
        self.connection_id = connection_id
        self.held: set[str] = set()
        """The products `load` found with a hold recorded."""

    def load(self, product_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Product id → the SKUs bound at the last sync, for the products that have a binding
        (BatchGetItem, 100 keys a request, consistent reads)."""
        wanted = list(dict.fromkeys(product_ids))
        table_name = ledger_table().name
        prefix = len(f"CONN#{self.connection_id}#PRODUCT#")
        found: dict[str, tuple[str, ...]] = {}
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            chunk = wanted[start : start + BATCH_GET_LIMIT]
            keys: list[Any] = [product_key(self.connection_id, pid) for pid in chunk]
            request: dict[str, Any] = {table_name: {"Keys": keys, "ConsistentRead": True}}
            while request:
                answer = dynamodb().batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(table_name, []):
                    skus = item.get("skus")
                    product_id = str(item["pk"])[prefix:]
                    found[product_id] = tuple(str(s) for s in skus) if isinstance(skus, list) else ()
                    if item.get("hold_cause"):
                        self.held.add(product_id)
                request = dict(answer.get("UnprocessedKeys") or {})
        return found

    def bind(self, product_id: str, skus: Sequence[str], *, deleted: bool = False, hold: OnHold | None = None) -> None:
        """Record the SKUs a product has now (none and ``deleted`` for a product Ginee deleted), and the
        ``hold`` of SKUs it has that cannot become Items (none: any earlier hold is cleared)."""
        item: dict[str, Any] = {**product_key(self.connection_id, product_id), "skus": list(skus), "deleted": deleted}
        if hold is not None:
            item.update(hold_cause=hold.cause, hold_reason=hold.reason, hold_hint=hold.hint)
        ledger_table().put_item(Item=item)

    def hold(self, product_id: str) -> OnHold | None:
        """The hold recorded for a product (cause, reason, hint), None when it has none."""
        item = ledger_table().get_item(Key=product_key(self.connection_id, product_id), ConsistentRead=True).get("Item")
        if not item or not item.get("hold_cause"):
            return None
        return OnHold(str(item["hold_cause"]), str(item.get("hold_reason", "")), str(item.get("hold_hint", "")))
