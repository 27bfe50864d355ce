"""The code's shape (issue 9): modules stay small, and no project module imports itself back."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT

MAX_LINES = 400
PACKAGES = ("sim", "agents")
# issue 19: "no module over 400 lines" -- the tests are modules too
SIZED = (*PACKAGES, "tests")


def test_no_import_cycles():
    script = ROOT / "tests" / "import_cycles.py"
    done = subprocess.run(
        [sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_module_over_400_lines():
    too_long = {
        path.relative_to(ROOT).as_posix(): n
        for package in SIZED
        for path in sorted((ROOT / package).rglob("*.py"))
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not too_long, f"modules over {MAX_LINES} lines (split them): " + ", ".join(
        f"{p} ({n})" for p, n in too_long.items()
    )


def test_the_cycle_check_finds_cycles_through_functions_and_relative_imports(tmp_path):
    from import_cycles import cycles, import_graph, report

    pkg = tmp_path / "sim"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from sim.sub import b\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("def f():\n    from .. import a\n")
    (pkg / "c.py").write_text("import typing\nif typing.TYPE_CHECKING:\n    from sim import d\n")
    (pkg / "d.py").write_text("import sim.c\n")
    graph = import_graph(tmp_path, ("sim",))
    assert cycles(graph) == [["sim.a", "sim.sub.b"]]
    text, code = report(graph)
    assert code == 1 and "sim.sub.b -> sim.a  (sim/sub/b.py:2)" in text
    assert cycles(import_graph(tmp_path, ("sim",), type_checking=True)) == [
        ["sim.a", "sim.sub.b"],
        ["sim.c", "sim.d"],
    ]


def _layout_rows() -> dict[str, str]:
    """The README's *Project layout* table: path cell → description cell."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Project layout"):]
    section = section[: section.find("\n## ", 3)] if "\n## " in section[3:] else section
    rows = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            path_cell, what, *_ = line.strip("|").split("|")
            for path in re.findall(r"`([^`]+)`", path_cell):
                rows[path] = what
    return rows


def test_the_readme_layout_and_help_sim_match_the_tree():
    """Every sub-package of sim/ and every top-level module has a row in the README's layout
    table and a line in `help(sim)`, every module of a sub-package is named in its row, and
    every path the table names exists."""
    import sim

    rows = _layout_rows()
    packages = sorted(p.name for p in (ROOT / "sim").iterdir()
                      if p.is_dir() and (p / "__init__.py").exists())
    modules = sorted(p.stem for p in (ROOT / "sim").glob("*.py") if not p.stem.startswith("__"))
    missing_rows = [f"sim/{p}/" for p in packages if f"sim/{p}/" not in rows]
    missing_rows += [f"sim/{m}.py" for m in modules if f"sim/{m}.py" not in rows]
    assert not missing_rows, f"README's Project layout has no row for {missing_rows}"
    doc = sim.__doc__
    missing_help = [f"sim.{name}" for name in packages + modules
                    if f"``sim.{name}``" not in doc and name not in ("agents",)]
    assert not missing_help, f"help(sim) does not name {missing_help}"
    unnamed = {}
    for package in packages:
        named = set(re.findall(r"`(\w+)`", rows[f"sim/{package}/"]))
        files = {p.stem for p in (ROOT / "sim" / package).glob("*.py") if not p.stem.startswith("__")}
        if files - named:
            unnamed[package] = sorted(files - named)
    assert not unnamed, f"modules not named in their README layout row: {unnamed}"
    stale = [path for path in rows if "/" in path and not (ROOT / path.rstrip("/")).exists()]
    assert not stale, f"README's Project layout names paths that do not exist: {stale}"


#: what agent behaviour may import from the rest of sim/: the model reaches agents through
#: `model` (its submodels, `model.space`, `model.recorder`), never through imports; these are
#: the documented interfaces agents use by name: stream names, control and relation codes, the
#: scenario's orders, the event log's wording of fighters, the outputs protocol
AGENT_IMPORTS = {"sim.agents", "sim.streams", "sim.submodels.influence", "sim.world.factions", "sim.outputs",
                 "sim.scenario.spec", "sim.results.event_log"}


def test_agents_import_from_sim_only_through_the_documented_interfaces():
    import ast

    found = {}
    for path in sorted((ROOT / "agents").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            for name in names:
                if name.startswith("sim") and not any(name == ok or name.startswith(ok + ".") for ok in AGENT_IMPORTS):
                    found.setdefault(path.name, []).append(name)
    assert not found, f"agents/ imports from sim/ outside the documented interfaces {sorted(AGENT_IMPORTS)}: {found}"
