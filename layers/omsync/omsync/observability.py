"""The one Logger, Tracer and Metrics every function and module shares, and the scrub every log line passes.

Service name and metrics namespace come from the standard Powertools environment variables
(POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE) that the template sets per function.

No log line carries buyer data or a secret (DESIGN invariant 8). Code logs ids, counts and exception class
names, never an upstream text; the Logger's formatter is the boundary that also catches what slips through:
`ScrubbingFormatter` runs `scrub` over each structured record (extras, message, traceback) before it is
written. ``scrub`` erases by key (buyer fields of Ginee's orders, any address block, anything secret) at any
depth, and in free text erases pydantic's ``input_value=…``, e-mail addresses and Indonesian phone numbers.

Why not Powertools' DataMasking (`aws_lambda_powertools.utilities.data_masking`, whose ``erase`` needs no
encryption SDK): it needs ``jsonpath-ng``, which the layer does not ship (its ``datamasking`` extra also
brings the encryption SDK), and it erases fields at given paths only, while the leak that mattered was a
value inside a text (a ValidationError's message in a traceback). The formatter is Powertools' own
extension point (``Logger(logger_formatter=...)``, ``LambdaPowertoolsFormatter.serialize``). The same formatter
leaves out `LOG_GROUP_KEYS`, which Powertools' ``inject_lambda_context`` repeats on every line and the log group
already says (the function's name, ARN and memory size): about 200 of a webhook's 700 bytes of handler log, which
CloudWatch Logs bills per GB ingested (docs/ARCHITECTURE.md, "Cost per 1M orders"). The request id, the cold-start
flag and the correlation id stay: they tell one invocation from another.

Tracing: `capture_lambda_handler` wraps a handler in Powertools' Tracer only where tracing is on (Powertools'
own rule, `tracing_enabled`), and builds the Tracer on the first invocation. Outside Lambda the X-Ray SDK added
about 0.3 s of CPU to a worker's import, on Lambda with its patching about 0.2 s (docs/ARCHITECTURE.md, "The bench
table"); a Tracer where tracing is off traces nothing, so a function with tracing off never imports the SDK.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Final, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.types import LogRecord
from aws_lambda_powertools.shared import constants
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice

MASK: Final = "*****"

BUYER_KEYS: Final = frozenset(
    {
        "name",
        "customername",
        "buyername",
        "receivername",
        "recipientname",
        "fullname",
        "firstname",
        "lastname",
        "mobile",
        "mobilephone",
        "phone",
        "phonenumber",
        "telephone",
        "email",
        "emailaddress",
        "postalcode",
        "postcode",
        "zipcode",
        "zip",
        "street",
    }
)
"""Keys (lower case, without ``_``/``-``) whose value is the buyer's: Ginee's ``customerInfo`` fields and the
usual fields of an address."""

ERASED_KEY_PARTS: Final = ("address", "secret", "token", "password", "authorization", "signature", "credential")
"""A key containing one of these is erased whole, whatever it holds (an address block, a key, a token)."""

LOG_GROUP_KEYS: Final = frozenset({"function_name", "function_arn", "function_memory_size"})
"""Lambda-context keys left out of each line: the log group (``/aws/lambda/<function>``) names the function."""

_INPUT_VALUE = re.compile(r"input_value=.*?(?=, input_type=|\]|$)", re.MULTILINE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w+])(?:\+?62|0)[\s-]?8(?:[\s-]?\d){7,11}(?!\w)")


def _erased_key(key: object) -> bool:
    normalized = str(key).lower().replace("_", "").replace("-", "")
    return normalized in BUYER_KEYS or any(part in normalized for part in ERASED_KEY_PARTS)


def scrub_text(text: str) -> str:
    """``text`` with pydantic input values, e-mail addresses and Indonesian phone numbers replaced by `MASK`."""
    text = _INPUT_VALUE.sub(f"input_value={MASK}", text)
    text = _EMAIL.sub(MASK, text)
    return _PHONE.sub(MASK, text)


def scrub(value: Any) -> Any:
    """A copy of ``value`` fit for a log line: mappings with buyer and secret keys erased (at any depth),
    texts through `scrub_text`, pydantic models as their fields, sequences as lists, numbers, booleans and
    None as they are, anything else as its scrubbed text. Never raises for any input."""
    if isinstance(value, str):
        return scrub_text(value)
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    # pydantic is not imported for this check: a process that never imported it holds no model (the receiver's
    # and the workers' handlers log before their first model is built).
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(value, pydantic.BaseModel):
        return scrub(value.model_dump(mode="json"))
    if isinstance(value, Mapping):
        return {key: MASK if _erased_key(key) else scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(item) for item in value]
    return scrub_text(str(value))


class ScrubbingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON formatter writing each record through `scrub` (the log boundary of invariant 8), without
    `LOG_GROUP_KEYS`."""

    def serialize(self, log: LogRecord) -> str:
        """The record as JSON, scrubbed (message, extras, exception text and stack trace alike)."""
        clean: LogRecord = {key: value for key, value in scrub(log).items() if key not in LOG_GROUP_KEYS}
        return super().serialize(clean)


logger = Logger(logger_formatter=ScrubbingFormatter())
metrics = Metrics()

Handler = TypeVar("Handler", bound=Callable[..., Any])


def tracing_enabled() -> bool:
    """Whether this process traces: Powertools' Tracer's own rule (``Tracer._is_tracer_disabled``, 3.x), read from
    the environment: off when ``POWERTOOLS_TRACE_DISABLED`` is true, outside Lambda (no ``LAMBDA_TASK_ROOT``) and
    under SAM local or Chalice; else on (template.yaml's ``Tracing: Active``)."""
    if resolve_truthy_env_var_choice(env=os.getenv(constants.TRACER_DISABLED_ENV, "false")):
        return False
    outside_lambda = not os.getenv(constants.LAMBDA_TASK_ROOT_ENV)
    return not (outside_lambda or os.getenv(constants.SAM_LOCAL_ENV) or os.getenv(constants.CHALICE_LOCAL_ENV))


@functools.cache
def tracer() -> Tracer:
    """The process's one Powertools Tracer (built on first use: building it imports and patches the X-Ray SDK)."""
    return Tracer()


def capture_lambda_handler(handler: Handler) -> Handler:
    """``handler`` traced by `tracer`'s ``capture_lambda_handler`` (its response not captured: it may carry ids of
    orders) where `tracing_enabled`, else ``handler`` itself, unchanged.

    The Tracer is built by the first invocation, not at cold start: the X-Ray SDK's import and its patching of
    botocore and requests cost about 0.2 s of CPU on Lambda (issue 21). Patching then still comes before any boto3
    or requests client, which omsync creates on first use.
    """
    if not tracing_enabled():
        return handler

    @functools.wraps(handler)
    def traced(event: Any, context: Any) -> Any:
        return _traced(handler)(event, context)

    # functools.wraps keeps the handler's name and signature; the wrapper passes the call through.
    return cast(Handler, traced)


@functools.cache
def _traced(handler: Callable[..., Any]) -> Callable[..., Any]:
    traced: Callable[..., Any] = tracer().capture_lambda_handler(handler, capture_response=False)
    return traced
