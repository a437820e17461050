"""The local cloud's one endpoint: answers what moto must not do, forwards the rest to moto.

Handled here: Lambda Invoke (the executor), EventBridge PutEvents (the router), REST API
requests `/restapis/{id}/{stage}/_user_request_/...` (the REST API server), the admin endpoints
under `/_localcloud/`; SNS Publish is forwarded to moto and then handed to the SNS fan-out.
Everything else goes to moto verbatim, over keep-alive connections (one per gateway thread).
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import socket
import threading
import xml.etree.ElementTree as ElementTree
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from .interfaces import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from .cloud import LocalCloud

log = logging.getLogger("localcloud.gateway")

_INVOKE = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations/?$")
_REST_API = re.compile(r"^/restapis/([^/]+)/([^/]+)/_user_request_(/.*)?$")
_FIRE = re.compile(r"^/_localcloud/schedules/([^/]+)/fire/?$")
# Headers that belong to one hop, not to the request or response being relayed.
_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
                "proxy-connection", "content-length"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, handler, cloud: "LocalCloud", upstream: tuple[str, int]):
        self.cloud = cloud
        self.upstream = upstream
        self.local = threading.local()
        super().__init__(address, handler)

    def get_request(self):
        connection, address = super().get_request()
        # Small requests and responses otherwise wait for delayed ACKs (tens of ms per call).
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


class Gateway:
    """Serves the gateway on `host:port` in a background thread."""

    def __init__(self, cloud: "LocalCloud", *, host: str, port: int, upstream_port: int):
        self.server = _Server((host, port), _Handler, cloud, ("127.0.0.1", upstream_port))
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="gateway",
                                       kwargs={"poll_interval": 0.2}, daemon=True)

    def start(self) -> None:
        self.thread.start()

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
        cloud = self.server.cloud
        body = self._read_body()
        split = urlsplit(self.path)
        path = split.path
        try:
            if path.startswith("/_localcloud/"):
                return self._admin(path, body)
            match = _REST_API.match(path)
            if match:
                return self._rest_api(match, split.query, body)
            match = _INVOKE.match(path)
            if match and self.command == "POST":
                return self._invoke(unquote(match.group(1)), split.query, body)
            target = self.headers.get("X-Amz-Target", "")
            if target == "AWSEvents.PutEvents":
                return self._put_events(body)
            status, headers, data = self._forward(body)
            if status < 300 and cloud.sns_fanout is not None:
                self._after_sns(body, data)
            self._send(status, headers, data)
        except BrokenPipeError:
            self.close_connection = True
        except Exception as error:  # never let one request take the gateway down
            log.exception("gateway error on %s %s", self.command, self.path)
            self._send_json(500, {"__type": "InternalFailure", "message": str(error)})

    # -- responses -----------------------------------------------------------------------

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in _HOP_HEADERS:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _send_json(self, status: int, payload: Any, headers: list[tuple[str, str]] = ()) -> None:
        self._send(status, [("Content-Type", "application/json"), *headers],
                   json.dumps(payload).encode())

    # -- moto --------------------------------------------------------------------------------

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        local = self.server.local
        for attempt in range(2):
            connection = getattr(local, "connection", None)
            if connection is None:
                connection = http.client.HTTPConnection(*self.server.upstream, timeout=120)
                local.connection = connection
            try:
                connection.putrequest(self.command, self.path, skip_host=True,
                                      skip_accept_encoding=True)
                for name, value in self.headers.items():
                    if name.lower() not in _HOP_HEADERS:
                        connection.putheader(name, value)
                connection.putheader("Content-Length", str(len(body)))
                connection.endheaders(body)
                response = connection.getresponse()
                data = response.read()
                return response.status, response.getheaders(), data
            except (ConnectionError, http.client.HTTPException, OSError):
                connection.close()
                local.connection = None
                if attempt:  # a kept-alive connection may have been closed by moto: retry once
                    raise
        raise AssertionError("unreachable")

    # -- Lambda ------------------------------------------------------------------------------

    def _invoke(self, function: str, query: str, body: bytes) -> None:
        cloud = self.server.cloud
        qualifier = (parse_qs(query).get("Qualifier") or [None])[0]
        invocation_type = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        if invocation_type not in ("RequestResponse", "Event", "DryRun"):
            return self._send_json(400, {"Type": "User", "__type": "InvalidParameterValueException",
                                         "message": f"Invalid invocation type {invocation_type}"})
        result = cloud.invoke(function, body, invocation_type=invocation_type, qualifier=qualifier)
        headers = [("Content-Type", "application/json"),
                   ("X-Amz-Executed-Version", result.executed_version),
                   ("x-amzn-RequestId", self.headers.get("amz-sdk-invocation-id", ""))]
        if result.function_error:
            headers.append(("X-Amz-Function-Error", result.function_error))
        if result.status_code == 404:
            headers.append(("x-amzn-ErrorType", "ResourceNotFoundException"))
        elif result.status_code == 429:
            headers.append(("x-amzn-ErrorType", "TooManyRequestsException"))
        self._send(result.status_code, headers, result.payload)

    # -- EventBridge -------------------------------------------------------------------------

    def _put_events(self, body: bytes) -> None:
        router = self.server.cloud.events_router
        if router is None:
            return self._send_json(503, {"__type": "ServiceUnavailable",
                                         "message": "the EventBridge router is not running"})
        from .events_router import PutEventsError

        try:
            response = router.put_events(json.loads(body or b"{}"))
        except PutEventsError as error:  # request-level: no entries, more than 10...
            return self._send_json(error.status, error.to_json())
        self._send_json(200, response, [("Content-Type", "application/x-amz-json-1.1")])

    # -- SNS ---------------------------------------------------------------------------------

    def _after_sns(self, body: bytes, response: bytes) -> None:
        """Hand each message moto accepted to the SNS fan-out (SNS → Lambda)."""
        content_type = self.headers.get("Content-Type", "")
        target = self.headers.get("X-Amz-Target", "")
        if "x-www-form-urlencoded" in content_type:
            if b"Action=Publish" not in body:  # most form posts are other query-protocol calls
                return
            form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
            action = form.get("Action")
            if action not in ("Publish", "PublishBatch"):
                return
            published = publications_from_query(form, response.decode())
        elif target in ("AmazonSimpleNotificationService.Publish",
                        "AmazonSimpleNotificationService.PublishBatch"):
            published = publications_from_json(json.loads(body or b"{}"),
                                                json.loads(response or b"{}"))
        else:
            return
        fanout = self.server.cloud.sns_fanout
        for topic_arn, message, subject, attributes, message_id, structure in published:
            try:
                fanout.after_publish(topic_arn, message, subject, attributes, message_id,
                                     message_structure=structure)
            except Exception:  # the publish itself succeeded; report, don't fail it
                log.exception("SNS fan-out failed for %s", topic_arn)

    # -- REST APIs -----------------------------------------------------------------------------

    def _rest_api(self, match: re.Match, query: str, body: bytes) -> None:
        server = self.server.cloud.rest_api_server
        if server is None:
            return self._send_json(503, {"message": "the REST API server is not running"})
        request = HttpRequest(
            method=self.command, path=match.group(3) or "/", api_id=match.group(1),
            stage=match.group(2), headers=list(self.headers.items()), query=query, body=body,
            source_ip=self.client_address[0])
        response: HttpResponse = server.handle(request)
        self._send(response.status, response.headers, response.body)

    # -- admin ---------------------------------------------------------------------------------

    def _admin(self, path: str, body: bytes) -> None:
        cloud = self.server.cloud
        match = _FIRE.match(path)
        if match and self.command == "POST":
            if cloud.scheduler is None:
                return self._send_json(503, {"message": "the scheduler is not running"})
            payload = json.loads(body) if body.strip() else {}
            try:
                result = cloud.scheduler.fire(unquote(match.group(1)), payload.get("input"))
            except KeyError as error:
                return self._send_json(404, {"message": f"unknown rule {error}"})
            return self._send_json(200, result)
        if path.rstrip("/") == "/_localcloud/health":
            return self._send_json(200, cloud.health())
        if path.rstrip("/") == "/_localcloud/status":
            return self._send_json(200, cloud.status())
        self._send_json(404, {"message": f"no admin endpoint {path}"})


def _query_attributes(form: dict[str, str], prefix: str) -> dict[str, dict]:
    """`MessageAttributes.entry.N.Name/Value.DataType/Value.StringValue` → boto3's shape."""
    attributes: dict[str, dict] = {}
    index = 1
    while f"{prefix}.entry.{index}.Name" in form:
        entry = f"{prefix}.entry.{index}"
        value = {"DataType": form.get(f"{entry}.Value.DataType", "String")}
        for kind in ("StringValue", "BinaryValue"):
            if f"{entry}.Value.{kind}" in form:
                value[kind] = form[f"{entry}.Value.{kind}"]
        attributes[form[f"{entry}.Name"]] = value
        index += 1
    return attributes


