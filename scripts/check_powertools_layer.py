"""Check that the managed Powertools layer the program uses ships the tested release.

    python scripts/check_powertools_layer.py --region eu-west-1 [--architecture arm64]

Reads the layer version's description (`lambda:GetLayerVersion`, any AWS credentials)
and exits 1 unless it names the release of powertools_layers.json; on success, add
`<region>/<architecture>` to that file's `verified` list.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import powertools_layer  # noqa: E402


def ships(description: str, release: str) -> bool:
    """AWS describes the layer as '... with extra dependencies version 3.37.0'."""
    return release in re.findall(r"\d+\.\d+\.\d+", description or "")


def check(region: str, architecture: str, runtime: str, client=None) -> tuple[bool, str]:
    arn = powertools_layer.layer_arn(runtime, architecture, region)
    client = client or boto3.client("lambda", region_name=region)
    layer, _, number = arn.rpartition(":")
    description = client.get_layer_version(LayerName=layer, VersionNumber=int(number)).get(
        "Description", "")
    return ships(description, powertools_layer.RELEASE), f"{arn}: {description!r}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", required=True)
    parser.add_argument("--architecture", default="arm64", choices=["arm64", "x86_64"])
    parser.add_argument("--runtime", default="python3.13")
    args = parser.parse_args()
    ok, detail = check(args.region, args.architecture, args.runtime)
    print(("ships " if ok else "does NOT ship ") + powertools_layer.RELEASE + f": {detail}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
