"""The stack's state across restarts: `<state dir>/state/` holds moto's data
(`emulator/snapshot.py`) and the deployment graph it belongs to (`deploy/saved_state.py`).

`prepare` (before moto starts) keeps the two when they belong together, or deletes both (`fresh`,
or a pair that does not match: one written and the other not); `commit` (after a successful
deployment) has moto save under the new graph's token, then puts the new graph in place. Until
then moto saves nothing, so a start that fails half way leaves the last good state as it was.
"""

from __future__ import annotations

import os

from localcloud.deploy.saved_state import GRAPH_FILE, Graph
from localcloud.deploy.stack_config import DeployError
from localcloud.emulator.snapshot import FILE_NAME as MOTO_FILE, saved_token


class Persistence:
    def __init__(self, state_dir: str, *, fresh: bool, project_dir: str):
        self.dir = os.path.join(state_dir, "state")
        self.fresh = fresh
        self.graph_path = os.path.join(self.dir, GRAPH_FILE)
        self.graph_out = self.graph_path + ".new"
        self._shown = os.path.relpath(self.dir, project_dir) if self.dir.startswith(
            project_dir + os.sep) else self.dir
        self.restored = False
        self.reason = ""  # why a saved state was not used
        self.notes: list[str] = []

    def prepare(self, endpoint_url: str) -> str | None:
        """The saved graph to deploy against, or None for an empty start. A state saved at
        another endpoint is refused (its URLs name that one), never dropped silently."""
        os.makedirs(self.dir, exist_ok=True)
        graph = os.path.exists(self.graph_path)
        moto = saved_token(self.dir)
        if not self.fresh and graph and moto is not None:
            saved, token = Graph.read(self.graph_path)
            if saved.endpoint != endpoint_url:
                raise DeployError(f"the saved state in {self._shown} was deployed at "
                                  f"{saved.endpoint}: start on that port again, or with --fresh")
            if token == moto:
                self.restored = True
                return self.graph_path
            self.reason = "the saved data and deployment did not match"
        elif not self.fresh and (graph or moto is not None):
            self.reason = "the saved state was incomplete"
        for name in (MOTO_FILE, GRAPH_FILE):
            if os.path.exists(os.path.join(self.dir, name)):
                os.remove(os.path.join(self.dir, name))
        return None

    def loaded(self, result: dict) -> None:
        """What moto reported loading: services it could not restore are named."""
        for key, error in (result.get("skipped") or {}).items():
            self.notes.append(f"state: {key.split(':')[-1]} was not restored ({error})")

    def commit(self, moto, token: str) -> None:
        saved = moto.snapshot(token)
        for key, error in (saved.get("skipped") or {}).items():
            self.notes.append(f"state: {key.split(':')[-1]} cannot be saved ({error})")
        os.replace(self.graph_out, self.graph_path)

    def summary(self, actions: dict[str, int]) -> str:
        if not self.restored:
            return "state: fresh" + (f" ({self.reason})" if self.reason else "")
        changed = actions.get("update", 0) + actions.get("create", 0)
        return (f"state: restored from {self._shown} ({actions.get('adopt', 0)} resources "
                f"adopted, {changed} changed)")
