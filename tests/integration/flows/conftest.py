"""Flow specifications run the whole local stack: moto, the API front, the SQS pollers running the
template's workers, a Ginee sandbox and an Accurate sandbox, all over HTTP on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from flow_world import OpenWorld

from omsync_workshop.scenarios import Scenario
from omsync_workshop.world import LocalWorld


@pytest.fixture
def open_world(moto_endpoint: str) -> Iterator[OpenWorld]:
    """Starts a `LocalWorld` on the session's moto server; it is stopped when the test ends."""
    with ExitStack() as worlds:

        def start(scenario: Scenario, mapping_yaml: str, **options: Any) -> LocalWorld:
            # Orders are invoked at once instead of gathered for 2 s: these specs follow single orders
            # step by step, and batching is not what they are about (the clean run keeps the default).
            options.setdefault("stack_parameters", {"OrdersBatchingWindowSeconds": "0"})
            return worlds.enter_context(LocalWorld(scenario, mapping_yaml, endpoint=moto_endpoint, **options))

        yield start
