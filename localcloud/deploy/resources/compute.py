"""Lambda: code is extracted to the state folder and run by the local executor; functions and
event source mappings are also created in moto (so `lambda list-functions` and
`list-event-source-mappings` work; moto never runs a mapping: emulator/moto_fixes/lambda_.py)."""

from __future__ import annotations

import os

from localcloud.core.registry import AsyncInvokeConfig, EventSourceMapping, FunctionSpec
from .archives import extract, placeholder_zip
from .base import Context, as_int, drop_none, physical_name

POWERTOOLS_LAYER_ACCOUNT = "017000801446"


def layer_version(ctx: Context, name: str, inputs: dict):
    layer_name = physical_name(inputs, name, key="layerName", max_len=140)
    target = os.path.join(ctx.state_dir, "layers", layer_name)
    extract(inputs["code"], target, ctx.project_dir)
    published = ctx.aws("lambda").publish_layer_version(**drop_none({
        "LayerName": layer_name, "Description": inputs.get("description"),
        "Content": {"ZipFile": placeholder_zip()},
        "CompatibleRuntimes": inputs.get("compatibleRuntimes"),
        "CompatibleArchitectures": inputs.get("compatibleArchitectures"),
    }))
    arn = published["LayerVersionArn"]
    with ctx.lock:
        ctx.local_layers[arn] = target
    return arn, {"arn": arn, "layerArn": published["LayerArn"], "layerName": layer_name,
                 "version": str(published["Version"]), "createdDate": published["CreatedDate"]}


def function(ctx: Context, name: str, inputs: dict):
    fn_name = physical_name(inputs, name, max_len=64)
    if inputs.get("imageUri") or inputs.get("packageType") == "Image":
        raise ValueError(f"function {fn_name}: container images are not emulated")
    code_dir = os.path.join(ctx.state_dir, "functions", fn_name)
    if inputs.get("code") is None:
        raise ValueError(f"function {fn_name}: only `code` archives are emulated (not S3 keys)")
    extract(inputs["code"], code_dir, ctx.project_dir)

    layer_dirs, local_layer_arns = [], []
    for arn in inputs.get("layers") or []:
        if arn in ctx.local_layers:
            layer_dirs.append(ctx.local_layers[arn])
            local_layer_arns.append(arn)
        else:
            with ctx.lock:
                ctx.external_layers.add(arn)
    environment = {k: str(v) for k, v in
                   ((inputs.get("environment") or {}).get("variables") or {}).items()}
    logging_config = inputs.get("loggingConfig") or {}
    timeout = as_int(inputs.get("timeout"), 3)
    memory = as_int(inputs.get("memorySize"), 128)

    created = ctx.aws("lambda").create_function(**drop_none({
        "FunctionName": fn_name, "Runtime": inputs.get("runtime"), "Role": inputs["role"],
        "Handler": inputs.get("handler"), "Code": {"ZipFile": placeholder_zip()},
        "Description": inputs.get("description"), "Timeout": timeout, "MemorySize": memory,
        "Environment": {"Variables": environment} if environment else None,
        "Architectures": inputs.get("architectures"), "Layers": local_layer_arns,
        "Publish": bool(inputs.get("publish")),
        "Tags": {k: str(v) for k, v in (inputs.get("tags") or {}).items()},
        "TracingConfig": {"Mode": inputs["tracingConfig"]["mode"]}
        if (inputs.get("tracingConfig") or {}).get("mode") else None,
    }))
    arn = created["FunctionArn"]
    version = created.get("Version", "$LATEST") if inputs.get("publish") else "$LATEST"

    spec = FunctionSpec(
        name=fn_name, arn=arn, handler=inputs.get("handler", ""),
        runtime=inputs.get("runtime", ""), role_arn=inputs["role"], code_dir=code_dir,
        layer_dirs=layer_dirs, environment=environment, timeout_seconds=timeout,
        memory_mb=memory, reserved_concurrency=as_int(inputs.get("reservedConcurrentExecutions")),
        log_group=logging_config.get("logGroup") or f"/aws/lambda/{fn_name}",
        log_format=logging_config.get("logFormat") or "Text",
        log_level=logging_config.get("applicationLogLevel"),
        system_log_level=logging_config.get("systemLogLevel"),
    )
    if spec.reserved_concurrency is not None and spec.reserved_concurrency < 0:
        spec.reserved_concurrency = None  # -1 means "unreserved"
    if spec.reserved_concurrency is not None:  # in moto too: the control plane reads it back
        ctx.aws("lambda").put_function_concurrency(
            FunctionName=fn_name, ReservedConcurrentExecutions=spec.reserved_concurrency)
    with ctx.lock:
        previous = ctx.registry.functions.get(fn_name)
        if previous:  # an invoke config registered first keeps its settings
            spec.async_config = previous.async_config
        ctx.registry.functions[fn_name] = spec

    invoke_arn = _invoke_arn(ctx, arn)
    return fn_name, {
        "arn": arn, "name": fn_name, "invokeArn": invoke_arn,
        "qualifiedArn": f"{arn}:{version}", "qualifiedInvokeArn": _invoke_arn(ctx, f"{arn}:{version}"),
        "version": version, "lastModified": created.get("LastModified"),
        "sourceCodeHash": created.get("CodeSha256"), "sourceCodeSize": created.get("CodeSize"),
        "timeout": timeout, "memorySize": memory,
    }


