"""The IAM action(s) and resource ARN(s) of one AWS API call, derived from the request as AWS does.

Covered: the APIs the platform's functions call — DynamoDB (item, query and batch operations on
the table ARN, `IndexName` on `.../index/NAME`, `TransactWriteItems` / `TransactGetItems` as the
item action of each entry on its table: there is no IAM action of the transaction itself), SQS
(the queue ARN from `QueueUrl`; the batch calls are authorized by their single-message action),
SNS `Publish`/`PublishBatch`, EventBridge `PutEvents` (per bus), Step Functions
(`stateMachineArn` / `executionArn`), Secrets Manager (`SecretId` resolved to the secret's ARN),
SES `SendEmail`/`SendRawEmail`/`SendTemplatedEmail` (the `Source` identity, with
`ses:FromAddress`), CloudWatch `PutMetricData` (no resource type: `*`, with
`cloudwatch:namespace`; boto3 speaks its JSON protocol) and Lambda `Invoke`. Anything else
maps to `None`: the caller allows it and reports it as not checked.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import parse_qs, unquote

from localcloud.core.arns import Arn
from localcloud.core.faults import action_of, credential_scope
from localcloud.core.http import GatewayRequest

from .policy import Request

# Signing names whose IAM prefix differs.
_IAM_PREFIX = {"monitoring": "cloudwatch"}
_SQS_SINGLE = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
               "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}
_DYNAMODB_ENTRY = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                   "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
_SES_SEND = {"SendEmail", "SendRawEmail", "SendTemplatedEmail"}
_INVOKE = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")


@dataclass(frozen=True)
class Call:
    """An API call as IAM sees it: `service:Action` and what it evaluates."""

    action: str  # the API's name, e.g. "dynamodb:TransactWriteItems"
    requests: tuple[Request, ...] | None  # None: not mapped (allowed, reported as not checked)


class CallMapper:
    """Maps a gateway request to its `Call`; `secret_arn` resolves a secret's name to its ARN."""

    def __init__(self, account_id: str, secret_arn: Callable[[str, str], str]):
        self.account_id = account_id
        self.secret_arn = secret_arn
        self.by_prefix = {"dynamodb": self._dynamodb, "sqs": self._sqs, "sns": self._sns,
                          "events": self._events, "states": self._states,
                          "secretsmanager": self._secretsmanager, "ses": self._ses,
                          "cloudwatch": self._cloudwatch}

    def call_of(self, request: GatewayRequest) -> Call | None:
        """The call, or None when the request is no signed AWS API call."""
        scope = credential_scope(request)
        if scope is None:
            return None
        region = scope[2]
        invoke = _INVOKE.match(request.path)
        if invoke and request.method == "POST":
            return Call("lambda:InvokeFunction", (Request(
                "lambda:InvokeFunction", self._function_arn(unquote(invoke["name"]), region,
                                                            request.query)),))
        named = action_of(request)
        if named is None:
            return None
        service, api = named
        prefix = _IAM_PREFIX.get(service, service)
        mapper = self.by_prefix.get(prefix)
        try:
            requests = mapper(api, request, region) if mapper else None
        except (ValueError, KeyError, TypeError, AttributeError):  # a malformed call: moto says
            requests = None
        return Call(f"{prefix}:{api}", tuple(requests) if requests else None)

    # -- per service: the (action, resource) pairs, or None ----------------------------------

    def _arn(self, service: str, region: str, resource: str) -> str:
        return f"arn:aws:{service}:{region}:{self.account_id}:{resource}"

    def _function_arn(self, name: str, region: str, query: str) -> str:
        arn = name if name.startswith("arn:") else self._arn("lambda", region, f"function:{name}")
        qualifier = (parse_qs(query).get("Qualifier") or [None])[0]
        return f"{arn}:{qualifier}" if qualifier and arn.count(":") == 6 else arn

    def _dynamodb(self, api: str, request: GatewayRequest, region: str):
        body = json.loads(request.body or b"{}")
        table = lambda name: self._arn("dynamodb", region, f"table/{name}")  # noqa: E731
        if api in ("TransactWriteItems", "TransactGetItems"):
            return [Request(f"dynamodb:{_DYNAMODB_ENTRY[kind]}", table(entry[kind]["TableName"]))
                    for entry in body["TransactItems"] for kind in entry]
        if api in ("BatchWriteItem", "BatchGetItem"):
            return [Request(f"dynamodb:{api}", table(name)) for name in body["RequestItems"]]
        if "TableName" not in body:
            return None
        resource = table(body["TableName"])
        if body.get("IndexName"):
            resource += f"/index/{body['IndexName']}"
        return [Request(f"dynamodb:{api}", resource)]

    def _sqs(self, api: str, request: GatewayRequest, region: str):
        body = json.loads(request.body or b"{}")
        if "QueueUrl" in body:
            account, name = body["QueueUrl"].rstrip("/").split("/")[-2:]
        elif api == "GetQueueUrl":
            account, name = body.get("QueueOwnerAWSAccountId", self.account_id), body["QueueName"]
        else:
            return None
        arn = f"arn:aws:sqs:{region}:{account}:{name}"
        return [Request(f"sqs:{_SQS_SINGLE.get(api, api)}", arn)]

    def _sns(self, api: str, request: GatewayRequest, region: str):
        if api not in ("Publish", "PublishBatch"):
            return None
        if request.header("X-Amz-Target"):  # the JSON protocol of newer SDKs
            body = json.loads(request.body or b"{}")
            topic = body.get("TopicArn") or body.get("TargetArn")
        else:
            form = parse_qs(request.body.decode())
            topic = (form.get("TopicArn") or form.get("TargetArn") or [None])[0]
        return [Request("sns:Publish", topic)] if topic else None

    def _events(self, api: str, request: GatewayRequest, region: str):
        if api != "PutEvents":
            return None
        buses = [entry.get("EventBusName") or "default"
                 for entry in json.loads(request.body)["Entries"]]
        arns = [bus if Arn.is_arn(bus) else self._arn("events", region, f"event-bus/{bus}")
                for bus in buses]
        return [Request("events:PutEvents", arn) for arn in dict.fromkeys(arns)]  # once each

    def _states(self, api: str, request: GatewayRequest, region: str):
        body = json.loads(request.body or b"{}")
        arn = body.get("stateMachineArn") or body.get("executionArn")
        return [Request(f"states:{api}", arn)] if arn else None

    def _secretsmanager(self, api: str, request: GatewayRequest, region: str):
        secret = json.loads(request.body or b"{}").get("SecretId")
        return [Request(f"secretsmanager:{api}", self.secret_arn(secret, region))] \
            if secret else None

    def _ses(self, api: str, request: GatewayRequest, region: str):
        if api not in _SES_SEND:
            return None
        source = (parse_qs(request.body.decode()).get("Source") or [None])[0]
        if not source:
            return None
        address = source.rsplit("<", 1)[-1].rstrip(">").strip()  # "Name <a@b>" -> a@b
        return [Request(f"ses:{api}", self._arn("ses", region, f"identity/{address}"),
                        (("ses:FromAddress", address),))]

    def _cloudwatch(self, api: str, request: GatewayRequest, region: str):
        if api != "PutMetricData":
            return None
        namespace = json.loads(request.body or b"{}").get("Namespace")
        return [Request("cloudwatch:PutMetricData", "*",
                        (("cloudwatch:namespace", namespace),) if namespace else ())]
