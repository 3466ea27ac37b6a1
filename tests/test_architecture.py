"""The package's shape, checked against the tree (issue 29).

No import circles (function-local imports included: they hide circles, they do not remove
them), few modules at the top level, no very long module, and a module map in
``docs/development.md`` that names every folder and module, so it cannot go stale.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "kegru"
DEVELOPMENT = REPO / "docs" / "development.md"
MAX_TOP_LEVEL = 8
MAX_LINES = 450
#: Ports kept whole to be read beside their C source (LS-GKM's kernel walk, LIBSVM's SMO).
LONG_PORTS = ("models/gkm/kernel.py", "models/gkm/smo.py")


def module_files(package: Path = PACKAGE) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of ``package``."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _type_checking_only(tree: ast.AST) -> set[int]:
    """Ids of the nodes inside the body of an ``if TYPE_CHECKING:`` (never run)."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.body:
                skipped.update(id(child) for child in ast.walk(statement))
    return skipped


def _imported_names(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """Every dotted name an import statement may load (a module, or a name in one)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        anchor = module.split(".") if is_package else module.split(".")[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, *([node.module] if node.module else [])])
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the package's modules it imports anywhere (functions included).

    Imports under ``if TYPE_CHECKING:`` do not count: they never run.
    """
    edges: dict[str, set[str]] = defaultdict(set)
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        skipped = _type_checking_only(tree)
        for node in ast.walk(tree):
            if id(node) in skipped or not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for name in _imported_names(node, module, path.name == "__init__.py"):
                if name in modules and name != module:
                    edges[module].add(name)
    return edges


def import_circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []
    nodes = sorted(set(edges) | {t for targets in edges.values() for t in targets})
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        circles.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return circles


def test_the_circle_finder_finds_circles_and_only_circles():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": {"d"}, "f": {"a"}}
    assert sorted(import_circles(edges)) == [["a", "b", "c"], ["d", "e"]]
    assert import_circles({"a": {"b"}, "b": {"c"}, "f": {"a", "c"}}) == []


def test_the_graph_counts_local_imports_but_not_type_checking_ones(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from . import b\n")
    (package / "a.py").write_text("def f():\n    from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from pkg import a\nelse:\n    import pkg.c\n"
        "from ..a import f\n"
    )
    (package / "c.py").write_text("import os\n")
    edges = import_graph(module_files(package))
    assert edges["pkg.a"] == {"pkg.sub", "pkg.sub.b"}
    assert edges["pkg.sub"] == {"pkg.sub.b"}
    assert edges["pkg.sub.b"] == {"pkg.a", "pkg.c"}  # the relative import; not the guarded one
    # a -> sub.b (and sub, which imports sub.b) -> a: one circle of three.
    assert import_circles(edges) == [["pkg.a", "pkg.sub", "pkg.sub.b"]]


def test_no_import_circles():
    circles = import_circles(import_graph(module_files()))
    assert circles == [], "import circles (function-local imports included):\n" + "\n".join(
        " <-> ".join(circle) for circle in circles
    )


def test_few_modules_at_the_top_level():
    top = sorted(
        p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py")
    )
    assert len(top) <= MAX_TOP_LEVEL, f"{len(top)} top-level modules: {top}"


def test_no_module_is_too_long():
    long = {
        path.relative_to(PACKAGE).as_posix(): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    for port in LONG_PORTS:
        long.pop(port, None)
    assert long == {}, f"modules over {MAX_LINES} lines: {long}"


def test_the_long_ports_exist():
    """The exemption names real files (a renamed port must not leave a dead exemption)."""
    for port in LONG_PORTS:
        assert (PACKAGE / port).is_file(), port


def _module_map() -> str:
    """The ``## Module map`` section of ``docs/development.md``."""
    text = DEVELOPMENT.read_text()
    found = re.search(r"^## Module map\n(.*?)(?=^## |\Z)", text, flags=re.DOTALL | re.MULTILINE)
    assert found, "docs/development.md has no '## Module map' section"
    return found.group(1)


def _tree_entries() -> tuple[set[str], set[str]]:
    """Folders (``models/kegru/``) and modules (``models/kegru/network.py``) of the package.

    A subpackage's ``__init__.py`` is named by its folder; the top level's are modules.
    """
    folders = {
        p.relative_to(PACKAGE).as_posix() + "/"
        for p in PACKAGE.rglob("*")
        if p.is_dir() and (p / "__init__.py").is_file()
    }
    modules = {
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if p.name != "__init__.py" or p.parent == PACKAGE
    }
    return folders, modules


def test_the_module_map_names_every_folder_and_module():
    named = set(re.findall(r"`([\w/]+(?:/|\.py))`", _module_map()))
    folders, modules = _tree_entries()
    missing = sorted((folders | modules) - named)
    assert missing == [], f"docs/development.md's module map does not name: {missing}"


def test_the_module_map_names_nothing_that_is_gone():
    named = set(re.findall(r"`([\w/]+(?:/|\.py))`", _module_map()))
    folders, modules = _tree_entries()
    stale = sorted(named - folders - modules)
    assert stale == [], f"docs/development.md's module map names what is not in src/kegru: {stale}"


@pytest.mark.parametrize("stage", ["data", "genome", "models", "train", "predict", "interpret"])
def test_each_stage_is_a_folder(stage):
    assert (PACKAGE / stage / "__init__.py").is_file()
