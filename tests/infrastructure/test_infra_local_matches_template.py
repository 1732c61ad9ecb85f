"""The embedded stack builds exactly what template.yaml declares: queues, redrive, tables, keys, TTL, alarms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
from samtranslator.yaml_helper import yaml_parse

from omsync_workshop.aws import LocalResources

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
STACK = "omsync-local"


def declared(kind: str) -> dict[str, dict[str, Any]]:
    resources = yaml_parse(TEMPLATE.read_text())["Resources"]
    return {lid: r["Properties"] for lid, r in resources.items() if r["Type"] == kind}


def physical_name(sub: dict[str, str]) -> str:
    return sub["Fn::Sub"].replace("${AWS::StackName}", STACK)


def test_every_queue_exists_with_its_name_visibility_and_redrive(aws: LocalResources) -> None:
    sqs = boto3.client("sqs")
    parameters = yaml_parse(TEMPLATE.read_text())["Parameters"]
    for logical_id, properties in declared("AWS::SQS::Queue").items():
        url = sqs.get_queue_url(QueueName=physical_name(properties["QueueName"]))["QueueUrl"]
        assert aws.queue_url(logical_id) == url
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        if "VisibilityTimeout" in properties:
            assert int(attributes["VisibilityTimeout"]) == 360
        if "RedrivePolicy" in properties:
            redrive = json.loads(attributes["RedrivePolicy"])
            dlq = properties["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
            assert redrive["deadLetterTargetArn"] == aws[dlq].arn
            assert int(redrive["maxReceiveCount"]) == parameters["MaxReceiveCount"]["Default"]
        else:
            assert "RedrivePolicy" not in attributes


def test_every_table_exists_with_its_keys_indexes_and_ttl(aws: LocalResources) -> None:
    dynamodb = boto3.client("dynamodb")
    for logical_id, properties in declared("AWS::DynamoDB::Table").items():
        name = physical_name(properties["TableName"])
        assert aws[logical_id].name == name
        table = dynamodb.describe_table(TableName=name)["Table"]
        assert table["KeySchema"] == properties["KeySchema"]
        assert sorted(table["AttributeDefinitions"], key=str) == sorted(properties["AttributeDefinitions"], key=str)
        indexes = {i["IndexName"]: i["KeySchema"] for i in table.get("GlobalSecondaryIndexes", [])}
        assert indexes == {i["IndexName"]: i["KeySchema"] for i in properties.get("GlobalSecondaryIndexes", [])}
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        assert ttl["AttributeName"] == properties["TimeToLiveSpecification"]["AttributeName"]
        assert ttl["TimeToLiveStatus"] == "ENABLED"


def test_every_alarm_and_the_dashboard_exist(aws: LocalResources) -> None:
    cloudwatch = boto3.client("cloudwatch")
    names = {physical_name(p["AlarmName"]) for p in declared("AWS::CloudWatch::Alarm").values()}
    existing = {a["AlarmName"] for a in cloudwatch.describe_alarms(MaxRecords=100)["MetricAlarms"]}
    assert names <= existing
    assert cloudwatch.get_dashboard(DashboardName=STACK)["DashboardName"] == STACK
    topic = aws["AlarmTopic"].arn
    assert all(topic in a["AlarmActions"] for a in cloudwatch.describe_alarms(MaxRecords=100)["MetricAlarms"])


def test_the_optional_email_subscription_follows_its_condition(aws: LocalResources) -> None:
    assert "AlarmEmailSubscription" not in aws  # AlarmEmail defaults to empty
