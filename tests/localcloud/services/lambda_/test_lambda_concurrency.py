"""Concurrency: Lambda's account and reserved limits throttle as AWS does; past what the
machine runs at once, invocations wait for a worker (bounded) instead of being throttled."""

from __future__ import annotations

import json
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from localcloud.core.registry import FunctionSpec
from localcloud.core.telemetry import Telemetry
from localcloud.services.lambda_.concurrency import ConcurrencyLimits, WorkerSlots
from localcloud.services.lambda_.executor import LambdaExecutor


def spec(name: str, reserved: int | None = None, code_dir: str = "") -> FunctionSpec:
    return FunctionSpec(name=name, arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
                        handler="app.handler", runtime="python3.13", role_arn="", code_dir=code_dir,
                        layer_dirs=[], environment={}, timeout_seconds=10,
                        reserved_concurrency=reserved)


def test_reserved_concurrency_is_carved_out_of_the_account_limit():
    reserved = spec("reserved", reserved=2)
    other = spec("other")
    limits = ConcurrencyLimits(account_limit=5, reserved_total=lambda: 2)
    assert limits.limit(reserved) == 2 and limits.limit(other) == 3
    assert [limits.acquire(reserved) for _ in range(3)] == [
        None, None, "ReservedFunctionConcurrentInvocationLimitExceeded"]
    assert [limits.acquire(other) for _ in range(4)] == [
        None, None, None, "ConcurrentInvocationLimitExceeded"]
    limits.release(other)
    assert limits.acquire(spec("a-third-function")) is None  # the unreserved pool is shared
    limits.release(reserved)
    assert limits.acquire(reserved) is None


def test_the_default_account_limit_is_lambdas_1000():
    limits = ConcurrencyLimits()
    function = spec("f")
    assert limits.limit(function) == 1000
    assert all(limits.acquire(function) is None for _ in range(1000))
    assert limits.acquire(function) == "ConcurrentInvocationLimitExceeded"


def test_a_full_machine_makes_the_next_invocation_wait_until_a_slot_is_free():
    slots = WorkerSlots(1, wait=30)
    assert slots.acquire() == 0.0
    waited = []
    waiter = threading.Thread(target=lambda: waited.append(slots.acquire()))
    waiter.start()
    assert not waited  # still waiting while the slot is taken
    slots.release()
    waiter.join(10)
    assert waited and waited[0] is not None
    assert slots.stats()["waits"] == 1 and slots.stats()["wait_timeouts"] == 0


def test_a_wait_for_a_slot_is_bounded():
    slots = WorkerSlots(1, wait=0.05)
    slots.acquire()
    assert slots.acquire() is None
    assert slots.stats()["wait_timeouts"] == 1
    with pytest.raises(ValueError, match="at least 1"):
        WorkerSlots(0, wait=1)


@pytest.fixture
def sleeper(tmp_path) -> FunctionSpec:
    (tmp_path / "app.py").write_text(textwrap.dedent("""
        import time
        def handler(event, context):
            time.sleep(event["sleep"])
            return {"slept": event["sleep"]}
    """))
    return spec("sleeper", code_dir=str(tmp_path))


def executor_with(max_running: int, worker_wait: float) -> LambdaExecutor:
    return LambdaExecutor(endpoint_url="http://localhost:1", region="us-east-1",
                          account_id="123456789012", telemetry=Telemetry(lambda _: None),
                          max_running=max_running, worker_wait=worker_wait, console=None,
                          idle_timeout=60)


def run_at_once(executor: LambdaExecutor, function: FunctionSpec, count: int, sleep: float):
    payload = json.dumps({"sleep": sleep}).encode()
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: executor.invoke(function, payload), range(count)))


def test_past_the_machine_limit_invocations_wait_and_none_is_throttled(sleeper):
    executor = executor_with(max_running=1, worker_wait=30)
    try:
        results = run_at_once(executor, sleeper, 3, 0.2)
        assert [(r.status_code, r.function_error) for r in results] == [(200, None)] * 3
        assert all(json.loads(r.payload) == {"slept": 0.2} for r in results)
        stats = executor.stats()["sleeper"]
        assert stats["throttles"] == 0 and stats["invocations"] == 3
        assert stats["cold_starts"] == 1  # one at a time: the one worker served all three
        assert executor.slots.stats()["waits"] == 2
    finally:
        executor.stop()


def test_a_wait_that_runs_out_is_a_local_service_error_not_a_throttle(sleeper):
    executor = executor_with(max_running=1, worker_wait=0.1)
    try:
        results = run_at_once(executor, sleeper, 2, 1.5)
        statuses = sorted(r.status_code for r in results)
        assert statuses == [200, 500]
        refused = next(r for r in results if r.status_code == 500)
        body = json.loads(refused.payload)
        assert body["__type"] == "ServiceException" and "--max-running" in body["message"]
        assert executor.stats()["sleeper"]["throttles"] == 0
    finally:
        executor.stop()


def test_sixteen_concurrent_calls_of_an_unreserved_function_all_succeed(invoke, status):
    before = status()["functions"].get("fixture-echo", {}).get("throttles", 0)
    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(lambda i: invoke("fixture-echo", {"i": i})[0]["StatusCode"],
                              range(16)))
    assert codes == [200] * 16
    after = status()
    assert after["functions"]["fixture-echo"]["throttles"] == before
    assert after["functions"]["fixture-echo"]["concurrency_limit"] == 1000 - 1  # slow reserves 1
    assert after["lambda_slots"]["wait_timeouts"] == 0


def test_the_start_up_summary_says_what_is_a_local_limit(local_cloud):
    summary = local_cloud.summary()
    assert "Lambda concurrency as on AWS: 1000 per account" in summary
    assert "--max-running" in summary and "which AWS would not do" in summary
