"""The order platform's functions as data: a name, an environment and exactly what the code
calls. `create_functions` turns a list of them into `PythonFunction`s with one grant each.

The handler module follows from the name and area (docs/contracts.md): `validate-order` in area
`workflow` is `lambdas/workflow/validate_order.py`, and the area is its Powertools service name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import pulumi

from components.builders.grants import Allow
from components.python_function import (AsyncInvoke, FunctionDefaults, PythonFunction,
                                        PythonFunctionArgs)
from stack_settings import FunctionSizing


@dataclass(frozen=True)
class Handler:
    name: str
    environment: Mapping[str, pulumi.Input[str]]
    grants: Sequence[Allow] = field(default_factory=tuple)


@dataclass(frozen=True)
class FunctionGroup:
    """What the functions of one component share."""

    area: str
    sizing: FunctionSizing
    defaults: FunctionDefaults
    async_invoke: Optional[AsyncInvoke] = None
    # Warm instances per function name; functions not named get none.
    provisioned_concurrency: Mapping[str, int] = field(default_factory=dict)


def module_of(area: str, name: str) -> str:
    return f"lambdas/{area}/{name.replace('-', '_')}.py"


def create_functions(group: FunctionGroup, handlers: Sequence[Handler],
                     parent: pulumi.Resource) -> dict[str, PythonFunction]:
    """One function per handler, keyed by name, each granted exactly its `grants`."""
    functions = {}
    for handler in handlers:
        function = PythonFunction(handler.name, PythonFunctionArgs(
            module=module_of(group.area, handler.name), service=group.area,
            sizing=group.sizing, defaults=group.defaults, environment=handler.environment,
            async_invoke=group.async_invoke,
            provisioned_concurrency=group.provisioned_concurrency.get(handler.name, 0),
        ), opts=pulumi.ResourceOptions(parent=parent))
        if handler.grants:
            function.allow("access", *handler.grants)
        functions[handler.name] = function
    return functions
