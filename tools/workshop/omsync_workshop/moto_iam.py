"""IAM enforced as AWS enforces it on the calls omsync's functions make, in an in-process moto 5.2.5 server.

moto can check every request against the caller's IAM policies (its ``INITIAL_NO_AUTH_ACTION_COUNT``
setting), but two gaps make it useless for least-privilege policies (moto's access control docs: "the
Resource element in IAM policies" is supported for S3 and SQS only):

- For DynamoDB and Secrets Manager it authorizes every request against the resource ``*``; a statement
  naming a table or secret ARN never matches ``*``, so a least-privilege policy is refused everything.
- It authorizes a DynamoDB transaction or batch as one action (``dynamodb:TransactWriteItems``) where AWS
  authorizes what each part does on its own table: ``TransactWriteItems`` needs ``PutItem``,
  ``UpdateItem``, ``DeleteItem`` or ``ConditionCheckItem`` per item, ``TransactGetItems`` needs ``GetItem``,
  ``BatchGetItem`` and ``BatchWriteItem`` are checked on each table, a ``Query`` or ``Scan`` of an index on
  ``table/{name}/index/{index}``, and a PartiQL statement (``ExecuteStatement``, each of a
  ``BatchExecuteStatement`` or ``ExecuteTransaction``) needs ``PartiQLInsert``, ``PartiQLUpdate``,
  ``PartiQLDelete`` or ``PartiQLSelect`` on its table (AWS Service Authorization Reference, Amazon DynamoDB;
  DynamoDB developer guide, "Using IAM with DynamoDB transactions", "IAM security policies with PartiQL for
  DynamoDB").

A third gap: moto evaluates a statement's ``Condition`` only when assuming a role; elsewhere it knows no
condition key, so a statement with one never allows. CloudWatch's ``PutMetricData`` has no resource, and
a least-privilege policy names the namespace in the ``cloudwatch:namespace`` condition key (AWS Service
Authorization Reference, Amazon CloudWatch); its request gets that key from its ``Namespace``.

`install` gives these services' moto handlers the (action, resource) pairs AWS would check, each checked
with moto's own `IAMRequest` (its signature check and policy evaluation). `enforced` turns enforcement
on for a block. `create_user` makes an IAM user holding one policy document and returns its keys.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.session
from botocore.credentials import CredentialProvider, CredentialResolver, Credentials, ReadOnlyCredentials

from omsync_workshop.lambdas import Identity
from omsync_workshop.moto_patches import require_moto_version

# DynamoDB transaction parts and the IAM action AWS checks for each.
_TRANSACT_WRITE_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_PARTIQL_TABLE = re.compile(
    r'^\s*(?:(INSERT)\s+INTO|(UPDATE)|(DELETE)\s+FROM|(SELECT)\b.*?\bFROM)\s+"?([^"\s.]+)"?(?:\."?([^"\s]+)"?)?',
    re.IGNORECASE | re.DOTALL,
)
_PARTIQL_ACTIONS = ("PartiQLInsert", "PartiQLUpdate", "PartiQLDelete", "PartiQLSelect")
_installed = threading.Lock()
_done = False


@dataclass(frozen=True)
class AccessKey:
    """An IAM user's access key pair."""

    user: str
    access_key_id: str
    secret_access_key: str


def dynamodb_authorizations(
    operation: str, body: Mapping[str, Any], region: str, account: str
) -> list[tuple[str, str]]:
    """The (IAM action without prefix, resource ARN) pairs AWS checks for one DynamoDB request."""

    def table(name: str) -> str:
        return f"arn:aws:dynamodb:{region}:{account}:table/{name}"

    if operation == "TransactWriteItems":
        pairs = []
        for item in body.get("TransactItems") or []:
            for part, action in _TRANSACT_WRITE_ACTIONS.items():
                if part in item:
                    pairs.append((action, table(str(item[part]["TableName"]))))
        return pairs
    if operation == "TransactGetItems":
        return [("GetItem", table(str(item["Get"]["TableName"]))) for item in body.get("TransactItems") or []]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [(operation, table(str(name))) for name in (body.get("RequestItems") or {})]
    if operation in ("ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"):
        statements = {"ExecuteStatement": [body], "BatchExecuteStatement": body.get("Statements") or []}.get(
            operation, body.get("TransactStatements") or []
        )
        pairs = []
        for statement in statements:
            matched = _PARTIQL_TABLE.match(str(statement.get("Statement", "")))
            if matched is None:
                pairs.append(("PartiQLSelect", "*"))  # unknown to this reader: refused by any policy naming a table
                continue
            verb = next(i for i, group in enumerate(matched.groups()[:4]) if group)
            index = f"/index/{matched.group(6)}" if matched.group(6) else ""
            pairs.append((_PARTIQL_ACTIONS[verb], table(matched.group(5)) + index))
        return pairs
    name = body.get("TableName")
    if name is None:
        return [(operation, "*")]
    resource = table(str(name))
    if operation in ("Query", "Scan") and body.get("IndexName"):
        resource += f"/index/{body['IndexName']}"
    return [(operation, resource)]


