"""The real AWS CLI (`python -m awscli`) against a local cloud's endpoint, in every test layer."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def aws_cli(endpoint: str, *args: str, region: str = "eu-west-1") -> dict:
    """Run `aws --endpoint-url ENDPOINT --output json ARGS...`; its JSON output (or {})."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": region}
    result = subprocess.run([sys.executable, "-m", "awscli", "--endpoint-url", endpoint,
                             "--output", "json", *args], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else {}
