"""Fixes to moto's server app, which did per request work whose answer never changes while it
runs: mapping a request to its service listed moto's package directory (a listdir and ~150
isdir calls), and dispatching an action listed its response class's methods (inspect.getmembers).
Together ~15% of the server's CPU for a DynamoDB GetItem; both are now computed once."""

from __future__ import annotations

import functools


def list_moto_modules_once() -> None:
    from moto import backends

    if getattr(backends, "_localcloud_modules_listed_once", False):
        return
    modules = frozenset(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    backends._localcloud_modules_listed_once = True


def list_response_methods_once() -> None:
    """Per response class; every fix that adds a method is applied before the first request."""
    from moto.core import responses

    if getattr(responses, "_localcloud_methods_listed_once", False):
        return
    names = responses.method_names_from_class
    responses.method_names_from_class = functools.cache(lambda clazz: frozenset(names(clazz)))
    responses._localcloud_methods_listed_once = True
