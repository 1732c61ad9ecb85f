"""Test-wide set-up: fake AWS credentials before anything imports boto3, and one moto server per session.

The `aws` and `local_stack` fixtures reset that server and build the resources from template.yaml.

Integration tests talk to moto's real HTTP server on 127.0.0.1 (never to patched functions); the
server starts once per session because stopping it costs about half a second.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from omsync_workshop.aws import LocalResources
    from omsync_workshop.stack import LocalStack


def pytest_configure(config: pytest.Config) -> None:
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_SESSION_TOKEN="testing",
        AWS_DEFAULT_REGION="ap-southeast-1",
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_SERVICE_NAME="omsync-test",
        POWERTOOLS_METRICS_NAMESPACE="omsync-test",
        POWERTOOLS_DEV="false",
    )
    # A stack named in the developer's shell (for the operator CLI) must not reach the tests' commands.
    for name in ("OMSYNC_STACK", "OMSYNC_ENV"):
        os.environ.pop(name, None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files holding a test marked ``slow`` run first (stable otherwise): pytest-xdist hands out whole files in
    collection order (``--dist loadfile``), and the longest ones (the seeded chaos run, issue 16's paths, about
    a minute or more each) dealt last would leave one worker finishing alone while the others idle."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: item.path not in slow_files)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server on a free loopback port; AWS_ENDPOINT_URL points every boto3 client at it.

    Patched as the demo's is (`omsync_workshop.moto_patches`): the fidelity patches (each SQS queue operation
    and each DynamoDB request atomic, as in AWS, and fair queues) and the speed-only ones, unless
    ``OMSYNC_MOTO_PATCHES`` says otherwise. The speed-only patches cut the CPU of the flow specifications by about
    a sixth (93 -> 77 s for two spec files), and `make test`, three workers on two cores, is bound by CPU; the
    differential tests hold them to moto as released on servers of their own.
    """
    from moto.server import ThreadedMotoServer

    from omsync_workshop import moto_patches

    moto_patches.install(moto_patches.level_from_environment(moto_patches.PatchLevel.SPEED))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    previous = os.environ.get("AWS_ENDPOINT_URL")
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    try:
        yield endpoint
    finally:
        server.stop()
        if previous is None:
            os.environ.pop("AWS_ENDPOINT_URL", None)
        else:
            os.environ["AWS_ENDPOINT_URL"] = previous


@pytest.fixture(scope="session")
def moto_as_released() -> Iterator[str]:
    """The endpoint of a moto server with no patch at all, in a process of its own: the differential
    tests' reference."""
    from omsync_workshop.moto_patches import PatchLevel
    from omsync_workshop.moto_process import MotoProcess

    with MotoProcess(PatchLevel.NONE) as moto:
        yield moto.endpoint


@pytest.fixture(scope="session")
def moto_with_speed_patches() -> Iterator[str]:
    """The endpoint of a moto server patched as `omsync bench` and `make demo` patch it (fidelity and
    speed-only), in a process of its own: only the tests of the speed-only patches use it."""
    from omsync_workshop.moto_patches import PatchLevel
    from omsync_workshop.moto_process import MotoProcess

    with MotoProcess(PatchLevel.SPEED) as moto:
        yield moto.endpoint


REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = REPO_ROOT / "template.yaml"


@pytest.fixture
def aws(moto_endpoint: str) -> Iterator[LocalResources]:
    """A freshly reset moto holding every resource of template.yaml, with the functions' environment applied.

    For tests of code that uses the tables and queues directly (no API front, no SQS pollers).
    """
    from omsync_workshop.stack import LocalStack

    with LocalStack(TEMPLATE, endpoint=moto_endpoint, serve_api=False, run_event_sources=False) as stack:
        yield stack.resources


@pytest.fixture
def local_stack(moto_endpoint: str) -> Iterator[LocalStack]:
    """The whole embedded stack on a freshly reset moto: resources, the API front and the SQS pollers.

    Cached boto3 handles, settings and Powertools caches are dropped on start and stop.
    """
    from omsync_workshop.stack import LocalStack

    with LocalStack(TEMPLATE, endpoint=moto_endpoint) as stack:
        yield stack
