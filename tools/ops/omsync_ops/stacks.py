"""Find a deployed omsync stack by name: its outputs and the environment its functions run with.

The operator names a stack once — ``--env dev|staging|prod`` (samconfig.toml's ``stack_name`` and
``region`` for that config-env) or ``--stack NAME`` — or for a whole shell with ``OMSYNC_ENV`` /
``OMSYNC_STACK``. `read_stack` asks CloudFormation (DescribeStacks, ListStackResources) and Lambda
(GetFunctionConfiguration of the stack's functions) exactly what a deployed function sees, and
`use_stack` hands the settings variables (LEDGER_TABLE, the queue URLs, STAGE…) to this process, so the
runtime's repositories find their tables as they do in Lambda. The embedded stack (`omsync local up`)
registers itself in its moto the same way, so this one code path finds both.

When no stack is named, variables already set in the environment are used as they are (a hand-set
environment still works); a named stack always wins over them. Every problem reaching the stack is a
`StackError`: one line saying what to do, exit status 2, never a traceback or a credential.
"""

from __future__ import annotations

import argparse
import os
import tomllib
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

from omsync.config.settings import Settings, SettingsError
from omsync_ops.errors import CommandError

STACK_VARIABLE: Final = "OMSYNC_STACK"
ENV_VARIABLE: Final = "OMSYNC_ENV"
SAMCONFIG: Final = "samconfig.toml"
WEBHOOK_OUTPUT: Final = "WebhookUrlBase"
SETTINGS_VARIABLES: Final = Settings.variables()
"""The variables a function's settings are made of (omsync.config.settings), taken from the stack."""
FUNCTION_TYPE: Final = "AWS::Lambda::Function"
# Few quick attempts: an operator waiting at a prompt wants the one-line answer, not minutes of retries.
_CLIENT_CONFIG: Final = Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 2, "mode": "standard"})
_NAME_HINT: Final = "name the stack: --env dev|staging|prod (samconfig.toml) or --stack NAME"


class StackError(CommandError):
    """The stack cannot be named, found or read; the message says what to do (exit status 2)."""


@dataclass(frozen=True)
class StackChoice:
    """Which stack the operator named: its CloudFormation name, its region (None: the AWS default) and how."""

    name: str
    region: str | None
    named_by: str


@dataclass(frozen=True)
class DeployedStack:
    """What a deployed stack tells its operator: its outputs and its functions' settings variables."""

    name: str
    region: str
    outputs: Mapping[str, str]
    environment: Mapping[str, str]
    """Settings variable → value, as the stack's functions have them (SETTINGS_VARIABLES, all present)."""

    def output(self, key: str) -> str:
        """The value of one output; StackError when the stack has none of that name."""
        if key not in self.outputs:
            raise StackError(f"stack {self.name} has no {key} output: deploy this version of template.yaml to it")
        return self.outputs[key]

    @property
    def webhook_base(self) -> str:
        """The `WebhookUrlBase` output: the URL to which `/{connectionId}/{token}` is appended."""
        return self.output(WEBHOOK_OUTPUT)


def add_stack_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--env`` and ``--stack`` (mutually exclusive) to a command that works on a deployed stack."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--env",
        metavar="ENV",
        help=f"samconfig.toml's config-env (dev, staging, prod) whose stack to use (default: ${ENV_VARIABLE})",
    )
    group.add_argument("--stack", metavar="NAME", help=f"a CloudFormation stack name (default: ${STACK_VARIABLE})")


