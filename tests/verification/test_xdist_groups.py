"""`make test`'s xdist groups hold (`pytest -n 2 --dist loadgroup`): the tests of one
`xdist_group` run on one worker, so that they share what they cache (replicates, one app server).
pytest-xdist 3.8 alone marks a group in a way pytest 9 no longer reads; tests/conftest.py's
`group_for_xdist` does it the way pytest 9 does."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT

# a tiny suite of its own: 6 tests in one group among 20 others, each writing down its worker
SUITE = """
import os
import pytest

@pytest.mark.xdist_group("together")
@pytest.mark.parametrize("i", range(6))
def test_grouped(i):
    open(os.environ["XDIST_GROUPS_OUT"] + f"/grouped{i}", "w").write(os.environ["PYTEST_XDIST_WORKER"])

@pytest.mark.parametrize("i", range(20))
def test_alone(i):
    open(os.environ["XDIST_GROUPS_OUT"] + f"/alone{i}", "w").write(os.environ["PYTEST_XDIST_WORKER"])
"""

# its conftest takes the project's hook, and nothing else, from tests/conftest.py
CONFTEST = f"""
import importlib.util

_spec = importlib.util.spec_from_file_location("corridor_conftest", {str(ROOT / "tests" / "conftest.py")!r})
_corridor = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_corridor)
pytest_collection_modifyitems = _corridor.group_for_xdist
"""


def test_the_tests_of_one_group_run_on_one_worker(tmp_path):
    suite, out = tmp_path / "suite", tmp_path / "out"
    suite.mkdir()
    out.mkdir()
    (suite / "test_tiny.py").write_text(SUITE, encoding="utf-8")
    (suite / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    # only xdist among the installed plugins (hypothesis', anyio's, ... cost ~1 s in each of the 3 processes)
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "xdist", "-n", "2", "--dist", "loadgroup", "-q",
                           "-p", "no:cacheprovider", str(suite)], cwd=suite, capture_output=True, text=True,
                          env={**os.environ, "XDIST_GROUPS_OUT": str(out), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    workers = {p.name: p.read_text() for p in out.iterdir()}
    assert len(workers) == 26, f"expected 26 tests to have run, found {sorted(workers)}"
    assert set(workers.values()) == {"gw0", "gw1"}, f"premise: both workers ran tests: {workers}"
    grouped = {w for name, w in workers.items() if name.startswith("grouped")}
    assert len(grouped) == 1, f"the 6 tests of the group 'together' ran on {sorted(grouped)}, expected one worker"
