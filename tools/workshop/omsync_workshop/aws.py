"""moto's server standing in for AWS, with every resource template.yaml declares.

`create_resources` walks the template's Resources, evaluates intrinsics (`omsync_workshop.template`)
and creates each queue, table, secret, topic, subscription, alarm and dashboard in moto, in whatever
order their references require. Lambda functions, layers and APIs are not created in moto (it cannot
run them); they get local names and ARNs so references to them resolve, and the API front and the
event-source-mapping emulator run them in-process.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import boto3
import requests

from omsync_workshop.template import ACCOUNT_ID, LocalResource, Resolver, TemplateError, Unresolved, load_template

DEFAULT_REGION: Final = "ap-southeast-1"
DEFAULT_STACK_NAME: Final = "omsync-local"

# Queue properties that are SQS attributes of the same name (values sent as strings).
_QUEUE_ATTRIBUTES: Final = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "SqsManagedSseEnabled",
    "KmsMasterKeyId",
)
_ALARM_INTEGERS: Final = ("Period", "EvaluationPeriods", "DatapointsToAlarm")
_ALARM_FIELDS: Final = (
    "AlarmName",
    "AlarmDescription",
    "Namespace",
    "MetricName",
    "Dimensions",
    "Statistic",
    "ExtendedStatistic",
    "Unit",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "AlarmActions",
    "OKActions",
    "InsufficientDataActions",
    "ActionsEnabled",
    "Metrics",
    *_ALARM_INTEGERS,
)
# Resource types that exist only as names locally: their code runs in-process.
_IN_PROCESS_TYPES: Final = {
    "AWS::Serverless::Function": "function",
    "AWS::Serverless::LayerVersion": "layer",
    "AWS::Serverless::HttpApi": "api",
    "AWS::Serverless::Api": "api",
}


class LocalResources(Mapping[str, LocalResource]):
    """Logical id → the local resource (name, ARN, URL), for everything the template declares."""

    def __init__(self, resources: Mapping[str, LocalResource], *, not_emulated: tuple[str, ...] = ()) -> None:
        self._resources = dict(resources)
        self.not_emulated = not_emulated
        """Logical ids of resource types the local stack does not create (named so nobody assumes otherwise)."""

    def __getitem__(self, logical_id: str) -> LocalResource:
        return self._resources[logical_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._resources)

    def __len__(self) -> int:
        return len(self._resources)

    def of_type(self, resource_type: str) -> dict[str, LocalResource]:
        """The resources of one CloudFormation type, by logical id."""
        return {lid: r for lid, r in self._resources.items() if r.type == resource_type}

    def queue_url(self, logical_id: str) -> str:
        """The URL of a queue (raises KeyError for anything else)."""
        url = self._resources[logical_id].url
        if url is None:
            raise KeyError(f"{logical_id} is not a queue")
        return url

    def by_arn(self, arn: str) -> LocalResource:
        """The resource with this ARN."""
        for resource in self._resources.values():
            if resource.arn == arn:
                return resource
        raise KeyError(arn)


@dataclass(frozen=True)
class AwsTarget:
    """Where boto3 talks to: moto's endpoint and the region the stack lives in."""

    endpoint: str
    region: str = DEFAULT_REGION
    signed: bool = False
    """Sign the emulated services' own requests with the environment's credentials (moto enforcing IAM)."""

    def client(self, service: str) -> Any:
        """A boto3 client for `service` at the moto endpoint."""
        make_client: Any = boto3.client  # any service name: the stubs' overloads want literals
        return make_client(service, endpoint_url=self.endpoint, region_name=self.region)


def reset_moto(endpoint: str) -> None:
    """Forget every resource moto holds (its `/moto-api/reset` call)."""
    requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()


