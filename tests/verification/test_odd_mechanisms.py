"""Every mechanism docs/odd.md describes has tests that name it (issue 24): each module the ODD
names beside a mechanism in bold or italics — "**Economy** (`sim/submodels/economy.py`)" — has
at least one hand-written mutant in tests/mutation/mutants.yaml, whose `mechanism` is a row of the
mechanism → tests index (tests/README.md) and whose catching tests exist."""

from __future__ import annotations

import re

import yaml

from conftest import ROOT

# a mechanism's name in bold or italics, then its module in parentheses (backticks optional)
MECHANISM = re.compile(r"\*{1,2}([^*\n]+?)\*{1,2} \(`?((?:sim|agents)/[\w/]+\.py)")


def odd_mechanisms() -> dict[str, str]:
    """{module path: the mechanism's name as the ODD writes it}."""
    return {module: name for name, module in MECHANISM.findall((ROOT / "docs" / "odd.md").read_text())}


def test_the_odd_lists_the_mechanisms_of_every_submodel():
    found = odd_mechanisms()
    for module in ("sim/submodels/influence.py", "sim/submodels/engagement.py", "sim/submodels/economy.py",
                   "sim/submodels/tension.py", "sim/submodels/population.py", "sim/submodels/timeline.py",
                   "sim/submodels/front.py", "sim/submodels/holding.py", "agents/movement.py",
                   "agents/planner.py"):
        assert module in found, f"docs/odd.md names no mechanism beside {module} (pattern **Name** (`{module}`))"


def test_every_mechanism_of_the_odd_has_a_mutant_and_a_row_in_the_tests_index():
    mutants = yaml.safe_load((ROOT / "tests" / "mutation" / "mutants.yaml").read_text())
    readme = (ROOT / "tests" / "README.md").read_text()
    by_file: dict[str, list[dict]] = {}
    for m in mutants:
        by_file.setdefault(m["file"], []).append(m)
    missing = [f"{name} ({module})" for module, name in odd_mechanisms().items() if module not in by_file]
    assert not missing, f"mechanisms of docs/odd.md without a mutant in tests/mutation/mutants.yaml: {missing}"
    for module in odd_mechanisms():
        for m in by_file[module]:
            assert f"| {m['mechanism']} |" in readme, f"{m['mechanism']} ({module}) has no row in tests/README.md"
            for test in m["tests"]:
                path = ROOT / test.split("::")[0]
                assert path.exists(), f"{m['name']}: catching test file {path.name} does not exist"
                if "::" in test:
                    name = test.split("::")[1].split("[")[0]
                    assert f"def {name}(" in path.read_text(), f"{m['name']}: no test {name} in {path.name}"


def test_every_test_the_rules_table_names_exists():
    """docs/verification.md, *Documented rules and their tests*: one row per rule of docs/odd.md
    with the tests that pin it; each `file::name` it names is a test function in tests/ (a test
    renamed or moved must be renamed there too)."""
    text = (ROOT / "docs" / "verification.md").read_text(encoding="utf-8")
    section = text[text.index("## Documented rules and their tests"):]
    section = section[: section.index("\n## ", 3)]
    named = re.findall(r"`((?:robustness/)?test_\w+\.py)::(\w+)`", section)
    assert len(named) >= 100, f"the table should name a test for each of ~110 rules; found {len(named)}"
    missing = [f"{f}::{n}" for f, n in named
               if not (ROOT / "tests" / f).exists() or f"def {n}(" not in (ROOT / "tests" / f).read_text()]
    assert not missing, f"tests named in docs/verification.md's rules table that do not exist: {missing}"
