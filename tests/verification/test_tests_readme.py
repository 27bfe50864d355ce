"""tests/README.md is the index of the tests by mechanism, generated from tests/mutation/mutants.yaml."""

from __future__ import annotations

import sys

import yaml

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "mutation"))
import index  # noqa: E402


def test_the_tests_readme_is_current():
    expected = index.render(yaml.safe_load(index.MUTANTS.read_text()))
    assert index.README.read_text(encoding="utf-8") == expected, (
        "tests/README.md is stale: run `python tests/mutation/index.py` after editing mutants.yaml")


def test_every_mutant_names_its_mechanism_and_existing_tests():
    for m in yaml.safe_load(index.MUTANTS.read_text()):
        assert m.get("mechanism"), f"mutant {m['name']} names no mechanism"
        for test in m["tests"]:
            assert (ROOT / test.split("::")[0]).is_file(), f"mutant {m['name']}: {test} does not exist"
