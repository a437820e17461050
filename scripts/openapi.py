"""Generate docs/openapi.json: the program's REST API as an OpenAPI 3.0 document.

    venv/bin/python -m scripts.openapi [--stack local] [--output docs/openapi.json] [--check]

The program is deployed onto a throw-away moto server by the local cloud's deployer (the
program under Pulumi mocks, as `make up` does), and the document is the local cloud's
`GetExport` (`oas30`) of its stage: one builder for both, so the file says what is served.
The user pool's id (random on every deployment) is written as `{UserPoolId}`, the stack
output that gives it. `--check` writes nothing and exits 1 when the file differs from what the program gives.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

import boto3

from localcloud.deploy.deployer import deploy_in_subprocess
from localcloud.deploy.stack_config import load_stack_config
from localcloud.emulator.moto_server import MotoServer
from localcloud.services.apigateway.export import openapi_document

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUTPUT = os.path.join(REPO_ROOT, "docs", "openapi.json")


def generate(project_dir: str = REPO_ROOT, stack: str = "local") -> str:
    """The document (as the file's text) of the stack's one REST API."""
    _, config, _ = load_stack_config(project_dir, stack)
    region = config.get("aws:region", "us-east-1")
    moto = MotoServer(gateway_port=0)
    moto.start()
    try:
        moto.wait_ready()
        with tempfile.TemporaryDirectory(prefix="openapi-") as state_dir:
            deployment = deploy_in_subprocess(project_dir, stack, endpoint_url=moto.url,
                                              state_dir=state_dir,
                                              graph_out=os.path.join(state_dir, "graph.json"))
        client = boto3.client("apigateway", endpoint_url=moto.url, region_name=region,
                              aws_access_key_id="test", aws_secret_access_key="test")
        (api_id,) = deployment.registry.rest_api_ids
        (stage,) = [s["stageName"] for s in client.get_stages(restApiId=api_id)["item"]]
        text = json.dumps(openapi_document(client, api_id, stage, region), indent=2,
                          sort_keys=True) + "\n"
        # moto gives the user pool a random id on every deployment: the file names the output.
        pool_id = deployment.outputs.get("UserPoolId")
        return text.replace(pool_id, "{UserPoolId}") if pool_id else text
    finally:
        moto.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.openapi")
    parser.add_argument("--stack", default="local")
    parser.add_argument("--output", default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the file is stale instead of writing it")
    args = parser.parse_args(argv)
    text = generate(stack=args.stack)
    if args.check:
        current = open(args.output, encoding="utf-8").read() if os.path.exists(args.output) else ""
        if current != text:
            print(f"{args.output} is stale: run `python -m scripts.openapi`", file=sys.stderr)
            return 1
        return 0
    with open(args.output, "w", encoding="utf-8") as handle:
        handle.write(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
