"""The project's `local` stack on a local cloud, started once per test session.

Scenarios drive it as a black box: HTTP against `ApiUrl`, boto3 and the AWS CLI against the
endpoint, and the local cloud's own command line to fire a schedule.

Every API request is made through `ApiSession` with the caller's ID token: `caller()` signs a
new user in to the stack's user pool with `InitiateAuth` (USER_PASSWORD_AUTH, which the local
stack's app client allows; on AWS the app uses SRP) and, by default, registers their profile;
`api` is one such caller for the whole session.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from localcloud.core.clients import ApiSession, sign_in
from tests.cloud_session import local_cloud_fixtures

ROOT = Path(__file__).resolve().parents[2]
TIME_SCALE = 60.0  # a simulated minute per real second: async retries wait 1 s, then 2 s


local_cloud, endpoint, outputs, aws = local_cloud_fixtures(str(ROOT), time_scale=TIME_SCALE)


PASSWORD = "E2e-password-1"


class Caller(ApiSession):
    """A signed-in user's HTTP session on ApiUrl; `user` is their registered profile (or
    None), `sub` their id in the pool, `email` their sign-in address."""

    def __init__(self, base_url: str, token: str, email: str) -> None:
        super().__init__(base_url, token=token)
        claims = json.loads(_b64(token.split(".")[1]))
        self.sub, self.email = claims["sub"], email
        self.user: dict | None = None


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture(scope="session")
def caller(outputs, aws):
    """caller(email=None, *, admin=False, name="E2E", register=True) -> a signed-in Caller;
    a fresh address when none is given."""
    def make(email: str | None = None, *, admin: bool = False, name: str = "E2E",
             register: bool = True) -> Caller:
        email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
        tokens = sign_in(aws("cognito-idp"), outputs["UserPoolId"], outputs["UserPoolClientId"],
                         email, PASSWORD, groups=("admin",) if admin else ())
        session = Caller(outputs["ApiUrl"], tokens["IdToken"], email)
        if register:
            response = session.post("/users", json={"name": name})
            assert response.status_code == 201, response.text
            session.user = response.json()
        return session
    return make


@pytest.fixture(scope="session")
def api(caller) -> Caller:
    """HTTP against ApiUrl as one registered user, as a browser app on another origin would."""
    return caller(name="E2E default")


@pytest.fixture(scope="session")
def anonymous(outputs) -> ApiSession:
    """HTTP against ApiUrl without a token."""
    return ApiSession(outputs["ApiUrl"])


@pytest.fixture(scope="session")
def fire_schedule(local_cloud):
    """Fire a scheduled rule now through `python -m localcloud fire`."""
    def fire(rule: str, detail: dict | None = None) -> dict:
        command = [sys.executable, "-m", "localcloud", "fire", rule,
                   "--port", str(local_cloud.port)]
        if detail is not None:
            command += ["--input", json.dumps(detail)]
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)
    return fire


@pytest.fixture(scope="session", autouse=True)
def grants_are_enough(local_cloud):
    """IAM is enforced for the whole suite, and no scenario's call was denied: a deny a handler
    caught (and retried, or turned into a 5xx a test tolerates) would otherwise go unnoticed."""
    yield
    iam = local_cloud.iam.stats()
    assert iam["mode"] == "enforce"
    assert iam["calls_evaluated"] > 0
    assert iam["denies"] == [], json.dumps(iam["denies"], indent=2)


# Calls a function's role is granted that the local cloud never sees from the function: AWS
# makes them on its behalf (Lambda's log agent writes CloudWatch Logs; the X-Ray daemon sends
# traces). The KMS requests SNS and Secrets Manager make as the caller are evaluated (and
# recorded) by the local cloud, so their grants are checked like the others.
MADE_BY_AWS_FOR_THE_FUNCTION = ("logs:", "xray:")
# Lambda polls a mapping's queue with the function's role (the local cloud's pollers use their own key).
MAPPING_POLLING = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                   "sqs:GetQueueAttributes")
# Lambda sends an asynchronous invocation's outcome with the function's role, by the service of
# the destination's ARN (the local cloud sends with its own key).
DESTINATION_ACTION = {"sqs": "sqs:SendMessage", "sns": "sns:Publish", "lambda": "lambda:InvokeFunction",
                      "events": "events:PutEvents"}
# Grants of paths no scenario takes, each with the path: (role, action, end of the resource ARN).
PATHS_NOT_TAKEN = {
    # Powertools idempotency reads a record it could not write (GetItem) and deletes the record
    # of a handler that failed (DeleteItem), so that a retry runs again.
    **{(f"{function}-role", action, "table/idempotency-table"): "idempotency retry paths"
       for function in ("create-order", "process-payment", "refund-payment", "send-email",
                        "notify-warehouse", "update-inventory")
       for action in ("dynamodb:GetItem", "dynamodb:DeleteItem")},
    ("create-order-role", "dynamodb:GetItem", "table/orders-table"):
        "a retried POST that finds its order already placed",
    ("reserve-inventory-role", "dynamodb:GetItem", "table/orders-table"):
        "a refused reservation of an order that is no longer PAID",
    # The sweeper acts on orders stuck longer than stuckAfterMinutes (5 real minutes locally):
    # longer than the suite; its scenario covers the pending confirmation emails only.
    **{("sweep-stuck-orders-role", action, resource): path for action, resource, path in (
        ("events:PutEvents", "event-bus/order-platform-local-order-events",
         "republishing a PLACED order the outbox lost"),
        ("states:StartExecution", "stateMachine:order-platform-local-order-workflow",
         "restarting a stuck Express execution"),
        ("states:DescribeExecution", "execution:order-platform-local-order-workflow:*",
         "finding a stuck Standard execution"),
        ("states:RedriveExecution", "execution:order-platform-local-order-workflow:*",
         "redriving a failed Standard execution"))},
    # The workflow's definition invokes its functions unqualified; its role also grants their
    # versions and aliases (`ARN:*`), so that the definition can name one.
    **{("order-workflow-role", "lambda:InvokeFunction", f"order-platform-local-{function}:*"):
       "qualified invocations" for function in ("validate-order", "process-payment",
                                                "reserve-inventory", "notify-customer",
                                                "refund-payment")},
    # In the SES sandbox IAM also checks each recipient's identity (`identity/*`); the local
    # cloud evaluates the sender's only, so each of the two grants is enough for it alone.
    **{(f"{function}-role", "ses:SendEmail", arn): "recipient identities of the SES sandbox"
       for function in ("notify-customer", "send-email")
       for arn in ("identity/orders@example.com", "identity/*")},
}


def _lambda_acts_with_the_role(registry) -> set[tuple[str, str, str]]:
    """(role, action, resource) of the calls Lambda makes with a function's role."""
    role = {name: spec.role_arn.rsplit("/", 1)[-1] for name, spec in registry.functions.items()}
    made = {(role[mapping.function_name], action, mapping.event_source_arn)
            for mapping in registry.event_source_mappings if mapping.function_name in role
            for action in MAPPING_POLLING}
    for name, spec in registry.functions.items():
        for destination in (spec.async_config.on_failure_arn, spec.async_config.on_success_arn):
            if destination:
                made.add((role[name], DESTINATION_ACTION[destination.split(":")[2]], destination))
    return made


