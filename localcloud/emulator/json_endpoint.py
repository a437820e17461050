"""The local cloud's own JSON endpoints on the moto server, and the client that calls them.

Parts that live inside moto's process (its clock, its state snapshots) answer one path each
in front of moto's WSGI app; the local cloud calls them (and moto's own `/moto-api/config`)
with a JSON body or none.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any, Callable

Handler = Callable[[Any], Any]  # the request's JSON (None for a GET) -> the answer


def json_endpoint(app: Callable, path: str, *, get: Callable[[], Any], post: Handler) -> Callable:
    """The WSGI `app` with `path` answered in JSON: `get()` for a GET, `post(body)` for a POST."""
    def serve(environ: dict, start_response: Callable) -> Any:
        if environ.get("PATH_INFO") != path:
            return app(environ, start_response)
        if environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            answer = post(json.loads(environ["wsgi.input"].read(length) or b"{}"))
        else:
            answer = get()
        data = json.dumps(answer).encode()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(data)))])
        return [data]

    return serve


def call_json(url: str, body: dict | None = None, *, timeout: float) -> Any:
    """GET `url`, or POST `body` to it as JSON; the answer's JSON."""
    request = urllib.request.Request(
        url, method="GET" if body is None else "POST",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())
