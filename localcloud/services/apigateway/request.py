"""One request to a deployed REST API, as API Gateway sees it: the stage and the path after it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class HttpRequest:
    """One request to a deployed REST API, as the gateway received it.

    `path` is what follows `/restapis/{api_id}/{stage}/_user_request_` and starts with `/`.
    """

    method: str
    path: str
    api_id: str
    stage: str
    headers: list[tuple[str, str]] = field(default_factory=list)  # in order, repeats kept
    query: str = ""  # the raw query string, without "?"
    body: bytes = b""
    source_ip: str = "127.0.0.1"

    def header(self, name: str) -> str | None:
        """The first value of a header, matched case-insensitively."""
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

