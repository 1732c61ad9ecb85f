"""The template's functions, run in this process: handler import, environment, Lambda context.

A function `CodeUri: functions/receiver/` with `Handler: app.lambda_handler` is imported as
`functions.receiver.app` (its CodeUri as a dotted path below the template's folder), the way the
tests import it. Its environment is `Globals.Function.Environment` merged with its own, resolved
against the local resources. All functions share one process and so one `os.environ`: the stack
applies the union of their variables and refuses to start when two functions give one variable
different values (keep shared variables in Globals, and function-specific names unique).
"""

from __future__ import annotations

import importlib
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omsync_workshop.template import Resolver, TemplateError


@dataclass(frozen=True)
class FunctionSpec:
    """One `AWS::Serverless::Function` of the template, resolved for the local stack."""

    logical_id: str
    name: str
    arn: str
    module: str
    attribute: str
    timeout_seconds: int
    memory_mb: int
    environment: Mapping[str, str]
    events: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Event name → {"Type": …, "Properties": {…}} with intrinsics resolved."""


def function_specs(resolver: Resolver, template_dir: Path, code_root: Path) -> dict[str, FunctionSpec]:
    """Every active function in the template, by logical id."""
    template = resolver.template
    defaults: Mapping[str, Any] = (template.get("Globals") or {}).get("Function") or {}
    specs: dict[str, FunctionSpec] = {}
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function" or not resolver.is_active(resource):
            continue
        properties = resolver.resolve(resource.get("Properties") or {})
        merged = {**resolver.resolve(dict(defaults)), **properties}
        environment = {
            **((resolver.resolve(defaults.get("Environment") or {})).get("Variables") or {}),
            **((properties.get("Environment") or {}).get("Variables") or {}),
        }
        handler = str(merged["Handler"])
        module_name, _, attribute = handler.rpartition(".")
        code_dir = (template_dir / str(merged["CodeUri"])).resolve()
        try:
            package = code_dir.relative_to(code_root.resolve())
        except ValueError:
            raise TemplateError(f"{logical_id}: CodeUri {merged['CodeUri']} is outside {code_root}") from None
        local = resolver.resources[logical_id]
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            name=local.name,
            arn=local.arn,
            module=".".join([*package.parts, module_name]),
            attribute=attribute,
            timeout_seconds=int(merged.get("Timeout", 3)),
            memory_mb=int(merged.get("MemorySize", 128)),
            environment={key: str(value) for key, value in environment.items()},
            events=dict(properties.get("Events") or {}),
        )
    return specs


def merged_environment(specs: Mapping[str, FunctionSpec]) -> dict[str, str]:
    """The union of every function's variables; raises TemplateError when two functions disagree."""
    merged: dict[str, str] = {}
    owner: dict[str, str] = {}
    for spec in specs.values():
        for key, value in spec.environment.items():
            if key in merged and merged[key] != value:
                raise TemplateError(
                    f"{spec.logical_id} and {owner[key]} set {key} differently; functions share one process "
                    "locally, so give the variable one value (Globals) or distinct names"
                )
            merged[key] = value
            owner[key] = spec.logical_id
    return merged


@dataclass
class LambdaContext:
    """What Lambda passes as `context`, enough for Powertools (logger, idempotency, batch)."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before this invocation's timeout."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class InvocationStats:
    """How often a function ran and how often it raised."""

    invocations: int = 0
    errors: int = 0
    seconds: float = 0.0
    """Wall time spent inside the handler, summed over invocations (concurrent ones add up)."""


@dataclass(frozen=True)
class Identity:
    """The AWS credentials a function runs with (its execution role's, on AWS)."""

    access_key_id: str
    secret_access_key: str


current_identity: ContextVar[Identity | None] = ContextVar("current_identity", default=None)
"""The identity of the function running on this thread, if it has one of its own (see `FunctionRunner`)."""


class FunctionRunner:
    """Invokes the template's handlers in-process (imported on first use, like a cold start).

    With ``identities`` (logical id → `Identity`) each of those functions runs with `current_identity` set
    to its own for the invocation's thread; clients of an `omsync_workshop.moto_iam.identity_session`
    sign each request with it.
    """

    def __init__(self, specs: Mapping[str, FunctionSpec], identities: Mapping[str, Identity] | None = None) -> None:
        self.specs = dict(specs)
        self.identities = dict(identities or {})
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self._lock = threading.Lock()
        self.stats: dict[str, InvocationStats] = {lid: InvocationStats() for lid in self.specs}

    def handler(self, logical_id: str) -> Callable[[Any, Any], Any]:
        """The function's handler, importing its module on first use."""
        with self._lock:
            if logical_id not in self._handlers:
                spec = self.specs[logical_id]
                module = importlib.import_module(spec.module)
                self._handlers[logical_id] = getattr(module, spec.attribute)
            return self._handlers[logical_id]

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Run the function on `event` with a fresh context; exceptions propagate (an invocation error)."""
        token = current_identity.set(self.identities.get(logical_id))
        try:
            return self._invoke(logical_id, event)
        finally:
            current_identity.reset(token)

    def _invoke(self, logical_id: str, event: Any) -> Any:
        spec = self.specs[logical_id]
        handler = self.handler(logical_id)
        context = LambdaContext(spec.name, spec.memory_mb, spec.arn, spec.timeout_seconds)
        with self._lock:
            self.stats[logical_id].invocations += 1
        started = time.perf_counter()
        try:
            return handler(event, context)
        except Exception:
            with self._lock:
                self.stats[logical_id].errors += 1
            raise
        finally:
            with self._lock:
                self.stats[logical_id].seconds += time.perf_counter() - started
