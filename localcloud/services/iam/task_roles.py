"""The role a Step Functions task calls with: the state machine's execution role.

moto runs a state machine's tasks itself and signs their calls with one fixed key
(`TASK_ACCESS_KEY`, in `moto.stepfunctions.parser.asl.utils.boto_client`), without naming the
execution. The state machines whose definitions name the call's resource (a task's function
ARN, for instance) are the ones that can be running it; their roles are the candidates. The
definitions are read from moto once and again after a state machine write through the gateway.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from localcloud.core.faults import action_of
from localcloud.core.http import AfterForward, GatewayRequest, HttpResponse, RouteTable
from localcloud.core.pagination import all_items

TASK_ACCESS_KEY = "ak"
_MACHINE_WRITES = ("CreateStateMachine", "UpdateStateMachine", "DeleteStateMachine")


class TaskRoles:
    def __init__(self, aws: Callable[[str], Any]):
        self.aws = aws  # service -> a boto3 client straight to moto
        self._machines: list[tuple[str, str]] | None = None  # (definition, role name)
        self._lock = threading.Lock()

    def roles_naming(self, resource: str) -> list[str]:
        """The roles of the state machines whose definition names `resource` (an ARN; a
        qualified function ARN also matches its function)."""
        unqualified = _unqualified(resource)
        return sorted({role for definition, role in self._definitions()
                       if resource in definition or unqualified in definition})

    def roles(self) -> list[str]:
        """The roles of every state machine."""
        return sorted({role for _, role in self._definitions()})

    def routes(self) -> RouteTable:
        return RouteTable(after_forward=[AfterForward("states:machine-writes", _is_machine_write,
                                                      self._forget)])

    def _forget(self, request: GatewayRequest, response: HttpResponse) -> None:
        with self._lock:
            self._machines = None

    def _definitions(self) -> list[tuple[str, str]]:
        with self._lock:
            if self._machines is None:
                states = self.aws("stepfunctions")
                machines = []
                for machine in all_items(states, "list_state_machines", "stateMachines"):
                    described = states.describe_state_machine(
                        stateMachineArn=machine["stateMachineArn"])
                    machines.append((described["definition"],
                                     described["roleArn"].rsplit("/", 1)[-1]))
                self._machines = machines
            return self._machines


def _unqualified(arn: str) -> str:
    """A function ARN without its version or alias; any other ARN as it is."""
    head, marker, rest = arn.partition(":function:")
    return head + marker + rest.split(":")[0] if marker else arn


def _is_machine_write(request: GatewayRequest) -> bool:
    named = action_of(request)
    return bool(named and named[0] == "states" and named[1] in _MACHINE_WRITES)
