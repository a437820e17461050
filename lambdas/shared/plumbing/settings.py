"""Environment settings, read when a handler runs (never at import time) so tests can set them."""

from __future__ import annotations

import os


class MissingSetting(RuntimeError):
    """A required environment variable is not set: a deployment error, not a client error."""


def require_env(name: str) -> str:
    """The value of a required environment variable."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise MissingSetting(f"environment variable {name} is not set")
    return value


def allowed_origins() -> list[str]:
    """CORS origins from `ALLOWED_ORIGINS` (comma-separated; `*` allows any). Empty if unset."""
    raw = os.environ.get("ALLOWED_ORIGINS", "")
    return [origin.strip() for origin in raw.split(",") if origin.strip()]
