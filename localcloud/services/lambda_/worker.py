"""One Lambda execution environment: imports the handler once, then runs invocations.

Started by the executor as a script (`python worker.py`) with only the function's
environment. Channel: requests arrive on stdin and results leave on the original stdout, each as
a 4-byte big-endian length and a JSON document. Once started, fd 1 is pointed at stderr, so
everything the handler prints (Python or C level) reaches the parent as log lines on stderr.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import os
import resource
import struct
import sys
import time
import traceback
import uuid


# How the executor passes LoggingConfig.SystemLogLevel (Lambda has no such variable).
SYSTEM_LOG_LEVEL_VARIABLE = "_LOCALCLOUD_SYSTEM_LOG_LEVEL"


def read_message(stream) -> dict | None:
    header = stream.read(4)
    if len(header) < 4:
        return None
    (length,) = struct.unpack(">I", header)
    return json.loads(stream.read(length))


def write_message(stream, message: dict) -> None:
    data = json.dumps(message).encode()
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


class LambdaContext:
    """The `context` argument of a Python Lambda handler."""

    def __init__(self, request: dict):
        env = os.environ
        self.function_name = env["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = env["AWS_LAMBDA_FUNCTION_VERSION"]
        self.memory_limit_in_mb = env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.log_group_name = env["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = env["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.invoked_function_arn = request["invoked_arn"]
        self.aws_request_id = request["request_id"]
        self.identity = None
        self.client_context = None
        self._deadline_ms = request["deadline_ms"]
        self.tenant_id = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_ms - time.time() * 1000))


def error_payload(error: BaseException, error_type: str | None = None) -> dict:
    frames = traceback.extract_tb(error.__traceback__)
    return {
        "errorMessage": str(error),
        "errorType": error_type or type(error).__name__,
        "requestId": "",
        "stackTrace": [line for line in traceback.format_list(frames)],
    }


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


_request_ids = _RequestIdFilter()


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"timestamp": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + "Z",
                 "level": record.levelname, "message": record.getMessage(),
                 "logger": record.name, "requestId": getattr(record, "aws_request_id", "")}
        if record.exc_info:
            entry["stackTrace"] = self.formatException(record.exc_info).splitlines()
        return json.dumps(entry)


def configure_logging() -> None:
    """The root logger as Lambda's Python runtime sets it up (Text or JSON log format)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_request_ids)
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT") == "JSON":
        handler.setFormatter(_JsonFormatter())
        level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "INFO")
    else:
        handler.setFormatter(logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
            "%Y-%m-%dT%H:%M:%S"))
        level = "WARNING"
    logging.Formatter.converter = time.gmtime
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


class PlatformLog:
    """Lambda's own records of each invocation, in the function's log format: Text writes the
    START / END / REPORT lines; JSON writes `platform.start`, `platform.runtimeDone` and
    `platform.report` records (INFO) when the system log level (`LoggingConfig.SystemLogLevel`,
    default INFO) lets INFO through, i.e. not at WARN. Not written: runtimeDone's `spans`."""

    def __init__(self, log_format: str | None, system_level: str | None):
        self.json = log_format == "JSON"
        self.info = (system_level or "INFO").upper() in ("DEBUG", "INFO")

    def _record(self, kind: str, record: dict) -> None:
        if self.info:
            now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
            millis = int(time.time() * 1000) % 1000
            print(json.dumps({"time": f"{now}.{millis:03d}Z", "type": f"platform.{kind}",
                              "record": record}), file=sys.stderr)

    def start(self, request_id: str, version: str) -> None:
        if not self.json:
            print(f"START RequestId: {request_id} Version: {version}", file=sys.stderr)
            return
        self._record("start", {"requestId": request_id, "version": version})

    def done(self, request_id: str, error_type: str | None, duration: float, produced: int,
             memory_size: int, max_memory: int, init_ms: float | None) -> None:
        """runtimeDone and report (Text: END and REPORT)."""
        billed = int(duration) + 1
        if not self.json:
            init = f"\tInit Duration: {init_ms:.2f} ms" if init_ms is not None else ""
            print(f"END RequestId: {request_id}", file=sys.stderr)
            print(f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
                  f"Billed Duration: {billed} ms\tMemory Size: {memory_size} MB\t"
                  f"Max Memory Used: {max_memory} MB{init}", file=sys.stderr)
            return
        status = {"status": "error", "errorType": error_type} if error_type else \
            {"status": "success"}
        self._record("runtimeDone", {"requestId": request_id, **status, "metrics": {
            "durationMs": round(duration, 3), "producedBytes": produced}})
        metrics = {"durationMs": round(duration, 3), "billedDurationMs": billed,
                   "memorySizeMB": memory_size, "maxMemoryUsedMB": max_memory}
        if init_ms is not None:  # on the first report only, as Lambda
            metrics["initDurationMs"] = round(init_ms, 3)
        self._record("report", {"requestId": request_id, "metrics": metrics, **status})


