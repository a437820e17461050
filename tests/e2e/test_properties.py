"""Hostile clients, generated: every route of the API driven over real HTTP with bodies derived
from the API Gateway models (lambdas/shared/models.py), at and past every bound, with long and
odd strings and wrong types, and hostile path ids and Idempotency-Keys.

Properties: never a 5xx; every 4xx is JSON with a `message`; every accepted order reaches a
final status; the daily report for the day still succeeds. The requests are a signed-in
customer's (`caller`): the hostility is in what they send, not in a missing token.

Fixed seeds (`derandomize=True`), bounded example counts, no example database: the same
requests on every run, about a minute in all.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdas.shared.models import API_MODELS, api_schema
from tests.e2e.orders import FINAL, execution_arn, seed
from tests.waiting import wait_for

SEEDED = {"prop-stocked": 1000, "prop-scarce": 1, "prop-empty": 0}
UNKNOWN_PRODUCT = "prop-never-seeded"
# The `local` stack's api.maxOrderAmount (the default).
MAX_ORDER_AMOUNT = Decimal(1_000_000)
SCHEMAS = {name: api_schema(model) for name, model in API_MODELS.items()}
HYPOTHESIS = settings(derandomize=True, database=None, deadline=None, print_blob=False,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                             HealthCheck.data_too_large])


def path_segment(value: str) -> str:
    """`value` percent-encoded as a client puts it in a path (lone surrogates as the bytes a
    careless client would send)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def send(api, method: str, path: str, *, body: Any = None, raw: str | None = None,
         headers: dict[str, str] | None = None, content_type: str = "application/json") -> requests.Response:
    """The one place that makes a request; `api` is a signed-in session that adds the token.

    `body` is written by `to_json` (numbers keep their exact text, e.g. 1E+400), `raw` as is.
    A content type without a model (text/plain) passes API Gateway unvalidated, as on AWS: the
    function's own validation is all there is.
    """
    data = raw if raw is not None else (None if body is None else to_json(body))
    return api.request(method, path, data=None if data is None else data.encode("utf-8", "surrogatepass"),
                       headers={"Content-Type": content_type, **(headers or {})})


