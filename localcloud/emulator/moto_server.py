"""The moto server subprocess that holds the local cloud's AWS state.

`MotoServer` starts `python -m localcloud.emulator.moto_server` (moto's own server app, with TCP_NODELAY on
every accepted socket, keep-alive connections, the fixes of `moto_fixes` and a watchdog that exits when the
parent dies) on a free loopback port,
waits until it answers, and enables Step Functions execution through moto's config endpoint.
Given a state folder, the process loads the saved backends before serving and saves them on
SIGTERM/SIGINT and when its parent dies, once armed (`snapshot.py`).
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from localcloud.emulator.json_endpoint import call_json
from localcloud.emulator.snapshot import PATH as SNAPSHOT_PATH


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class MotoServer:
    """Owns the moto subprocess (in its own process group, so it can be stopped as a whole)."""

    def __init__(self, *, gateway_port: int, port: int | None = None, log_path: str | None = None,
                 state_dir: str | None = None):
        self.gateway_port = gateway_port
        self.state_dir = state_dir  # where its state is loaded from and saved (snapshot.py)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = dict(os.environ)
        # moto's Step Functions Lambda tasks call http://localhost:$MOTO_PORT: that must be the
        # gateway, which runs the functions, not moto itself.
        env["MOTO_PORT"] = str(self.gateway_port)
        env["MOTO_ALLOW_NONEXISTENT_REGION"] = "true"
        for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
            env.pop(key, None)
        env.setdefault("AWS_ACCESS_KEY_ID", "test")
        env.setdefault("AWS_SECRET_ACCESS_KEY", "test")
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "localcloud.emulator.moto_server", "--port", str(self.port),
                 "--parent-pid", str(os.getpid())]
                + (["--state-dir", self.state_dir] if self.state_dir else []),
                env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            if out is not subprocess.DEVNULL:
                out.close()

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process and self.process.poll() is not None:
                raise RuntimeError(f"moto server exited with code {self.process.returncode}"
                                   + (f"; see {self.log_path}" if self.log_path else ""))
            try:
                self.configure({"stepfunctions": {"execute_state_machine": True}})
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"moto server not ready on {self.url}") from None
                time.sleep(0.05)

    def configure(self, config: dict) -> dict:
        """POST /moto-api/config: moto's runtime switches (must precede state machine creation)."""
        return call_json(f"{self.url}/moto-api/config", config, timeout=2)

    def snapshot(self, token: str | None = None) -> dict:
        """What was loaded at start; with `token`, arm saving for that deployment and save."""
        return call_json(f"{self.url}{SNAPSHOT_PATH}", None if token is None else {"token": token},
                         timeout=30)

    def stop(self, timeout: float = 5.0) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None


def _exit_with_parent(parent_pid: int, exit_now) -> None:
    """Never outlive the local cloud, even if it was killed with SIGKILL."""
    while True:
        time.sleep(1)
        if os.getppid() != parent_pid:
            exit_now()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m localcloud.emulator.moto_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--parent-pid", type=int, default=0)
    parser.add_argument("--state-dir", default=None)
    args = parser.parse_args(argv)

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from localcloud.emulator import moto_clock, moto_fixes
    from localcloud.emulator.snapshot import Snapshots, serve_snapshots

    moto_fixes.apply_all()
    moto_clock.install()

    class NoDelayHandler(MotoRequestHandler):
        # Small responses written in pieces otherwise wait for delayed ACKs (tens of ms each).
        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_request(self, *args, **kwargs) -> None:
            pass

        # A buffered wfile: werkzeug writes the status line and headers, then the body, and
        # flushes once; unbuffered, each was a send() of its own (two wake-ups of the reader).
        wbufsize = 64 * 1024

        keep_alive = False  # until a request's body has been read whole (run_wsgi)

        # Keep-alive: werkzeug closes every connection (it cannot tell where an unread body
        # ends), so each call from the gateway paid a TCP connect and a new server thread.
        # Reading the whole body first makes the end of each request known.
        def run_wsgi(self) -> None:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                self.keep_alive = False  # body length unknown up front: close as werkzeug does
                return super().run_wsgi()
            self.keep_alive = True
            socket_file = self.rfile
            self.rfile = io.BytesIO(socket_file.read(int(self.headers.get("Content-Length") or 0)))
            try:
                super().run_wsgi()
            finally:
                self.rfile = socket_file

        def send_header(self, keyword: str, value: str) -> None:
            if keyword.lower() == "connection" and value.lower() == "close" and self.keep_alive:
                return  # the request's own Connection header decides
            super().send_header(keyword, value)

    app = moto_clock.middleware(DomainDispatcherApplication(create_backend_app))
    snapshots = Snapshots(args.state_dir) if args.state_dir else None
    if snapshots:
        loaded = snapshots.load()
        app = serve_snapshots(app, snapshots, loaded)

    def exit_now(*_: object) -> None:
        # Saved (when armed), then exit at once: a clean shutdown of werkzeug's poll loop
        # and its kept-alive connection threads costs about a second.
        try:
            if snapshots:
                snapshots.save()
        finally:
            os._exit(0)

    if args.parent_pid:
        threading.Thread(target=_exit_with_parent, args=(args.parent_pid, exit_now),
                         daemon=True).start()
    signal.signal(signal.SIGTERM, exit_now)
    signal.signal(signal.SIGINT, exit_now)

    server = make_server(args.host, args.port, app, threaded=True, request_handler=NoDelayHandler)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass


if __name__ == "__main__":
    main()
