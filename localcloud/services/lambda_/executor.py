"""Runs Lambda functions in long-lived worker subprocesses (`lambda_worker.py`).

Each function has a pool of workers: an invocation takes an idle one (warm) or starts a new
one (cold start: interpreter + handler import, counted), and gives it back afterwards.
Concurrency follows Lambda's rules (`concurrency.py`): past the account limit or a function's
reserved concurrency the invocation is throttled (429); past what the machine runs at once it
waits for a slot instead. A worker that overruns the function timeout is killed. Worker output goes to the function's log group and to the console.
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from localcloud.core.ports import InvokeResult
from localcloud.core.registry import FunctionSpec
from localcloud.core.telemetry import Telemetry

from .concurrency import ACCOUNT_LIMIT, ConcurrencyLimits, WorkerSlots, default_max_running
from .worker import SYSTEM_LOG_LEVEL_VARIABLE, new_trace_id

log = logging.getLogger("localcloud.lambda")

WORKER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
INIT_TIMEOUT = 10.0  # Lambda's limit on the init phase


class _WorkerGone(Exception):
    """The worker exited or broke the channel."""


class Worker:
    """One execution environment: a subprocess in its own process group."""

    def __init__(self, spec: FunctionSpec, env: dict[str, str], on_line: Callable[["Worker", str], None]):
        self.spec = spec
        self.idle_since = time.monotonic()
        self.code_version = 0  # the pool's code version it was started with
        self.log_stream = env["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.process = subprocess.Popen(
            [sys.executable, "-u", WORKER_SCRIPT], env=env, cwd=spec.code_dir,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True, bufsize=0)
        self.pid = self.process.pid
        self.on_line = on_line
        self.reader = threading.Thread(target=self._read_output, daemon=True,
                                       name=f"lambda-log-{spec.name}-{self.pid}")
        self.reader.start()

    def _read_output(self) -> None:
        for raw in iter(self.process.stderr.readline, b""):
            self.on_line(self, raw.decode("utf-8", "replace").rstrip("\n"))

    def _read_exact(self, size: int, deadline: float) -> bytes:
        fd = self.process.stdout.fileno()
        chunks, remaining = [], size
        while remaining:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError
            chunk = os.read(fd, remaining)
            if not chunk:
                raise _WorkerGone
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def receive(self, deadline: float) -> dict:
        (length,) = struct.unpack(">I", self._read_exact(4, deadline))
        return json.loads(self._read_exact(length, deadline + 5))

    def send(self, message: dict) -> None:
        data = json.dumps(message).encode()
        try:
            self.process.stdin.write(struct.pack(">I", len(data)) + data)
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError, OSError) as error:
            raise _WorkerGone from error

    def kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


@dataclass
class _Pool:
    spec: FunctionSpec
    lock: threading.Lock = field(default_factory=threading.Lock)
    idle: list[Worker] = field(default_factory=list)
    busy: set[Worker] = field(default_factory=set)
    in_flight: int = 0
    cold_starts: int = 0
    invocations: int = 0
    errors: int = 0
    throttles: int = 0
    timeouts: int = 0
    run_seconds: float = 0.0  # wall time in workers (cold starts included), for "where time goes"
    code_version: int = 0  # bumped when the code changes (`retire`): older workers are not reused


def lambda_error(message: str, error_type: str, *, status: int = 200, function_error: str | None = "Unhandled") -> InvokeResult:
    payload = {"errorMessage": message, "errorType": error_type}
    return InvokeResult(status, json.dumps(payload).encode(), function_error)


def api_error(status: int, error_type: str, message: str, **extra) -> InvokeResult:
    """An error of the Invoke API itself (not of the function)."""
    payload = {"Type": "User", "message": message, "__type": error_type, **extra}
    return InvokeResult(status, json.dumps(payload).encode(), None)


_CHATTY_LOGGERS = ('"logger": "botocore', '"logger": "boto3', '"logger": "urllib3')


def _library_debug(line: str) -> bool:
    """AWS SDK debug records (a DEBUG log level lets them through, as on Lambda): kept in the
    log group, left off the console."""
    return line.startswith("{") and '"level": "DEBUG"' in line and any(
        marker in line for marker in _CHATTY_LOGGERS)


def _take_live_worker(idle: list[Worker]) -> tuple[Worker | None, list[Worker]]:
    """The most recently used idle worker that is still running, and the dead ones passed over.

    An idle environment can die (killed, out of memory); Lambda never hands a request to one,
    so neither do we: the invocation gets the next live worker, or a cold start."""
    dead = []
    while idle:
        worker = idle.pop()
        if worker.process.poll() is None:
            return worker, dead
        dead.append(worker)
    return None, dead


class LambdaExecutor:
    def __init__(self, *, endpoint_url: str, region: str, account_id: str, telemetry: Telemetry,
                 account_concurrency: int = ACCOUNT_LIMIT,
                 reserved_total: Callable[[], int] = lambda: 0,
                 max_running: int | None = None, worker_wait: float = 30.0,
                 console: Callable[[str], None] | None = print, idle_timeout: float = 120.0,
                 credentials: Callable[[FunctionSpec], dict[str, str]] | None = None):
        # Each worker's AWS_ACCESS_KEY_ID / _SECRET_ACCESS_KEY / _SESSION_TOKEN: by default a
        # fixed key; with IAM on, a new session of the function's role (called per worker).
        self.credentials = credentials or (lambda spec: {})
        # Like Lambda, an execution environment idle for a while is retired (its memory is
        # given back); the next invocation past the warm ones is a cold start again.
        self.idle_timeout = idle_timeout
        self._reaper_stop = threading.Event()
        threading.Thread(target=self._retire_idle_workers, daemon=True,
                         name="lambda-idle-reaper").start()
        self.endpoint_url = endpoint_url
        self.region = region
        self.account_id = account_id
        self.telemetry = telemetry
        self.limits = ConcurrencyLimits(account_concurrency, reserved_total)
        self.slots = WorkerSlots(max_running or default_max_running(), worker_wait)
        self.console = console
        self.pools: dict[str, _Pool] = {}
        self.pools_lock = threading.Lock()
        self.stopped = False
        self.draining = False  # stopping: new invocations refused, running ones finish

    # -- environment -----------------------------------------------------------------------

    def worker_env(self, spec: FunctionSpec, log_stream: str, init_type: str) -> dict[str, str]:
        python_path = [spec.code_dir] + [os.path.join(d, "python") for d in spec.layer_dirs]
        env = dict(spec.environment)
        env.update({
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "PYTHONPATH": os.pathsep.join(python_path),
            "PYTHONNOUSERSITE": "1",
            "LAMBDA_TASK_ROOT": spec.code_dir,
            "_HANDLER": spec.handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": init_type,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_SESSION_TOKEN": "test",
            "AWS_ENDPOINT_URL": self.endpoint_url,
        })
        env.update(self.credentials(spec))
        if spec.log_format == "JSON":
            env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
            if spec.log_level:
                env["AWS_LAMBDA_LOG_LEVEL"] = spec.log_level
            if spec.system_log_level:
                env[SYSTEM_LOG_LEVEL_VARIABLE] = spec.system_log_level
        return env

    # -- pools -------------------------------------------------------------------------------

    def _pool(self, spec: FunctionSpec) -> _Pool:
        with self.pools_lock:
            pool = self.pools.get(spec.name)
            if pool is None:
                pool = self.pools[spec.name] = _Pool(spec)
            return pool

    def limit(self, spec: FunctionSpec) -> int:
        return self.limits.limit(spec)

    def _on_line(self, worker: Worker, line: str) -> None:
        self.telemetry.log(worker.spec.log_group, worker.log_stream, line)
        self.telemetry.emf(line)
        if self.console and not _library_debug(line):
            self.console(f"[{worker.spec.name}] {line}")

    def _start_worker(self, spec: FunctionSpec, init_type: str = "on-demand") -> Worker:
        stream = (f"{datetime.now(timezone.utc):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}")
        code_version = self._pool(spec).code_version  # read first: a change while starting wins
        worker = Worker(spec, self.worker_env(spec, stream, init_type), self._on_line)
        worker.code_version = code_version
        try:
            message = worker.receive(time.monotonic() + INIT_TIMEOUT + spec.timeout_seconds)
        except (TimeoutError, _WorkerGone, ValueError):
            worker.kill()
            raise _InitFailed({"errorMessage": "Runtime exited without providing a reason"
                               " during init", "errorType": "Runtime.ExitError"}) from None
        if "init_error" in message:
            worker.kill()
            raise _InitFailed(message["init_error"])
        return worker

    def prewarm(self, spec: FunctionSpec, count: int) -> None:
        """Provisioned concurrency: start `count` workers ahead of the first invocation."""
        pool = self._pool(spec)
        for _ in range(count):
            try:
                worker = self._start_worker(spec, "provisioned-concurrency")
            except _InitFailed as failure:
                log.warning("prewarming %s failed: %s", spec.name, failure.error)
                return
            with pool.lock:
                current = worker.code_version == pool.code_version
                if current:  # else the code changed while it started (hot reload)
                    pool.idle.append(worker)
            if not current:
                worker.kill()

    # -- invocation --------------------------------------------------------------------------

    def invoke(self, spec: FunctionSpec, payload: bytes, *, qualifier: str | None = None,
               request_id: str | None = None) -> InvokeResult:
        """A synchronous invocation (RequestResponse) of `spec`."""
        if self.stopped or self.draining:
            return api_error(503, "ServiceException", "the local cloud is stopping")
        version = qualifier if qualifier and qualifier.isdigit() else "$LATEST"
        try:
            json.loads(payload or b"{}")
        except ValueError:
            return api_error(400, "InvalidRequestContentException",
                             "Could not parse request body into json")
        pool = self._pool(spec)
        pool.spec = spec  # the newest configuration (update-function-configuration)
        dimensions = {"FunctionName": spec.name}
        reason = self.limits.acquire(spec)
        if reason:
            with pool.lock:
                pool.throttles += 1
            self.telemetry.metric("AWS/Lambda", "Throttles", 1, "Count", dimensions)
            return api_error(429, "TooManyRequestsException", "Rate Exceeded.", Reason=reason)
        try:
            return self._invoke_admitted(spec, pool, payload, qualifier, request_id, version)
        finally:
            self.limits.release(spec)

    def _invoke_admitted(self, spec: FunctionSpec, pool: _Pool, payload: bytes,
                         qualifier: str | None, request_id: str | None,
                         version: str) -> InvokeResult:
        """An invocation AWS would run: waits for a slot of this machine, then runs."""
        if self.slots.acquire() is None:
            log.warning("%s waited %.0f s for one of the %d invocations this machine runs at once"
                        " (--max-running); answering 500", spec.name, self.slots.wait,
                        self.slots.size)
            return api_error(500, "ServiceException",
                             f"Local cloud: no worker free within {self.slots.wait:g} s "
                             f"({self.slots.size} invocations running at once, --max-running)")
        try:
            return self._run_in_slot(spec, pool, payload, qualifier, request_id, version)
        finally:
            self.slots.release()

    def _run_in_slot(self, spec: FunctionSpec, pool: _Pool, payload: bytes,
                     qualifier: str | None, request_id: str | None,
                     version: str) -> InvokeResult:
        dimensions = {"FunctionName": spec.name}
        with pool.lock:
            pool.in_flight += 1
            pool.invocations += 1
            concurrent = pool.in_flight
            worker, dead = _take_live_worker(pool.idle)
            if worker is None:
                pool.cold_starts += 1
        for gone in dead:  # died while idle: cleaned up, never handed a request
            log.info("worker %s of %s exited while idle (status %s); replacing it", gone.pid,
                     spec.name, gone.process.returncode)
            gone.kill()
        self.telemetry.metric("AWS/Lambda", "ConcurrentExecutions", concurrent, "Count", dimensions)
        self.telemetry.metric("AWS/Lambda", "Invocations", 1, "Count", dimensions)
        started = time.monotonic()
        request_id = request_id or str(uuid.uuid4())
        try:
            result, worker = self._run(spec, worker, payload, qualifier, request_id, version)
        finally:
            with pool.lock:
                pool.in_flight -= 1
        duration = (time.monotonic() - started) * 1000
        with pool.lock:
            pool.run_seconds += duration / 1000
            if (worker is not None and not self.stopped
                    and worker.code_version == pool.code_version):
                worker.idle_since = time.monotonic()
                pool.idle.append(worker)  # the most recently used is reused first
                worker = None
            if result.function_error:
                pool.errors += 1
        if worker is not None:
            worker.kill()
        self.telemetry.metric("AWS/Lambda", "Duration", duration, "Milliseconds", dimensions)
        if result.function_error:
            self.telemetry.metric("AWS/Lambda", "Errors", 1, "Count", dimensions)
        return result

    def _run(self, spec: FunctionSpec, worker: Worker | None, payload: bytes,
             qualifier: str | None, request_id: str, version: str) -> tuple[InvokeResult, Worker | None]:
        """Run one invocation; returns the result and the worker if it may be reused."""
        if worker is None:
            try:
                worker = self._start_worker(spec)
            except _InitFailed as failure:
                return InvokeResult(200, json.dumps(failure.error).encode(), "Unhandled",
                                    version), None
        pool = self._pool(spec)
        with pool.lock:
            pool.busy.add(worker)
        deadline = time.monotonic() + spec.timeout_seconds
        invoked_arn = f"{spec.arn}:{qualifier}" if qualifier else spec.arn
        try:
            worker.send({"request_id": request_id, "payload": (payload or b"{}").decode(),
                         "invoked_arn": invoked_arn, "trace_id": new_trace_id(),
                         "deadline_ms": time.time() * 1000 + spec.timeout_seconds * 1000})
            response = worker.receive(deadline)
        except TimeoutError:
            worker.kill()
            with pool.lock:
                pool.timeouts += 1
            message = (f"{datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%S.%fZ} {request_id} "
                       f"Task timed out after {spec.timeout_seconds:.2f} seconds")
            self._on_line(worker, message)
            return lambda_error(message, "Sandbox.Timedout"), None
        except (_WorkerGone, ValueError):
            code = worker.process.poll()
            worker.kill()
            return lambda_error(f"RequestId: {request_id} Error: Runtime exited with error: "
                                f"exit status {code}", "Runtime.ExitError"), None
        finally:
            with pool.lock:
                pool.busy.discard(worker)
        if "error" in response:
            return InvokeResult(200, json.dumps(response["error"]).encode(), "Unhandled",
                                version), worker
        return InvokeResult(200, response["payload"].encode(), None, version), worker

    # -- introspection and shutdown ----------------------------------------------------------

    def stats(self) -> dict:
        with self.pools_lock:
            pools = list(self.pools.values())
        result = {}
        for pool in pools:
            with pool.lock:
                result[pool.spec.name] = {
                    "invocations": pool.invocations, "cold_starts": pool.cold_starts,
                    "errors": pool.errors, "throttles": pool.throttles, "timeouts": pool.timeouts,
                    "in_flight": pool.in_flight, "concurrency_limit": self.limit(pool.spec),
                    "run_ms": round(pool.run_seconds * 1000, 1),
                    "worker_pids": sorted(w.pid for w in pool.idle + list(pool.busy)),
                    "busy_pids": sorted(w.pid for w in pool.busy),  # running an invocation
                }
        return result

    def retire_idle(self, now: float | None = None, function: str | None = None) -> int:
        """Stop workers (of every function, or of `function`) idle for longer than
        `idle_timeout`, never below provisioned concurrency; returns how many were stopped."""
        now = time.monotonic() if now is None else now
        with self.pools_lock:
            pools = [p for p in self.pools.values() if function in (None, p.spec.name)]
        retired = []
        for pool in pools:
            keep = pool.spec.provisioned_concurrency or 0
            with pool.lock:
                stale = [w for w in pool.idle if now - w.idle_since > self.idle_timeout]
                stale = stale[:max(0, len(pool.idle) - keep)]  # oldest first
                pool.idle = [w for w in pool.idle if w not in stale]
            retired += stale
        for worker in retired:
            worker.kill()
        return len(retired)

    def retire(self, function: str) -> int:
        """The function's code changed (hot reload): stop its idle workers now and each busy
        one when its invocation returns, so the next invocation starts on the new code (a cold
        start). Returns how many workers were retired."""
        with self.pools_lock:
            pool = self.pools.get(function)
        if pool is None:
            return 0
        with pool.lock:
            pool.code_version += 1
            idle, pool.idle = pool.idle, []
            busy = len(pool.busy)
        for worker in idle:
            worker.kill()
        return len(idle) + busy

    def _retire_idle_workers(self) -> None:
        while not self._reaper_stop.wait(min(10.0, max(self.idle_timeout / 4, 0.05))):
            try:
                self.retire_idle()
            except Exception:  # the reaper must outlive a bad moment
                log.exception("retiring idle Lambda workers failed")

    def worker_pids(self) -> list[int]:
        return sorted(pid for s in self.stats().values() for pid in s["worker_pids"])

    def begin_drain(self) -> None:
        """Refuse new invocations (503) from now on; the running ones carry on."""
        self.draining = True

    def in_flight(self) -> int:
        with self.pools_lock:
            pools = list(self.pools.values())
        return sum(pool.in_flight for pool in pools)

    def drain(self, deadline: float) -> bool:
        """Refuse new invocations and wait (until `deadline`, monotonic) for the running ones
        to return; True if none is left."""
        self.begin_drain()
        while self.in_flight() and time.monotonic() < deadline:
            time.sleep(0.02)
        return not self.in_flight()

    def stop(self) -> None:
        self.stopped = True
        self._reaper_stop.set()
        with self.pools_lock:
            pools = list(self.pools.values())
        for pool in pools:
            with pool.lock:
                workers = pool.idle + list(pool.busy)
                pool.idle = []
            for worker in workers:
                worker.kill()


class _InitFailed(Exception):
    def __init__(self, error: dict):
        super().__init__(error.get("errorMessage"))
        self.error = error
