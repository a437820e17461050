"""The order timeline: everything the cloud saw of one order id, in time order.

- **API**: function log lines with `orderId` (a JSON filter pattern on every function's log
  group), and for each line with an `apiRequestId` the REST API access log line of that request;
- **event**: events the EventBridge router matched whose JSON names the id, at the time it
  routed them (the router's recent events: nothing else keeps them; an event's own `time`
  has only whole seconds);
- **queue**: SQS messages naming the id handed to a function (the pollers' recent batches;
  a processed message is deleted from its queue);
- **workflow**: the state entries and exits of the Step Functions executions named after the
  id (GetExecutionHistory).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from localcloud.core.pagination import all_items

from .source import Source, epoch


def timeline(source: Source, order_id: str) -> list[dict[str, Any]]:
    entries = (_logs(source, order_id) + _events(source, order_id)
               + _messages(source, order_id) + _workflow(source, order_id))
    return sorted(entries, key=lambda e: e["at"])


def _entry(at: Any, kind: str, title: str, detail: Any = "", link: str | None = None) -> dict:
    return {"at": epoch(at), "kind": kind, "title": title, "detail": detail, "link": link}


def _filter(source: Source, group: str, pattern: str) -> list[dict]:
    logs = source.aws("logs")
    try:
        return all_items(logs, "filter_log_events", "events", logGroupName=group,
                         filterPattern=pattern)
    except logs.exceptions.ResourceNotFoundException:
        return []


def access_log_groups(source: Source) -> list[str]:
    """The access log groups of the deployed REST APIs' stages."""
    apigateway = source.aws("apigateway")
    groups = []
    for api_id in source.registry.rest_api_ids:
        for stage in apigateway.get_stages(restApiId=api_id).get("item", []):
            arn = stage.get("accessLogSettings", {}).get("destinationArn", "")
            if ":log-group:" in arn:
                groups.append(arn.split(":log-group:", 1)[1].removesuffix(":*"))
    return groups


def _logs(source: Source, order_id: str) -> list[dict]:
    entries, requests = [], []
    for spec in source.registry.functions.values():
        for event in _filter(source, spec.log_group, f'{{ $.orderId = "{order_id}" }}'):
            line = json.loads(event["message"])
            entries.append(_entry(event["timestamp"], "log", f"{spec.name}: {line.get('message')}",
                                  event["message"], f"functions/{spec.name}"))
            if line.get("apiRequestId"):
                requests.append(line["apiRequestId"])
    for group in access_log_groups(source) if requests else []:
        for request_id in requests:
            for event in _filter(source, group, f'{{ $.requestId = "{request_id}" }}'):
                line = json.loads(event["message"])
                entries.append(_entry(
                    event["timestamp"], "api",
                    f"{line.get('httpMethod')} {line.get('resourcePath')} → {line.get('status')}",
                    event["message"]))
    return entries


def _events(source: Source, order_id: str) -> list[dict]:
    return [_entry(routed["at"], "event",
                   f"{routed['event']['detail-type']} on bus {routed['bus']} → "
                   f"{len(routed['rules'])} rule(s): "
                   f"{', '.join(arn.rsplit('/', 1)[-1] for arn in routed['rules']) or 'none'}",
                   routed["event"])
            for routed in source.recent_events() if order_id in json.dumps(routed["event"])]


def _messages(source: Source, order_id: str) -> list[dict]:
    entries = []
    for batch in source.recent_batches():
        queue = batch["queue_arn"].rsplit(":", 1)[-1]
        for message in batch["messages"]:
            if order_id not in message["body"]:
                continue
            failed = batch["failed"] == "all" or message["messageId"] in batch["failed"]
            entries.append(_entry(batch["at"], "queue",
                                  f"message {message['messageId']} from {queue} → "
                                  f"{batch['function']} ({'failed' if failed else 'processed'})",
                                  message["body"], f"queues/{queue}"))
    return entries


def _workflow(source: Source, order_id: str) -> list[dict]:
    sfn = source.aws("stepfunctions")
    entries = []
    for machine in all_items(sfn, "list_state_machines", "stateMachines"):
        arn = machine["stateMachineArn"].replace(":stateMachine:", ":execution:") + f":{order_id}"
        try:
            events = all_items(sfn, "get_execution_history", "events", executionArn=arn)
        except ClientError:
            continue  # no execution of this machine for the order
        for event in events:
            details = event.get("stateEnteredEventDetails") or event.get(
                "stateExitedEventDetails")
            if details:
                verb = "entered" if "stateEnteredEventDetails" in event else "exited"
                title = f"{machine['name']}: {details['name']} {verb}"
                detail = details.get("input") or details.get("output") or ""
            elif event["type"].startswith("Execution"):
                title, detail = f"{machine['name']}: {event['type']}", ""
            else:
                continue
            entries.append(_entry(event["timestamp"], "workflow", title, detail,
                                  f"executions/{arn}"))
    return entries
