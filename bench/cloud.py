"""The `local` stack on a local cloud in a child process, and the clients that drive it.

The cloud runs in its own interpreter (`python -m bench.cloud`, which calls
`start_local_cloud`) so that the load generator's threads, boto3 and requests neither share
its GIL nor count in its memory. The parent talks to it as any client would: HTTP on `ApiUrl`,
boto3 on the endpoint with fake credentials, and the admin endpoint `/_localcloud/status`.

Closing the child's stdin stops the cloud (`LocalCloud.stop()` in `finally`), which ends moto
and the Lambda workers; `CloudProcess.stop()` then checks that none of them is left.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import requests

from bench.stats import cores, machine_cpu
from localcloud.core.clients import ApiSession, local_client, sign_in

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 120.0
BENCH_PASSWORD = "Bench-password-1"
READY = b"bench-cloud-ready "  # prefix of the child's line with the endpoint and outputs


class CloudProcess:
    """A running local cloud in a child process (use `local_cloud()` to get one)."""

    def __init__(self, process: subprocess.Popen, ready: dict, state_dir: str) -> None:
        self.process = process
        self.state_dir = state_dir
        self.endpoint_url: str = ready["endpoint_url"]
        self.region: str = ready["region"]
        self.outputs: dict[str, Any] = ready["outputs"]
        self.functions: list[str] = ready["functions"]
        self.ready_seconds: float = ready["ready_seconds"]
        self.deploy_seconds: float = ready["deploy_seconds"]
        self.actions: dict[str, int] = ready["actions"]  # adopt | update | create -> count
        self._clients: dict[str, Any] = {}

    def function(self, short_name: str) -> str:
        """The deployed name of a function from its logical name (`get-user`)."""
        matches = [f for f in self.functions if f.endswith("-" + short_name)]
        if len(matches) != 1:
            raise KeyError(f"no single function named *-{short_name} in {self.functions}")
        return matches[0]

    def short_name(self, name: str) -> str:
        """The logical name of a deployed function (`get-user`): without the common prefix."""
        prefix = os.path.commonprefix(self.functions)
        return name.removeprefix(prefix[:prefix.rfind("-") + 1])

    def status(self) -> dict:
        return requests.get(f"{self.endpoint_url}/_localcloud/status", timeout=30).json()

    def cold_starts(self) -> dict[str, int]:
        return {name: s["cold_starts"] for name, s in self.status()["functions"].items()}

    def aws(self, service: str) -> Any:
        """A boto3 client on the local endpoint; no retries, so a failure is seen, not hidden."""
        if service not in self._clients:
            self._clients[service] = local_client(service, self.endpoint_url, self.region,
                                                  max_attempts=1, max_pool_connections=16)
        return self._clients[service]

    def api(self, token: str | None = None) -> ApiSession:
        """A new HTTP session on ApiUrl (one per client thread: sessions are not thread-safe),
        sending `token` as the caller's ID token when given."""
        return ApiSession(self.outputs["ApiUrl"], token=token)

    def sign_in(self, email: str) -> str:
        """An ID token of a (new or existing) user of the stack's pool, as tests get one."""
        return sign_in(self.aws("cognito-idp"), self.outputs["UserPoolId"],
                       self.outputs["UserPoolClientId"], email, BENCH_PASSWORD)["IdToken"]

    def new_token(self, email: str) -> str:
        """Another ID token of an existing user: one InitiateAuth (a new `jti`, a new token)."""
        return self.aws("cognito-idp").initiate_auth(
            ClientId=self.outputs["UserPoolClientId"], AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": BENCH_PASSWORD},
        )["AuthenticationResult"]["IdToken"]

    def processes(self) -> dict[int, str]:
        """pid -> role ("gateway", "moto", "worker", "other") for the cloud's process tree."""
        status = self.status()
        moto, workers = status["pids"]["moto"], set(status["pids"]["workers"])
        roles = {}
        for pid in process_tree(self.process.pid):
            roles[pid] = ("gateway" if pid == self.process.pid else "moto" if pid == moto
                          else "worker" if pid in workers else "other")
        return roles

    def cpu_by_role(self) -> dict[str, float]:
        """CPU seconds used so far by the cloud's processes, summed by role."""
        totals: dict[str, float] = {}
        for pid, role in self.processes().items():
            totals[role] = totals.get(role, 0.0) + cpu_seconds(pid)
        return totals

    def wait_idle(self, *, below: float = 0.1, timeout: float = 10.0) -> None:
        """Wait until the cloud's processes use less than `below` cores: the work that follows
        a start (first polls, log groups, alarms) would otherwise land on the first samples."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            meter = CpuMeter(self).start()
            time.sleep(0.5)
            used = meter.stop().cores()
            if sum(used.get(role, 0.0) for role in ("gateway", "moto", "worker")) < below:
                return

    def stop(self) -> list[int]:
        """Stop the cloud; returns the pids of its processes still alive afterwards (none)."""
        try:
            tree = process_tree(self.process.pid)
        except OSError:
            tree = []
        if self.process.poll() is None:
            try:
                self.process.stdin.close()  # the child's signal to stop the cloud
                self.process.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                _kill_group(self.process.pid)
                self.process.wait(timeout=10)
        self.process.stdout.close()
        return [pid for pid in tree if _alive(pid)]


class CpuMeter:
    """CPU used between `start()` and `stop()`: by role in the cloud, by this (client) process,
    and by the whole machine (other users of a shared machine show up there)."""

    def __init__(self, cloud: CloudProcess) -> None:
        self.cloud = cloud
        self.wall = 0.0
        self.seconds: dict[str, float] = {}

    def _snapshot(self) -> tuple[float, dict[str, float]]:
        client = os.times()
        busy, total = machine_cpu()
        return time.perf_counter(), {**self.cloud.cpu_by_role(),
                                     "client": client.user + client.system,
                                     "machine": busy, "machine_total": total}

    def start(self) -> "CpuMeter":
        self._before = self._snapshot()
        return self

    def stop(self) -> "CpuMeter":
        (t0, before), (t1, after) = self._before, self._snapshot()
        self.wall = t1 - t0
        self.seconds = {role: after[role] - before.get(role, 0.0) for role in after
                        if not role.startswith("machine")}
        ticks = max(after["machine_total"] - before["machine_total"], 1)
        busy_share = (after["machine"] - before["machine"]) / ticks
        self.seconds["machine"] = busy_share * cores() * self.wall
        return self

    def cores(self) -> dict[str, float]:
        """role -> average cores used ("gateway", "moto", "worker", "client", "machine")."""
        return {role: seconds / self.wall for role, seconds in self.seconds.items()}


CPU_ROLES = ("gateway", "moto", "worker", "client")


def cpu_cells(used: dict[str, float]) -> list[str]:
    """A CPU table's cells from `CpuMeter.cores()`: each role, the rest of the machine
    ("others": other jobs), the whole machine."""
    ours = sum(v for role, v in used.items() if role != "machine")
    return ([f"{used.get(role, 0.0):.2f}" for role in CPU_ROLES]
            + [f"{max(used['machine'] - ours, 0.0):.2f}", f"{used['machine']:.2f}"])


@contextmanager
def local_cloud(*, time_scale: float = 1.0, iam: str | None = None,
                project_dir: Path = ROOT, stack: str = "local", state_dir: str | None = None,
                port: int = 0, fresh: bool = True) -> Iterator[CloudProcess]:
    """Start a stack (default: this project's `local` stack) on a local cloud and stop it
    afterwards; `iam`: the IAM mode (`enforce`, `report`, `off`; default: the local cloud's).
    Fresh state in a temporary folder by default; with `state_dir` (and the `port` its state
    was saved at) and `fresh=False`, the state saved there is restored."""
    with tempfile.TemporaryDirectory(prefix="bench-cloud-") as scratch:
        state_dir = state_dir or scratch
        log_path = os.path.join(scratch, "cloud.log")
        env = dict(os.environ, PYTHONPATH=str(ROOT), LOCALCLOUD_LOG_LEVEL="ERROR")
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "bench.cloud", "--state-dir", state_dir,
                 "--time-scale", str(time_scale), "--project-dir", str(project_dir),
                 "--stack", stack, "--port", str(port)] + (["--iam", iam] if iam else [])
                + ([] if fresh else ["--restore"]),
                cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                start_new_session=True)
        cloud = None
        try:
            ready = _read_ready(process, log_path)
            cloud = CloudProcess(process, ready, state_dir)
            yield cloud
        finally:
            survivors = cloud.stop() if cloud else _stop_unready(process)
            if survivors:
                for pid in survivors:
                    _kill_group(pid)
                print(f"bench: processes left after stopping the cloud (killed): {survivors}",
                      file=sys.stderr)


def _read_ready(process: subprocess.Popen, log_path: str) -> dict:
    """The child's ready line, printed once the cloud serves (other output is skipped)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if select.select([process.stdout], [], [], 0.5)[0]:
            line = process.stdout.readline()
            if line.startswith(READY):
                return json.loads(line[len(READY):])
        if process.poll() is not None:
            break
    with open(log_path, encoding="utf-8", errors="replace") as log:
        tail = log.read()[-3000:]
    raise RuntimeError(f"the local cloud did not start:\n{tail}")


def _stop_unready(process: subprocess.Popen) -> list[int]:
    """Stop a child that never became ready: SIGTERM lets `start_local_cloud` clean up."""
    tree = process_tree(process.pid) if process.poll() is None else []
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except (ProcessLookupError, PermissionError):
        pass
    except subprocess.TimeoutExpired:
        _kill_group(process.pid)
        process.wait(timeout=10)
    process.stdout.close()
    return [pid for pid in tree if _alive(pid)]


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
    except OSError:
        return False


# -- processes, CPU and memory of a process tree (Linux /proc) ---------------------------------

def process_tree(root: int) -> list[int]:
    """`root` and all its descendants (Lambda workers and moto run in their own sessions, so
    the parent link is followed, not the process group)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def memory_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in KiB: resident now and its peak."""
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


# -- the child ----------------------------------------------------------------------------------

def _serve(state_dir: str, time_scale: float, iam: str | None, project_dir: str,
           stack: str, port: int, fresh: bool) -> None:
    sys.path.insert(0, str(ROOT))
    from localcloud.app.cloud import start_local_cloud

    # SIGTERM (the parent giving up on a start) becomes an exception, so the clean-up of
    # start_local_cloud, or the `finally` below, stops moto and the workers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    cloud = start_local_cloud(project_dir, stack=stack, port=port, time_scale=time_scale,
                              state_dir=state_dir, console=None, fresh=fresh,
                              **({"iam": iam} if iam else {}))
    try:
        ready = {"endpoint_url": cloud.endpoint_url, "region": cloud.region,
                 "outputs": cloud.deployment.outputs, "functions": sorted(cloud.registry.functions),
                 "ready_seconds": cloud.ready_seconds, "deploy_seconds": cloud.deployment.seconds,
                 "actions": cloud.deployment.actions}
        sys.stdout.buffer.write(READY + json.dumps(ready).encode() + b"\n")
        sys.stdout.flush()
        sys.stdin.read()  # until the parent closes stdin (or dies)
    finally:
        cloud.stop()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.cloud")
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--iam", default=None)
    parser.add_argument("--project-dir", default=str(ROOT))
    parser.add_argument("--stack", default="local")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--restore", action="store_true", help="restore the saved state")
    arguments = parser.parse_args()
    _serve(arguments.state_dir, arguments.time_scale, arguments.iam, arguments.project_dir,
           arguments.stack, arguments.port, not arguments.restore)
