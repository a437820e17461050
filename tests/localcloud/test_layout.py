"""The local cloud's layout rules, read from the imports of every module (issue: one package per
AWS service, a composition root, no import circles).

- no import circle anywhere in `localcloud/`, counting imports inside functions and under
  `TYPE_CHECKING`;
- `core` imports nothing else from `localcloud`; `emulator` and `deploy` import only `core`
  (and themselves); each `services/<name>` imports only `core` and itself — a service reaches
  another only through a port in `core`; only `app` (and the command line) composes them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.localcloud.paths import REPO_ROOT

PACKAGE = Path(REPO_ROOT) / "localcloud"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (anywhere in its source)."""
    modules = {module_name(path, root): path for path in root.rglob("*.py")}
    package = root.name
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".") if is_package else name.split(".")[:-1]
                    anchor = anchor[:len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                # `from package import module` imports the module; `from module import name`
                # the module itself
                targets.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules
                               else base for alias in node.names)
        graph[name] = {target for target in targets
                       if target in modules and target != name
                       and (target == package or target.startswith(package + "."))}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layer(module: str) -> str:
    """`localcloud.services.sqs.poller` -> "services.sqs"; `localcloud.core.http` -> "core"."""
    parts = module.split(".")[1:]
    if not parts:
        return "root"
    if parts[0] == "services" and len(parts) > 1:
        return f"services.{parts[1]}"
    return parts[0]


def may_import(source: str, target: str) -> bool:
    if source == target or target == "core":
        return True
    if source in ("app", "cli", "__main__", "root"):
        return True  # the composition root and the command line compose everything
    return False  # core, emulator, deploy and every service: only core and themselves


def direction_violations(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{source} imports {target}" for source, targets in graph.items()
                  for target in targets if not may_import(layer(source), layer(target)))


def test_no_import_circle_in_the_local_cloud():
    assert cycles(import_graph(PACKAGE)) == []


def test_imports_go_one_way_core_services_app():
    assert direction_violations(import_graph(PACKAGE)) == []


def test_every_module_opens_with_what_it_does():
    missing = [str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
               if path.stat().st_size and ast.get_docstring(ast.parse(path.read_text())) is None]
    assert missing == []


def test_no_folder_holds_more_than_a_dozen_modules():
    crowded = {str(folder.relative_to(PACKAGE)): count for folder in [PACKAGE, *PACKAGE.rglob("*/")]
               if folder.is_dir() and "__pycache__" not in folder.parts
               if (count := len([p for p in folder.glob("*.py") if p.name != "__init__.py"])) > 12}
    assert crowded == {}


# -- the checks themselves, on planted packages -----------------------------------------------

def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "localcloud"
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return root


@pytest.mark.parametrize("b_source", [
    "from localcloud.app import a\n",
    "from . import a\n",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import x\n",
    "def later():\n    import localcloud.app.a\n",
])
def test_a_planted_circle_is_found(tmp_path, b_source):
    root = _plant(tmp_path, {"__init__.py": "", "app/__init__.py": "",
                             "app/a.py": "from .b import y\nx = 1\n", "app/b.py": b_source})
    assert cycles(import_graph(root)) == [["localcloud.app.a", "localcloud.app.b"]]


def test_imports_against_the_direction_are_found(tmp_path):
    root = _plant(tmp_path, {
        "__init__.py": "", "core/__init__.py": "", "app/__init__.py": "",
        "services/__init__.py": "", "services/sqs/__init__.py": "",
        "services/sns/__init__.py": "",
        "core/ports.py": "from localcloud.services.sqs import poller\n",
        "services/sqs/poller.py": "from localcloud.core import ports\nfrom localcloud.app import cloud\n",
        "services/sns/fanout.py": "from localcloud.services.sqs.poller import x\n",
        "app/cloud.py": "from localcloud.services.sqs import poller\n",
    })
    assert direction_violations(import_graph(root)) == [
        "localcloud.core.ports imports localcloud.services.sqs.poller",
        "localcloud.services.sns.fanout imports localcloud.services.sqs.poller",
        "localcloud.services.sqs.poller imports localcloud.app.cloud",
    ]
