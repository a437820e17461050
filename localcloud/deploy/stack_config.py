"""A stack's settings as the Pulumi CLI would hand them to the program: `Pulumi.yaml` and
`Pulumi.<stack>.yaml`, structured values JSON-encoded, the project prefix added to bare keys."""

from __future__ import annotations

import json
import os


class DeployError(RuntimeError):
    pass


def _read_yaml(path: str) -> dict:
    import yaml  # PyYAML comes with the Pulumi SDK

    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def load_stack_config(project_dir: str, stack: str) -> tuple[str, dict[str, str], list[str]]:
    """(project name, config as the SDK expects it, secret keys) from Pulumi.yaml and
    Pulumi.<stack>.yaml. Structured values are JSON-encoded like the Pulumi CLI does."""
    project_file = next((os.path.join(project_dir, f) for f in ("Pulumi.yaml", "Pulumi.yml")
                         if os.path.exists(os.path.join(project_dir, f))), None)
    if project_file is None:
        raise DeployError(f"no Pulumi.yaml in {project_dir}")
    project = _read_yaml(project_file)["name"]
    stack_file = os.path.join(project_dir, f"Pulumi.{stack}.yaml")
    if not os.path.exists(stack_file):
        raise DeployError(f"no stack settings file {stack_file}")
    raw = _read_yaml(stack_file).get("config") or {}
    config, secret_keys = {}, []
    for key, value in raw.items():
        full_key = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            raise DeployError(f"config {full_key} is encrypted; the local stack needs plain values")
        if isinstance(value, str):
            config[full_key] = value
        elif isinstance(value, bool):
            config[full_key] = "true" if value else "false"
        else:
            config[full_key] = json.dumps(value)
    return project, config, secret_keys
