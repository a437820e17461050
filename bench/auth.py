"""`auth`: what the Cognito authorizer adds to `GET /users/{id}` on the local cloud.

On one fresh local cloud, one client, sequential requests after a warm-up, the rows taking
turns so that the load of the (shared) machine falls on all of them alike:

- over HTTP, the real route with the caller's token: the same token again (the authorizer's
  token cache answers) and a new token for every request (signature and claims checked each
  time: what a cache miss costs);
- over HTTP, the unauthenticated figure: the same get-user function behind a copy of the route
  without authorizer (a second REST API added for the run with boto3). Without claims the
  function answers 401 itself before its DynamoDB GetItem, so that row also lacks one GetItem,
  which the next row measures (boto3 GetItem from this process through the gateway);
- the authorizer's own check, in this process with the code the local REST API server runs
  (`CognitoAuthorizer`, the pool's JWKS and app clients read from the running cloud): a cache
  hit, and a full check without the cache. These are the added latency itself, without the
  HTTP noise around it.
"""

from __future__ import annotations

import time
import uuid
from typing import Callable

from bench.cloud import CloudProcess, local_cloud
from bench.orders import create_customer
from bench.stats import ms, percentile
from bench.table import show
from localcloud.core.clients import open_proxy_api
from localcloud.core.pagination import all_items
from localcloud.services.apigateway.authorizer import Authorizer, CognitoAuthorizer, local_pools

REQUESTS = 100
WARM_UP = 10


def run() -> None:
    with local_cloud() as cloud:
        cloud.wait_idle()
        customer = create_customer(cloud)
        api_id = cloud.outputs["ApiUrl"].split("/restapis/")[1].split("/")[0]
        fresh = [cloud.new_token(customer.email) for _ in range(REQUESTS + WARM_UP)]
        path = f"/users/{customer.user_id}"
        same = cloud.api(customer.token)
        renewed = cloud.api()
        tokens = iter(fresh)
        open_api = cloud.api()
        open_api.base_url = _open_copy(cloud, api_id)
        table, key = cloud.outputs["UsersTableName"], {"userId": {"S": customer.user_id}}
        dynamodb = cloud.aws("dynamodb")

        cached, uncached = _checkers(cloud, api_id)
        rows = interleaved({
            "GET /users/{id}, token cached (the same token again)":
                lambda: _ok(same.get(path)),
            "GET /users/{id}, a new token per request (no cache hit)":
                lambda: _ok(renewed.get(path, headers={"Authorization": next(tokens)})),
            "GET /users/{id} without authorizer (function answers 401, no GetItem)":
                lambda: _status(open_api.get(path), 401),
            "  the GetItem that row skips (boto3 through the gateway)":
                lambda: dynamodb.get_item(TableName=table, Key=key),
            "authorizer check alone, cache hit (in-process)":
                lambda: cached(customer.token),
            "authorizer check alone, no cache (in-process: signature, claims, client)":
                lambda: uncached(customer.token),
        })
        show("auth: authorization on GET /users/{id} (one fresh local cloud, one client)", ["what", "n", "p50 ms", "p95 ms", "max ms"], rows,
             [f"{REQUESTS} calls per row after {WARM_UP} warm-up calls, the rows taking turns "
              "(one call of each, then again).",
              "Added latency of authorization = the in-process rows; the HTTP rows show it "
              "beside the route without authorizer (add the GetItem row to compare like with "
              "like)."])


def interleaved(calls: dict[str, Callable[[], object]], requests: int = REQUESTS,
                warm_up: int = WARM_UP) -> list[list]:
    """Each call `requests` times after `warm_up` warm-up calls, taking turns (one of each,
    then again), so that the machine's load (shared, noisy) falls on every row alike."""
    for _ in range(warm_up):
        for call in calls.values():
            call()
    latencies: dict[str, list[float]] = {label: [] for label in calls}
    for _ in range(requests):
        for label, call in calls.items():
            started = time.perf_counter()
            call()
            latencies[label].append(time.perf_counter() - started)
    return [[label, len(values), ms(percentile(values, 50)), ms(percentile(values, 95)),
             ms(max(values))] for label, values in latencies.items()]


def _ok(response) -> None:
    response.raise_for_status()


def _status(response, expected: int) -> None:
    if response.status_code != expected:
        raise RuntimeError(f"expected {expected}, got {response.status_code}: {response.text}")


def _open_copy(cloud: CloudProcess, api_id: str) -> str:
    """A second REST API whose GET /users/{userId} reaches get-user without authorizer; its
    URL. (Added for this run only; the program never serves a route without authorizer.)"""
    apigw = cloud.aws("apigateway")
    resources = {r["path"]: r for r in all_items(apigw, "get_resources", "items",
                                                  restApiId=api_id)}
    uri = apigw.get_integration(restApiId=api_id, resourceId=resources["/users/{userId}"]["id"],
                                httpMethod="GET")["uri"]
    api = open_proxy_api(apigw, cloud.aws("lambda"), f"bench-open-{uuid.uuid4().hex[:6]}", "/users/{userId}", uri)
    return f"{cloud.endpoint_url}/restapis/{api}/open/_user_request_"


def _checkers(cloud: CloudProcess, api_id: str):
    """The authorizer check, cached and not, against the running cloud's pool."""
    [item] = [a for a in all_items(cloud.aws("apigateway"), "get_authorizers", "items",
                                   restApiId=api_id) if a["type"] == "COGNITO_USER_POOLS"]
    authorizer = Authorizer.from_api(item)

    def checker(cache: bool) -> Callable[[str], None]:
        check = CognitoAuthorizer(
            local_pools(cloud.endpoint_url, lambda: cloud.aws("cognito-idp")), cache=cache)

        def run(token: str) -> None:
            if not isinstance(check.authorize(authorizer, (), token), dict):
                raise RuntimeError("the authorizer refused a valid token")
        return run

    return checker(True), checker(False)
