"""The mutation harness (tests/mutation/harness.py) on a tiny project of its own: it copies what
the tests read, refuses a catching test that fails unmutated, and tells fast catches from slow."""

from __future__ import annotations

import re
import sys
import textwrap

import pytest
import yaml

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "mutation"))
import harness  # noqa: E402

TESTS = '''
import pytest
from pathlib import Path
from mod import double, triple

def test_double():
    assert double(2) == 4, "double(2) should be 4"

def test_reads_docs():  # passes only where docs/ was copied
    assert (Path(__file__).parents[1] / "docs" / "note.txt").read_text() == "3"

def test_always_fails():
    assert False, "broken before any mutation"

@pytest.mark.slow
def test_triple():
    assert triple(2) == 6, "triple(2) should be 6"
'''


def project(tmp_path):
    root = tmp_path / "project"
    (root / "tests").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "docs" / "note.txt").write_text("3")
    (root / "pyproject.toml").write_text(textwrap.dedent('''
        [tool.pytest.ini_options]
        pythonpath = ["."]
        markers = ["slow: slow"]
    '''))
    (root / "mod.py").write_text("def double(x):\n    return 2 * x\n\ndef triple(x):\n    return 3 * x\n")
    (root / "tests" / "test_mod.py").write_text(TESTS)
    mutants = [
        {"name": "caught_fast", "what": "-", "file": "mod.py", "find": "2 * x", "replace": "x",
         "tests": ["tests/test_mod.py::test_double"]},
        {"name": "only_a_broken_test", "what": "-", "file": "mod.py", "find": "2 * x", "replace": "x",
         "tests": ["tests/test_mod.py::test_always_fails"]},
        {"name": "broken_test_left_out", "what": "-", "file": "mod.py", "find": "3 * x", "replace": "x",
         "tests": ["tests/test_mod.py::test_always_fails", "tests/test_mod.py::test_reads_docs"]},
        {"name": "caught_slow", "what": "-", "file": "mod.py", "find": "3 * x", "replace": "x",
         "tests": ["tests/test_mod.py::test_reads_docs", "tests/test_mod.py::test_triple"]},
    ]
    (root / "mutants.yaml").write_text(yaml.safe_dump(mutants))
    (root / "report.md").write_text(f"# Verification\n\n{harness.BEGIN}\n{harness.END}\n")
    return root, mutants


@pytest.mark.slow  # eight pytest runs in subprocesses: `make verify`, which runs the harness too
def test_the_harness_refuses_tests_that_fail_unmutated_and_tells_slow_catches(tmp_path, capsys):
    root, mutants = project(tmp_path)
    code = harness.main(["--workers", "2"], root=root, mutants_file=root / "mutants.yaml", report=root / "report.md")
    printed = capsys.readouterr()
    results = dict(re.findall(r"\] (\w+): (\w+(?: \(slow\))?) in", printed.out))
    assert results == {
        "caught_fast": "caught",
        "only_a_broken_test": "refused",  # its one test fails anyway: no catch is counted
        "broken_test_left_out": "survived",  # the broken test is not run; the docs test passes,
        "caught_slow": "caught (slow)",  # which it could not if docs/ were not copied
    }, f"a test failing unmutated must never count as a catch; slow-only catches are marked: {printed.out}"
    assert "refused tests/test_mod.py::test_always_fails" in printed.err, printed.err
    assert code == 1, "refused tests and survivors make the harness fail"
    report = (root / "report.md").read_text()
    assert "2 of 4 mutants caught (1 by `make test`, 1 only by the slow tests" in report, report
    assert "Refused (they fail on the unmutated copy): `tests/test_mod.py::test_always_fails`" in report
    assert (root / "mod.py").read_text().count("2 * x") == 1, "the project itself is never modified"
    names = re.findall(r"^\| `(\w+)` \|", report, flags=re.M)
    assert names == [m["name"] for m in mutants], f"two workers, rows still in the order of mutants.yaml: {names}"
    assert "2 worker(s)" in report and "CPU s of test processes" in report, "the header says how it ran"


def test_an_update_replaces_only_the_named_rows_and_says_so(tmp_path):
    report = tmp_path / "report.md"
    report.write_text(f"# Verification\n\n{harness.BEGIN}\n{harness.END}\n\nafter\n")
    a = {"name": "a", "what": "A broken", "file": "a.py", "tests": ["tests/test_a.py"]}
    b = {"name": "b", "what": "B broken", "file": "b.py", "tests": ["tests/test_b.py"]}
    harness.write_report([(a, "caught", 3.0), (b, "survived", 5.0)], [], report, "commit `111aaaa`")
    harness.update_report([(b, "caught (slow)", 7.0)], "commit `222bbbb`", report)
    text = report.read_text()
    assert "| `a` | A broken | `a.py` | `tests/test_a.py` | **caught** | 3 |" in text, "row a is kept as it was"
    assert "| `b` | B broken | `b.py` | `tests/test_b.py` | **caught (slow)** | 7 |" in text, "row b is replaced"
    assert "Re-run with `--only b --update` (`b`): commit `222bbbb`." in text, "the header names the re-run"
    assert "2 of 2 mutants caught (1 by `make test`, 1 only by the slow tests" in text, "the total is recounted"
    assert text.endswith(f"{harness.END}\n\nafter\n"), "nothing outside the block changes"
    harness.update_report([({**a, "name": "c"}, "survived", 1.0)], "commit `333cccc`", report)
    text = report.read_text()
    assert "| `b` | B broken | `b.py` | `tests/test_b.py` | **caught (slow)** | 7 |\n| `c` | A broken |" in text, (
        "a mutant without a row gets one after the last")
    assert "2 of 3 mutants caught" in text, text
    harness.update_report([({**a, "name": "ab"}, "caught", 2.0)], "commit `444dddd`", report,
                          order=["a", "ab", "b", "c"])
    text = report.read_text()
    assert "| `a` | A broken | `a.py` | `tests/test_a.py` | **caught** | 3 |\n| `ab` | A broken |" in text, (
        "a new mutant's row goes after the row of the mutant before it in mutants.yaml")


def test_every_mutant_of_the_table_still_finds_its_code_once():
    """Each mutant in tests/mutation/mutants.yaml names code that occurs exactly once in its file
    (the harness's `--check`): a change that rewrites the line a mutant breaks leaves it stale,
    and a stale mutant is never run, so its mechanism would go unguarded without a word until the
    next `make verify` (hind9's ambush line left `ambush_range_in_cells` stale, 7 Dec 2026)."""
    stale = {m["name"]: problem for m in harness.load_mutants() if (problem := harness.check_anchor(m))}
    assert not stale, f"mutants whose code is not found exactly once (update their find/replace): {stale}"
