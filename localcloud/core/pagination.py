"""Every page of a paginated AWS list call, through boto3's own paginators.

boto3 has no paginator for a few token-paged calls (EventBridge `ListEventBuses`): for those,
and only those, the pages are followed here by their `NextToken`.
"""

from __future__ import annotations

from typing import Any


def all_items(client: Any, operation: str, key: str, **arguments: Any) -> list[Any]:
    """The `key` items of every page of `operation` (e.g. `list_rules`, "Rules")."""
    if client.can_paginate(operation):
        pages = client.get_paginator(operation).paginate(**arguments)
    else:
        pages = _token_pages(getattr(client, operation), arguments)
    items: list[Any] = []
    for page in pages:
        items.extend(page.get(key) or [])
    return items


def _token_pages(call: Any, arguments: dict[str, Any]):
    token = None
    while True:
        page = call(**arguments, **({"NextToken": token} if token else {}))
        yield page
        token = page.get("NextToken")
        if not token:
            return
