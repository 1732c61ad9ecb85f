"""A second seller on a `LocalWorld`'s stack: two tenants whose webhooks land on the same queues.

`second_tenant` gives the world's stack another connection, with a Ginee sandbox and an Accurate sandbox of
its own (its own books, opened as the first seller's were), so one SQS batch can hold orders of both. The
flow specifications of failure isolation and `omsync chaos` (two connections under faults) stand on it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal

from omsync_workshop.ginee.webhooks import DeliveryOptions
from omsync_workshop.scenarios import Scenario, ScenarioPlayer
from omsync_workshop.world import GINEE_ACCESS_KEY, GINEE_SECRET_KEY, LocalWorld


@contextmanager
def second_tenant(
    world: LocalWorld,
    mapping_text: str,
    name: str = "second-seller",
    *,
    scenario: Scenario | None = None,
    accurate_auth: Literal["api_token", "oauth"] = "api_token",
    accurate_faults: Mapping[str, Any] | None = None,
    delivery: DeliveryOptions | None = None,
) -> Iterator[LocalWorld]:
    """Another seller served by ``world``'s stack: ``scenario`` (default: ``world``'s own, the same shops and
    catalogue) in a Ginee sandbox of its own, its own Accurate sandbox (with ``accurate_faults``, credentials
    of kind ``accurate_auth``) with its books opened, its connection registered with its mapping, and its
    webhooks sent to its own URL (``delivery``: default ``world``'s). The `LocalWorld` yielded is never entered:
    its stack is ``world``'s; its sandboxes stop when the block ends.
    """
    tenant = LocalWorld(
        scenario or world.scenario,
        mapping_text,
        start_workers=False,
        accurate_faults=accurate_faults,
        accurate_auth=accurate_auth,
        delivery=delivery or world.delivery,
    )
    tenant.stack = world.stack
    tenant.accurate.start()
    tenant.ginee.start()
    try:
        tenant.connection = world.stack.register_connection(
            name,
            ginee_credentials={
                "base_url": tenant.ginee.base_url,
                "access_key": GINEE_ACCESS_KEY,
                "secret_key": GINEE_SECRET_KEY,
            },
            accurate_credentials=tenant.accurate_credentials(),
        )
        tenant.open_books()
        tenant.apply_mapping()
        tenant.sender = tenant.ginee.send_webhooks_to(tenant.connection.webhook_url, options=tenant.delivery)
        tenant.player = ScenarioPlayer(tenant.ginee.state, tenant.scenario)
        yield tenant
    finally:
        if tenant.sender is not None:
            tenant.sender.close(discard=True)
        tenant.ginee.stop()
        tenant.accurate.stop()