def _invoke_arn(ctx: Context, function_arn: str) -> str:
    return (f"arn:aws:apigateway:{ctx.region}:lambda:path/2015-03-31/functions/"
            f"{function_arn}/invocations")


def _spec(ctx: Context, function_ref: str) -> FunctionSpec:
    spec = ctx.registry.function(function_ref)
    if spec is None:
        raise ValueError(f"unknown function {function_ref!r} (not created by this program)")
    return spec


def alias(ctx: Context, name: str, inputs: dict):
    spec = _spec(ctx, inputs["functionName"])
    alias_name = physical_name(inputs, name, max_len=128)
    created = ctx.aws("lambda").create_alias(
        FunctionName=spec.name, Name=alias_name,
        FunctionVersion=inputs.get("functionVersion") or "$LATEST",
        **drop_none({"Description": inputs.get("description")}))
    with ctx.lock:
        spec.aliases[alias_name] = created["AliasArn"]
    return created["AliasArn"], {"arn": created["AliasArn"], "name": alias_name,
                                 "invokeArn": _invoke_arn(ctx, created["AliasArn"])}


def permission(ctx: Context, name: str, inputs: dict):
    spec = _spec(ctx, inputs["function"])
    statement_id = inputs.get("statementId") or f"{inputs.get('statementIdPrefix', '')}{name}"
    ctx.aws("lambda").add_permission(**drop_none({
        "FunctionName": spec.name, "StatementId": statement_id, "Action": inputs["action"],
        "Principal": inputs["principal"], "SourceArn": inputs.get("sourceArn"),
        "SourceAccount": inputs.get("sourceAccount"), "Qualifier": inputs.get("qualifier"),
    }))
    return statement_id, {"statementId": statement_id}


def function_event_invoke_config(ctx: Context, name: str, inputs: dict):
    spec = _spec(ctx, inputs["functionName"])
    destinations = inputs.get("destinationConfig") or {}
    config = AsyncInvokeConfig(
        maximum_retry_attempts=as_int(inputs.get("maximumRetryAttempts"), 2),
        maximum_event_age_seconds=as_int(inputs.get("maximumEventAgeInSeconds"), 21600),
        on_failure_arn=(destinations.get("onFailure") or {}).get("destination"),
        on_success_arn=(destinations.get("onSuccess") or {}).get("destination"),
    )
    with ctx.lock:
        spec.async_config = config
    moto_destinations = drop_none({
        "OnFailure": {"Destination": config.on_failure_arn} if config.on_failure_arn else None,
        "OnSuccess": {"Destination": config.on_success_arn} if config.on_success_arn else None,
    })
    ctx.aws("lambda").put_function_event_invoke_config(**drop_none({
        "FunctionName": spec.name, "MaximumRetryAttempts": config.maximum_retry_attempts,
        "MaximumEventAgeInSeconds": config.maximum_event_age_seconds,
        "DestinationConfig": moto_destinations or None,
    }))
    return spec.name, {}


def event_source_mapping(ctx: Context, name: str, inputs: dict):
    # Stored in moto, which never runs it (moto_fixes); the local cloud polls it.
    spec = _spec(ctx, inputs["functionName"])
    source = inputs.get("eventSourceArn", "")
    if ":sqs:" not in source:
        ctx.note(f"event source mapping {name}: only SQS sources are polled ({source or 'none'})")
    scaling = inputs.get("scalingConfig") or {}
    created = ctx.aws("lambda").create_event_source_mapping(**drop_none({
        "FunctionName": spec.name, "EventSourceArn": source,
        "BatchSize": as_int(inputs.get("batchSize")),
        "MaximumBatchingWindowInSeconds": as_int(inputs.get("maximumBatchingWindowInSeconds")),
        "FunctionResponseTypes": list(inputs.get("functionResponseTypes") or []) or None,
        "ScalingConfig": {"MaximumConcurrency": as_int(scaling["maximumConcurrency"])}
        if scaling.get("maximumConcurrency") else None,
        "Enabled": inputs.get("enabled", True) is not False,
    }))
    mapping = EventSourceMapping.from_api(created)
    with ctx.lock:
        ctx.registry.event_source_mappings.append(mapping)
    return mapping.uuid, {"uuid": mapping.uuid, "functionArn": spec.arn,
                          "state": "Enabled" if mapping.enabled else "Disabled"}


def provisioned_concurrency_config(ctx: Context, name: str, inputs: dict):
    # Emulated by keeping that many workers warm from the start.
    spec = _spec(ctx, inputs["functionName"])
    with ctx.lock:
        spec.provisioned_concurrency = as_int(inputs.get("provisionedConcurrentExecutions"), 0)
    return f"{spec.name},{inputs.get('qualifier', '')}", {}


HANDLERS = {
    "aws:lambda/layerVersion:LayerVersion": layer_version,
    "aws:lambda/function:Function": function,
    "aws:lambda/alias:Alias": alias,
    "aws:lambda/permission:Permission": permission,
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": function_event_invoke_config,
    "aws:lambda/eventSourceMapping:EventSourceMapping": event_source_mapping,
    "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig":
        provisioned_concurrency_config,
}
