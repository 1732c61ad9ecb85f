"""The local runner's execution environments: as on Lambda, one invocation at a time per loaded handler module."""

from __future__ import annotations

import concurrent.futures
import sys

from omsync_workshop.lambdas import FunctionRunner, FunctionSpec

PROBE = "lambda_environment_probe"


def test_invocations_at_once_each_get_an_environment_of_their_own_and_free_ones_are_reused() -> None:
    spec = FunctionSpec("ProbeFunction", "probe", "arn:aws:lambda:::function:probe", PROBE, "handler", 3, 128, {})
    runner = FunctionRunner({"ProbeFunction": spec})

    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        modules = list(pool.map(lambda n: runner.invoke("ProbeFunction", {"id": str(n)}), range(30)))

    copies = [sys.modules[name] for name in set(modules)]
    assert all(not module.overlaps for module in copies)
    assert 1 < len(copies) == runner.environments("ProbeFunction") <= 6
    assert runner.invoke("ProbeFunction", {"id": "later"}) in modules  # a free environment, not a new one
    assert runner.environments("ProbeFunction") == len(copies)