def to_json(value: Any) -> str:
    """JSON text in which a Decimal is written as its exact text: the numbers a hostile client
    can send but Python's json module cannot write (1E+400, 0.001, 30 digits)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_json(item) for item in value) + "]"
    return json.dumps(value)


def assert_clean(response: requests.Response) -> None:
    """Never a 5xx; a 4xx is JSON with a message."""
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body, dict) and isinstance(body.get("message"), str), response.text[:500]


# ---- strategies from the JSON schemas ----------------------------------------------------------

ODD_STRINGS = ["", " ", "   ", "\t", "\x00", "a\x00b", "\u202eevil", "\ufeff", "\U0001F600" * 3,
               "\ud800", "a\udfffb", "%00", "%2F", "../..", "<script>", "' OR 1=1 --", "null",
               "\u00e9", "\n", "a\r\nX-Injected: 1"]
WRONG_TYPES = [None, True, False, 0, -1, Decimal("1.5"), "1", [], {}, [None], {"a": 1}]
HUGE = [Decimal("1E+400"), Decimal("-1E+400"), Decimal("1E-400"), Decimal("1E+38"), Decimal(10**40),
        Decimal("123456789012345678901234567890.123456789")]
BEYOND_KEY_LIMIT = 2049  # DynamoDB refuses keys over 2048 bytes


def mostly(usual: st.SearchStrategy, rare: st.SearchStrategy, odds: int) -> st.SearchStrategy:
    """`rare` once in `odds` draws, `usual` otherwise."""
    return st.integers(1, odds).flatmap(lambda n: rare if n == 1 else usual)


def hostile_text(low: int = 0, high: int = 0) -> st.SearchStrategy[str]:
    lengths = sorted({n for n in (low - 1, low, high, high + 1, BEYOND_KEY_LIMIT) if n >= 0})
    return st.one_of(
        st.sampled_from(ODD_STRINGS),
        st.builds(lambda n, c: c * n, st.sampled_from(lengths), st.sampled_from(["x", "\u00e9", "\U0001F600", " "])),
        st.text(max_size=80),
    )


def number_strategy(schema: dict) -> st.SearchStrategy[Any]:
    low, high = schema.get("minimum"), schema.get("maximum")
    integral = schema["type"] == "integer"
    step = Decimal(1) if integral else Decimal("0.01")
    edges = [Decimal(edge) + delta for edge in (low, high) if edge is not None for delta in (-step, 0, step)]
    inside = (st.integers(min_value=low, max_value=high).map(Decimal) if integral
              else st.decimals(min_value=low, max_value=min(high, MAX_ORDER_AMOUNT) if high else None,
                               places=2, allow_nan=False, allow_infinity=False))
    odd = [Decimal("0.001"), Decimal("0.005"), Decimal("1.999"), Decimal("-0"), Decimal("1.0"), Decimal("1E+2"),
           MAX_ORDER_AMOUNT, MAX_ORDER_AMOUNT + Decimal("0.01")]
    return st.one_of(st.sampled_from(edges + odd + HUGE), inside)


def field_strategy(schema: dict, known: dict[str, st.SearchStrategy], name: str = "") -> st.SearchStrategy[Any]:
    """Values for one schema: valid ones (from `known` when given, to reach the handlers),
    values at and past each bound, and wrong types."""
    kind = schema.get("type")
    if kind == "object":
        return object_strategy(schema, known)
    if kind == "array":
        item = field_strategy(schema["items"], known)
        low, high = schema.get("minItems", 0), schema.get("maxItems", 5)
        sizes = sorted({n for n in (low - 1, low, 1, 2, 3, high, high + 1) if n >= 0})
        edges = st.sampled_from(sizes).flatmap(lambda n: st.lists(item, min_size=n, max_size=n))
        return st.one_of(st.lists(item, min_size=1, max_size=3), st.lists(item, min_size=1, max_size=3), edges)
    if kind in ("number", "integer"):
        hostile = number_strategy(schema)
    else:
        hostile = hostile_text(schema.get("minLength", 0), schema.get("maxLength", 0))
    hostile = st.one_of(hostile, st.sampled_from(WRONG_TYPES))
    if name in known:
        # Mostly valid, so that most bodies reach the function and some orders are accepted.
        return mostly(known[name], hostile, odds=4)
    return hostile


def object_strategy(schema: dict, known: dict[str, st.SearchStrategy]) -> st.SearchStrategy[dict]:
    """Objects with each property valid, hostile or absent (a required one absent 1 in 10), and
    sometimes a property the model does not have."""
    absent = st.just(ABSENT)
    required = schema.get("required", [])
    properties = {name: mostly(field_strategy(sub, known, name), absent, odds=10 if name in required else 2)
                  for name, sub in schema["properties"].items()}
    extra = st.dictionaries(st.sampled_from(["role", "isAdmin", "__proto__", "userId", "status"]),
                            st.sampled_from(WRONG_TYPES), max_size=1)
    return st.builds(lambda fields, more: {k: v for k, v in {**fields, **more}.items() if v is not ABSENT},
                     st.fixed_dictionaries(properties), mostly(st.just({}), extra, odds=5))


ABSENT = object()
NOT_OBJECTS = st.sampled_from(["", "{", "null", "[]", '"text"', "1E+400", "NaN", "[" * 5000 + "]" * 5000,
                               '{"a":' * 3000 + "1" + "}" * 3000, '{"email": "a@b.co", "name": "\\ud800"}'])


CONTENT_TYPES = st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain"])


def bodies(model: str, known: dict[str, st.SearchStrategy]) -> st.SearchStrategy[dict]:
    """Arguments of `send` for a body of `model`: mostly an object after its schema, sometimes
    not JSON or not an object (`raw`), under a content type with or without the model."""
    body = mostly(field_strategy(SCHEMAS[model], known).map(lambda value: {"body": value}),
                  NOT_OBJECTS.map(lambda raw: {"raw": raw}), odds=8)
    return st.builds(lambda arguments, content_type: {**arguments, "content_type": content_type}, body, CONTENT_TYPES)


def path_ids(known_id: str | None = None) -> st.SearchStrategy[str]:
    """Ids for a path: hostile text (encoded as a client would), and sometimes a real one."""
    hostile = st.one_of(hostile_text(1, 64), st.from_regex(r"[A-Za-z0-9._:-]{1,64}", fullmatch=True))
    strategy = st.one_of(hostile, st.just(known_id)) if known_id else hostile
    return strategy.filter(bool).filter(lambda value: len(path_segment(value)) < 8000)


IDEMPOTENCY_KEYS = st.one_of(
    st.none(),
    st.uuids().map(str),
    # Values an HTTP client can send at all (no leading blank, no line break, Latin-1).
    st.sampled_from(["k" * 128, "k" * 129, "a b", "\u00e9", "\x7f", "%00", "*"]),
)


# ---- the suite --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(caller, aws, outputs):
    """One signed-in customer, seeded products, and the orders the API accepted: one valid
    order placed here (so the last test stands alone), the rest added by the generated tests."""
    seed(aws, outputs, **SEEDED)
    customer = caller(name="Mallory")
    placed = send(customer, "POST", "/orders", body={
        "items": [{"productId": "prop-stocked", "quantity": 1}], "amount": Decimal("1.00"),
        "paymentToken": "tok_visa"})
    assert placed.status_code == 201, placed.text
    return {"api": customer, "customer": customer.sub, "placed": [placed.json()["orderId"]],
            "accepted": [], "order_examples": 0}


def order_fields(world) -> dict[str, st.SearchStrategy]:
    # customerId: the caller's own id (or absent): another customer's is a 403, proved in test_auth.
    return {
        "customerId": st.just(world["customer"]),
        "productId": st.sampled_from([*SEEDED, UNKNOWN_PRODUCT]),
        "quantity": st.integers(1, 3),
        "amount": st.one_of(st.decimals(min_value=0, max_value=5000, places=2), st.just(MAX_ORDER_AMOUNT)),
        "paymentToken": st.sampled_from(["tok_visa", "tok_declined"]),
    }


def valid_orders(world) -> st.SearchStrategy[dict]:
    """Arguments of `send` for an order the model accepts (its values still at the edges: unknown
    and scarce products, declined tokens, the largest amount), so that enough orders go through
    the whole workflow for the last test to prove something."""
    fields = order_fields(world)
    item = st.fixed_dictionaries({"productId": fields["productId"], "quantity": fields["quantity"]})
    order = st.fixed_dictionaries({"items": st.lists(item, min_size=1, max_size=3), "amount": fields["amount"],
                                   "paymentToken": fields["paymentToken"]})
    return st.builds(lambda body, content_type: {"body": body, "content_type": content_type}, order, CONTENT_TYPES)


USER_FIELDS = {"name": st.sampled_from(["Ann", "Bob"]), "age": st.integers(0, 150)}


@settings(HYPOTHESIS, max_examples=120)
@given(data=st.data())
def test_orders_never_break(world, data):
    request = data.draw(mostly(bodies("OrderCreate", order_fields(world)), valid_orders(world), odds=4))
    key = data.draw(IDEMPOTENCY_KEYS)
    world["order_examples"] += 1
    response = send(world["api"], "POST", "/orders", headers={"Idempotency-Key": key} if key else None, **request)
    assert_clean(response)
    if response.status_code == 201:
        world["accepted"].append(response.json()["orderId"])


@settings(HYPOTHESIS, max_examples=60)
@given(data=st.data())
def test_users_never_break(world, data):
    method = data.draw(st.sampled_from(["POST", "GET", "PUT", "DELETE"]))
    if method == "POST":
        response = send(world["api"], "POST", "/users", **data.draw(bodies("UserCreate", USER_FIELDS)))
    else:
        # The module's customer may be read and changed, never deleted (the orders need it).
        user_id = data.draw(path_ids(world["customer"] if method != "DELETE" else None))
        body = data.draw(bodies("UserUpdate", USER_FIELDS)) if method == "PUT" else {}
        response = send(world["api"], method, f"/users/{path_segment(user_id)}", **body)
    assert_clean(response)


@settings(HYPOTHESIS, max_examples=40)
@given(data=st.data())
def test_order_reads_never_break(world, data):
    order_id = data.draw(path_ids(world["placed"][0]))
    response = send(world["api"], "GET", f"/orders/{path_segment(order_id)}")
    assert_clean(response)


def execution_outcome(aws, outputs, order_id: str) -> str:
    """The status, error and cause of the order's workflow execution (named by the order id)."""
    arn = execution_arn(outputs, order_id)
    try:
        execution = aws("stepfunctions").describe_execution(executionArn=arn)
    except aws("stepfunctions").exceptions.ExecutionDoesNotExist:
        return "no execution"
    history = aws("stepfunctions").get_execution_history(executionArn=arn)["events"]
    steps = [(event["type"], str(event.get("taskSucceededEventDetails", {}).get("output", ""))[:200]) for event in history
             if event["type"] in ("TaskSucceeded", "TaskStateEntered", "TaskFailed")]
    return f"{execution['status']} {execution.get('error', '')} {execution.get('cause', '')[:300]} {steps} input={execution.get('input')}"


