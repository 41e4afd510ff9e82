"""No import cycle inside ``cvae/``: every ``import`` of one of its modules, at the top or
inside a function, counts (a lazy import still ties the two layers together). The graph is
read from the source (no module is imported), the cycle found by the standard library's
``graphlib``."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from harness.paths import ROOT


def module_names(package: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file below ``package``."""
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that ``name`` (at ``path``) imports anywhere in its body
    (``from pkg import mod`` counts as importing ``pkg.mod`` only: every module's parent
    package is imported first anyway)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            submodules = {f"{base}.{alias.name}" for alias in node.names} & modules.keys()
            found.update(submodules)
            if len(submodules) < len(node.names):  # a name defined in `base` itself
                found.add(base)
    return {m for m in found if m in modules and m != name}


def import_graph(package: Path) -> dict[str, set[str]]:
    modules = module_names(package)
    return {name: imported(name, path, modules) for name, path in modules.items()}


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (its modules in order, the first repeated), or None."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        return list(error.args[1])
    return None


def test_no_import_cycle_inside_cvae():
    graph = import_graph(ROOT / "cvae")
    assert len(graph) > 30 and graph["cvae.cli.judge"]  # the source was read
    found = cycle(graph)
    assert found is None, "import cycle: " + " -> ".join(found)


@pytest.mark.parametrize("relative", [False, True])
def test_a_cycle_through_a_lazy_import_is_found(tmp_path, relative):
    pkg = tmp_path / "pkg"
    (pkg / "cli").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "cli" / "__init__.py").write_text("")
    (pkg / "judge.py").write_text("def main():\n    from pkg.cli.judge import run\n")
    (pkg / "cli" / "judge.py").write_text(
        "from ..judge import main\n" if relative else "from pkg import judge\n")
    found = cycle(import_graph(pkg))
    assert found is not None and set(found) == {"pkg.judge", "pkg.cli.judge"}
