"""Specification: every function does its whole job under its own template policy, as AWS enforces it (issue 14).

moto enforces IAM here (`omsync_workshop.moto_iam`: the resource of each DynamoDB and Secrets Manager
call, and each part of a transaction, checked as AWS checks them), and each function runs as an IAM user
holding only the statements of its `Policies` in template.yaml. The connection authenticates to Accurate
with OAuth, whose refresh token Accurate rotates, so the workers must write the new pair back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from flow_world import OpenWorld, dead_letters, flow_scenario, mapping_yaml, started_player

from omsync.ledger.connections import ConnectionRepository
from omsync.ledger.credentials import AccurateOAuth, CredentialStore
from omsync.sync.context import forget_contexts
from omsync_workshop.stack import LocalStack
from omsync_workshop.template import load_template
from omsync_workshop.world import LocalWorld

TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"


def stored_oauth(world: LocalWorld) -> AccurateOAuth:
    connection = ConnectionRepository().get(world.connection_id)
    assert connection is not None
    stored = CredentialStore().accurate(connection.accurate_secret)
    assert isinstance(stored, AccurateOAuth)
    return stored


def test_the_workers_post_and_keep_the_rotated_oauth_pair_under_their_own_policies(open_world: OpenWorld) -> None:
    world = open_world(flow_scenario("flows-small"), mapping_yaml(), enforce_iam=True, accurate_auth="oauth")
    issued = stored_oauth(world)
    player = started_player(world)
    total = len(player.scenario.events)

    # Half the scenario, then Accurate invalidates every access token: the workers must refresh
    world.play(total // 2)
    world.settle()
    world.accurate.expire_access_tokens()
    world.play()
    world.settle()
    # The reconciler polls Ginee and releases holds under its own policy: no connection's run fails
    (reconciler,) = world.stack.fire_schedules()
    assert reconciler.ok and world.connection_id in reconciler.result["connections"]
    assert "failed" not in reconciler.result["connections"][world.connection_id], reconciler.result
    world.settle()

    rotated = stored_oauth(world)
    assert rotated.refresh_token != issued.refresh_token
    # The stored pair is the live one: a worker starting cold after the next expiry refreshes with it
    world.accurate.expire_access_tokens()
    forget_contexts()
    world.stack.runner.invoke("OrdersFunction", {"Records": []})
    report = world.report()
    assert report.oracle_match, report.comparison.report()
    assert dead_letters(world) == {}
    assert world.stack.runner.stats["OrdersFunction"].errors == 0


@pytest.fixture
def enforced_stack(moto_endpoint: str) -> Iterator[LocalStack]:
    with LocalStack(TEMPLATE, endpoint=moto_endpoint, run_event_sources=False, enforce_iam=True) as stack:
        yield stack


def as_function(stack: LocalStack, logical_id: str) -> Any:
    identity = stack.runner.identities[logical_id]
    return boto3.client(
        "secretsmanager",
        endpoint_url=stack.endpoint,
        aws_access_key_id=identity.access_key_id,
        aws_secret_access_key=identity.secret_access_key,
    )


def denied(error: ClientError) -> bool:
    # moto answers a refusal in the query protocol's XML, which botocore reads as a bare 403 for JSON services.
    return error.response["ResponseMetadata"]["HTTPStatusCode"] == 403 and "AccessDenied" in str(error)


def test_workers_may_not_write_ginee_keys_and_the_receiver_reads_no_secret(enforced_stack: LocalStack) -> None:
    connection = enforced_stack.register_connection("iam-probe")
    stored = ConnectionRepository().get(connection.connection_id)
    assert stored is not None
    orders = as_function(enforced_stack, "OrdersFunction")
    assert json.loads(orders.get_secret_value(SecretId=stored.ginee_secret)["SecretString"])

    with pytest.raises(ClientError) as refused:
        orders.put_secret_value(SecretId=stored.ginee_secret, SecretString="{}")
    assert denied(refused.value)
    with pytest.raises(ClientError) as hidden:
        as_function(enforced_stack, "ReceiverFunction").get_secret_value(SecretId=stored.accurate_secret)
    assert denied(hidden.value)


def test_no_function_may_delete_or_describe_what_it_does_not_need() -> None:
    resources = load_template(TEMPLATE)["Resources"]
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        actions = {
            action
            for policy in resource["Properties"].get("Policies") or []
            for statement in policy.get("Statement") or []
            for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
        }
        assert not {a for a in actions if a.endswith(("*", "DeleteSecret", "DescribeSecret"))}, logical_id
        assert "dynamodb:DeleteItem" not in actions, logical_id  # the receiver keeps no records since issue 21
