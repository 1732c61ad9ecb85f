"""Smoke tests against a deployed stack, named as the operator CLI names one (`omsync_ops.stacks`).

    make e2e ENV=dev            # samconfig.toml's stack for config-env dev, in its region
    make e2e STACK=omsync-dev   # a CloudFormation stack by name
    OMSYNC_STACK=… / OMSYNC_ENV=… pytest --confcutdir=tests/e2e tests/e2e

`make e2e` runs them with `--confcutdir=tests/e2e`, so tests/conftest.py's fake AWS credentials and
moto server stay out: these tests use the operator's own credentials. With no stack named every test
is skipped with that reason; `make test` does not collect this folder at all.

The tests create one probe connection (`e2e-<random>`, no secrets) in the stack's Ledger and delete it
afterwards, and send only webhooks the receiver refuses or does not route, so no worker runs.
"""

from __future__ import annotations

import argparse

import pytest

from omsync_ops.stacks import DeployedStack, StackError, choose_stack, use_stack


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("e2e", "smoke tests against a deployed stack")
    group.addoption("--stack", default=None, help="CloudFormation stack name (default: $OMSYNC_STACK)")
    group.addoption("--env", default=None, help="samconfig.toml config-env (default: $OMSYNC_ENV)")
    group.addoption(
        "--latency-bound",
        type=float,
        default=2.0,
        help="seconds within which a warm receiver must answer each webhook (default 2.0)",
    )


@pytest.fixture(scope="session")
def deployed(pytestconfig: pytest.Config) -> DeployedStack:
    """The named stack, read through CloudFormation and Lambda; this process takes its functions' settings."""
    stack, env = pytestconfig.getoption("stack"), pytestconfig.getoption("env")
    if choose_stack(stack, env) is None:
        pytest.skip("no stack named: make e2e ENV=dev|staging|prod or STACK=NAME (or set OMSYNC_ENV / OMSYNC_STACK)")
    try:
        found = use_stack(argparse.Namespace(stack=stack, env=env))
    except StackError as error:
        pytest.fail(f"the stack cannot be read: {error}", pytrace=False)
    assert found is not None
    return found