@pytest.fixture(scope="session", autouse=True)
def grants_are_needed(request, local_cloud):
    """Least privilege, from what the suite did: every (action, resource) grant of every
    function's role, the workflow's and the pipe's was needed by a call some scenario made
    (taking it out of its statement would have denied that call), but for the calls AWS makes with the role and the paths listed
    above. Checked when the whole e2e directory ran and passed: a part of it takes fewer paths."""
    yield
    if not _whole_directory_ran(request.session):
        return
    iam, registry = local_cloud.iam, local_cloud.registry
    exempt = _lambda_acts_with_the_role(registry)
    # No scenario exhausts a pipe's retries: its dead-letter send is a path not taken.
    pipe_roles = {spec.role_arn.rsplit("/", 1)[-1]: spec for spec in registry.pipes
                  if spec.role_arn}
    exempt |= {(role, "sqs:SendMessage", spec.dead_letter_arn)
                    for role, spec in pipe_roles.items()}
    unneeded = []
    roles = {spec.role_arn.rsplit("/", 1)[-1] for spec in registry.functions.values()}
    for role in sorted(roles | set(iam.tasks.roles()) | set(pipe_roles)):
        for grant in iam.usage.unneeded(role, iam.policies(role)):
            if grant.action.lower().startswith(MADE_BY_AWS_FOR_THE_FUNCTION) \
                    or (role, grant.action, grant.resource) in exempt \
                    or any(role == r and grant.action == a and grant.resource.endswith(end)
                           for r, a, end in PATHS_NOT_TAKEN):
                continue
            unneeded.append(grant.describe(role))
    assert unneeded == [], "grants no scenario needed (remove them, or add the scenario):\n" \
        + "\n".join(unneeded)


def _whole_directory_ran(session) -> bool:
    here = Path(__file__).parent
    collected = {Path(str(item.path)) for item in session.items}
    every_module = set(here.glob("test_*.py"))
    return every_module <= collected and not session.config.option.keyword \
        and not session.config.option.markexpr and session.testsfailed == 0
