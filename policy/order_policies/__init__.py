"""The order platform's policy rules as plain functions (no `pulumi_policy` needed to import)."""

from .model import REQUIRED_TAGS, UNKNOWN, Resource, Violation, environment_of, tags_of
from .rules import RULES, Rule, run

__all__ = ["REQUIRED_TAGS", "RULES", "UNKNOWN", "Resource", "Rule", "Violation",
           "environment_of", "run", "tags_of"]
