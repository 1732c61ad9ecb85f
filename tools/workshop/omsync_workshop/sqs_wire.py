"""The SQS emulator's own client: SQS's JSON protocol over keep-alive HTTP, without botocore.

Lambda's pollers are AWS's code, not the functions'. With botocore, each poller call was serialised
against the service model, signed, passed through its event hooks and parsed back: twenty calls per
batch of 100, a fifth of the local world's CPU in a flash-sale drain. This client posts the same JSON
requests to moto and reads the JSON answers as they are. moto does not verify signatures; the
Authorization header only tells it the service and region, as a signed request's would.

The calls take botocore's keyword arguments and answer its dicts, except that binary message
attributes stay base64 text (the form Lambda's records carry anyway). An error answer raises
botocore's `ClientError` with the same code and message.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import boto3
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError

_TARGET_PREFIX = "AmazonSQS."
_CONTENT_TYPE = "application/x-amz-json-1.0"
TIMEOUT_SECONDS = 30.0


class SqsWire:
    """ReceiveMessage, ChangeMessageVisibility and DeleteMessageBatch against one SQS endpoint."""

    def __init__(self, endpoint: str, region: str, access_key: str = "testing", *, signed: bool = False) -> None:
        self._url = endpoint.rstrip("/") + "/"
        self._region = region
        # Signed only for a moto that enforces IAM: SigV4 costs a botocore request object per call.
        self._credentials = boto3.Session().get_credentials() if signed else None
        self._authorization = (
            f"AWS4-HMAC-SHA256 Credential={access_key}/20000101/{region}/sqs/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-target, Signature=unsigned"
        )
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
        return session

    def call(self, action: str, **params: Any) -> dict[str, Any]:
        """One SQS action with botocore-style parameters; the answer's JSON object."""
        body = json.dumps(params)
        headers = {"Content-Type": _CONTENT_TYPE, "X-Amz-Target": _TARGET_PREFIX + action}
        if self._credentials is None:
            headers["Authorization"] = self._authorization
        else:
            request = AWSRequest(method="POST", url=self._url, data=body, headers=headers)
            SigV4Auth(self._credentials, "sqs", self._region).add_auth(request)
            headers = dict(request.headers.items())
        response = self._session().post(self._url, data=body, headers=headers, timeout=TIMEOUT_SECONDS)
        answer: dict[str, Any] = response.json() if response.content else {}
        if response.status_code >= 300:
            code = str(answer.get("__type") or answer.get("code") or response.status_code).rsplit("#", 1)[-1]
            message = str(answer.get("message") or answer.get("Message") or response.text)
            raise ClientError({"Error": {"Code": code, "Message": message}}, action)
        return answer

    def receive_message(self, **params: Any) -> dict[str, Any]:
        return self.call("ReceiveMessage", **params)

    def change_message_visibility(self, **params: Any) -> dict[str, Any]:
        return self.call("ChangeMessageVisibility", **params)

    def delete_message_batch(self, **params: Any) -> dict[str, Any]:
        return self.call("DeleteMessageBatch", **params)
