"""Write tests/README.md, the index of the tests by mechanism, from tests/mutation/mutants.yaml.

Each mutant names the mechanism it breaks and the tests aimed at that mechanism, so the mutant
list is the mechanism → tests index; this script renders it for a newcomer. Run it after editing
`mutants.yaml`; `tests/verification/test_tests_readme.py` fails while the README is stale.

    python tests/mutation/index.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MUTANTS = Path(__file__).with_name("mutants.yaml")
README = ROOT / "tests" / "README.md"

HEAD = """\
# Tests

Written by `python tests/mutation/index.py` from `tests/mutation/mutants.yaml`; do not edit by hand
(`tests/verification/test_tests_readme.py` checks that it is current).

| where | what |
|---|---|
| `tests/test_<mechanism>.py` | one file per mechanism of docs/odd.md (tension, population, engagement, economy, influence, standoff, insurgents, …; each rule its own: checkpoint, airstrikes, co_optation, agreement, deconfliction, offensive; the planner's cycle in test_planner, its options' scores in test_planner_options, its memory of a rival's denial in test_planner_denial; the rule plug-ins in test_rules; docs/verification.md, *Documented rules and their tests*, maps each rule of docs/odd.md to its tests): unit tests with values computed by hand in the test |
| `tests/worlds.py` | small worlds for those tests: a scenario written on the fly, units put on chosen cells |
| `tests/rule_worlds.py`, `tests/planner_worlds.py` | the rules' worlds (a co-optation pair, an airstrike's targets on a row) and the planner's set-ups (the campaign with Russia's reserve, posts and rivals placed), shared by their split test files |
| `tests/conftest.py` | the project root, seeded replicates of shipped scenarios, coarse models, a command run in-process (`run_cli`), and the xdist groups marked the way pytest 9 reads them (`group_for_xdist`) |
| `tests/robustness/` | bad input, limits, signals, outputs, property-based checks |
| `tests/verification/` | the verification tools themselves (the mutation harness, verify_campaign's escalation check) and the suite's xdist groups |
| `tests/mutation/` | the mutation harness, its mutants, and this index (`make verify`); mutation testing by a tool: `mutmut_scores.py` (reads mutmut's results, samples and runs mutmut per module, `make mutation`), `mutmut_table.py` (its table and the stratified estimate), `equivalent.yaml` (the tool's mutants no test can tell from the original, each with its mutation and the reason) and `equivalents.py` (checks each entry against the generated mutants: a renumbered or missing one is stale) |
| `tests/verify_model.py`, `tests/verify_campaign.py` | the figures over paired replicates (`make verify`) |
| `tests/regression.py`, `tests/baseline/` | the seeded regression baseline (`make baseline`) |
| `tests/fingerprint.py` | the exactness guard of speed-ups: hashes of the whole record (every step-table column, map frame, log entry, the events, summary and final influence) of five seeded runs, `tests/baseline/fingerprints.json` |

`make test` runs everything but the tests marked `slow`; `make verify` runs those, the figures and
the mutation harness. Mutation testing by a tool (mutmut) is described in docs/verification.md.

## Mechanism → tests

Each row: the tests aimed at one mechanism, and the hand-written mutants (`tests/mutation/mutants.yaml`)
that they must catch.
"""


def render(mutants: list[dict]) -> str:
    """The README's text for the mutant list `mutants` (as loaded from mutants.yaml)."""
    rows: dict[str, dict[str, list[str]]] = {}
    for m in mutants:
        for test in m["tests"]:
            rows.setdefault(m["mechanism"], {}).setdefault(test, []).append(m["name"])
    lines = [HEAD, "| mechanism | test | catches |", "|---|---|---|"]
    for mechanism in sorted(rows):
        for test, names in rows[mechanism].items():
            lines.append(f"| {mechanism} | `{test}` | {', '.join(f'`{n}`' for n in names)} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    README.write_text(render(yaml.safe_load(MUTANTS.read_text())), encoding="utf-8")
    print(f"wrote {README.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