def install() -> None:
    """Teach this process's moto the resources and per-part actions of DynamoDB and Secrets Manager requests."""
    global _done
    with _installed:
        if _done:
            return
        require_moto_version("iam_resources")
        from moto.cloudwatch.responses import CloudWatchResponse
        from moto.dynamodb.responses import DynamoHandler
        from moto.iam.access_control import IAMPolicy, IAMRequest, PermissionResult
        from moto.secretsmanager.responses import SecretsManagerResponse

        def check(handler: Any, action: str, resource: str) -> None:
            class _Request(IAMRequest):
                def __init__(self, **kwargs: Any) -> None:
                    super().__init__(**{**kwargs, "action": action})

            handler._authenticate_and_authorize_action(_Request, resource)

        def authorize_dynamodb(handler: Any, resource: str = "*") -> None:
            body = handler.body if isinstance(handler.body, dict) else json.loads(handler.body or "{}")
            pairs = dynamodb_authorizations(handler._get_action(), body, handler.region, handler.current_account)
            for action, arn in pairs:
                check(handler, action, arn)

        def authorize_secret(handler: Any, resource: str = "*") -> None:
            check(handler, handler._get_action(), _secret_arn(handler))

        def authorize_cloudwatch(handler: Any, resource: str = "*") -> None:
            namespace = handler._get_param("Namespace")
            conditions = {"cloudwatch:namespace": str(namespace)} if namespace else {}

            class _Request(IAMRequest):
                def __init__(self, **kwargs: Any) -> None:
                    super().__init__(**kwargs)
                    # moto names the action by CloudWatch's endpoint prefix (monitoring:), IAM by its own.
                    self._action = self._action.replace("monitoring:", "cloudwatch:", 1)

                # moto's `check_action_permitted`, with the request's condition keys handed to each policy.
                def check_action_permitted(self, resource: str) -> None:
                    permitted = False
                    for policy in self._access_key.collect_policies():
                        result = IAMPolicy(policy).is_action_permitted(self._action, resource, None, conditions)
                        if result == PermissionResult.DENIED:
                            self._raise_access_denied()
                        permitted = permitted or result == PermissionResult.PERMITTED
                    if not permitted:
                        self._raise_access_denied()

            handler._authenticate_and_authorize_action(_Request, resource)

        # moto's hook for the resource of a request; these handlers get ones that know their resources.
        dynamodb_handler: Any = DynamoHandler
        secrets_handler: Any = SecretsManagerResponse
        cloudwatch_handler: Any = CloudWatchResponse
        dynamodb_handler._authenticate_and_authorize_normal_action = authorize_dynamodb
        secrets_handler._authenticate_and_authorize_normal_action = authorize_secret
        cloudwatch_handler._authenticate_and_authorize_normal_action = authorize_cloudwatch
        _done = True


def _secret_arn(handler: Any) -> str:
    secret_id = handler._get_param("SecretId") or handler._get_param("Name")
    if secret_id is None:
        return "*"
    try:
        return str(handler.backend.describe_secret(secret_id).arn)
    except Exception:  # noqa: BLE001 - a secret not there yet (CreateSecret) or gone: AWS names it like this
        return f"arn:aws:secretsmanager:{handler.region}:{handler.current_account}:secret:{secret_id}-??????"


@contextmanager
def enforced() -> Iterator[None]:
    """Every request to this process's moto is authenticated and authorized for the block."""
    from moto import settings

    previous = settings.INITIAL_NO_AUTH_ACTION_COUNT
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    try:
        yield
    finally:
        settings.INITIAL_NO_AUTH_ACTION_COUNT = previous


class _IdentityCredentials(Credentials):
    """Credentials whose key is looked up for every request: the identity of the calling thread's function."""

    def __init__(self, operator: Identity, identity: Callable[[], Identity | None]) -> None:
        super().__init__(operator.access_key_id, operator.secret_access_key)
        self._operator = operator
        self._identity = identity

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        who = self._identity() or self._operator
        return ReadOnlyCredentials(who.access_key_id, who.secret_access_key, None)


class _IdentityProvider(CredentialProvider):
    METHOD = "omsync-function-identity"

    def __init__(self, credentials: Credentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> Credentials:
        return self._credentials


@contextmanager
def identity_session(operator: Identity, identity: Callable[[], Identity | None]) -> Iterator[None]:
    """For the block, boto3's default session signs each request as ``identity()`` (a function running
    under its own policy on the calling thread) or else as ``operator`` (the stack, the tests).

    Clients are per process and shared by threads, while the identity is per thread: botocore asks the
    credentials for their key on every request (`get_frozen_credentials`), so it is chosen then.
    """
    session = botocore.session.Session()
    credentials = _IdentityCredentials(operator, identity)
    session.register_component("credential_provider", CredentialResolver([_IdentityProvider(credentials)]))
    previous = boto3.DEFAULT_SESSION
    boto3.DEFAULT_SESSION = boto3.Session(botocore_session=session)
    try:
        yield
    finally:
        boto3.DEFAULT_SESSION = previous


def create_user(iam: Any, name: str, policy: Mapping[str, Any]) -> AccessKey:
    """An IAM user (created through ``iam``, a boto3 IAM client) holding ``policy`` inline, and its key."""
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return AccessKey(name, key["AccessKeyId"], key["SecretAccessKey"])
