"""Import cycles among the project's own modules (sim/ and agents/).

    .venv/bin/python tests/import_cycles.py            # exit 1 and list them if there are any

Every module's source is parsed (nothing is imported), and every ``import`` and ``from ...
import`` in it counts, wherever it stands: at the top, inside a function, under a condition.
Imports under ``if TYPE_CHECKING:`` never run and are left out unless ``--type-checking`` is
given. An import is resolved to the most specific project module it names (``from sim.geography
import load_map`` → ``sim.geography``; ``from sim import model`` → ``sim.model``), not to the
parent packages Python also initialises on the way. A cycle is a strongly connected component
of more than one module in the resulting graph; each is printed with the import lines that
close it.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("sim", "agents")


def module_files(root: Path = ROOT, packages=PACKAGES) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file under the given top-level folders (the
    folder agents/ is the package sim.agents: sim/__init__.py registers it under that name)."""
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            name = ".".join(parts)
            modules[f"sim.{name}" if package == "agents" else name] = path  # agents/ is sim.agents
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, type_checking: bool):
    """Every Import / ImportFrom node, skipping `if TYPE_CHECKING:` bodies unless asked."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        if isinstance(node, ast.If) and not type_checking and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of a dotted name that is a project module, or None."""
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        candidate = ".".join(parts[:k])
        if candidate in modules:
            return candidate
    return None


def _targets(node, module: str, is_package: bool, modules: dict[str, Path]) -> set[str]:
    if isinstance(node, ast.Import):
        return {t for alias in node.names if (t := _resolve(alias.name, modules))}
    if node.level:  # relative: from the module's own package, one level up per extra dot
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        base_name = ".".join(base + ([node.module] if node.module else []))
    else:
        base_name = node.module or ""
    found = set()
    for alias in node.names:
        sub = f"{base_name}.{alias.name}"
        target = sub if sub in modules else _resolve(base_name, modules)
        if target:
            found.add(target)
    return found


def import_graph(root: Path = ROOT, packages=PACKAGES, type_checking: bool = False) -> nx.DiGraph:
    """Module -> module edges, each with the places (file:line) of the imports behind it."""
    modules = module_files(root, packages)
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in _imports(tree, type_checking):
            for target in _targets(node, module, is_package, modules):
                if target == module:
                    continue
                if not graph.has_edge(module, target):
                    graph.add_edge(module, target, where=[])
                graph.edges[module, target]["where"].append(
                    f"{path.relative_to(root).as_posix()}:{node.lineno}"
                )
    return graph


def cycles(graph: nx.DiGraph) -> list[list[str]]:
    """Strongly connected components of more than one module, each sorted, largest first."""
    found = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    return sorted(found, key=lambda c: (-len(c), c))


def report(graph: nx.DiGraph) -> tuple[str, int]:
    found = cycles(graph)
    if not found:
        return (
            f"no import cycles among {graph.number_of_nodes()} modules "
            f"({graph.number_of_edges()} imports between them)",
            0,
        )
    lines = [f"{len(found)} import cycle(s):"]
    for component in found:
        lines.append(f"- {', '.join(component)}")
        members = set(component)
        for a, b, where in sorted(graph.subgraph(members).edges(data="where")):
            lines.append(f"    {a} -> {b}  ({', '.join(where)})")
    return "\n".join(lines), 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--type-checking", action="store_true", help="count imports under `if TYPE_CHECKING:` too"
    )
    args = parser.parse_args(argv)
    text, code = report(import_graph(type_checking=args.type_checking))
    print(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