def test_every_accepted_order_ends_and_the_days_report_succeeds(aws, outputs, world, fire_schedule):
    if world["order_examples"]:
        assert len(world["accepted"]) >= 5, "too few generated orders were valid to prove anything"
    accepted = set(world["placed"] + world["accepted"])

    def unfinished() -> dict[str, list[str]]:
        """Order id -> its history, for each accepted order not yet in a final status."""
        orders = [send(world["api"], "GET", f"/orders/{order_id}").json() for order_id in accepted]
        return {order["orderId"]: [step["status"] for step in order["history"]]
                for order in orders if order["status"] not in FINAL}
    try:
        wait_for(lambda: not unfinished(), timeout=180, interval=1, what="every accepted order to end")
    except AssertionError:
        stuck = {order_id: (history, execution_outcome(aws, outputs, order_id))
                 for order_id, history in unfinished().items()}
        raise AssertionError(f"accepted orders that never ended: {stuck}") from None

    # The report is rewritten by the run: remove today's first, so what is read back is this run's.
    today = datetime.now(timezone.utc).date().isoformat()
    reports = {"TableName": outputs["ReportsTableName"], "Key": {"reportDate": {"S": today}}}
    aws("dynamodb").delete_item(**reports)
    fire_schedule(outputs["DailyReportRuleName"], {"reportDate": today})

    report = wait_for(lambda: aws("dynamodb").get_item(**reports).get("Item"), timeout=60,
                      what="today's report after the hostile orders")
    assert int(report["orderCount"]["N"]) >= len(accepted)
