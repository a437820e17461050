"""What each function imports on its cold path (the handler module in a fresh interpreter):
never more third-party packages than it needs, and never boto3 before its first AWS call.

boto3 (with s3transfer, urllib3, dateutil...) is about half of a handler's import time: it is
loaded with the first client (`dal.dynamo`, `plumbing.aws_clients`, Powertools idempotency and
parameters on first use), botocore's modules with it. email-validator only where addresses are
read. A new import that pulls a package in at import time fails here, naming the function and
the package.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = sorted(str(path.relative_to(ROOT).with_suffix("")).replace("/", ".")
                  for area in ("users", "orders", "workflow", "events", "scheduled")
                  for path in (ROOT / "lambdas" / area).glob("*.py") if path.name != "__init__.py")
# What every handler needs at import: Powertools (logger, metrics, tracer, resolvers), pydantic
# (settings and models) and botocore's package alone (Powertools checks that it is there).
NEEDED = {"aws_lambda_powertools", "jmespath", "pydantic", "pydantic_core", "annotated_types",
          "typing_extensions", "typing_inspection", "botocore"}
# Loaded on first use only, never at import.
DEFERRED = {"boto3", "s3transfer", "urllib3", "dateutil", "email_validator", "aws_xray_sdk"}
PROBE = """
import json, sys
before = set(sys.modules)
__import__(sys.argv[1])
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def cold_imports(module: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "POWERTOOLS_TRACE_DISABLED": "true"}
    out = subprocess.run([sys.executable, "-c", PROBE, module], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return set(json.loads(out))


def test_every_function_is_checked():
    # The glob finds every handler module, the newest included.
    assert len(HANDLERS) == 18 and {"lambdas.users.get_user", "lambdas.events.order_placed_from_stream",
                                    "lambdas.scheduled.sweep_stuck_orders"} <= set(HANDLERS)


@pytest.mark.parametrize("module", HANDLERS)
def test_cold_path_imports_only_what_the_function_needs(module):
    modules = cold_imports(module)
    packages = {name.split(".")[0] for name in modules}
    third_party = packages - set(sys.stdlib_module_names) - {"lambdas", "__mp_main__"}
    third_party = {p for p in third_party if not p.startswith("_sysconfigdata")}
    assert third_party & DEFERRED == set(), f"{module} imports {third_party & DEFERRED} at import"
    assert third_party <= NEEDED, f"{module} now imports {third_party - NEEDED}"
    # botocore's modules (~40 ms) come with boto3; the data-access modules catch its ClientError
    # through `plumbing.aws_clients.client_error`, imported when an exception reaches them.
    botocore = sorted(name for name in modules if name.startswith("botocore."))
    assert botocore == [], f"{module} imports {botocore[:3]} at import"


def test_reading_a_user_does_not_build_the_request_models():
    for module in ("lambdas.users.get_user", "lambdas.users.delete_user"):
        assert "lambdas.shared.schemas.requests" not in cold_imports(module)
