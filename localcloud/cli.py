"""`python -m localcloud up | fire | advance | status | token | fault | aws`: the command line of
the local cloud.

`advance DURATION` (90, 90s, 15m, 2h, 1d) moves a manual clock (`up --clock manual`) forward and
prints, once the cloud has settled, what fired by kind and the new simulated time.

`up` serves until SIGINT, SIGTERM or SIGHUP; `fire`, `status`, `token` and `fault` talk to a running
local cloud at --endpoint-url, else $AWS_ENDPOINT_URL, else localhost:--port, and report a bad
argument or an unreachable endpoint in one line (exit code non-zero), never a traceback.
`token --user EMAIL` creates and confirms that user in the stack's user pool and prints an ID
token for the API's `Authorization` header. `fault add | list | clear | kill-worker` manages
injected faults (docs/local-cloud.md, "Fault injection"). `aws ARGS...` runs the virtualenv's
AWS CLI against the running local cloud.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import urllib.error
import urllib.request
from typing import Any

from .app.advance import parse_duration
from .core.clock import MODES
from .services.iam.enforcer import DEFAULT_MODE as DEFAULT_IAM_MODE, MODES
from .services.lambda_.concurrency import ACCOUNT_LIMIT

ADVANCE_TIMEOUT = 900.0  # real seconds: an advance over many occurrences settles each one


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m localcloud",
                                     description="Run the Pulumi program on a local AWS emulator.")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="deploy the stack locally and serve it until Ctrl-C")
    up.add_argument("--stack", default="local")
    up.add_argument("--port", type=int, default=4566, help="gateway port (0: any free port)")
    up.add_argument("--time-scale", type=float, default=1.0,
                    help="simulated seconds per real second (retries, schedules, alarm periods)")
    up.add_argument("--clock", choices=MODES, default="scaled",
                    help="scaled: --time-scale simulated seconds per real second; manual: "
                         "simulated time stands still until `advance`")
    up.add_argument("--project-dir", default=".")
    up.add_argument("--state-dir", default=None, help="default: <project>/.localcloud/<stack>")
    up.add_argument("--fresh", action="store_true",
                    help="start empty (deletes the saved state; by default the stack's data "
                         "and deployment are restored from <state-dir>/state)")
    up.add_argument("--account-concurrency", type=int, default=ACCOUNT_LIMIT,
                    help="Lambda concurrent executions of the account (AWS default 1000)")
    up.add_argument("--max-running", type=int, default=None,
                    help="invocations this machine runs at once (default 4 per core); "
                         "past it they wait for a worker")
    up.add_argument("--worker-wait", type=float, default=30.0,
                    help="seconds an invocation waits for a worker before failing (500)")
    up.add_argument("--idle-timeout", type=float, default=120.0,
                    help="seconds after which an idle Lambda worker is retired")
    up.add_argument("--iam", choices=MODES, default=DEFAULT_IAM_MODE,
                    help="evaluate the functions' calls against their roles' identity policies: "
                         "enforce (deny as AWS), report (allow, log the denies), off")
    up.add_argument("--quiet", action="store_true", help="do not echo function logs")
    up.add_argument("--no-reload", dest="reload", action="store_false",
                    help="do not watch function code (saved files need a restart)")
    up.add_argument("--log-level", default=os.environ.get("LOCALCLOUD_LOG_LEVEL", "INFO"))

    fire = commands.add_parser("fire", help="fire a scheduled rule of a running local cloud now")
    fire.add_argument("rule")
    fire.add_argument("--input", default=None, help="JSON object delivered as the event's detail")
    _endpoint_options(fire)

    advance = commands.add_parser(
        "advance", help="advance a manual clock (fires what falls due, waits until settled)")
    advance.add_argument("duration", help="e.g. 90, 90s, 15m, 2h, 1d")
    _endpoint_options(advance)

    status = commands.add_parser("status", help="show what a running local cloud serves")
    _endpoint_options(status)

    token = commands.add_parser(
        "token", help="create/confirm a user in the local user pool and print an ID token")
    token.add_argument("--user", required=True, help="the user's email address")
    token.add_argument("--password", default=None,
                       help="set this password (default: a random one, set every time)")
    token.add_argument("--admin", action="store_true", help="also add the user to `admin`")
    token.add_argument("--pool-id", default=None, help="default: the stack output UserPoolId")
    token.add_argument("--client-id", default=None,
                       help="default: the stack output UserPoolClientId")
    _endpoint_options(token)
    _fault_parser(commands)

    # Listed for --help only: main() hands everything after `aws` to the AWS CLI untouched.
    aws = commands.add_parser(
        "aws", help="run the AWS CLI against a running local cloud: aws [--port N] ARGS...")
    aws.add_argument("aws_args", nargs=argparse.REMAINDER, metavar="ARGS",
                     help="what follows `aws`, e.g. sqs list-queues")
    return parser


def _fault_parser(commands: Any) -> None:
    fault = commands.add_parser("fault", help="inject faults into a running local cloud")
    faults = fault.add_subparsers(dest="fault_command", required=True)
    add = faults.add_parser("add", help="make a function or a service action fail")
    hit = add.add_mutually_exclusive_group(required=True)
    hit.add_argument("--function", help="a function name (error, timeout, throttle)")
    hit.add_argument("--action",
                     help="service:Action, e.g. events:PutEvents (error, throttle, slow)")
    add.add_argument("--effect", default="error",
                     choices=("error", "timeout", "throttle", "slow"))
    add.add_argument("--count", type=int, default=None, help="only the next N matching calls")
    add.add_argument("--fraction", type=float, default=None,
                     help="only this fraction (0-1] of matching calls")
    add.add_argument("--delay", type=float, default=None, dest="delay_seconds",
                     help="seconds: a slow action's delay, a timeout's wait")
    add.add_argument("--code", default=None, help="the AWS error code of an action error")
    add.add_argument("--status", type=int, default=None, help="its HTTP status")
    _endpoint_options(add)
    _endpoint_options(faults.add_parser("list", help="the active faults and their hits"))
    clear = faults.add_parser("clear", help="remove one fault (by id) or all")
    clear.add_argument("id", nargs="?", default=None)
    _endpoint_options(clear)
    kill = faults.add_parser("kill-worker", help="SIGKILL a function's worker process(es)")
    kill.add_argument("function")
    kill.add_argument("--count", type=int, default=1)
    _endpoint_options(kill)


def _endpoint_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--endpoint-url", default=None,
                         help="the running local cloud (default: $AWS_ENDPOINT_URL, else "
                              "http://localhost:<port>)")
    command.add_argument("--port", type=int, default=4566)


def endpoint_url(args: argparse.Namespace) -> str:
    """--endpoint-url, else AWS_ENDPOINT_URL (as every AWS client reads it), else --port."""
    url = args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or \
        f"http://localhost:{args.port}"
    return url.rstrip("/")


def _fire_body(text: str | None) -> dict:
    if text is None:
        return {}
    try:
        detail = json.loads(text)
    except ValueError as error:
        raise _UsageError(f"--input is not valid JSON: {error}") from None
    if not isinstance(detail, dict):
        raise _UsageError(f"--input must be a JSON object (got {type(detail).__name__})")
    return {"input": detail}


class _UsageError(Exception):
    """A bad argument: reported in one line, exit code 2."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["aws"]:  # the AWS CLI's own options may come anywhere after it
        return aws(argv[1:])
    args = _parser().parse_args(argv)
    if args.command == "up":
        return up(args)
    if args.command == "fire":
        try:
            body = _fire_body(args.input)
        except _UsageError as error:
            print(f"localcloud fire: {error}", file=sys.stderr)
            return 2
        return _admin(endpoint_url(args), f"/_localcloud/schedules/{args.rule}/fire", body)
    if args.command == "advance":
        try:
            parse_duration(args.duration)
        except ValueError as error:
            print(f"localcloud advance: {error}", file=sys.stderr)
            return 2
        return _admin(endpoint_url(args), "/_localcloud/clock/advance",
                      {"duration": args.duration}, timeout=ADVANCE_TIMEOUT)
    if args.command == "token":
        return token(args)
    if args.command == "fault":
        return fault(args)
    return _admin(endpoint_url(args), "/_localcloud/status", None)


