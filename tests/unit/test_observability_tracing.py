"""Specification: a function traces where Powertools' Tracer would (template.yaml's ``Tracing: Active`` on Lambda),
and where tracing is off its handler is left as it is, so the X-Ray SDK is never imported; where it is on, the
Tracer is built by the first invocation, not when the handler's module is imported. Pure: the environment
only; no Tracer is built (building one patches botocore and requests in this process)."""

from __future__ import annotations

from typing import Any

import pytest

from omsync.observability import capture_lambda_handler, tracer, tracing_enabled


@pytest.fixture
def on_lambda(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Lambda's environment for a function with ``Tracing: Active``: a task root, no switch turning tracing off."""
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    for name in ("POWERTOOLS_TRACE_DISABLED", "AWS_SAM_LOCAL", "AWS_CHALICE_CLI_MODE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_tracing_is_on_in_lambda_unless_powertools_switch_turns_it_off(on_lambda: pytest.MonkeyPatch) -> None:
    assert tracing_enabled()
    on_lambda.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    assert not tracing_enabled()
    on_lambda.setenv("POWERTOOLS_TRACE_DISABLED", "false")
    assert tracing_enabled()


@pytest.mark.parametrize(
    ("variable", "value"),
    [("LAMBDA_TASK_ROOT", None), ("AWS_SAM_LOCAL", "true"), ("AWS_CHALICE_CLI_MODE", "true")],
)
def test_tracing_is_off_outside_lambda_and_under_sam_local_or_chalice(
    on_lambda: pytest.MonkeyPatch, variable: str, value: str | None
) -> None:
    if value is None:
        on_lambda.delenv(variable)
    else:
        on_lambda.setenv(variable, value)
    assert not tracing_enabled()


def test_a_handler_where_tracing_is_off_is_the_handler_itself(on_lambda: pytest.MonkeyPatch) -> None:
    on_lambda.setenv("POWERTOOLS_TRACE_DISABLED", "1")

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 200}

    assert capture_lambda_handler(handler) is handler


def test_where_tracing_is_on_the_tracer_waits_for_the_first_invocation(on_lambda: pytest.MonkeyPatch) -> None:
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 200}

    built = tracer.cache_info().misses
    wrapped = capture_lambda_handler(handler)

    assert wrapped is not handler and wrapped.__name__ == "handler"
    assert tracer.cache_info().misses == built  # no Tracer yet: the X-Ray SDK is neither imported nor patching
