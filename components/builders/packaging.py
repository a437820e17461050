"""What goes into a function archive and into the shared-code layer.

A function archive holds only its own module (plus its package's `__init__.py`); the shared code
under `lambdas/shared/` ships once, as a layer with the `python/` prefix Lambda expects. `lambdas`
is a namespace package, so both halves merge into one package at run time.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LAMBDAS_DIR = PROJECT_ROOT / "lambdas"
SHARED_DIR = LAMBDAS_DIR / "shared"


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
    """Archive names -> files for the shared-code layer (`python/lambdas/shared/...`)."""
    return {
        f"python/{path.relative_to(PROJECT_ROOT)}": path
        for path in sorted(SHARED_DIR.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def archive(files: dict[str, Path]) -> pulumi.AssetArchive:
    return pulumi.AssetArchive({name: pulumi.FileAsset(str(path))
                                for name, path in sorted(files.items())})
