"""`iam`: what IAM enforcement (`--iam enforce`) costs beside `--iam off`, in the same run.

Two fresh local clouds, one per mode, started one after the other (their ready times are the
start-up row) and then both kept running, the rows taking turns (`bench.auth.interleaved`) so
that the load of the shared machine falls on both modes alike. Both measured calls reach
get-user, whose DynamoDB GetItem goes through the gateway as the function's role, so the
gateway's IAM check runs on every call under `enforce`:

- a warm Lambda invoke: boto3 `lambda.invoke` of get-user with the caller's claims;
- a REST API request: `GET /users/{id}` with the caller's token (authorizer cache hit); under
  `enforce` API Gateway's invoke is also checked against get-user's resource policy (its
  Lambda permission for `apigateway.amazonaws.com`).

`python -m bench.iam --requests N` runs N calls per row (default below, ~2 minutes in all).
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack

from bench.auth import interleaved
from bench.cloud import CloudProcess, local_cloud
from bench.lambda_invoke import api_event, invoke
from bench.orders import create_customer
from bench.table import show

MODES = ("off", "enforce")
REQUESTS = 200
WARM_UP = 20


def run(requests: int = REQUESTS) -> None:
    with ExitStack() as stack:
        clouds = {mode: stack.enter_context(local_cloud(iam=mode)) for mode in MODES}
        calls = {}
        for mode, cloud in clouds.items():
            cloud.wait_idle()
            invoke_call, request_call = _calls(cloud)
            calls[f"warm invoke of get-user, --iam {mode}"] = invoke_call
            calls[f"GET /users/{{id}}, --iam {mode}"] = request_call
        before = {mode: _evaluated(cloud) for mode, cloud in clouds.items()}
        rows = {row[0]: row for row in interleaved(calls, requests=requests, warm_up=WARM_UP)}
        after = {mode: _evaluated(cloud) for mode, cloud in clouds.items()}
        checks = {mode: (after[mode][0] - before[mode][0]) / (2 * (requests + WARM_UP))
                  for mode in MODES}
        deliveries = {mode: (after[mode][1] - before[mode][1]) / (requests + WARM_UP)
                      for mode in MODES}

    table = []
    for what in ("warm invoke of get-user", "GET /users/{id}"):
        off, enforce = rows[f"{what}, --iam off"], rows[f"{what}, --iam enforce"]
        for mode, row in (("off", off), ("enforce", enforce)):
            table.append([f"{what}, --iam {mode}", row[1], row[2], row[3],
                          f"{row[2] / off[2]:.2f}", f"{row[3] / off[3]:.2f}"])
    ready = {mode: cloud.ready_seconds for mode, cloud in clouds.items()}
    table.append(["start-up (`up` ready time), --iam off", 1, ready["off"] * 1000, None,
                  "1.00", None])
    table.append(["start-up (`up` ready time), --iam enforce", 1, ready["enforce"] * 1000, None,
                  f"{ready['enforce'] / ready['off']:.2f}", None])
    show("iam: IAM enforcement beside --iam off (two fresh local clouds, one client, rows "
         "taking turns)", ["what", "n", "p50 ms", "p95 ms", "p50 / off", "p95 / off"], table,
         [f"{requests} calls per row after {WARM_UP} warm-up calls; the function's GetItem is "
          "checked against its role's policies under enforce;",
          f"IAM checks per call (the local cloud's count): off {checks['off']:.2f}, "
          f"enforce {checks['enforce']:.2f}; resource-policy checks of API Gateway's invoke "
          f"per REST request: off {deliveries['off']:.2f}, enforce {deliveries['enforce']:.2f};",
          "start-up: one start per mode (noisy on a shared machine; "
          f"added: {(ready['enforce'] - ready['off']) * 1000:.0f} ms)."])


def _calls(cloud: CloudProcess):
    """(warm invoke, REST API request) of get-user for a new customer; each checked once to
    reach the GetItem (200 with the user), so a denied or short-cut call is not measured."""
    customer = create_customer(cloud)
    path = f"/users/{customer.user_id}"
    claims = {"sub": customer.user_id, "email": customer.email, "token_use": "id"}
    body = json.dumps(api_event("GET", path, "/users/{userId}", {"userId": customer.user_id},
                                claims)).encode()
    client, name = cloud.aws("lambda"), cloud.function("get-user")
    answer = json.loads(client.invoke(FunctionName=name, Payload=body)["Payload"].read())
    if answer.get("statusCode") != 200:
        raise RuntimeError(f"get-user did not read the user: {answer}")
    session = cloud.api(customer.token)
    session.get(path).raise_for_status()
    return (lambda: invoke(client, name, body)), (lambda: session.get(path).raise_for_status())


def _evaluated(cloud: CloudProcess) -> tuple[int, int]:
    """(the functions' calls, the services' deliveries) evaluated so far."""
    iam = cloud.status()["iam"]
    return iam["calls_evaluated"], iam["deliveries_evaluated"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.iam", description=__doc__)
    parser.add_argument("--requests", type=int, default=REQUESTS, help="calls per row")
    run(parser.parse_args(argv).requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
