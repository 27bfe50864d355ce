"""The code's shape (issue 9): modules stay small, and no project module imports itself back."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

MAX_LINES = 500
PACKAGES = ("sim", "agents")


def test_no_import_cycles():
    script = ROOT / "tests" / "import_cycles.py"
    done = subprocess.run(
        [sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_module_over_500_lines():
    too_long = {
        path.relative_to(ROOT).as_posix(): n
        for package in PACKAGES
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
