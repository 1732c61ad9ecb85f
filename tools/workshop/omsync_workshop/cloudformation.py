"""The embedded stack as CloudFormation and Lambda describe a deployed one, so the operator CLI finds it.

`omsync_ops.stacks` finds a deployed stack through DescribeStacks (its outputs), ListStackResources (its
functions) and GetFunctionConfiguration (their environment). `register_stack` makes moto answer those
calls for the local stack with the same names and values the local functions run with: it creates a
CloudFormation stack holding one `AWS::Lambda::Function` per template function (code that is never run —
the local stack runs the real handlers in-process — and the function's environment) and the template's
outputs, `WebhookUrlBase` pointing at the local API front. moto creates Lambda functions without Docker
as long as nothing invokes them, and needs an IAM role for them, which the same stack declares.

moto's CloudFormation imports every moto backend on first use (a few seconds, once per moto process),
so only `omsync local up` and the tests that need it register the stack.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from omsync_workshop.aws import AwsTarget
from omsync_workshop.lambdas import FunctionSpec

WEBHOOK_OUTPUT: Final = "WebhookUrlBase"
_ROLE: Final = "LocalFunctionRole"
_NEVER_RUN: Final = "# The local stack runs this function's real handler in-process; this code is never invoked.\n"


def stack_template(
    functions: Mapping[str, FunctionSpec], outputs: Mapping[str, str], *, runtime: str = "python3.13"
) -> dict[str, Any]:
    """A CloudFormation template (as a dict) declaring `functions` with their environment, and `outputs`."""
    resources: dict[str, Any] = {
        _ROLE: {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            },
        }
    }
    for logical_id, spec in functions.items():
        resources[logical_id] = {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "FunctionName": spec.name,
                "Runtime": runtime,
                "Handler": f"{spec.module}.{spec.attribute}",
                "Role": {"Fn::GetAtt": [_ROLE, "Arn"]},
                "Code": {"ZipFile": _NEVER_RUN},
                "Timeout": spec.timeout_seconds,
                "MemorySize": spec.memory_mb,
                "Environment": {"Variables": {key: str(value) for key, value in spec.environment.items()}},
            },
        }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "omsync's embedded stack, described as a deployed one for the operator CLI",
        "Resources": resources,
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }


def register_stack(
    target: AwsTarget, stack_name: str, functions: Mapping[str, FunctionSpec], outputs: Mapping[str, str]
) -> None:
    """Create stack `stack_name` in moto at `target` with `functions` and `outputs` (CREATE_COMPLETE on return)."""
    template = stack_template(functions, outputs)
    target.client("cloudformation").create_stack(StackName=stack_name, TemplateBody=json.dumps(template))
