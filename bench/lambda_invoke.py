"""`lambda`: cold and warm invocation latency through the gateway's Lambda Invoke API.

Client-side latency of boto3 `lambda.invoke` (RequestResponse) on a fresh local cloud: the
first call of a function starts its worker (cold: interpreter + handler import), the next ones
reuse it (warm). Each function does one DynamoDB read through the gateway; a plain DynamoDB
GetItem from the client is shown as the baseline of that part. Cold starts are counted by the
local cloud itself (admin status), so a warm sample that was in fact cold would show up there.
"""

from __future__ import annotations

import json
import os
import time
import uuid

from bench.cloud import CpuMeter, local_cloud
from bench.stats import ms, percentile
from bench.table import show

WARM_CALLS = 50


def api_event(method: str, path: str, resource: str, parameters: dict,
              claims: dict | None = None) -> dict:
    """A minimal API Gateway REST (v1 proxy) event, as the REST API would send it (with the
    Cognito authorizer's `claims` when given)."""
    return {"resource": resource, "path": path, "httpMethod": method,
            "headers": {"Accept": "application/json"},
            "multiValueHeaders": {"Accept": ["application/json"]},
            "queryStringParameters": None, "multiValueQueryStringParameters": None,
            "pathParameters": parameters, "stageVariables": None, "body": None,
            "isBase64Encoded": False,
            "requestContext": {"resourcePath": resource, "httpMethod": method, "path": path,
                               "stage": "local", "requestId": str(uuid.uuid4()),
                               "identity": {"sourceIp": "127.0.0.1"},
                               **({"authorizer": {"claims": claims}} if claims else {})}}


def _payloads() -> dict[str, dict]:
    """Logical function name -> payload: a read of something that does not exist (404 / invalid)."""
    missing = str(uuid.uuid4())
    return {
        "get-user": api_event("GET", f"/users/{missing}", "/users/{userId}", {"userId": missing}),
        "get-order": api_event("GET", f"/orders/{missing}", "/orders/{orderId}",
                                {"orderId": missing}),
        "validate-order": {"orderId": missing, "customerId": missing,
                           "customerEmail": "bench@example.com", "amount": 10,
                           "items": [{"productId": "p-1", "quantity": 1}],
                           "paymentToken": "tok_visa"},
    }


def run() -> None:
    rows = []
    with local_cloud() as cloud:
        cloud.wait_idle()
        client = cloud.aws("lambda")
        for short_name, payload in _payloads().items():
            name = cloud.function(short_name)
            body = json.dumps(payload).encode()
            cold = invoke(client, name, body)
            meter = CpuMeter(cloud).start()
            warm = [invoke(client, name, body) for _ in range(WARM_CALLS)]
            meter.stop()
            starts = cloud.cold_starts().get(name, 0)
            rows.append([short_name, ms(cold), len(warm), ms(percentile(warm, 50)),
                         ms(percentile(warm, 95)), ms(max(warm)), starts]
                        + _cpu_per_call(meter, len(warm)))
        rows.append(_baseline(cloud))
    show(f"lambda: boto3 lambda.invoke through the gateway, fresh local cloud ({WARM_CALLS} warm "
         "calls after 1 cold one, sequential)",
         ["function", "cold ms", "warm n", "warm p50 ms", "warm p95 ms", "warm max ms",
          "cold starts", "CPU ms/call: gateway", "moto", "worker"], rows,
         ["cold starts: counted by the local cloud for the function over the whole run "
          "(1 = only the first call);",
          "CPU ms/call: CPU time of each local cloud process during the warm calls, per call "
          f"(resolution {1000 / os.sysconf('SC_CLK_TCK') / WARM_CALLS:.1f} ms)."])


def invoke(client, name: str, body: bytes) -> float:
    started = time.perf_counter()
    response = client.invoke(FunctionName=name, Payload=body)
    response["Payload"].read()
    elapsed = time.perf_counter() - started
    if response.get("FunctionError"):
        raise RuntimeError(f"{name} failed: {response['FunctionError']}")
    return elapsed


def _baseline(cloud) -> list:
    """What the functions' own DynamoDB read costs, called from the client through the gateway."""
    dynamodb = cloud.aws("dynamodb")
    table = cloud.outputs["UsersTableName"]
    samples = []
    meter = CpuMeter(cloud)
    for call in range(WARM_CALLS + 1):
        if call == 1:
            meter.start()
        started = time.perf_counter()
        dynamodb.get_item(TableName=table, Key={"userId": {"S": "missing"}})
        samples.append(time.perf_counter() - started)
    meter.stop()
    warm = samples[1:]
    return (["(baseline) dynamodb.get_item", ms(samples[0]), len(warm),
             ms(percentile(warm, 50)), ms(percentile(warm, 95)), ms(max(warm)), None]
            + _cpu_per_call(meter, len(warm)))


def _cpu_per_call(meter: CpuMeter, calls: int) -> list[float]:
    return [ms(meter.seconds.get(role, 0.0) / calls) for role in ("gateway", "moto", "worker")]
