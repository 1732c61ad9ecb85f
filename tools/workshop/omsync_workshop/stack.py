"""`LocalStack`: AWS without an account — moto, the API front, the SQS poller and the scheduler, from template.yaml.

    with LocalStack() as stack:
        demo = stack.register_connection("Toko Demo")
        requests.post(demo.webhook_url, json=envelope)
        stack.esm.drain_until_idle(timeout=30)
        stack.queue_depths()

Starting the stack points this process at moto (AWS_ENDPOINT_URL, fake credentials), creates every
resource of the template, applies the functions' environment and forgets cached boto3 handles;
stopping restores the environment. Tests pass `endpoint=` to reuse one moto server (it is reset).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from omsync_workshop import gc_tuning, moto_iam
from omsync_workshop.apigw import ApiFront, http_api_routes
from omsync_workshop.aws import (
    DEFAULT_REGION,
    DEFAULT_STACK_NAME,
    AwsTarget,
    LocalResources,
    create_resources,
    quiet_moto_logs,
    reset_moto,
)
from omsync_workshop.cloudformation import WEBHOOK_OUTPUT, register_stack
from omsync_workshop.esm import EsmEmulator, sqs_mappings
from omsync_workshop.lambdas import (
    FunctionRunner,
    FunctionSpec,
    Identity,
    current_identity,
    function_specs,
    merged_environment,
)
from omsync_workshop.moto_patches import PatchLevel
from omsync_workshop.moto_process import MotoProcess
from omsync_workshop.schedules import FiredSchedule, Scheduler, schedule_specs
from omsync_workshop.template import Resolver, TemplateError, load_template

WEBHOOK_ROUTE_MARKER = "/{connectionId}/{token}"


def project_root() -> Path:
    """The folder holding template.yaml: the current directory or one above it, else the source checkout."""
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "template.yaml").is_file() and (folder / "layers" / "omsync").is_dir():
            return folder
    return Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class RegisteredConnection:
    """A connection created in the local Ledger, with the token only its webhook URL carries."""

    connection_id: str
    token: str
    webhook_url: str


def forget_cached_clients() -> None:
    """Drop every cached boto3 handle and settings object, as a new Lambda execution environment would."""
    from aws_lambda_powertools.utilities import parameters

    from omsync import gauges, queues
    from omsync.config import settings
    from omsync.ledger import credentials, tables
    from omsync.sync import context

    settings.reset()
    tables.reset()
    queues.reset()
    gauges.reset()
    credentials.reset()
    context.forget_contexts()
    parameters.clear_caches()  # type: ignore[no-untyped-call]


RECEIVER_ONLY_GINEE = {"base_url": "http://127.0.0.1:9", "access_key": "none", "secret_key": "none"}
"""Credentials of a connection that only exercises the receiver: port 9 (discard) answers nothing, so a
worker that picks up its messages fails to reach Ginee and retries them until they reach the DLQ."""
RECEIVER_ONLY_ACCURATE = {"kind": "api_token", "api_token": "none", "signature_secret": "none"}


class LocalStack:
    """The embedded stack. Stable interface: `resources`, `webhook_base_url`, `esm`, `register_connection`,
    `fire_schedules`, `queue_depths`, `start`/`stop` (or use it as a context manager)."""

    def __init__(
        self,
        template_path: Path | None = None,
        *,
        endpoint: str | None = None,
        stack_name: str = DEFAULT_STACK_NAME,
        parameters: Mapping[str, str] | None = None,
        region: str = DEFAULT_REGION,
        api_port: int = 0,
        code_root: Path | None = None,
        serve_api: bool = True,
        run_event_sources: bool = True,
        schedule_interval_seconds: float | None = None,
        max_batching_window_seconds: float | None = None,
        environment_overrides: Mapping[str, str] | None = None,
        describe_as_deployed: bool = False,
        moto_patches: PatchLevel | None = None,
        enforce_iam: bool = False,
    ) -> None:
        self.template_path = template_path or project_root() / "template.yaml"
        self.code_root = code_root or self.template_path.parent
        self.stack_name = stack_name
        self.parameters = dict(parameters or {})
        self.region = region
        self.api_port = api_port
        self.serve_api = serve_api
        self.run_event_sources = run_event_sources
        self.schedule_interval_seconds = schedule_interval_seconds
        self.max_batching_window_seconds = max_batching_window_seconds
        self.environment_overrides = dict(environment_overrides or {})
        self.describe_as_deployed = describe_as_deployed
        """Register the stack in moto's CloudFormation and Lambda as a deployed one, so the operator CLI
        finds it by name (`omsync_workshop.cloudformation`); needs `serve_api`."""
        """Variables set after the functions' own (e.g. quieter logs for the demo)."""
        self._given_endpoint = endpoint
        self.moto_patches = moto_patches
        """Patches of the moto process this stack starts (`omsync_workshop.moto_patches`; None: its default).
        A given ``endpoint`` is served as its owner patched it."""
        self.enforce_iam = enforce_iam
        """Run every function under an IAM user holding only its template policy, with moto enforcing IAM
        (`omsync_workshop.moto_iam`); the stack's own machinery and the caller act as an operator user.
        Needs an ``endpoint`` served by a moto server in this process (moto's settings are per process)."""
        self._iam_enforcement: contextlib.ExitStack | None = None
        self._moto: MotoProcess | None = None
        self._saved_environment: dict[str, str | None] = {}
        self._started = False
        self._gc_thresholds: tuple[int, int, int] | None = None
        self.endpoint = ""
        self.resources = LocalResources({})
        self.functions: dict[str, FunctionSpec] = {}
        self.runner = FunctionRunner({})
        self.api: ApiFront | None = None
        self.esm = EsmEmulator([], self.runner, AwsTarget("http://127.0.0.1"))
        self.scheduler = Scheduler([], self.runner, region)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Self:
        """Start moto (or reset the given one), create the resources and run the functions' front ends."""
        quiet_moto_logs()
        if self._given_endpoint is None:
            # A process of its own, as AWS runs on other machines.
            self._moto = MotoProcess(self.moto_patches).start()
            self.endpoint = self._moto.endpoint
        else:
            self.endpoint = self._given_endpoint
        # moto keeps its state per process, shared by every server in it: start from nothing.
        reset_moto(self.endpoint)
        self._started = True
        try:
            self._start_on(AwsTarget(self.endpoint, self.region))
        except BaseException:
            self.stop()
            raise
        return self

    def _start_on(self, target: AwsTarget) -> None:
        self._set_environment(
            {
                "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_DEFAULT_REGION": self.region,
                "AWS_REGION": self.region,
                "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
                "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
                # No X-Ray daemon runs locally.
                "POWERTOOLS_TRACE_DISABLED": "true",
            }
        )
        self.resources = create_resources(
            self.template_path, target, stack_name=self.stack_name, parameters=self.parameters
        )
        template = load_template(self.template_path)
        resolver = Resolver(
            template,
            stack_name=self.stack_name,
            region=self.region,
            parameters=self.parameters,
            resources=self.resources,
        )
        self.functions = function_specs(resolver, self.template_path.parent, self.code_root)
        self._set_environment(merged_environment(self.functions))
        self._set_environment(self.environment_overrides)
        identities = self._least_privilege(template, resolver) if self.enforce_iam else {}
        forget_cached_clients()
        if str(self.code_root) not in sys.path:
            sys.path.insert(0, str(self.code_root))
        self.runner = FunctionRunner(self.functions, identities)
        if self.serve_api:
            self.api = ApiFront(http_api_routes(self.functions.values()), self.runner, port=self.api_port)
            self.api.start()
        if self.describe_as_deployed:
            register_stack(target, self.stack_name, self.functions, self._outputs(template, resolver))
        self.esm = EsmEmulator(
            sqs_mappings(self.functions.values(), self.resources),
            self.runner,
            AwsTarget(target.endpoint, target.region, signed=self.enforce_iam),
            max_batching_window_seconds=self.max_batching_window_seconds,
        )
        if self.run_event_sources:
            self.esm.start()
        self.scheduler = Scheduler(schedule_specs(self.functions.values()), self.runner, self.region)
        if self.schedule_interval_seconds is not None:
            self.scheduler.start(self.schedule_interval_seconds)

    def _least_privilege(self, template: Mapping[str, Any], resolver: Resolver) -> dict[str, Identity]:
        """Create an operator user and one user per function with its template policy; enforce IAM from now.

        A function's policy is the statements of its ``Policies`` property with intrinsics resolved: what
        SAM puts inline in the function's execution role (SAM adds only managed policies for logs and
        X-Ray, which omsync's code does not call).
        """
        if self._given_endpoint is None:
            raise ValueError("enforce_iam needs an endpoint served by a moto server in this process")
        moto_iam.install()
        iam = self.target.client("iam")
        operator_key = moto_iam.create_user(iam, "omsync-operator", {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"}
        ]})  # fmt: skip
        identities: dict[str, Identity] = {}
        for logical_id in self.functions:
            properties = template["Resources"][logical_id].get("Properties") or {}
            statements = [
                statement
                for policy in resolver.resolve(properties.get("Policies") or [])
                if isinstance(policy, Mapping)
                for statement in policy.get("Statement") or []
            ]
            policy = {"Version": "2012-10-17", "Statement": statements}
            user = moto_iam.create_user(iam, f"omsync-{logical_id}", policy)
            identities[logical_id] = Identity(user.access_key_id, user.secret_access_key)
        operator = Identity(operator_key.access_key_id, operator_key.secret_access_key)
        self._set_environment(
            {"AWS_ACCESS_KEY_ID": operator.access_key_id, "AWS_SECRET_ACCESS_KEY": operator.secret_access_key}
        )
        self._saved_environment.setdefault("AWS_SESSION_TOKEN", os.environ.pop("AWS_SESSION_TOKEN", None))
        self._iam_enforcement = contextlib.ExitStack()
        self._iam_enforcement.enter_context(moto_iam.identity_session(operator, current_identity.get))
        self._iam_enforcement.enter_context(moto_iam.enforced())
        return identities

    def freeze_heaps(self) -> None:
        """Quiet the garbage collector here and in moto's process for a timed run (`omsync_workshop.gc_tuning`).

        Garbage is collected first; `stop` restores this process's collector.
        """
        if self._gc_thresholds is None:
            self._gc_thresholds = gc_tuning.quiet()
        if self._moto is not None:
            self._moto.freeze_heap()

    def stop(self) -> None:
        """Stop everything started and restore the process environment."""
        if self._gc_thresholds is not None:
            gc_tuning.restore(self._gc_thresholds)
            self._gc_thresholds = None
        if not self._started:
            return
        self._started = False
        self.scheduler.stop()
        self.esm.stop()
        if self.api is not None:
            self.api.stop()
            self.api = None
        if self._iam_enforcement is not None:
            self._iam_enforcement.close()
            self._iam_enforcement = None
        for key, value in reversed(list(self._saved_environment.items())):
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_environment.clear()
        forget_cached_clients()
        if self._moto is not None:
            self._moto.stop()
            self._moto = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def _set_environment(self, values: Mapping[str, str]) -> None:
        for key, value in values.items():
            self._saved_environment.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    # ------------------------------------------------------------------ what tests and the demo use
    @property
    def target(self) -> AwsTarget:
        """moto's endpoint and region, to make boto3 clients."""
        return AwsTarget(self.endpoint, self.region)

    @property
    def api_base_url(self) -> str:
        """`http://127.0.0.1:<port>`: the local API front."""
        if self.api is None:
            raise RuntimeError("the local stack is not started")
        return self.api.base_url

    @property
    def webhook_base_url(self) -> str:
        """The URL Ginee posts to, without `/{connectionId}/{token}`."""
        if self.api is None:
            raise RuntimeError("the local stack is not started")
        for route in self.api.routes:
            if route.path.endswith(WEBHOOK_ROUTE_MARKER):
                return self.api.base_url + route.path.removesuffix(WEBHOOK_ROUTE_MARKER)
        raise TemplateError(f"no HttpApi route ends in {WEBHOOK_ROUTE_MARKER}")

    def register_connection(
        self,
        name: str,
        *,
        connection_id: str | None = None,
        token: str | None = None,
        ginee_credentials: Mapping[str, Any] | None = None,
        accurate_credentials: Mapping[str, Any] | None = None,
    ) -> RegisteredConnection:
        """Create a connection in the Ledger (and its two secrets in Secrets Manager); return its webhook URL."""
        from omsync.ledger.connections import Connection, ConnectionRepository, hash_token
        from omsync.ledger.credentials import (
            AccurateApiToken,
            AccurateOAuth,
            CredentialStore,
            GineeCredentials,
        )

        connection_id = connection_id or "conn-" + secrets.token_hex(6)
        token = token or secrets.token_urlsafe(32)
        store = CredentialStore()
        ginee = GineeCredentials.model_validate(
            dict(ginee_credentials or {"base_url": "http://127.0.0.1:9", "access_key": "-", "secret_key": "-"})
        )
        accurate_data = dict(accurate_credentials or {"kind": "api_token", "api_token": "-", "signature_secret": "-"})
        accurate: AccurateApiToken | AccurateOAuth = (
            AccurateOAuth.model_validate(accurate_data)
            if accurate_data.get("kind") == "oauth"
            else AccurateApiToken.model_validate(accurate_data)
        )
        connection = Connection(
            id=connection_id,
            name=name,
            token_sha256=hash_token(token),
            ginee_secret=store.put_ginee(connection_id, ginee),
            accurate_secret=store.put_accurate(connection_id, accurate),
        )
        ConnectionRepository().put(connection)
        return RegisteredConnection(connection_id, token, f"{self.webhook_base_url}/{connection_id}/{token}")

    def fire_schedules(self, *, include_disabled: bool = True) -> list[FiredSchedule]:
        """Invoke every scheduled function once, now."""
        return self.scheduler.fire(include_disabled=include_disabled)

    def _outputs(self, template: Mapping[str, Any], resolver: Resolver) -> dict[str, str]:
        outputs = {
            str(key): str(resolver.resolve(spec["Value"]))
            for key, spec in (template.get("Outputs") or {}).items()
            if resolver.is_active(spec) and key != WEBHOOK_OUTPUT
        }
        outputs[WEBHOOK_OUTPUT] = self.webhook_base_url
        return outputs

    def operator_environment(self) -> dict[str, str]:
        """The variables that point another shell's `omsync` command at this stack (moto's fake credentials)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "OMSYNC_STACK": self.stack_name,
        }

    def operator_command(self) -> str:
        """One shell line (``export …``) after which `omsync connection …` in that shell works on this stack."""
        return "export " + " ".join(f"{key}={shlex.quote(value)}" for key, value in self.operator_environment().items())

    def queue_depths(self) -> dict[str, int]:
        """Messages in every queue (visible + in flight + delayed), by logical id, read from moto."""
        sqs = self.target.client("sqs")
        depths = {}
        for logical_id in self.resources.of_type("AWS::SQS::Queue"):
            attributes = sqs.get_queue_attributes(
                QueueUrl=self.resources.queue_url(logical_id),
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed",
                ],
            )["Attributes"]
            depths[logical_id] = sum(int(v) for v in attributes.values())
        return depths
