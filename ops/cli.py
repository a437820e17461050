"""The `python -m ops` command line.

    python -m ops redrive QUEUE [--to SOURCE] [--max N] [--dry-run]

QUEUE and SOURCE are queue names, URLs or ARNs. The endpoint and region are boto3's own: set
`AWS_ENDPOINT_URL` (e.g. http://localhost:4566) for the local cloud, nothing for AWS. See
docs/runbook.md for which queue to redrive when.
"""

from __future__ import annotations

import argparse
import sys

import boto3

from ops.redrive import Redrive


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m ops", description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True)
    redrive = commands.add_parser(
        "redrive", help="move the messages of a dead-letter queue back to where they failed")
    redrive.add_argument("queue", help="the dead-letter queue (name, URL or ARN)")
    redrive.add_argument("--to", dest="to", help="send every message to this queue instead "
                         "(name, URL or ARN); default: each message's own source")
    redrive.add_argument("--max", dest="max_messages", type=int, default=None,
                         help="move at most N messages (forces the receive/send loop)")
    redrive.add_argument("--dry-run", action="store_true",
                         help="say what would be done; move nothing")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.max_messages is not None and args.max_messages < 1:
        print("--max must be at least 1", file=sys.stderr)
        return 2
    session = boto3.session.Session()
    summary = Redrive(session, out=sys.stdout).run(
        args.queue, to=args.to, max_messages=args.max_messages, dry_run=args.dry_run)
    print(summary.describe())
    return 0 if summary.ok else 1
