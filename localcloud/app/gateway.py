"""The local cloud's one endpoint: the services' routes first, moto for everything else.

The gateway is given one route table composed from every service's own (Lambda Invoke,
EventBridge PutEvents, REST API stages, the admin endpoints) and knows no service by name: a
request no route claims goes to moto verbatim, over keep-alive connections (one per gateway
thread); the table's before-forward hooks may add headers first (SNS Publish: the
subscriptions a queue policy denies) and its after-forward watchers (SNS → Lambda) see what
moto accepted. An
optional `intercept` hook (IAM enforcement, fault injection) sees every request first and may
answer it.
"""

from __future__ import annotations

import http.client
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import urlsplit

from localcloud.core.http import (HTTP_METHODS, GatewayRequest, HttpResponse, RouteTable,
                                  json_response)

log = logging.getLogger("localcloud.gateway")

# Headers that belong to one hop, not to the request or response being relayed.
_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
                "proxy-connection", "content-length"}


# A request -> a response that replaces the call, or None to go on (fault injection).
Intercept = Callable[[GatewayRequest], "HttpResponse | None"]


def chained(*intercepts: Intercept) -> Intercept:
    """One hook of several: the first answer wins (IAM before fault injection, as AWS
    authorizes a call before it runs)."""
    def intercept(request: GatewayRequest) -> HttpResponse | None:
        for hook in intercepts:
            answer = hook(request)
            if answer is not None:
                return answer
        return None
    return intercept


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, handler, routes: RouteTable, upstream: tuple[str, int],
                 intercept: Intercept | None = None):
        self.routes = routes
        self.intercept = intercept
        self.upstream = upstream
        self.local = threading.local()
        self.active = 0  # requests being answered (kept-alive idle connections not counted)
        self.active_lock = threading.Lock()
        super().__init__(address, handler)

    def get_request(self):
        connection, address = super().get_request()
        # Small requests and responses otherwise wait for delayed ACKs (tens of ms per call).
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


class Gateway:
    """Serves the gateway on `host:port` in a background thread."""

    def __init__(self, routes: RouteTable, *, host: str, port: int, upstream_port: int,
                 intercept: Intercept | None = None):
        self.server = _Server((host, port), _Handler, routes, ("127.0.0.1", upstream_port),
                              intercept)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="gateway",
                                       kwargs={"poll_interval": 0.2}, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def drain(self, deadline: float) -> bool:
        """Wait (until `deadline`, monotonic) for the requests being answered to be written;
        True if none is left. The server keeps listening: running functions still call AWS."""
        while self.server.active and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self.server.active

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        log.debug("%s %s", self.address_string(), format % args)

    # Every method goes through one router.
    def do_GET(self) -> None:
        self._route()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def __getattr__(self, name: str) -> Any:
        # Any other verb (TRACE, PROPFIND, ...): the stdlib would answer an HTML 501 page;
        # a route may still claim it (a REST API stage answers MISSING_ROUTE), else JSON 405.
        if name.startswith("do_"):
            return self._route
        raise AttributeError(name)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _route(self) -> None:
        with self.server.active_lock:
            self.server.active += 1
        try:
            self._answer()
        finally:
            with self.server.active_lock:
                self.server.active -= 1

    def _answer(self) -> None:
        split = urlsplit(self.path)
        request = GatewayRequest(method=self.command, path=split.path, query=split.query,
                                 headers=list(self.headers.items()), body=self._read_body(),
                                 source_ip=self.client_address[0])
        routes = self.server.routes
        try:
            injected = self.server.intercept(request) if self.server.intercept else None
            if injected is not None:
                return self._send(injected)
            found = routes.find(request)
            if found is not None:
                route, params = found
                return self._send(route.handle(request, params))
            if self.command not in HTTP_METHODS:
                return self._send(json_response(405, {
                    "__type": "MethodNotAllowedException",
                    "message": f"Method {self.command} is not supported"},
                    headers=[("Allow", ", ".join(sorted(HTTP_METHODS)))]))
            for preparer in routes.preparers(request):
                try:
                    preparer.before(request)
                except Exception:  # the request itself goes on, as moto would answer it
                    log.exception("%s failed before %s %s", preparer.name, self.command,
                                  self.path)
            response = self._forward(request)
            if response.status < 300:
                for watcher in routes.watchers(request):
                    try:
                        watcher.after(request, response)
                    except Exception:  # the forwarded call itself succeeded; report only
                        log.exception("%s failed after %s %s", watcher.name, self.command,
                                      self.path)
            self._send(response)
        except BrokenPipeError:
            self.close_connection = True
        except Exception as error:  # never let one request take the gateway down
            log.exception("gateway error on %s %s", self.command, self.path)
            self._send(json_response(500, {"__type": "InternalFailure", "message": str(error)}))

    def _send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in _HOP_HEADERS:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    def _forward(self, request: GatewayRequest) -> HttpResponse:
        """The request, verbatim (with what before-forward hooks added), to moto."""
        body = request.body
        local = self.server.local
        for attempt in range(2):
            connection = getattr(local, "connection", None)
            if connection is None:
                connection = http.client.HTTPConnection(*self.server.upstream, timeout=120)
                local.connection = connection
            try:
                connection.putrequest(self.command, self.path, skip_host=True,
                                      skip_accept_encoding=True)
                for name, value in request.headers:
                    if name.lower() not in _HOP_HEADERS:
                        connection.putheader(name, value)
                connection.putheader("Content-Length", str(len(body)))
                connection.endheaders(body)
                response = connection.getresponse()
                data = response.read()
                return HttpResponse(response.status, response.getheaders(), data)
            except (ConnectionError, http.client.HTTPException, OSError):
                connection.close()
                local.connection = None
                if attempt:  # a kept-alive connection may have been closed by moto: retry once
                    raise
        raise AssertionError("unreachable")