def _xml_texts(xml: str, tag: str) -> list[str]:
    root = ElementTree.fromstring(xml)
    return [element.text or "" for element in root.iter() if element.tag.split("}")[-1] == tag]


def publications_from_query(form: dict[str, str], response_xml: str):
    """(topic_arn, message, subject, attributes, message_id, message_structure) for each
    message of a query-protocol Publish/PublishBatch that moto accepted."""
    topic_arn = form.get("TopicArn") or form.get("TargetArn") or ""
    if form["Action"] == "Publish":
        message_id = (_xml_texts(response_xml, "MessageId") or [""])[0]
        yield (topic_arn, form.get("Message", ""), form.get("Subject"),
               _query_attributes(form, "MessageAttributes"), message_id,
               form.get("MessageStructure"))
        return
    root = ElementTree.fromstring(response_xml)
    accepted = {}
    for element in root.iter():
        if element.tag.split("}")[-1] == "member":
            fields = {child.tag.split("}")[-1]: child.text for child in element}
            if "MessageId" in fields and "Id" in fields:
                accepted[fields["Id"]] = fields["MessageId"]
    index = 1
    while f"PublishBatchRequestEntries.member.{index}.Id" in form:
        entry = f"PublishBatchRequestEntries.member.{index}"
        entry_id = form[f"{entry}.Id"]
        if entry_id in accepted:
            yield (topic_arn, form.get(f"{entry}.Message", ""), form.get(f"{entry}.Subject"),
                   _query_attributes(form, f"{entry}.MessageAttributes"), accepted[entry_id],
                   form.get(f"{entry}.MessageStructure"))
        index += 1


def publications_from_json(request: dict, response: dict):
    """The same for the JSON protocol (newer SDKs)."""
    topic_arn = request.get("TopicArn") or request.get("TargetArn") or ""
    if "PublishBatchRequestEntries" not in request:
        yield (topic_arn, request.get("Message", ""), request.get("Subject"),
               request.get("MessageAttributes") or {}, response.get("MessageId", ""),
               request.get("MessageStructure"))
        return
    accepted = {item["Id"]: item["MessageId"] for item in response.get("Successful") or []}
    for entry in request["PublishBatchRequestEntries"]:
        if entry["Id"] in accepted:
            yield (topic_arn, entry.get("Message", ""), entry.get("Subject"),
                   entry.get("MessageAttributes") or {}, accepted[entry["Id"]],
                   entry.get("MessageStructure"))
