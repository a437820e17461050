"""IAM enforcement: the functions' calls and the services' deliveries, evaluated as AWS would,
denies answered as AWS answers them.

Each Lambda worker gets its own session of its function's execution role (STS AssumeRole in
moto, session name = the function's name, as Lambda does); the gateway's `intercept` hook
looks up the session of every signed call, derives its action(s) and resource(s)
(`calls.py`) and evaluates them against the role's inline and attached policies
(`policy.py`) and, for a function, queue, topic, secret or key, that resource's policy
(`resource_policy.py`: in one account either allowing is enough, an explicit deny in either
wins). Step Functions tasks, which moto signs with one key of its own, call as their state
machine's role (`task_roles.py`). Calls signed with any other key (the local cloud itself, the
tests, the AWS CLI) are not checked. `authorize_service` is asked by the services that deliver as a service principal
(EventBridge, SNS, CloudWatch alarms, API Gateway): the target's resource policy must allow the
service with its source ARN (and a KMS-encrypted topic's key policy must let it use the key).
Modes: `enforce` denies, `report` lets the call or delivery through and logs the statement
that is missing, `off` checks nothing. Every deny is kept for `status`.

A call AWS answers by asking KMS as the caller (publish to an encrypted topic, read a secret)
also needs the key (`kms.py`: identity and key policy, `kms:ViaService`, the encryption
context). Not evaluated (said in the start-up summary): AWS-managed policies (moto does not
load them, so it refuses their attachments), resource policies of other services than those
above, the role API Gateway writes access logs as (its CloudWatch role), and actions
`calls.py` cannot map (allowed, listed once). An EventBridge Pipe's calls are held to its role
(`authorize_role`, asked by the pipe runner).
Identity policies are read from moto once per role and again after an IAM write through the
gateway (once moto accepted it); resource policies once moto accepted a write of their service
(`resource_store.py`, whose watchers the gateway runs). Each allowed request is kept per role
(`usage.py`: which grants the calls needed).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from typing import Any, Callable, Iterator
from urllib.parse import unquote

from localcloud.core.faults import action_of, aws_error, credential_scope
from localcloud.core.http import (AfterForward, GatewayRequest, HttpResponse, RouteTable,
                                  json_response)

from .calls import Call, CallMapper
from .kms import TOPIC_KEY_ACTIONS, KeyUses, key_decision, key_requests, kms_denied_response
from .policy import Decision, Request, as_list, evaluate, unsupported_operators
from .resource_policy import Principal, combined, evaluate_resource_policy, service_request
from .resource_store import ResourcePolicies
from .task_roles import TASK_ACCESS_KEY, TaskRoles
from .usage import GrantUsage

log = logging.getLogger("localcloud.iam")

MODES = ("enforce", "report", "off")
DEFAULT_MODE = "enforce"  # `make up` and the tests
_KEPT_DENIES = 200
_IAM_WRITES = ("Put", "Delete", "Attach", "Detach", "CreatePolicyVersion", "SetDefault")
# Services whose JSON protocol keeps the query API's error code (botocore reads the header),
# and its status.
_QUERY_COMPATIBLE = {"sqs": 400, "monitoring": 403}
# Query-protocol services: AWS's code and status for an authorization failure.
_QUERY_DENIED = {"sns": (403, "AuthorizationError"), "ses": (403, "AccessDenied")}
# Services whose resources carry a resource policy the local cloud evaluates.
_RESOURCE_POLICY_SERVICES = (":lambda:", ":sqs:", ":sns:", ":secretsmanager:")


class Session:
    """One worker's credentials of its function's role."""

    def __init__(self, role_name: str, principal: str):
        self.role_name = role_name
        self.principal = principal  # arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION


class IamEnforcer:
    def __init__(self, mode: str, *, account_id: str, aws: Callable[[str], Any]):
        if mode not in MODES:
            raise ValueError(f"iam mode: {mode!r} is not one of {', '.join(MODES)}")
        self.mode = mode
        self.aws = aws  # service -> a boto3 client straight to moto (never through the gateway)
        self.mapper = CallMapper(account_id, self._secret_arn)
        self._sessions: dict[str, Session] = {}
        self._policies: dict[str, list[dict]] = {}
        self._aws_managed: set[str] = set()  # attached AWS-managed policies, not evaluated
        self._secrets: dict[tuple[str, str], str] = {}
        self.resources = ResourcePolicies(aws)
        self.keys = KeyUses(self.resources)  # the KMS requests a call makes for its caller
        self._lock = threading.Lock()
        self.denies: deque[dict] = deque(maxlen=_KEPT_DENIES)
        self.unchecked: set[str] = set()  # actions seen that calls.py cannot map
        self.evaluated = 0  # calls evaluated
        self.deliveries_evaluated = 0  # deliveries of service principals evaluated
        self.usage = GrantUsage()  # what each role was allowed: which of its grants were needed
        self.tasks = TaskRoles(aws)  # Step Functions tasks call as their state machine's role

    # -- identities -------------------------------------------------------------------------

    def prepare(self, role_arns: list[str]) -> None:
        """One AssumeRole before the first cold start: building the STS client and moto's
        first AssumeRole take ~0.5 s, which the first workers (often several at once) would
        otherwise each wait for."""
        if self.mode != "off" and role_arns:
            self.aws("sts").assume_role(RoleArn=role_arns[0], RoleSessionName="localcloud-warm-up")

    def credentials(self, role_arn: str, session_name: str) -> dict[str, str]:
        """The AWS_* variables of a new session of `role_arn` (one per worker); none when IAM
        is off (the worker keeps the executor's fixed key)."""
        if self.mode == "off":
            return {}
        issued = self.aws("sts").assume_role(RoleArn=role_arn,
                                             RoleSessionName=session_name[:64])
        keys = issued["Credentials"]
        with self._lock:
            self._sessions[keys["AccessKeyId"]] = Session(role_arn.rsplit("/", 1)[-1],
                                                          issued["AssumedRoleUser"]["Arn"])
        return {"AWS_ACCESS_KEY_ID": keys["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": keys["SecretAccessKey"],
                "AWS_SESSION_TOKEN": keys["SessionToken"]}

    def caller(self, request: GatewayRequest) -> str | None:
        """The function whose worker signed `request` (its role session's name), if any."""
        session = self._session(credential_scope(request))
        return session.principal.rsplit("/", 1)[-1] if session else None

    def _session(self, scope: list[str] | None) -> Session | None:
        """The worker session whose key signed a call with this credential scope, if any."""
        return self._sessions.get(scope[0]) if scope else None

    def _role_session(self, role: str, session_name: str) -> Principal:
        """A session of `role` that a service (a pipe, a Step Functions task) acts as."""
        account = self.mapper.account_id
        return Principal(account, arn=f"arn:aws:sts::{account}:assumed-role/{role}/{session_name}")

    def _checked_call(self, request: GatewayRequest) -> Call | None:
        """The call of `request` to evaluate, or None: not an AWS call the mapper knows, or an
        action it cannot map (listed once as not checked)."""
        call = self.mapper.call_of(request)
        if call is not None and call.requests is None:
            self._note_unchecked(call.action)
            return None
        return call

    # -- the gateway hook -------------------------------------------------------------------

    def intercept(self, request: GatewayRequest) -> HttpResponse | None:
        if self.mode == "off":
            return None
        scope = credential_scope(request)
        session = self._session(scope)
        if session is None:
            return self._task_call(request) if scope and scope[0] == TASK_ACCESS_KEY else None
        call = self._checked_call(request)
        if call is None:
            return None
        self.evaluated += 1  # a plain counter: an approximate figure under threads is enough
        principal = Principal(self.mapper.account_id, arn=session.principal)
        for wanted in call.requests:
            message = self._authorize(session.role_name, principal, wanted, call.action)
            if message is None:
                denied = self._key_uses(request, call.action, session, principal, wanted)
                if denied is not None:
                    return denied
            elif message:
                return denied_response(request, message)
        return None

    def _authorize(self, role: str, principal: Principal, wanted: Request,
                   api: str) -> str | None:
        """A role session's request under the role's policies and the resource's: None when
        allowed (recorded as used), else the deny's message ("" in report mode)."""
        identity = evaluate(self.policies(role), wanted)
        resource = Decision.IMPLICIT_DENY
        if identity is not Decision.EXPLICIT_DENY and any(
                kind in wanted.resource for kind in _RESOURCE_POLICY_SERVICES):
            resource = evaluate_resource_policy(self.resources.policy(wanted.resource),
                                                principal, wanted)
        decision = combined(identity, resource)
        if decision is Decision.ALLOW:
            self.usage.record(role, wanted)
            return None
        policy = "resource-based" if resource is Decision.EXPLICIT_DENY else "identity-based"
        return self._record(principal, wanted, decision, policy, api=api, role=role) or ""

    def authorize_role(self, role_arn: str, session_name: str, action: str,
                       resource: str) -> str | None:
        """Whether a service acting as `role_arn` (an EventBridge Pipe as its role) may perform
        `action` on `resource`: None when allowed (or not enforced), else AWS's message."""
        if self.mode == "off":
            return None
        role = role_arn.rsplit("/", 1)[-1]
        principal = self._role_session(role, session_name[:64])
        self.deliveries_evaluated += 1
        return self._authorize(role, principal, Request(action, resource), action) or None

    def _key_uses(self, request: GatewayRequest, api: str, session: Session,
                  principal: Principal, wanted: Request) -> HttpResponse | None:
        """The KMS requests AWS makes as the caller for an allowed request (`kms.py`)."""
        for kms, key_policy in self.keys.implied(wanted):
            decision, policy = key_decision(self.policies(session.role_name), key_policy,
                                            principal, kms)
            if decision is Decision.ALLOW:
                self.usage.record(session.role_name, kms)
                continue
            message = self._record(principal, kms, decision, policy, api=api,
                                   role=session.role_name)
            if message is not None:
                return kms_denied_response(request, api, message)
        return None

    def _task_call(self, request: GatewayRequest) -> HttpResponse | None:
        """A Step Functions task's call, as the role of the state machine running it (among
        the candidates `task_roles.py` finds, the call is allowed if one role allows it)."""
        call = self._checked_call(request)
        if call is None:
            return None
        for wanted in call.requests:
            roles = self.tasks.roles_naming(wanted.resource)
            if not roles:
                self._note_unchecked(f"{wanted.action} (a Step Functions task of no state machine)")
                continue
            decisions = {role: evaluate(self.policies(role), wanted) for role in roles}
            allowing = [role for role, decision in decisions.items() if decision is Decision.ALLOW]
            for role in allowing:
                self.usage.record(role, wanted)
            if allowing:
                continue
            principal = self._role_session(roles[0], "states-task")
            message = self._record(principal, wanted, decisions[roles[0]], "identity-based",
                                   api=call.action, role=roles[0])
            if message is not None:
                return denied_response(request, message)
        return None

    # -- service principals -------------------------------------------------------------------

    def authorize_service(self, service: str, source_arn: str, action: str,
                          resource: str) -> str | None:
        """Whether `service` (e.g. "events.amazonaws.com") acting for `source_arn` may perform
        `action` on `resource` under its resource policy: None when allowed (or not enforced),
        else AWS's message of the deny. `sns:Publish` to a KMS-encrypted topic also needs the
        key policy to let the service use the key for that topic."""
        if self.mode == "off":
            return None
        self.deliveries_evaluated += 1
        principal = Principal(self.mapper.account_id, service=service)
        checks = [(resource, service_request(action, resource, source_arn))]
        key = self.resources.topic_key(resource) if action == "sns:Publish" else None
        if key:
            source = service_request(action, resource, source_arn).context
            checks += [(key, kms) for kms in key_requests(
                TOPIC_KEY_ACTIONS, key, "sns", (("aws:sns:topicArn", resource),), source)]
        for arn, wanted in checks:
            decision = evaluate_resource_policy(self.resources.policy(arn), principal, wanted)
            if decision is not Decision.ALLOW:
                return self._record(principal, wanted, decision, "resource-based",
                                    api=action, source_arn=source_arn)
        return None

    # -- denies -------------------------------------------------------------------------------

    def _record(self, principal: Principal, wanted: Request, decision: Decision, policy: str,
                **details: str) -> str | None:
        """Keep the deny for `status`; its message, or None in report mode (allowed)."""
        article = "an" if policy[0] in "aeiou" else "a"
        reason = (f"with an explicit deny in {article} {policy} policy"
                  if decision is Decision.EXPLICIT_DENY else
                  f"because no {policy} policy allows the {wanted.action} action")
        message = (f"User: {principal.name} is not authorized to perform: {wanted.action} "
                   f"on resource: {wanted.resource} {reason}")
        missing = _missing_statement(principal, wanted)
        self.denies.append({"time": time.time(), "mode": self.mode, **details,
                            "principal": principal.name, "action": wanted.action,
                            "resource": wanted.resource, "decision": decision.value,
                            "message": message,
                            **({"missing_statement": missing}
                               if decision is Decision.IMPLICIT_DENY else {})})
        where = (f"role {details['role']}" if "role" in details
                 else f"the policy of {wanted.resource}")
        if self.mode == "report":
            log.warning("IAM would deny (report mode, allowed): %s; missing in %s: %s",
                        message, where, json.dumps(missing))
            return None
        log.info("IAM denied: %s", message)
        return message

    # -- policies ---------------------------------------------------------------------------

    def policies(self, role_name: str) -> list[dict]:
        """The role's inline and attached customer-managed policy documents (cached)."""
        documents = self._policies.get(role_name)
        if documents is None:
            documents = self._read_policies(role_name)
            with self._lock:
                self._policies[role_name] = documents
        return documents

    def _read_policies(self, role_name: str) -> list[dict]:
        iam = self.aws("iam")
        documents = []
        for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
            documents.append(_document(iam.get_role_policy(RoleName=role_name,
                                                           PolicyName=name)["PolicyDocument"]))
        for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
            arn = attached["PolicyArn"]
            if arn.startswith("arn:aws:iam::aws:policy/"):
                with self._lock:
                    self._aws_managed.add(arn)
                continue
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            documents.append(_document(iam.get_policy_version(
                PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]))
        return documents

    def routes(self) -> RouteTable:
        """Policies are read again after an IAM write moto accepted: clearing them before the
        write would let a call meanwhile cache the old ones."""
        return RouteTable(after_forward=[AfterForward("iam:policy-writes", _is_iam_write,
                                                      self._forget_policies)]).extend(
            self.tasks.routes())

    def _forget_policies(self, request: GatewayRequest, response: HttpResponse) -> None:
        with self._lock:
            self._policies.clear()

    def _note_unchecked(self, action: str) -> None:
        if action not in self.unchecked:
            with self._lock:
                self.unchecked.add(action)
            log.warning("IAM: %s is not checked by the local cloud (allowed)", action)

    def _secret_arn(self, secret: str, region: str) -> str:
        if secret.startswith("arn:"):
            return secret
        key = (secret, region)
        if key not in self._secrets:
            self._secrets[key] = self.aws("secretsmanager").describe_secret(
                SecretId=secret)["ARN"]
        return self._secrets[key]

    # -- what the summary and status say ----------------------------------------------------

    def notes(self, role_names: list[str]) -> list[str]:
        """Start-up summary lines: the mode and what is not evaluated."""
        if self.mode == "off":
            return ["IAM: not enforced (--iam off): every call is allowed, as no AWS account "
                    "would"]
        lines = [f"IAM ({self.mode}): each function calls with its own role's session; its "
                 f"identity policies are evaluated on every call"
                 + (" (a deny is only logged: the call goes on)" if self.mode == "report"
                    else "")]
        documents = [d for role in sorted(set(role_names)) for d in self.policies(role)]
        granted = sorted({action for document in documents
                          for action in _granted_actions(document)})
        unmapped = [action for action in granted if not self._mapped(action)]
        if unmapped:
            lines.append("IAM not checked for (allowed, not evaluated): " + ", ".join(unmapped))
        lines.append("IAM: AWS-managed policies (arn:aws:iam::aws:policy/...) are not evaluated"
                     " (moto does not load them): a call only they would allow is denied"
                     + (": " + ", ".join(sorted(self._aws_managed)) if self._aws_managed else ""))
        operators = sorted(unsupported_operators(documents))
        if operators:
            lines.append("IAM: condition operators not evaluated (their statements never "
                         "apply): " + ", ".join(operators))
        lines.append("IAM: resource policies evaluated: Lambda permissions, queue and topic "
                     "policies (for the functions' calls and for EventBridge, SNS, CloudWatch "
                     "alarm and API Gateway deliveries as their service principals, with the "
                     "source ARN), Secrets Manager secret policies, and the key policies (with "
                     "the role's policies, kms:ViaService and the encryption context) of the KMS "
                     "requests AWS makes for a publish to an encrypted topic and a secret read "
                     "(a secret without KmsKeyId: the AWS-managed key's documented policy); not "
                     "evaluated: other resource policies, API Gateway's CloudWatch role (access "
                     "logs)")
        lines.append("IAM: EventBridge Pipes read their stream, invoke their enrichment, put "
                     "events and dead-letter as their role")
        lines.append("IAM: Step Functions tasks call as their state machine's role (moto signs "
                     "them with one key; the role is that of the state machine whose definition "
                     "names the call's resource)")
        return lines

    def _mapped(self, action: str) -> bool:
        """Whether `calls.py` derives resources for this action's service (its other APIs are
        reported when seen)."""
        prefix = action.split(":", 1)[0].lower()
        return prefix == "lambda" or prefix in self.mapper.by_prefix

    def stats(self) -> dict:
        return {"mode": self.mode, "calls_evaluated": self.evaluated,
                "deliveries_evaluated": self.deliveries_evaluated,
                "denies": list(self.denies),
                "not_checked": sorted(self.unchecked)}


def _is_iam_write(request: GatewayRequest) -> bool:
    named = action_of(request)
    return bool(named and named[0] == "iam" and named[1].startswith(_IAM_WRITES))


def _missing_statement(principal: Principal, wanted: Request) -> dict:
    """The statement that would have allowed the request (identity or resource policy)."""
    statement: dict[str, Any] = {"Effect": "Allow", "Action": wanted.action,
                                 "Resource": wanted.resource}
    if principal.service:
        statement["Principal"] = {"Service": principal.service}
        source = wanted.value("aws:SourceArn")
        statement["Condition"] = {"ArnLike": {"aws:SourceArn": source}}
    return statement


def _granted_actions(document: dict) -> Iterator[str]:
    statements = document.get("Statement", [])
    for statement in as_list(statements):
        if statement.get("Effect") == "Allow":
            actions = statement.get("Action", [])
            yield from as_list(actions)


def _document(document: Any) -> dict:
    # boto3 decodes policy documents; moto may hand them back URL-encoded text.
    return document if isinstance(document, dict) else json.loads(unquote(document))


def denied_response(request: GatewayRequest, message: str) -> HttpResponse:
    """AWS's authorization error in the request's protocol."""
    named = action_of(request)
    service = named[0] if named else "lambda"
    if service in _QUERY_DENIED and not request.header("X-Amz-Target"):
        status, code = _QUERY_DENIED[service]
        return aws_error(request, status, code, message)
    if request.header("X-Amz-Target"):
        if service in _QUERY_COMPATIBLE:
            response = aws_error(request, _QUERY_COMPATIBLE[service], "AccessDenied", message)
            response.headers.append(("x-amzn-query-error", "AccessDenied;Sender"))
            return response
        return aws_error(request, 400, "AccessDeniedException", message)
    # REST JSON (Lambda Invoke) and anything else.
    return json_response(403, {"Type": "User", "message": message},
                         headers=[("x-amzn-ErrorType", "AccessDeniedException")])
