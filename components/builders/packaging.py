"""What goes into a function archive and into the shared-code layer.

A function archive holds only its own module (plus its package's `__init__.py`); the shared code
under `lambdas/shared/` ships once, as a layer with the `python/` prefix Lambda expects. `lambdas`
is a namespace package, so both halves merge into one package at run time.

The layer also carries the third-party packages the handlers import that neither the Lambda
runtime (boto3) nor the Powertools layer (pydantic) provides: `LAYER_REQUIREMENTS`, pinned in
requirements.txt, copied with their dependencies from the environment that runs the program
(the files pip installed, so the layer holds exactly the tested versions).
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pulumi

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LAMBDAS_DIR = PROJECT_ROOT / "lambdas"
SHARED_DIR = LAMBDAS_DIR / "shared"
# Distributions the handlers import beyond the runtime's boto3 and the Powertools layer.
LAYER_REQUIREMENTS = ("email-validator",)


def handler_for(module: str) -> str:
    """`lambdas/users/get_user.py` -> `lambdas.users.get_user.handler`."""
    return module.removesuffix(".py").replace("/", ".") + ".handler"


def function_files(module: str) -> dict[str, Path]:
    """Archive names -> files for one function: its module and its package marker."""
    path = PROJECT_ROOT / module
    if not path.is_file():
        raise FileNotFoundError(f"handler module {module} does not exist")
    files = {module: path}
    init = path.parent / "__init__.py"
    if init.is_file():
        files[str(init.relative_to(PROJECT_ROOT))] = init
    return files


def shared_layer_files() -> dict[str, Path]:
    """Archive names -> files for the shared-code layer (`python/lambdas/shared/...` and the
    `LAYER_REQUIREMENTS` with their dependencies under `python/`)."""
    files = {
        f"python/{path.relative_to(PROJECT_ROOT)}": path
        for path in sorted(SHARED_DIR.rglob("*.py"))
        if "__pycache__" not in path.parts
    }
    for name in _with_dependencies(LAYER_REQUIREMENTS):
        files.update(distribution_files(name))
    return files


def _with_dependencies(names: tuple[str, ...]) -> list[str]:
    """The distributions and, recursively, what they require (extras and markers not met left
    out), each once, in a stable order."""
    seen: dict[str, None] = {}
    pending = list(names)
    while pending:
        name = _canonical(pending.pop(0))
        if name in seen:
            continue
        seen[name] = None
        for requirement in metadata.requires(name) or []:
            if "extra ==" not in requirement:
                pending.append(re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0])
    return list(seen)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distribution_files(name: str) -> dict[str, Path]:
    """Archive names -> files of one installed distribution, under `python/` (its modules and
    its metadata; no byte code, no scripts outside site-packages)."""
    distribution = metadata.distribution(name)
    files = {}
    for file in distribution.files or []:
        path = Path(str(distribution.locate_file(file))).resolve()
        if file.parts[0] == ".." or "__pycache__" in file.parts or not path.is_file():
            continue
        files[f"python/{file.as_posix()}"] = path
    if not files:
        raise FileNotFoundError(f"distribution {name} is installed without a file list")
    return files


def archive(files: dict[str, Path]) -> pulumi.AssetArchive:
    return pulumi.AssetArchive({name: pulumi.FileAsset(str(path))
                                for name, path in sorted(files.items())})
