"""`reload`: from saving a file under `lambdas/` to the first invocation that runs the new code,
with hot reload, beside restarting the local cloud (the baseline, measured in the same run).

The `local` stack runs on a copy of the project (the real files are never edited). A save adds
a module-level `print` of a fresh marker to a file; the function is invoked back to back until
an invocation prints that marker (it imported the new code), and the time from the save to
that invocation's return is the row's figure. *handler*: one function's own module;
*shared code*: a module of the shared-code layer every function carries. The baseline saves
the handler file, then stops the cloud and starts a new one, and invokes once.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from pathlib import Path

from bench.stats import median
from bench.table import show
from components.builders.packaging import PROJECT_ROOT
from localcloud.app.cloud import start_local_cloud

RUNS = 5
HANDLER = "lambdas/users/get_user.py"
SHARED = "lambdas/shared/plumbing/__init__.py"
COPIED = ("__main__.py", "stack_settings.py", "powertools_layer.py", "powertools_layers.json",
          "Pulumi.yaml", "Pulumi.local.yaml", "components", "lambdas", "requirements.txt")


def _project_copy(folder: str) -> Path:
    copy = Path(folder) / "project"
    copy.mkdir()
    for name in COPIED:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copyfile(source, copy / name)
    return copy


def _save_marker(path: Path) -> str:
    marker = f"bench-reload-{uuid.uuid4().hex[:8]}"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"\nprint({marker!r})\n")
    return marker


def _until_new_code(cloud, function: str, lines: list[str], marker: str,
                    timeout: float = 60.0) -> float:
    """Invoke until an invocation printed `marker`; seconds since `started` is the caller's."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cloud.invoke(function, b"{}")
        if any(marker in line for line in lines):
            return time.monotonic()
        time.sleep(0.01)
    raise TimeoutError(f"{function} never ran the code printing {marker}")


def _function_of(cloud, handler_module: str) -> str:
    return next(spec.name for spec in cloud.registry.functions.values()
                if spec.handler.startswith(handler_module + "."))


def run() -> None:
    samples: dict[str, list[float]] = {"handler": [], "shared code": []}
    with tempfile.TemporaryDirectory(prefix="bench-reload-") as folder:
        project = _project_copy(folder)
        lines: list[str] = []
        state = str(Path(folder) / "state")
        cloud = start_local_cloud(str(project), port=0, state_dir=state, console=lines.append)
        try:
            function = _function_of(cloud, HANDLER[:-3].replace("/", "."))
            cloud.invoke(function, b"{}")  # a warm worker on the old code
            for _ in range(RUNS):
                for row, path in (("handler", HANDLER), ("shared code", SHARED)):
                    saved = time.monotonic()
                    marker = _save_marker(project / path)
                    samples[row].append(_until_new_code(cloud, function, lines, marker) - saved)
            saved = time.monotonic()
            marker = _save_marker(project / HANDLER)
            cloud.stop()
            cloud = start_local_cloud(str(project), port=0, state_dir=state,
                                      console=lines.append)
            restart = _until_new_code(cloud, function, lines, marker) - saved
        finally:
            cloud.stop()
    rows = [[f"hot reload: {row} saved", f"{median(values) * 1000:.0f}",
             f"{min(values) * 1000:.0f}", f"{max(values) * 1000:.0f}",
             f"{median(values) / restart:.3f}"] for row, values in samples.items()]
    rows.append(["baseline: handler saved, cloud restarted", f"{restart * 1000:.0f}",
                 "-", "-", "1.000"])
    show(f"reload: save -> first invocation of the new code, {HANDLER} / {SHARED} "
         f"({RUNS} saves each, median; one restart)",
         ["change", "median ms", "min ms", "max ms", "/ restart"], rows,
         ["includes the watcher's poll (every 0.2 s), the copy, retiring the workers and the "
          "cold start of the new worker (handler import)."])
