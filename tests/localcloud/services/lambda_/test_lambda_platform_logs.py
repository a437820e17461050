"""Lambda's platform records in a function's log group follow its LoggingConfig: Text writes
START/END/REPORT lines, JSON writes platform.* records filtered by the system log level."""

from __future__ import annotations

import json
import textwrap

import pytest

from localcloud.core.registry import FunctionSpec
from localcloud.core.telemetry import Telemetry
from localcloud.services.lambda_.executor import LambdaExecutor
from tests.waiting import wait_for

HANDLER = """
import os

def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    print("handled", event, "system level seen:", os.environ.get("_LOCALCLOUD_SYSTEM_LOG_LEVEL"))
    return {"ok": True}
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """run(log_format, system_level, events) -> the function's log lines, after the last
    invocation's report (one worker: the first invocation is the cold start)."""
    code = tmp_path_factory.mktemp("platform")
    (code / "app.py").write_text(textwrap.dedent(HANDLER))
    telemetry = Telemetry(lambda _: None)  # never started: lines stay in telemetry.logs
    executor = LambdaExecutor(endpoint_url="http://localhost:1", region="us-east-1",
                              account_id="123456789012", telemetry=telemetry, max_running=2,
                              worker_wait=30, console=None, idle_timeout=60)

    def invoke(log_format: str, system_level: str | None, events: list[dict]) -> list[str]:
        name = f"platform-{log_format}-{system_level}".lower()
        spec = FunctionSpec(name=name, arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
                            handler="app.handler", runtime="python3.13", role_arn="",
                            code_dir=str(code), layer_dirs=[], environment={},
                            timeout_seconds=10, log_group=f"/aws/lambda/{name}",
                            log_format=log_format, system_log_level=system_level)
        for event in events:
            executor.invoke(spec, json.dumps(event).encode())

        def lines() -> list[str]:
            with telemetry.lock:
                return [e["message"] for (group, _), stored in telemetry.logs.items()
                        if group == spec.log_group for e in stored]

        # Lines reach the log group asynchronously: wait for the last invocation's last one.
        if log_format == "Text":
            last, count = "REPORT RequestId: ", len(events)
        elif system_level == "WARN":  # no platform record: the handler's own line is the last
            last, count = "handled", sum(not event.get("fail") for event in events)
        else:
            last, count = '{"time"', 3 * len(events)

        def all_written() -> list[str]:
            found = lines()
            return found if sum(line.startswith(last) for line in found) == count else []
        return wait_for(all_written, timeout=20, what=f"{count} lines starting with {last!r}")

    yield invoke
    executor.stop()


def records(lines: list[str]) -> list[dict]:
    return [json.loads(line) for line in lines if line.startswith('{"time"')]


def test_text_format_writes_start_end_report_lines(run):
    lines = run("Text", None, [{"n": 1}, {"n": 2}])
    platform = [line.split(" RequestId: ")[0] for line in lines if " RequestId: " in line]
    assert platform == ["START", "END", "REPORT"] * 2
    reports = [line for line in lines if line.startswith("REPORT")]
    assert "\tInit Duration: " in reports[0] and "Init Duration" not in reports[1]
    assert "\tBilled Duration: " in reports[0] and "\tMax Memory Used: " in reports[0]
    assert records(lines) == []


@pytest.mark.parametrize("level", [None, "INFO", "DEBUG"])
def test_json_format_writes_platform_records_at_info_and_below(run, level):
    lines = run("JSON", level, [{"n": 1}, {"fail": True}])
    written = records(lines)
    assert [r["type"] for r in written] == [
        "platform.start", "platform.runtimeDone", "platform.report"] * 2
    assert not any(" RequestId: " in line for line in lines)  # no Text lines
    start, done, report = written[:3]
    assert start["record"]["version"] == "$LATEST"
    assert start["record"]["requestId"] == done["record"]["requestId"] == \
        report["record"]["requestId"]
    assert done["record"]["status"] == "success" and report["record"]["status"] == "success"
    assert done["record"]["metrics"]["producedBytes"] == len('{"ok": true}')
    metrics = report["record"]["metrics"]
    assert set(metrics) == {"durationMs", "billedDurationMs", "memorySizeMB", "maxMemoryUsedMB",
                            "initDurationMs"}
    assert metrics["memorySizeMB"] == 128 and metrics["billedDurationMs"] >= metrics["durationMs"]
    assert "initDurationMs" not in written[5]["record"]["metrics"]  # warm
    assert (written[4]["record"]["status"], written[4]["record"]["errorType"]) == (
        "error", "ValueError")
    assert written[5]["record"]["status"] == "error"
    assert start["time"].endswith("Z") and len(start["time"]) == len("2026-12-03T13:00:00.000Z")


def test_json_format_at_warn_writes_no_platform_record(run):
    lines = run("JSON", "WARN", [{"n": 1}])
    assert records(lines) == []
    assert not any(" RequestId: " in line for line in lines)
    # The handler's own output is still there, and the level never reached its environment.
    assert any(line.startswith("handled") and line.endswith("system level seen: None")
               for line in lines)
