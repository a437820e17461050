"""ARNs, parsed once: `arn:partition:service:region:account:resource`, as AWS documents them.

Every part of the local cloud that takes an ARN apart goes through `Arn.parse` (a queue's name,
a function's qualifier, the service a delivery goes to), instead of counting colons by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

ACCOUNT_ID = "123456789012"  # the local cloud's one account
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str  # everything after the fifth colon, e.g. "function:name:alias"

    @classmethod
    def parse(cls, text: str) -> "Arn":
        parts = text.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or not parts[2]:
            raise ValueError(f"not an ARN: {text!r}")
        return cls(*parts[1:])

    @classmethod
    def is_arn(cls, text: str) -> bool:
        try:
            cls.parse(text)
        except ValueError:
            return False
        return True

    @property
    def resource_name(self) -> str:
        """The resource's own name: the last part of `type/name` or `type:name` (a queue's
        name, a topic's name, a rule's name), or the whole resource when it has no type."""
        for separator in ("/", ":"):
            if separator in self.resource:
                return self.resource.rsplit(separator, 1)[-1]
        return self.resource

    def __str__(self) -> str:
        return ":".join(("arn", self.partition, self.service, self.region, self.account,
                         self.resource))


def function_ref(name_or_arn: str) -> tuple[str, str | None]:
    """(function name, qualifier or None) of any way Lambda accepts to name a function:
    `name`, `name:alias`, `arn:...:function:name`, `arn:...:function:name:alias`."""
    if name_or_arn.startswith("arn:"):
        resource = Arn.parse(name_or_arn).resource.split(":")  # function:name[:qualifier]
        return resource[1], (resource[2] if len(resource) > 2 else None)
    name, _, qualifier = name_or_arn.partition(":")
    return name, qualifier or None


def function_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{name}"
