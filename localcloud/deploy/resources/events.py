"""EventBridge (buses, rules and targets are stored in moto; the local router delivers) and
Step Functions (moto executes state machines)."""

from __future__ import annotations

from .base import Context, as_int, drop_none, physical_name, tag_list


def event_bus(ctx: Context, name: str, inputs: dict):
    bus_name = physical_name(inputs, name, max_len=256, allowed=r"[^\w/.-]")
    created = ctx.aws("events").create_event_bus(**drop_none({
        "Name": bus_name, "Description": inputs.get("description"),
        "Tags": tag_list(inputs.get("tags")),
    }))
    return bus_name, {"arn": created["EventBusArn"], "name": bus_name}


def event_rule(ctx: Context, name: str, inputs: dict):
    rule_name = physical_name(inputs, name, max_len=64, allowed=r"[^\w.-]")
    bus = inputs.get("eventBusName") or "default"
    state = inputs.get("state") or ("DISABLED" if inputs.get("isEnabled") is False else "ENABLED")
    created = ctx.aws("events").put_rule(**drop_none({
        "Name": rule_name, "EventBusName": bus, "EventPattern": inputs.get("eventPattern"),
        "ScheduleExpression": inputs.get("scheduleExpression"), "State": state,
        "Description": inputs.get("description"), "RoleArn": inputs.get("roleArn"),
        "Tags": tag_list(inputs.get("tags")),
    }))
    rule_id = rule_name if bus == "default" else f"{bus}/{rule_name}"
    return rule_id, {"arn": created["RuleArn"], "name": rule_name, "state": state}


def event_target(ctx: Context, name: str, inputs: dict):
    bus = inputs.get("eventBusName") or "default"
    target_id = inputs.get("targetId") or name[:64]
    retry = inputs.get("retryPolicy") or {}
    transformer = inputs.get("inputTransformer") or {}
    target = drop_none({
        "Id": target_id, "Arn": inputs["arn"], "RoleArn": inputs.get("roleArn"),
        "Input": inputs.get("input"), "InputPath": inputs.get("inputPath"),
        "InputTransformer": drop_none({"InputPathsMap": transformer.get("inputPaths"),
                                       "InputTemplate": transformer.get("inputTemplate")}) or None,
        "RetryPolicy": drop_none({
            "MaximumRetryAttempts": as_int(retry.get("maximumRetryAttempts")),
            "MaximumEventAgeInSeconds": as_int(retry.get("maximumEventAgeInSeconds"))}) or None,
        "DeadLetterConfig": drop_none({"Arn": (inputs.get("deadLetterConfig") or {}).get("arn")})
        or None,
        "SqsParameters": drop_none({"MessageGroupId": (inputs.get("sqsTarget") or {})
                                    .get("messageGroupId")}) or None,
    })
    result = ctx.aws("events").put_targets(Rule=inputs["rule"], EventBusName=bus, Targets=[target])
    if result.get("FailedEntryCount"):
        raise ValueError(f"put_targets failed: {result['FailedEntries']}")
    return f"{bus}-{inputs['rule']}-{target_id}", {"targetId": target_id}


def state_machine(ctx: Context, name: str, inputs: dict):
    machine_name = physical_name(inputs, name, max_len=80)
    tracing = inputs.get("tracingConfiguration") or {}
    created = ctx.aws("stepfunctions").create_state_machine(**drop_none({
        "name": machine_name, "definition": inputs["definition"], "roleArn": inputs["roleArn"],
        "type": inputs.get("type") or "STANDARD",
        "tracingConfiguration": {"enabled": bool(tracing.get("enabled"))} if tracing else None,
        "loggingConfiguration": _logging_configuration(inputs.get("loggingConfiguration")),
        "tags": tag_list(inputs.get("tags"), "key", "value"),
    }))
    arn = created["stateMachineArn"]
    return arn, {"arn": arn, "name": machine_name, "status": "ACTIVE",
                 "creationDate": created["creationDate"].isoformat(),
                 "stateMachineVersionArn": created.get("stateMachineVersionArn", "")}


def _logging_configuration(logging: dict | None) -> dict | None:
    """Pulumi's loggingConfiguration (one log destination ARN) in the Step Functions API's
    shape; the moto server writes the execution logs (emulator/moto_fixes/stepfunctions.py)."""
    if not logging:
        return None
    destination = logging.get("logDestination")
    return drop_none({
        "level": logging.get("level") or "OFF",
        "includeExecutionData": bool(logging.get("includeExecutionData")),
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": destination}}]
        if destination else None,
    })


HANDLERS = {
    "aws:cloudwatch/eventBus:EventBus": event_bus,
    "aws:cloudwatch/eventRule:EventRule": event_rule,
    "aws:cloudwatch/eventTarget:EventTarget": event_target,
    "aws:sfn/stateMachine:StateMachine": state_machine,
}
