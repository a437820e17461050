"""Hot reload on a running local cloud of a copy of the fixture program: a saved handler file
and a saved layer file reach the next invocation (workers retired, busy ones after their
invocation), a program change asks for a restart, and `--no-reload` turns the watcher off."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from localcloud.app.cloud import LocalCloud, start_local_cloud
from localcloud.cli import _parser
from tests.localcloud.paths import FIXTURE_APP
from tests.waiting import wait_for


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("reload") / "app"
    shutil.copytree(FIXTURE_APP, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.fixture(scope="module")
def console_lines() -> list[str]:
    return []


@pytest.fixture(scope="module")
def cloud(app, console_lines, tmp_path_factory):
    cloud = start_local_cloud(str(app), port=0, time_scale=60,
                              state_dir=str(tmp_path_factory.mktemp("reload-state")),
                              console=console_lines.append)
    yield cloud
    cloud.stop()


def _echo(cloud, payload=None) -> dict:
    result = cloud.invoke("fixture-echo", json.dumps(payload or {}).encode())
    assert result.function_error is None, result.payload
    return json.loads(result.payload)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _said(lines: list[str], *parts: str) -> str | None:
    return next((line for line in lines if all(part in line for part in parts)), None)


def test_saved_handler_reaches_the_next_invocation(cloud, app, console_lines):
    before = _echo(cloud)
    assert "version" not in before
    _edit(app / "handlers" / "app.py", '"event": event,', '"event": event, "version": 2,')
    after = wait_for(lambda: (lambda r: r if r.get("version") == 2 else None)(_echo(cloud)),
                     timeout=30, what="the new echo code")
    assert after["pid"] != before["pid"]  # a new worker: the old one was retired
    line = wait_for(lambda: _said(console_lines, "handlers/app.py changed"), timeout=10,
                    what="the reload on the console")
    # Every function packaged from handlers/ runs the new code, not just the one invoked.
    for function in ("fixture-echo", "fixture-slow", "fixture-fail", "fixture-emf"):
        assert function in line


def test_saved_layer_file_is_re_extracted(cloud, app, console_lines):
    assert _echo(cloud)["layer"] == "from-layer"
    _edit(app / "shared" / "python" / "fixture_shared" / "__init__.py", '"from-layer"',
          '"from-layer-v2"')
    wait_for(lambda: _echo(cloud)["layer"] == "from-layer-v2", timeout=30,
             what="the new layer code")
    assert _said(console_lines, "fixture_shared/__init__.py changed",
                 "layer fixture-shared re-extracted", "fixture-echo")


def test_a_busy_worker_is_retired_when_its_invocation_returns(cloud, app):
    _echo(cloud)  # a warm worker
    busy: dict = {}
    thread = threading.Thread(target=lambda: busy.update(_echo(cloud, {"sleep": 1.5})))
    thread.start()
    wait_for(lambda: cloud.executor.stats()["fixture-echo"]["in_flight"], timeout=10,
             what="the slow invocation to start")
    reloads = len(cloud.reloader.reloads)
    _edit(app / "handlers" / "app.py", '"version": 2,', '"version": 3,')
    wait_for(lambda: len(cloud.reloader.reloads) > reloads, timeout=30, what="the reload")
    thread.join(30)
    assert busy["version"] == 2  # it started before the change: old code to the end
    after = _echo(cloud)
    assert after["version"] == 3 and after["pid"] != busy["pid"]


def test_program_change_asks_for_a_restart_and_new_files_are_named(cloud, app, console_lines):
    _edit(app / "__main__.py", "fixture key", "fixture key!")
    (app / "handlers" / "extra.py").write_text("X = 1\n")
    wait_for(lambda: _said(console_lines, "__main__.py changed", "restart"), timeout=10,
             what="a restart notice")
    wait_for(lambda: _said(console_lines, "handlers/extra.py is new", "restart"), timeout=10,
             what="a new-file notice")


def test_no_reload_flag_turns_the_watcher_off():
    assert _parser().parse_args(["up", "--no-reload"]).reload is False
    assert _parser().parse_args(["up"]).reload is True
    cloud = LocalCloud(FIXTURE_APP, port=0, reload=False, console=None)
    assert cloud.reloader is None and all(
        type(part).__name__ != "CodeReloader" for part in cloud.parts)