def find_samconfig(start: Path | None = None) -> Path | None:
    """samconfig.toml in `start` (default: the current directory) or the nearest folder above it."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / SAMCONFIG).is_file():
            return candidate / SAMCONFIG
    return None


def samconfig_stack(env: str, samconfig: Path | None = None) -> StackChoice:
    """The stack name and region samconfig.toml deploys for config-env `env` (its deploy, else global table).

    Raises StackError when there is no samconfig.toml, it is not TOML, or it has no such config-env.
    """
    path = samconfig or find_samconfig()
    if path is None:
        raise StackError(f"--env {env}: no {SAMCONFIG} here or above; run from the project folder or give --stack NAME")
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise StackError(f"--env {env}: {path.name} cannot be read ({error}); fix it or give --stack NAME") from None
    envs = sorted(name for name, table in config.items() if isinstance(table, dict) and _parameter(table, "stack_name"))
    table = config.get(env)
    name = _parameter(table, "stack_name") if isinstance(table, dict) else None
    if not isinstance(table, dict) or name is None:
        known = ", ".join(envs) or "none"
        raise StackError(f"--env {env}: {path.name} has no such config-env (it has: {known}); or give --stack NAME")
    return StackChoice(name, _parameter(table, "region"), f"--env {env}")


def _parameter(table: Mapping[str, Any], key: str) -> str | None:
    # [env.deploy.parameters] is what `sam deploy --config-env env` reads; [env.global.parameters] every command.
    for command in ("deploy", "global"):
        section = table.get(command)
        parameters = section.get("parameters") if isinstance(section, dict) else None
        value = parameters.get(key) if isinstance(parameters, dict) else None
        if isinstance(value, str) and value:
            return value
    return None


def choose_stack(
    stack: str | None, env: str | None, *, environ: Mapping[str, str] | None = None, samconfig: Path | None = None
) -> StackChoice | None:
    """The stack named by `--stack`, `--env`, then $OMSYNC_STACK, then $OMSYNC_ENV; None when none is named."""
    environ = os.environ if environ is None else environ
    if stack:
        return StackChoice(stack, None, "--stack")
    if env:
        return samconfig_stack(env, samconfig)
    if environ.get(STACK_VARIABLE):
        return StackChoice(environ[STACK_VARIABLE], None, f"${STACK_VARIABLE}")
    if environ.get(ENV_VARIABLE):
        return samconfig_stack(environ[ENV_VARIABLE], samconfig)
    return None


def read_stack(choice: StackChoice) -> DeployedStack:
    """Ask CloudFormation and Lambda for the stack's outputs and its functions' settings variables.

    Calls DescribeStacks once, ListStackResources (paged), then GetFunctionConfiguration of the stack's
    functions until every settings variable is known (one call for a stack made from template.yaml).
    Raises StackError for missing credentials or region, an unreachable endpoint, an unknown stack, an
    AWS refusal, or a stack whose functions lack omsync's settings.
    """
    where = f"stack {choice.name} ({choice.named_by})"
    try:
        session = boto3.session.Session(region_name=choice.region)
        # An empty AWS_DEFAULT_REGION is not "no region" to botocore: it builds a host name without one
        # and fails deep in the request signer, so it is refused here by name.
        if session.region_name == "":
            raise StackError(
                f"the AWS region is empty (AWS_DEFAULT_REGION or AWS_REGION is set to ''), so {where} cannot be "
                "read: set it to the stack's region (e.g. ap-southeast-1), or use --env (samconfig.toml names it)"
            )
        cloudformation = session.client("cloudformation", config=_CLIENT_CONFIG)
        lambdas = session.client("lambda", config=_CLIENT_CONFIG)
        region = str(cloudformation.meta.region_name)
        stacks = cloudformation.describe_stacks(StackName=choice.name)["Stacks"]
        outputs = {str(o["OutputKey"]): str(o["OutputValue"]) for o in stacks[0].get("Outputs", [])}
        functions = [
            str(resource["PhysicalResourceId"])
            for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=choice.name)
            for resource in page["StackResourceSummaries"]
            if resource["ResourceType"] == FUNCTION_TYPE and resource.get("PhysicalResourceId")
        ]
        environment: dict[str, str] = {}
        for function in functions:
            variables = lambdas.get_function_configuration(FunctionName=function).get("Environment", {})
            for key, value in variables.get("Variables", {}).items():
                if key in SETTINGS_VARIABLES:
                    environment.setdefault(key, value)
            if len(environment) == len(SETTINGS_VARIABLES):
                break
    except (BotoCoreError, ClientError) as error:
        raise StackError(explain(error, choice)) from None
    except ValueError as error:
        # botocore raises a bare ValueError for an endpoint URL it cannot use (AWS_ENDPOINT_URL=notaurl).
        if "endpoint" not in str(error).lower():
            raise
        raise StackError(
            f"AWS's endpoint URL is not a URL ({os.environ.get('AWS_ENDPOINT_URL', 'its endpoint')!r}), so {where} "
            "cannot be read: unset AWS_ENDPOINT_URL for AWS, or set it to http://127.0.0.1:PORT for the local stack"
        ) from None
    except RuntimeError as error:
        # The CRT request signer (awscrt) refuses a configuration botocore let through, e.g. an unusable region.
        if "AWS_AUTH_SIGNING" not in str(error):
            raise
        raise StackError(
            f"AWS requests cannot be signed to read {where}: check AWS_DEFAULT_REGION (a region name such as "
            "ap-southeast-1) and the AWS credentials, or use --env (samconfig.toml names the region)"
        ) from None
    missing = [name for name in SETTINGS_VARIABLES if name not in environment]
    if missing:
        raise StackError(
            f"stack {choice.name} ({choice.named_by}) is not an omsync stack: its functions do not set "
            f"{', '.join(missing)}; name the stack made from template.yaml"
        )
    return DeployedStack(choice.name, region, outputs, environment)


def explain(error: BotoCoreError | ClientError, choice: StackChoice) -> str:
    """One line for an AWS error met while reading `choice`: what went wrong and what to do (no secrets)."""
    where = f"stack {choice.name} ({choice.named_by})"
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return (
            f"no AWS credentials to read {where}: run `aws configure` or `aws sso login`, or set AWS_PROFILE; "
            "for the local stack, run the export line `omsync local up` printed"
        )
    if isinstance(error, NoRegionError):
        return f"no AWS region for {where}: set AWS_DEFAULT_REGION, or use --env (samconfig.toml names the region)"
    if isinstance(error, EndpointConnectionError):
        return (
            f"cannot reach AWS at {error.kwargs.get('endpoint_url', 'its endpoint')} to read {where}: check the "
            "network and AWS_ENDPOINT_URL (for the local stack: is `omsync local up` still running?)"
        )
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        if code == "ValidationError" and "does not exist" in message:
            return (
                f"no {where} in this account and region: deploy it (make deploy ENV=dev) or name another "
                "with --env or --stack"
            )
        if code in ("ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException"):
            return f"AWS refused the credentials ({code}) reading {where}: renew them (aws sso login) and retry"
        if code in ("AccessDenied", "AccessDeniedException"):
            return (
                f"AWS denied reading {where} ({code}): these credentials need cloudformation:DescribeStacks, "
                "cloudformation:ListStackResources and lambda:GetFunctionConfiguration"
            )
        return f"AWS refused reading {where}: {code}: {message}"
    return f"reading {where} failed: {type(error).__name__}; check the network and AWS settings, then retry"


def use_stack(args: argparse.Namespace, *, environ: MutableMapping[str, str] | None = None) -> DeployedStack | None:
    """Read the stack the command names (`args.stack`/`args.env`) and give `environ` its functions' settings and region.

    Returns None when no stack is named but `environ` (default: this process's) already holds valid
    settings (set by hand, or by the embedded stack in the same process). Raises StackError when no
    stack is named and the settings are incomplete, when the stack cannot be read (`read_stack`), or
    when its settings are invalid.
    """
    environ = os.environ if environ is None else environ
    choice = choose_stack(getattr(args, "stack", None), getattr(args, "env", None), environ=environ)
    stack: DeployedStack | None = None
    if choice is None:
        if any(not environ.get(name) for name in SETTINGS_VARIABLES):
            raise StackError(f"{_NAME_HINT}; `omsync local up` prints the line for the local stack")
    else:
        stack = read_stack(choice)
        environ.update(stack.environment)
        # The runtime's boto3 clients (tables, queues, secrets) must look in the stack's region.
        environ["AWS_DEFAULT_REGION"] = stack.region
    _forget_cached_settings()
    try:
        Settings.from_environment(environ)
    except SettingsError as error:
        names = ", ".join(error.variables)
        where = f"stack {stack.name}'s functions have" if stack else "the environment has"
        raise StackError(f"{where} unusable {names}; {_NAME_HINT}") from None
    return stack


def _forget_cached_settings() -> None:
    # Settings and table handles are cached like a cold start; drop any made before the stack was known.
    from omsync import queues
    from omsync.config import settings
    from omsync.ledger import credentials, tables

    settings.reset()
    tables.reset()
    queues.reset()
    credentials.reset()
