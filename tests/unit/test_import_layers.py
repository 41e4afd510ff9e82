"""The README's floor plan holds: no import goes up a layer, every module is placed, and
there is no import cycle inside ``cvae/``. Every ``import`` of one of the project's modules,
at the top or inside a function, counts (a lazy import still ties the two layers together).
The graph is read from the source (no module is imported), a cycle found by the standard
library's ``graphlib``."""

from __future__ import annotations

import ast
import re
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


def import_graph(package: Path, scripts: tuple[Path, ...] = ()) -> dict[str, set[str]]:
    """Module -> the package's (and ``scripts``') modules it imports."""
    modules = module_names(package) | {path.stem: path for path in scripts}
    return {name: imported(name, path, modules) for name, path in modules.items()}


BESIDE = "training (beside)"  # may import only the layers TRAINING_USES
TRAINING_USES = ("judge", "model", "data")


def floor_plan(readme: str) -> list[tuple[str, list[str]]]:
    """The README's floor plan: (layer, its paths) from the top layer down."""
    block = readme.split("<!-- floor plan:", 1)[1].split("<!-- end of floor plan -->", 1)[0]
    rows = [line.split("|")[1:3] for line in block.splitlines()
            if line.startswith("| ") and not line.startswith("| layer")]
    return [(layer.strip(), re.findall(r"`([^`]+)`", paths)) for layer, paths in rows]


def layer_of(modules: dict[str, Path], plan: list[tuple[str, list[str]]]) -> dict[str, str]:
    """Each module's layer (the most specific path that names it)."""
    found: dict[str, tuple[int, str]] = {}
    for layer, paths in plan:
        for entry in paths:
            for name, path in modules.items():
                rel = path.relative_to(ROOT).as_posix()
                named = rel == entry or (entry.endswith("/") and rel.startswith(entry))
                if named and (name not in found or len(entry) > found[name][0]):
                    found[name] = (len(entry), layer)
    return {name: layer for name, (_, layer) in found.items()}


def upward_imports(graph: dict[str, set[str]], layers: dict[str, str],
                   order: list[str]) -> list[str]:
    """Imports that break the plan: into a higher layer, or from training beyond its uses."""
    rank = {layer: i for i, layer in enumerate(order)}
    bad = []
    for name, targets in graph.items():
        for target in targets:
            here, there = layers[name], layers[target]
            allowed = (there in (*TRAINING_USES, BESIDE) if here == BESIDE
                       else there != BESIDE and rank[there] >= rank[here])
            if not allowed:
                bad.append(f"{name} ({here}) imports {target} ({there})")
    return sorted(bad)


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (its modules in order, the first repeated), or None."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        return list(error.args[1])
    return None


SCRIPTS = (ROOT / "app.py", ROOT / "page.py")


def test_every_module_has_a_place_on_the_floor_plan():
    modules = module_names(ROOT / "cvae") | {p.stem: p for p in SCRIPTS}
    layers = layer_of(modules, floor_plan((ROOT / "README.md").read_text(encoding="utf-8")))
    assert sorted(set(modules) - set(layers)) == []


def test_no_import_goes_up_the_floor_plan():
    plan = floor_plan((ROOT / "README.md").read_text(encoding="utf-8"))
    order = [layer for layer, _ in plan if layer != BESIDE]
    assert order[0] == "page" and order[-1] == "data" and BESIDE in dict(plan)
    graph = import_graph(ROOT / "cvae", SCRIPTS)
    assert graph["page"] and graph["app"]  # the scripts were read
    assert upward_imports(graph, layer_of({**module_names(ROOT / "cvae"),
                                           **{p.stem: p for p in SCRIPTS}}, plan), order) == []


def test_an_upward_or_a_training_import_is_found():
    order = ["page", "service", "model", "data"]
    layers = {"p": "page", "s": "service", "m": "model", "d": "data", "t": BESIDE}
    assert upward_imports({"p": {"s", "d"}, "s": {"m"}, "t": {"m", "d"}}, layers, order) == []
    assert upward_imports({"m": {"s"}}, layers, order) == ["m (model) imports s (service)"]
    assert upward_imports({"t": {"s"}}, layers, order) == [f"t ({BESIDE}) imports s (service)"]
    assert upward_imports({"s": {"t"}}, layers, order) == [f"s (service) imports t ({BESIDE})"]


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
