"""Fix to moto's CloudWatch Logs: moto treats a JSON filter pattern (`{ $.level = "ERROR" }`) as
no filter and returns every event; `json_log_patterns` evaluates them as AWS does."""

from __future__ import annotations

def evaluate_json_log_filter_patterns() -> None:
    """Make moto's log event filter (FilterLogEvents, live tail) understand JSON patterns."""
    from moto.logs import models
    from moto.logs.exceptions import InvalidParameterException

    from localcloud.emulator import json_log_patterns

    if getattr(models.EventMessageFilter, "_localcloud_json", False):
        return

    class EventMessageFilter(models.EventMessageFilter):
        _localcloud_json = True

        def __init__(self, pattern: str):
            self.json_matches = None
            if pattern and json_log_patterns.is_json_pattern(pattern):
                try:
                    self.json_matches = json_log_patterns.compile_pattern(pattern)
                except ValueError as error:
                    raise InvalidParameterException(msg=f"Invalid filter pattern: {error}") from None
            else:
                super().__init__(pattern)

        def matches(self, message: str) -> bool:
            return self.json_matches(message) if self.json_matches else super().matches(message)

    models.EventMessageFilter = EventMessageFilter