def _admin(endpoint: str, path: str, body: dict | None, timeout: float = 60) -> int:
    answer = _admin_call(endpoint, path, body, timeout)
    if answer is None:
        return 1
    print(json.dumps(answer, indent=2))
    return 0


def _admin_call(endpoint: str, path: str, body: dict | None,
                timeout: float = 60) -> dict | None:
    """The admin endpoint's JSON answer, or None after printing why there is none."""
    request = urllib.request.Request(
        f"{endpoint}{path}", method="GET" if body is None else "POST",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        print(f"error {error.code}: {error.read().decode()}", file=sys.stderr)
    except (OSError, ValueError) as error:  # unreachable, or not a local cloud's answer
        reason = getattr(error, "reason", error)
        print(f"no local cloud answers at {endpoint}: {reason}", file=sys.stderr)
    return None


def fault(args: argparse.Namespace) -> int:
    """`fault add | list | clear | kill-worker` through the admin API."""
    endpoint = endpoint_url(args)
    if args.fault_command == "list":
        return _admin(endpoint, "/_localcloud/faults", None)
    if args.fault_command == "clear":
        return _admin(endpoint, "/_localcloud/faults/clear", {"id": args.id})
    if args.fault_command == "kill-worker":
        return _admin(endpoint, "/_localcloud/faults/kill-worker",
                      {"function": args.function, "count": args.count})
    spec = {key: getattr(args, key) for key in ("function", "action", "effect", "count",
                                                 "fraction", "delay_seconds", "code", "status")}
    return _admin(endpoint, "/_localcloud/faults",
                  {key: value for key, value in spec.items() if value is not None})


def aws(argv: list[str]) -> int:
    """Run `python -m awscli ARGV` against the local cloud. The endpoint (an --endpoint-url
    in ARGV, else $AWS_ENDPOINT_URL, else localhost:--port, given first) is passed as
    --endpoint-url: AWS CLI v1 ignores AWS_ENDPOINT_URL for some services, SQS among them.
    Test credentials and the cloud's region fill what is unset (AWS_PROFILE is dropped: the
    local cloud takes any credentials)."""
    import subprocess

    from .core.arns import DEFAULT_REGION

    port = 4566
    if argv[:1] == ["--port"]:
        if len(argv) < 2 or not argv[1].isdigit():
            print("localcloud aws: --port needs a port number", file=sys.stderr)
            return 2
        port, argv = int(argv[1]), argv[2:]
    given = _endpoint_argument(argv)
    endpoint = endpoint_url(argparse.Namespace(endpoint_url=given, port=port))
    command = list(argv) if given else [*argv, "--endpoint-url", endpoint]
    env = {key: value for key, value in os.environ.items() if key != "AWS_PROFILE"}
    env.setdefault("AWS_ACCESS_KEY_ID", "test")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    if not (env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")):
        status = _admin_call(endpoint, "/_localcloud/status", None) or {}
        env["AWS_DEFAULT_REGION"] = status.get("region") or DEFAULT_REGION
    return subprocess.call([sys.executable, "-m", "awscli", *command], env=env)


def _endpoint_argument(argv: list[str]) -> str | None:
    """The value of an --endpoint-url among AWS CLI arguments, if there is one."""
    for index, arg in enumerate(argv):
        if arg.startswith("--endpoint-url="):
            return arg.partition("=")[2]
        if arg == "--endpoint-url" and index + 1 < len(argv):
            return argv[index + 1]
    return None


def token(args: argparse.Namespace) -> int:
    """Print an ID token of `--user` for the running stack's user pool."""
    import secrets

    from botocore.exceptions import BotoCoreError, ClientError

    from .core.clients import local_client, sign_in

    endpoint = endpoint_url(args)
    status = _admin_call(endpoint, "/_localcloud/status", None)
    if status is None:
        return 1
    outputs = status.get("outputs") or {}
    pool = args.pool_id or outputs.get("UserPoolId")
    client = args.client_id or outputs.get("UserPoolClientId")
    if not pool or not client:
        print("localcloud token: the stack exports no UserPoolId / UserPoolClientId "
              "(give --pool-id and --client-id)", file=sys.stderr)
        return 1
    # Random but valid for any password policy: upper, lower, digit and symbol.
    password = args.password or f"Lc-{secrets.token_urlsafe(12)}9a!"
    region = pool.split("_", 1)[0]
    try:
        result = sign_in(local_client("cognito-idp", endpoint, region), pool, client, args.user,
                         password, groups=("admin",) if args.admin else ())
    except (ClientError, BotoCoreError) as error:
        print(f"localcloud token: {error}", file=sys.stderr)
        return 1
    print(result["IdToken"])
    return 0


def up(args: argparse.Namespace) -> int:
    from .app.cloud import LocalCloud

    logging.basicConfig(level=args.log_level.upper(), format="%(name)s: %(message)s")
    stop = threading.Event()
    # SIGTERM, SIGHUP and SIGINT all end the run, so the cleanup below always runs. SIGINT is
    # handled explicitly: a background job (`make up &`) inherits it as ignored, and Python
    # then never raises KeyboardInterrupt, so `kill -INT` would do nothing.
    serving = threading.Event()

    def _stop(*_: object) -> None:
        stop.set()
        if not serving.is_set():  # still deploying: abort the start (the cleanup still runs)
            raise KeyboardInterrupt

    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, _stop)
    cloud = LocalCloud(args.project_dir, stack=args.stack, port=args.port,
                       time_scale=args.time_scale, clock=args.clock, state_dir=args.state_dir,
                       account_concurrency=args.account_concurrency,
                       max_running=args.max_running, worker_wait=args.worker_wait,
                       idle_timeout=args.idle_timeout, reload=args.reload, iam=args.iam,
                       fresh=args.fresh,
                       console=None if args.quiet else _console)
    try:
        cloud.start()
        serving.set()
        print(cloud.summary(), flush=True)
        print("Serving; Ctrl-C to stop.", flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    except Exception as error:
        print(f"localcloud: {error}", file=sys.stderr)
        return 1
    finally:
        print("Stopping the local cloud...", flush=True)
        cloud.stop()
    return 0


_console_lock = threading.Lock()


def _console(line: str) -> None:
    with _console_lock:
        print(line, flush=True)
