"""template.yaml expanded by samtranslator (as CloudFormation would see it), checked for the rules lint misses."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
FIXTURE_TEMPLATE = ROOT / "tests" / "integration" / "local" / "fixtures" / "template.yaml"
WORK_QUEUES = {"orders", "cancellations", "settlements", "products", "purchases"}


class NoManagedPolicies:
    """samtranslator asks IAM for managed policy ARNs; offline there are none to look up."""

    def load(self) -> dict[str, str]:
        return {}


def expand(path: Path, stage: str = "prod") -> dict[str, Any]:
    source = yaml_parse(path.read_text())
    for resource in source["Resources"].values():  # local paths would need S3 uploads
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/key"
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = "s3://bucket/key"
    parameters = {"Stage": stage} if "Stage" in source.get("Parameters", {}) else {}
    expanded: dict[str, Any] = transform(copy.deepcopy(source), parameters, NoManagedPolicies())
    return expanded


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    return expand(TEMPLATE)


def of_type(cfn: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in cfn["Resources"].items() if r["Type"] == kind}


def find_in_map(cfn: dict[str, Any], value: Any) -> Any:
    if isinstance(value, dict) and "Fn::FindInMap" in value:
        mapping, first, second = value["Fn::FindInMap"]
        return cfn["Mappings"][mapping][first][second]
    return value


def alarm_targets(cfn: dict[str, Any], metric: str, dimension: str) -> set[str]:
    """Logical ids an alarm on `metric` watches through `dimension` (a Ref or GetAtt of the resource)."""
    watched = set()
    for alarm in of_type(cfn, "AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        if properties["MetricName"] != metric:
            continue
        assert properties["AlarmActions"], "an alarm nobody hears is no alarm"
        for item in properties["Dimensions"]:
            if item["Name"] == dimension:
                value = item["Value"]
                watched.add(value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0])
    return watched


def esm_violations(cfn: dict[str, Any]) -> list[str]:
    """Event source mappings on SQS without ReportBatchItemFailures."""
    return [
        lid
        for lid, r in of_type(cfn, "AWS::Lambda::EventSourceMapping").items()
        if "ReportBatchItemFailures" not in r["Properties"].get("FunctionResponseTypes", [])
    ]


def test_there_are_five_work_queues_each_with_a_dlq_and_the_stage_receive_count(cfn: dict[str, Any]) -> None:
    queues = of_type(cfn, "AWS::SQS::Queue")
    work = {lid: q for lid, q in queues.items() if "RedrivePolicy" in q["Properties"]}
    dlqs = {q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0] for q in work.values()}

    assert {q["Properties"]["QueueName"]["Fn::Sub"].split("-", 1)[1] for q in work.values()} == WORK_QUEUES
    assert set(queues) == set(work) | dlqs, "every queue is a work queue or a DLQ"
    assert len(dlqs) == len(work), "each work queue has its own DLQ"
    for queue in work.values():
        assert queue["Properties"]["RedrivePolicy"]["maxReceiveCount"] == {"Ref": "MaxReceiveCount"}
    assert all(q["Properties"]["SqsManagedSseEnabled"] is True for q in queues.values())


def test_every_dlq_has_a_not_empty_alarm_and_every_work_queue_an_age_alarm(cfn: dict[str, Any]) -> None:
    queues = of_type(cfn, "AWS::SQS::Queue")
    work = {lid for lid, q in queues.items() if "RedrivePolicy" in q["Properties"]}

    assert alarm_targets(cfn, "ApproximateNumberOfMessagesVisible", "QueueName") >= set(queues) - work
    assert alarm_targets(cfn, "ApproximateAgeOfOldestMessage", "QueueName") >= work


def test_every_function_has_an_errors_alarm(cfn: dict[str, Any]) -> None:
    functions = set(of_type(cfn, "AWS::Lambda::Function"))
    assert functions
    assert alarm_targets(cfn, "Errors", "FunctionName") >= functions


def test_visibility_timeout_is_at_least_six_times_the_consumer_timeout(cfn: dict[str, Any]) -> None:
    worker = cfn["Mappings"]["Worker"]["Defaults"]
    assert worker["QueueVisibilityTimeoutSeconds"] >= 6 * worker["TimeoutSeconds"]
    queues = of_type(cfn, "AWS::SQS::Queue")
    for queue in queues.values():
        if "RedrivePolicy" in queue["Properties"]:
            assert find_in_map(cfn, queue["Properties"]["VisibilityTimeout"]) >= 6 * worker["TimeoutSeconds"]
    functions = of_type(cfn, "AWS::Lambda::Function")
    for mapping in of_type(cfn, "AWS::Lambda::EventSourceMapping").values():
        queue = queues[mapping["Properties"]["EventSourceArn"]["Fn::GetAtt"][0]]
        function = functions[mapping["Properties"]["FunctionName"]["Ref"]]
        timeout = find_in_map(cfn, function["Properties"].get("Timeout", 3))
        assert find_in_map(cfn, queue["Properties"]["VisibilityTimeout"]) >= 6 * timeout


def test_every_sqs_event_reports_batch_item_failures() -> None:
    for path in (TEMPLATE, FIXTURE_TEMPLATE):
        assert esm_violations(expand(path)) == [], path.name


def test_the_batch_item_failures_check_catches_a_mapping_without_it() -> None:
    cfn = expand(FIXTURE_TEMPLATE)
    for mapping in of_type(cfn, "AWS::Lambda::EventSourceMapping").values():
        mapping["Properties"].pop("FunctionResponseTypes")
    assert esm_violations(cfn) != []


def test_no_iam_statement_allows_every_action_on_every_resource(cfn: dict[str, Any]) -> None:
    statements = [
        statement
        for role in of_type(cfn, "AWS::IAM::Role").values()
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    assert statements

    def as_list(value: Any) -> list[Any]:
        return value if isinstance(value, list) else [value]

    for statement in statements:
        assert not ("*" in as_list(statement["Action"]) and "*" in as_list(statement.get("Resource", []))), statement


def test_the_receiver_serves_the_ginee_route_on_an_http_api(cfn: dict[str, Any]) -> None:
    [api] = of_type(cfn, "AWS::ApiGatewayV2::Api").values()
    route = api["Properties"]["Body"]["paths"]["/webhooks/ginee/{connectionId}/{token}"]["post"]
    assert "ReceiverFunction.Arn" in str(route["x-amazon-apigateway-integration"]["uri"])
    receiver = cfn["Resources"]["ReceiverFunction"]["Properties"]
    assert (receiver["Runtime"], receiver["Architectures"], receiver["MemorySize"]) == ("python3.13", ["arm64"], 256)
    assert receiver["Handler"] == "app.lambda_handler"


def test_the_ledger_is_kept_and_recoverable_in_prod(cfn: dict[str, Any]) -> None:
    ledger = cfn["Resources"]["LedgerTable"]
    assert ledger["DeletionPolicy"] == {"Fn::If": ["IsProd", "Retain", "Delete"]}
    assert ledger["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] == {
        "Fn::If": ["IsProd", True, False]
    }
    assert ledger["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    idempotency = cfn["Resources"]["IdempotencyTable"]["Properties"]
    assert idempotency["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert idempotency["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_the_layer_is_built_by_its_makefile_for_lambdas_platform_by_default(cfn: dict[str, Any]) -> None:
    """The layer's Makefile builds for the template's runtime unless told otherwise (the artifact test
    in test_layer_artifact.py builds it for the machine it runs on)."""
    source = yaml_parse(TEMPLATE.read_text())
    assert source["Resources"]["OmsyncLayer"]["Metadata"]["BuildMethod"] == "makefile"
    makefile = (ROOT / "layers" / "omsync" / "Makefile").read_text()
    assert "build-OmsyncLayer:" in makefile
    globals_ = source["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.13" and globals_["Architectures"] == ["arm64"]
    assert "LAYER_PYTHON_VERSION ?= 3.13" in makefile and "LAYER_PLATFORM ?= manylinux2014_aarch64" in makefile
