"""Templates to HTML responses, and the console's static files."""

from __future__ import annotations

import os
from typing import Any

import jinja2

from localcloud.core.http import HttpResponse

from .source import pretty, when

HERE = os.path.dirname(os.path.abspath(__file__))
STATIC = os.path.join(HERE, "static")
PREFIX = "/_localcloud"
# Named here, not guessed: the system's MIME table differs between machines.
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}

_templates = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(HERE, "templates")),
                                autoescape=True, undefined=jinja2.StrictUndefined)
_templates.filters.update(pretty=pretty, when=when)
_templates.globals["prefix"] = PREFIX


def page(template: str, status: int = 200, **context: Any) -> HttpResponse:
    html = _templates.get_template(template).render(**context)
    return HttpResponse(status, [("Content-Type", "text/html; charset=utf-8")], html.encode())


def redirect(location: str) -> HttpResponse:
    return HttpResponse(303, [("Location", location)])


def static(name: str) -> HttpResponse | None:
    """A file of `static/` (no path may leave that folder); None when there is none."""
    path = os.path.realpath(os.path.join(STATIC, name))
    if not path.startswith(STATIC + os.sep) or not os.path.isfile(path):
        return None
    with open(path, "rb") as handle:
        body = handle.read()
    kind = CONTENT_TYPES.get(os.path.splitext(path)[1], "application/octet-stream")
    return HttpResponse(200, [("Content-Type", kind), ("Cache-Control", "no-cache")], body)
