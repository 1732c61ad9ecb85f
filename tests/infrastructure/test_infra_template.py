"""template.yaml expanded by samtranslator (as CloudFormation would see it), checked for the rules lint misses."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

from omsync.sync.context import ACCURATE_AUTH_FAILED
from omsync.sync.reconcile import OLDEST_HOLD_AGE, ORDERS_ON_HOLD

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
    # The Ledger is the only table: the receiver keeps no record of the webhooks it has seen (issue 21).
    assert [name for name, r in cfn["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"] == ["LedgerTable"]


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


# --- the alarms an operator is woken by (issue 19, item 7) -------------------------------------------------
# Each watches a metric omsync publishes, in its namespace and with the ``service`` dimension Powertools gives
# every metric, goes to the alarm topic, has a widget on the dashboard and a section in docs/RUNBOOK.md. The
# metric names are the code's own constants where the code names them.

RUNBOOK = ROOT / "docs" / "RUNBOOK.md"

# logical id → (metric, statistic, period in seconds, threshold: a number or the parameter it comes from)
OMSYNC_ALARMS: dict[str, tuple[str, str, int, float | str]] = {
    "OrdersOnHoldCountAlarm": (ORDERS_ON_HOLD, "Maximum", 1800, "OnHoldAlarmOrders"),
    "OldestHoldAlarm": (OLDEST_HOLD_AGE, "Maximum", 1800, "OldestHoldAlarmSeconds"),
    "AccurateAuthFailedAlarm": (ACCURATE_AUTH_FAILED, "Sum", 300, 0),
    "ReconcileDriftAlarm": ("ReconcileDrift", "Sum", 86400, 0),
}


def namespace(source: dict[str, Any]) -> str:
    """The functions' metrics namespace (Globals), which every omsync alarm must watch."""
    name = source["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
    assert isinstance(name, str)
    return name


@pytest.fixture(scope="module")
def source() -> dict[str, Any]:
    """template.yaml as written (Parameters and Globals, which the expanded template no longer has)."""
    parsed: dict[str, Any] = yaml_parse(TEMPLATE.read_text())
    return parsed


@pytest.mark.parametrize("logical_id", sorted(OMSYNC_ALARMS))
def test_each_omsync_alarm_watches_its_metric_with_its_threshold_and_reaches_the_alarm_topic(
    cfn: dict[str, Any], source: dict[str, Any], logical_id: str
) -> None:
    metric, statistic, period, threshold = OMSYNC_ALARMS[logical_id]
    alarm = of_type(cfn, "AWS::CloudWatch::Alarm")[logical_id]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == (namespace(source), metric)
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "omsync"}]
    assert (alarm["Statistic"], alarm["Period"], alarm["EvaluationPeriods"]) == (statistic, period, 1)
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    if isinstance(threshold, str):
        assert alarm["Threshold"] == {"Ref": threshold}
        assert threshold in source["Parameters"]
    else:
        assert alarm["Threshold"] == threshold
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}] == alarm["OKActions"]


def test_the_hold_gauges_alarm_only_past_a_day_or_more_than_a_few_orders_by_default(source: dict[str, Any]) -> None:
    parameters = source["Parameters"]
    assert parameters["OldestHoldAlarmSeconds"]["Default"] == 86400
    assert parameters["OnHoldAlarmOrders"]["Default"] == 25


def test_each_dead_letter_queue_alarms_on_its_depth(cfn: dict[str, Any]) -> None:
    alarms = of_type(cfn, "AWS::CloudWatch::Alarm")
    queues = of_type(cfn, "AWS::SQS::Queue")
    dead_letter_queues = {lid for lid, q in queues.items() if "RedrivePolicy" not in q["Properties"]}
    assert len(dead_letter_queues) == 5
    watched = {
        item["Value"]["Fn::GetAtt"][0]: alarm["Properties"]
        for alarm in alarms.values()
        if alarm["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
        for item in alarm["Properties"]["Dimensions"]
    }
    assert set(watched) == dead_letter_queues
    for alarm in watched.values():
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")


def test_the_reconciler_may_write_metrics_in_omsyncs_namespace_only(
    cfn: dict[str, Any], source: dict[str, Any]
) -> None:
    role = cfn["Resources"]["ReconcilerFunctionRole"]["Properties"]
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    [publish] = [s for s in statements if "cloudwatch:PutMetricData" in json.dumps(s["Action"])]
    assert publish["Condition"] == {"StringEquals": {"cloudwatch:namespace": namespace(source)}}
    others = [
        s
        for lid, r in of_type(cfn, "AWS::IAM::Role").items()
        if lid != "ReconcilerFunctionRole"
        for policy in r["Properties"].get("Policies", [])
        for s in policy["PolicyDocument"]["Statement"]
    ]
    assert not [s for s in others if "cloudwatch:" in json.dumps(s["Action"])]


def test_the_dashboard_shows_every_omsync_alarms_metric(cfn: dict[str, Any]) -> None:
    body = cfn["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    shown = {row[1] for widget in json.loads(body)["widgets"] for row in widget["properties"]["metrics"]}
    assert {metric for metric, *_ in OMSYNC_ALARMS.values()} <= shown


def runbook_headings(suffix: str) -> set[str]:
    """The headings docs/RUNBOOK.md may give an alarm: its own name, or one naming every queue's or function's."""
    head, _, rest = suffix.partition("-")
    names = {suffix}
    if head in WORK_QUEUES:
        names.add(f"<queue>-{rest}")
    if head in {*WORK_QUEUES, "receiver"} and rest == "errors":
        names.add("<function>-errors")
    return {f"## `<stack>-{name}`" for name in names}


def test_the_runbook_has_a_section_for_every_alarm(cfn: dict[str, Any]) -> None:
    runbook = RUNBOOK.read_text()
    for alarm in of_type(cfn, "AWS::CloudWatch::Alarm").values():
        suffix = alarm["Properties"]["AlarmName"]["Fn::Sub"].removeprefix("${AWS::StackName}-")
        assert any(heading in runbook for heading in runbook_headings(suffix)), suffix
