"""`overhead`: what the local cloud adds to `GET /users/{id}` beside the DynamoDB GetItem the
function sends, measured side by side on one fresh local cloud.

The baseline is a raw boto3 GetItem of the same item through the same gateway: the route adds
the HTTP hop to the REST API server, the Cognito authorizer (token cached), the proxy event,
the executor's channel to the worker, Powertools, and the response back. One client, the rows
taking turns (`bench.auth.interleaved`), then 4 clients each with its own session, every row
with its ratio to the baseline of the same run.
"""

from __future__ import annotations

from bench.api import run_clients
from bench.auth import interleaved
from bench.cloud import local_cloud
from bench.orders import create_customer
from bench.stats import ms, percentile
from bench.table import show

REQUESTS = 200
CLIENTS = 4


def run() -> None:
    with local_cloud() as cloud:
        cloud.wait_idle()
        users = [create_customer(cloud) for _ in range(4)]
        customer = users[0]
        path = f"/users/{customer.user_id}"
        session = cloud.api(customer.token)
        dynamodb = cloud.aws("dynamodb")
        table = cloud.outputs["UsersTableName"]

        def get_item(user) -> None:
            dynamodb.get_item(TableName=table, Key={"userId": {"S": user.user_id}})

        route, raw = "GET /users/{id} (authorized, token cached)", "raw GetItem through the gateway"
        rows = interleaved({route: lambda: session.get(path).raise_for_status(),
                            raw: lambda: get_item(customer)}, requests=REQUESTS, warm_up=20)
        base = float(rows[1][2])
        show("overhead: GET /users/{id} beside the GetItem it sends (one client, rows taking turns)",
             ["what", "n", "p50 ms", "p95 ms", "max ms", "p50 / raw GetItem"],
             [row + [f"{float(row[2]) / base:.2f}"] for row in rows],
             ["raw GetItem: boto3 from this process through the same gateway to moto (the "
              "function's own AWS call)."])

        def get_user(client_session, i):
            user = users[i % len(users)]
            return client_session.get(f"/users/{user.user_id}",
                                      headers={"Authorization": user.token})

        def raw_get(_session, i):
            get_item(users[i % len(users)])
            return _Ok

        rates = []
        for label, request in ((route, get_user), (raw, raw_get)):
            run_clients(cloud, request, 4 * CLIENTS, CLIENTS)  # warm-up: a worker per client
            latencies, statuses, wall = run_clients(cloud, request, REQUESTS, CLIENTS)
            errors = sum(n for status, n in statuses.items() if status == 0 or status >= 400)
            rates.append([label, CLIENTS, len(latencies), ms(percentile(latencies, 50)),
                          ms(percentile(latencies, 95)), len(latencies) / wall, errors])
        show(f"overhead: {CLIENTS} concurrent clients",
             ["what", "clients", "n", "p50 ms", "p95 ms", "req/s", "errors"], rates,
             [f"req/s ratio route / raw GetItem: {rates[0][5] / rates[1][5]:.2f}"])


class _Ok:
    status_code = 200