def load_handler(spec: str):
    module_name, _, function_name = spec.rpartition(".")
    module = importlib.import_module(module_name.replace("/", "."))
    return getattr(module, function_name)


def main() -> None:
    # Started as a script: its own folder must not shadow the function's modules.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    channel_in = sys.stdin.buffer
    channel_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # the handler's stdout becomes log output
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", buffering=0), write_through=True)
    sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", buffering=0), write_through=True)
    sys.stdin = io.TextIOWrapper(io.BytesIO())

    # Not a Lambda variable: taken out before the handler's code sees the environment.
    platform = PlatformLog(os.environ.get("AWS_LAMBDA_LOG_FORMAT"),
                           os.environ.pop(SYSTEM_LOG_LEVEL_VARIABLE, None))
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    os.chdir(task_root)
    configure_logging()
    started = time.monotonic()
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except Exception as error:  # reported like Lambda's Runtime.ImportModuleError
        error_type = ("Runtime.ImportModuleError" if isinstance(error, ImportError)
                      else "Runtime.HandlerNotFound" if isinstance(error, AttributeError)
                      else "Runtime.UserCodeSyntaxError" if isinstance(error, SyntaxError)
                      else type(error).__name__)
        message = f"Unable to import module '{os.environ['_HANDLER'].rpartition('.')[0]}': {error}"
        print(f"[ERROR] {error_type}: {message}", file=sys.stderr)
        write_message(channel_out, {"init_error": {"errorMessage": message,
                                                   "errorType": error_type,
                                                   "stackTrace": []}})
        return
    init_ms = (time.monotonic() - started) * 1000
    write_message(channel_out, {"ready": True, "init_ms": init_ms})
    first_init_ms: float | None = init_ms  # reported on the first invocation only

    while True:
        request = read_message(channel_in)
        if request is None:  # the executor closed the channel or died
            return
        request_id = request["request_id"]
        os.environ["_X_AMZN_TRACE_ID"] = request.get("trace_id", "")
        _request_ids.request_id = request_id
        platform.start(request_id, os.environ["AWS_LAMBDA_FUNCTION_VERSION"])
        begin = time.monotonic()
        try:
            result = handler(json.loads(request["payload"]), LambdaContext(request))
            try:
                response = {"payload": json.dumps(result)}
            except (TypeError, ValueError) as error:
                response = {"error": error_payload(error, "Runtime.MarshalError")}
        except Exception as error:
            payload = error_payload(error)
            payload["requestId"] = request_id
            print(json.dumps({"timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                              "level": "ERROR", "message": payload["errorMessage"],
                              "errorType": payload["errorType"], "requestId": request_id,
                              "stackTrace": payload["stackTrace"]})
                  if os.environ.get("AWS_LAMBDA_LOG_FORMAT") == "JSON"
                  else f"[ERROR] {payload['errorType']}: {payload['errorMessage']}",
                  file=sys.stderr)
            response = {"error": payload}
        duration = (time.monotonic() - begin) * 1000
        memory = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        platform.done(request_id, (response.get("error") or {}).get("errorType"), duration,
                      len(response.get("payload") or ""),
                      int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]), memory, first_init_ms)
        first_init_ms = None
        response["duration_ms"] = duration
        write_message(channel_out, response)


def new_trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"


if __name__ == "__main__":
    main()
