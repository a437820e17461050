"""The managed Powertools layer for the Powertools release the handlers are tested with.

One source (`powertools_layers.json`) for the layer version per release, architecture and
region: the stack settings build the ARN from it, and a unit test checks that its release is
the one requirements-dev.txt pins.
"""

from __future__ import annotations

import json
from pathlib import Path

TABLE = json.loads(Path(__file__).with_name("powertools_layers.json").read_text())
RELEASE: str = TABLE["release"]


def layer_version(architecture: str, region: str, release: str = RELEASE) -> int:
    by_region = TABLE["releases"][release][architecture]
    return by_region.get(region, by_region["*"])


def layer_arn(runtime: str, architecture: str, region: str) -> str:
    """`arn:aws:lambda:<region>:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:N`"""
    name = TABLE["name"].format(runtime=runtime.replace(".", ""), architecture=architecture)
    return (f"arn:aws:lambda:{region}:{TABLE['account']}:layer:{name}:"
            f"{layer_version(architecture, region)}")


def is_verified(architecture: str, region: str) -> bool:
    """Whether the layer's description was checked to name the release (see the script)."""
    return f"{region}/{architecture}" in TABLE["verified"]
