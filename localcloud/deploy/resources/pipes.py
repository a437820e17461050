"""EventBridge Pipes: stored in moto (Describe/Stop/StartPipe answer as AWS does) and recorded
in the registry, where the local pipe runners read them; moto itself never runs a pipe.

Emulated: a DynamoDB stream source (starting position, batch size and window, retries, record
age, AUTOMATIC_BISECT, an SQS dead-letter queue, filter criteria), a Lambda enrichment without
enrichment parameters, and an event bus target with source, detail type and resources. Any
other source, enrichment, target or parameter fails the deployment, naming the key: the local
cloud must not run a pipe differently from AWS without saying so.
"""

from __future__ import annotations

from localcloud.core.arns import Arn
from localcloud.core.registry import PipeSpec

from .base import Context, as_int, drop_none, physical_name

_STREAM_KEYS = {"startingPosition", "batchSize", "maximumBatchingWindowInSeconds",
                "maximumRetryAttempts", "maximumRecordAgeInSeconds",
                "onPartialBatchItemFailure", "deadLetterConfig", "parallelizationFactor"}
_BUS_KEYS = {"source", "detailType", "resources"}
_PIPE_KEYS = {"name", "namePrefix", "description", "desiredState", "roleArn", "source",
              "target", "enrichment", "sourceParameters", "targetParameters", "tags", "region"}


class PipeNotEmulated(ValueError):
    """A pipe feature the local cloud does not run."""

    def __init__(self, key: str, why: str):
        super().__init__(f"{key}: {why} (the local cloud emulates DynamoDB stream -> "
                         "[Lambda enrichment] -> event bus pipes only)")


def _unsupported(section: dict, allowed: set[str], prefix: str) -> None:
    for key, value in section.items():
        if key not in allowed and value not in (None, {}, [], ""):
            raise PipeNotEmulated(f"{prefix}{key}", "not emulated")


def pipe_spec(name: str, arn: str, inputs: dict) -> PipeSpec:
    """The registry's pipe for Pulumi inputs; raises `PipeNotEmulated` naming the first key the
    local cloud cannot run."""
    _unsupported(inputs, _PIPE_KEYS, "")
    source, target = inputs["source"], inputs["target"]
    if not (Arn.is_arn(source) and Arn.parse(source).service == "dynamodb"
            and "/stream/" in source):
        raise PipeNotEmulated("source", f"{source} is not a DynamoDB stream")
    if not (Arn.is_arn(target) and Arn.parse(target).service == "events"
            and ":event-bus/" in target):
        raise PipeNotEmulated("target", f"{target} is not an event bus")
    enrichment = inputs.get("enrichment")
    if enrichment and not (Arn.is_arn(enrichment) and Arn.parse(enrichment).service == "lambda"):
        raise PipeNotEmulated("enrichment", f"{enrichment} is not a Lambda function")

    source_parameters = inputs.get("sourceParameters") or {}
    _unsupported(source_parameters, {"dynamodbStreamParameters", "filterCriteria"},
                 "sourceParameters.")
    stream = source_parameters.get("dynamodbStreamParameters") or {}
    _unsupported(stream, _STREAM_KEYS, "sourceParameters.dynamodbStreamParameters.")
    if (as_int(stream.get("parallelizationFactor"), 1) or 1) > 1:
        raise PipeNotEmulated("sourceParameters.dynamodbStreamParameters.parallelizationFactor",
                              "only 1 (one batch per shard at a time) is emulated")
    dead_letter = (stream.get("deadLetterConfig") or {}).get("arn")
    if dead_letter and Arn.parse(dead_letter).service != "sqs":
        raise PipeNotEmulated("sourceParameters.dynamodbStreamParameters.deadLetterConfig.arn",
                              "only an SQS queue is emulated")
    filters = [f["pattern"] for f in
               (source_parameters.get("filterCriteria") or {}).get("filters") or []]

    target_parameters = inputs.get("targetParameters") or {}
    _unsupported(target_parameters, {"eventbridgeEventBusParameters"}, "targetParameters.")
    bus = target_parameters.get("eventbridgeEventBusParameters") or {}
    _unsupported(bus, _BUS_KEYS, "targetParameters.eventbridgeEventBusParameters.")
    return PipeSpec(
        name=name, arn=arn, source_arn=source, target_arn=target,
        role_arn=inputs.get("roleArn"),
        starting_position=stream.get("startingPosition") or "LATEST",
        batch_size=as_int(stream.get("batchSize"), 100),
        maximum_batching_window_seconds=as_int(stream.get("maximumBatchingWindowInSeconds"), 0),
        maximum_retry_attempts=as_int(stream.get("maximumRetryAttempts"), -1),
        maximum_record_age_seconds=as_int(stream.get("maximumRecordAgeInSeconds"), -1),
        bisect_on_failure=stream.get("onPartialBatchItemFailure") == "AUTOMATIC_BISECT",
        dead_letter_arn=dead_letter, filters=filters,
        enrichment_function=enrichment or None,
        source=bus.get("source"), detail_type=bus.get("detailType"),
        resources=list(bus.get("resources") or []))


def pipe(ctx: Context, name: str, inputs: dict):
    pipe_name = physical_name(inputs, name, max_len=64, allowed=r"[^\w.-]")
    spec = pipe_spec(pipe_name, ctx.arn("pipes", f"pipe/{pipe_name}"), inputs)
    stream = (inputs.get("sourceParameters") or {}).get("dynamodbStreamParameters") or {}
    created = ctx.aws("pipes").create_pipe(**drop_none({
        "Name": pipe_name, "RoleArn": inputs["roleArn"], "Source": spec.source_arn,
        "Target": spec.target_arn, "Enrichment": inputs.get("enrichment"),
        "Description": inputs.get("description"),
        "DesiredState": inputs.get("desiredState") or "RUNNING",
        "SourceParameters": {"DynamoDBStreamParameters": drop_none({
            "StartingPosition": spec.starting_position, "BatchSize": spec.batch_size,
            "MaximumRetryAttempts": as_int(stream.get("maximumRetryAttempts")),
            "MaximumRecordAgeInSeconds": as_int(stream.get("maximumRecordAgeInSeconds")),
            "OnPartialBatchItemFailure": stream.get("onPartialBatchItemFailure"),
            "DeadLetterConfig": {"Arn": spec.dead_letter_arn} if spec.dead_letter_arn else None,
        })},
        "Tags": inputs.get("tags"),
    }))
    spec.arn = created["Arn"]
    with ctx.lock:
        ctx.registry.pipes.append(spec)
    ctx.note(f"pipe {pipe_name}: run locally (DynamoDB stream polling, filter, "
             f"{'Lambda enrichment, ' if spec.enrichment_function else ''}PutEvents to the bus, "
             "retries, DLQ); other pipe sources, enrichments and targets are refused at deploy")
    return pipe_name, {"arn": created["Arn"], "name": pipe_name,
                       "currentState": created.get("CurrentState")}


HANDLERS = {"aws:pipes/pipe:Pipe": pipe}