def ensure_credentials() -> None:
    """moto accepts any credentials but boto3 insists on some: provide fakes when none are set."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")


def create_resources(
    template_path: Path,
    target: AwsTarget,
    *,
    stack_name: str = DEFAULT_STACK_NAME,
    parameters: Mapping[str, str] | None = None,
) -> LocalResources:
    """Create in moto every resource `template_path` declares (respecting Conditions); return them by logical id."""
    ensure_credentials()
    template = load_template(template_path)
    made: dict[str, LocalResource] = {}
    resolver = Resolver(template, stack_name=stack_name, region=target.region, parameters=parameters, resources=made)
    pending = {lid: spec for lid, spec in template["Resources"].items() if resolver.is_active(spec)}
    not_emulated: list[str] = []
    creator = _Creator(target, stack_name)
    while pending:
        progressed = False
        waiting: dict[str, str] = {}
        for logical_id, spec in list(pending.items()):
            try:
                properties = resolver.resolve(spec.get("Properties") or {})
            except Unresolved as missing:
                waiting[logical_id] = missing.logical_id
                continue
            resource = creator.create(logical_id, str(spec["Type"]), properties)
            if resource is None:
                not_emulated.append(logical_id)
                resource = LocalResource(logical_id, str(spec["Type"]), logical_id, creator.arn("other", logical_id))
            made[logical_id] = resource
            del pending[logical_id]
            progressed = True
        if not progressed:
            cycle = ", ".join(f"{lid} → {dep}" for lid, dep in sorted(waiting.items()))
            raise TemplateError(f"resources wait on each other or on inactive resources: {cycle}")
    return LocalResources(made, not_emulated=tuple(sorted(not_emulated)))


class _Creator:
    def __init__(self, target: AwsTarget, stack_name: str) -> None:
        self.target = target
        self.stack_name = stack_name
        self._handlers: dict[str, Callable[[str, str, dict[str, Any]], LocalResource]] = {
            "AWS::SQS::Queue": self._queue,
            "AWS::DynamoDB::Table": self._table,
            "AWS::SNS::Topic": self._topic,
            "AWS::SNS::Subscription": self._subscription,
            "AWS::SecretsManager::Secret": self._secret,
            "AWS::CloudWatch::Alarm": self._alarm,
            "AWS::CloudWatch::Dashboard": self._dashboard,
        }
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        """One boto3 client per service for the whole creation (making one costs more CPU than a request)."""
        if service not in self._clients:
            self._clients[service] = self.target.client(service)
        return self._clients[service]

    def arn(self, service: str, name: str) -> str:
        return f"arn:aws:{service}:{self.target.region}:{ACCOUNT_ID}:{name}"

    def create(self, logical_id: str, resource_type: str, properties: dict[str, Any]) -> LocalResource | None:
        if resource_type in self._handlers:
            return self._handlers[resource_type](logical_id, resource_type, properties)
        kind = _IN_PROCESS_TYPES.get(resource_type)
        if kind == "function":
            name = str(properties.get("FunctionName") or f"{self.stack_name}-{logical_id}")
            return LocalResource(logical_id, resource_type, name, self.arn("lambda", f"function:{name}"))
        if kind == "layer":
            name = str(properties.get("LayerName") or f"{self.stack_name}-{logical_id}")
            return LocalResource(logical_id, resource_type, name, self.arn("lambda", f"layer:{name}:1"))
        if kind == "api":
            return LocalResource(
                logical_id, resource_type, f"local{logical_id.lower()}", self.arn("apigateway", logical_id)
            )
        return None

    def _queue(self, logical_id: str, resource_type: str, properties: dict[str, Any]) -> LocalResource:
        sqs = self.client("sqs")
        name = str(properties.get("QueueName") or f"{self.stack_name}-{logical_id}")
        attributes: dict[str, str] = {
            key: _attribute_text(properties[key]) for key in _QUEUE_ATTRIBUTES if key in properties
        }
        redrive = properties.get("RedrivePolicy")
        if redrive is not None:
            attributes["RedrivePolicy"] = json.dumps(
                {
                    "deadLetterTargetArn": redrive["deadLetterTargetArn"],
                    "maxReceiveCount": int(redrive["maxReceiveCount"]),
                }
            )
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return LocalResource(logical_id, resource_type, name, arn, url=url)

    def _table(self, logical_id: str, resource_type: str, properties: dict[str, Any]) -> LocalResource:
        dynamodb = self.client("dynamodb")
        name = str(properties.get("TableName") or f"{self.stack_name}-{logical_id}")
        request: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": properties["AttributeDefinitions"],
            "KeySchema": properties["KeySchema"],
            "BillingMode": properties.get("BillingMode", "PROVISIONED"),
        }
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "ProvisionedThroughput", "StreamSpecification"):
            if key in properties:
                request[key] = properties[key]
        table = dynamodb.create_table(**request)["TableDescription"]
        ttl = properties.get("TimeToLiveSpecification")
        if ttl and _truthy(ttl.get("Enabled")):
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True}
            )
        pitr = properties.get("PointInTimeRecoverySpecification")
        if pitr and _truthy(pitr.get("PointInTimeRecoveryEnabled")):
            dynamodb.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )
        attributes = {"StreamArn": table["LatestStreamArn"]} if "LatestStreamArn" in table else {}
        return LocalResource(logical_id, resource_type, name, table["TableArn"], attributes=attributes)

    def _topic(self, logical_id: str, resource_type: str, properties: dict[str, Any]) -> LocalResource:
        name = str(properties.get("TopicName") or f"{self.stack_name}-{logical_id}")
        arn = self.client("sns").create_topic(Name=name)["TopicArn"]
        return LocalResource(logical_id, resource_type, name, arn)

    def _subscription(self, logical_id: str, resource_type: str, properties: dict[str, Any]) -> LocalResource:
        arn = self.client("sns").subscribe(
            TopicArn=properties["TopicArn"], Protocol=properties["Protocol"], Endpoint=properties["Endpoint"]
        )["SubscriptionArn"]
        return LocalResource(logical_id, resource_type, logical_id, arn)

    def _secret(self, logical_id: str, resource_type: str, properties: dict[str, Any]) -> LocalResource:
        name = str(properties.get("Name") or f"{self.stack_name}-{logical_id}")
        value = properties.get("SecretString")
        if value is None:  # GenerateSecretString or nothing: any unguessable value will do locally
            value = secrets.token_urlsafe(32)
        arn = self.client("secretsmanager").create_secret(Name=name, SecretString=str(value))["ARN"]
        return LocalResource(logical_id, resource_type, name, arn)

    def _alarm(self, logical_id: str, resource_type: str, properties: dict[str, Any]) -> LocalResource:
        request = {key: properties[key] for key in _ALARM_FIELDS if key in properties}
        request.setdefault("AlarmName", f"{self.stack_name}-{logical_id}")
        for key in _ALARM_INTEGERS:
            if key in request:
                request[key] = int(request[key])
        if "Threshold" in request:
            request["Threshold"] = float(request["Threshold"])
        if "ActionsEnabled" in request:
            request["ActionsEnabled"] = _truthy(request["ActionsEnabled"])
        self.client("cloudwatch").put_metric_alarm(**request)
        name = str(request["AlarmName"])
        return LocalResource(logical_id, resource_type, name, self.arn("cloudwatch", f"alarm:{name}"))

    def _dashboard(self, logical_id: str, resource_type: str, properties: dict[str, Any]) -> LocalResource:
        name = str(properties.get("DashboardName") or f"{self.stack_name}-{logical_id}")
        body = properties["DashboardBody"]
        json.loads(body)  # a dashboard body that is not JSON fails here, not in the deploy
        self.client("cloudwatch").put_dashboard(DashboardName=name, DashboardBody=body)
        return LocalResource(logical_id, resource_type, name, f"arn:aws:cloudwatch::{ACCOUNT_ID}:dashboard/{name}")


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _attribute_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def quiet_moto_logs() -> None:
    """moto's werkzeug server logs every request; keep only errors."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
