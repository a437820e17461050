"""Hot reload of function code: a saved handler or shared-code file reaches the next invocation.

A polling thread compares the modification time and size of every project file that was
copied into an extracted function or layer folder (`<folder>.sources.json`, written by the
deployer). When one changes, it is copied again (atomically, stale bytecode removed) into each
folder that holds it, and every function that runs that folder (its code, or a layer of it)
has its workers retired, so its next invocation is a cold start on the new code. A change to
the program itself (`__main__.py`, `components/`, a stack file) is not re-deployed: the
console says a restart is needed. A file added where function code lives is in no deployed
archive until the program packages it again: the console says so too.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from typing import Callable, Iterable

from localcloud.core.background import BackgroundLoop
from localcloud.core.registry import FunctionSpec
from localcloud.deploy.resources.archives import sources

log = logging.getLogger("localcloud.reload")

POLL_SECONDS = 0.2
Stamp = tuple[int, int] | None  # (mtime_ns, size); None: the file is gone


def _stamp(path: str) -> Stamp:
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return status.st_mtime_ns, status.st_size


def _copy_atomically(source: str, destination: str) -> None:
    """Replace `destination` in one step (a worker starting meanwhile never reads half a file)
    and drop its cached bytecode (same size within the same second would otherwise be reused)."""
    os.makedirs(os.path.dirname(destination), exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(destination), prefix=".reload-")
    os.close(handle)
    shutil.copyfile(source, temporary)
    os.replace(temporary, destination)
    if destination.endswith(".py"):
        try:
            os.remove(importlib.util.cache_from_source(destination))
        except FileNotFoundError:
            pass


@dataclass
class Reloaded:
    """What one change did: for the console and for tests."""

    path: str  # the project file, relative to the project
    folders: list[str]  # extracted folders updated
    functions: dict[str, int]  # function -> workers retired


class CodeReloader(BackgroundLoop):
    thread_name = "code-reloader"

    def __init__(self, *, project_dir: str, functions: Callable[[], Iterable[FunctionSpec]],
                 retire: Callable[[FunctionSpec], int], console: Callable[[str], None] | None,
                 stack: str, interval: float = POLL_SECONDS):
        super().__init__()
        self.project_dir = os.path.realpath(project_dir)
        self._functions = functions
        self._retire = retire
        self._console = console
        self._interval = interval
        self._program = [os.path.join(self.project_dir, name)
                         for name in ("__main__.py", "Pulumi.yaml", f"Pulumi.{stack}.yaml",
                                      "stack_settings.py")]
        self._lock = threading.Lock()
        self._copies: dict[str, list[tuple[str, str]]] = {}  # source -> [(folder, relative)]
        self._stamps: dict[str, Stamp] = {}
        self._known_dirs: dict[str, set[str]] = {}  # folders holding sources -> their files
        self.reloads: list[Reloaded] = []

    # -- what is watched ------------------------------------------------------------------

    def _program_files(self) -> list[str]:
        found = list(self._program)
        components = os.path.join(self.project_dir, "components")
        for folder, dirs, files in os.walk(components):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            found += [os.path.join(folder, f) for f in files if f.endswith(".py")]
        return found

    def _index(self) -> None:
        """Which project file was copied where: the project's own files only (a library in
        the Python environment, such as Powertools, does not change while you work)."""
        copies: dict[str, list[tuple[str, str]]] = {}
        folders = {folder for spec in self._functions()
                   for folder in (spec.code_dir, *spec.layer_dirs)}
        for folder in sorted(folders):
            for relative, source in sources(folder).items():
                if source.startswith(self.project_dir + os.sep) and "site-packages" not in source:
                    copies.setdefault(source, []).append((folder, relative))
        self._copies = copies
        self._known_dirs = {}
        for source in copies:
            self._known_dirs.setdefault(os.path.dirname(source), set()).add(source)

    def _watched(self) -> list[str]:
        return [*self._copies, *self._program_files()]

    def start(self) -> None:
        with self._lock:
            self._index()
            self._stamps = {path: _stamp(path) for path in self._watched()}
        super().start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.poll()
            except Exception:  # the watcher must outlive a file that vanished mid-copy
                log.exception("hot reload failed")

    # -- one poll -------------------------------------------------------------------------

    def poll(self) -> list[Reloaded]:
        """Look once for changes and apply them; returns what was reloaded."""
        with self._lock:
            done = []
            for path in self._watched():
                stamp = _stamp(path)
                if path in self._stamps and stamp == self._stamps[path]:
                    continue
                self._stamps[path] = stamp
                if path in self._copies:
                    done.append(self._reload(path, stamp))
                else:
                    self._say(f"reload: {self._relative(path)} changed: the program is not "
                              "re-deployed while serving; restart `make up` to apply it (the "
                              "data is kept: the restart updates or creates what changed)")
            self._look_for_new_files()
            self.reloads += done
            return done

    def _reload(self, source: str, stamp: Stamp) -> Reloaded:
        targets = self._copies[source]
        for folder, relative in targets:
            destination = os.path.join(folder, relative)
            if stamp is None:
                if os.path.exists(destination):
                    os.remove(destination)
            else:
                _copy_atomically(source, destination)
        changed = {folder for folder, _ in targets}
        retired = {spec.name: self._retire(spec) for spec in self._functions()
                   if changed & {spec.code_dir, *spec.layer_dirs}}
        reloaded = Reloaded(self._relative(source), sorted(changed), retired)
        layers = [os.path.basename(f) for f in sorted(changed) if os.sep + "layers" + os.sep in f]
        self._say(f"reload: {reloaded.path} {'removed' if stamp is None else 'changed'}"
                  + (f"; layer {', '.join(layers)} re-extracted" if layers else "")
                  + f"; new code for {', '.join(sorted(retired)) or 'no function'}"
                  + f" ({sum(retired.values())} workers retired)")
        return reloaded

    def _look_for_new_files(self) -> None:
        for folder, known in self._known_dirs.items():
            try:
                names = os.listdir(folder)
            except FileNotFoundError:
                continue
            for name in names:
                path = os.path.join(folder, name)
                if name.endswith(".py") and path not in known and path not in self._stamps:
                    self._stamps[path] = _stamp(path)
                    self._say(f"reload: {self._relative(path)} is new and in no deployed function"
                              " or layer; restart `make up` to package it")

    def _relative(self, path: str) -> str:
        return os.path.relpath(path, self.project_dir)

    def _say(self, line: str) -> None:
        if self._console:
            self._console(line)
        else:
            log.info("%s", line)
