"""The embedded stack as the operator CLI finds a deployed one: by name, through CloudFormation and Lambda."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from omsync.ledger import credentials
from omsync_workshop.stack import LocalStack

TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"


@pytest.fixture
def deployed_stack(moto_endpoint: str) -> Iterator[LocalStack]:
    """The whole local stack on a reset moto, registered there as CloudFormation stack `omsync-local`.

    DescribeStacks, ListStackResources and GetFunctionConfiguration answer for it as AWS would. The SQS
    pollers do not run: these commands need the receiver only, and a worker printing its metrics while a
    command's output is being read would mix into it.
    """
    with LocalStack(TEMPLATE, endpoint=moto_endpoint, describe_as_deployed=True, run_event_sources=False) as stack:
        credentials.reset()
        yield stack
    credentials.reset()
