"""Write the section "Mutation testing by a tool" of docs/verification.md from mutmut's results.

mutmut (`[tool.mutmut]` in pyproject.toml) mutates every function of the mechanism modules and
runs, for each mutant, the selected tests that call the mutated function (it learns which from
one instrumented run of the selection). Its verdicts are kept in `mutants/<file>.meta` (JSON,
`exit_code_by_key`: mutant name → pytest exit code, None while not yet run). This script counts
them per module, subtracts the mutants listed in `tests/mutation/equivalent.yaml` (mutant name →
why no test can tell it from the original), and rewrites the block between
`<!-- mutmut:begin -->` and `<!-- mutmut:end -->` of docs/verification.md; nothing outside the
block is touched (the hand-written harness, tests/mutation/harness.py, owns `<!-- mutants:… -->`).

    make mutation                                  # every module, then this script
    python tests/mutation/mutmut_scores.py         # only rewrite the block from mutants/
    python tests/mutation/mutmut_scores.py --run sim.submodels.engagement            # its mutants not yet run
    python tests/mutation/mutmut_scores.py --run sim.submodels.engagement --survivors  # rerun survivors, untested

`mutmut run "MODULE.*"` reruns every mutant of the module; `--run` hands mutmut only the names
of the module's mutants not yet run (or, with `--survivors`, those that survived or had no test, after
a test was added; never those listed as equivalent), so an interrupted run resumes where it stopped.
Either way mutmut first runs the new tests once to learn which functions they reach.

Exit status 1 when an entry of equivalent.yaml names no mutant mutmut generated (the list went
stale after a change of the code), or when the markers are missing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MUTANTS_DIR = ROOT / "mutants"
EQUIVALENT = Path(__file__).with_name("equivalent.yaml")
REPORT = ROOT / "docs" / "verification.md"
BEGIN, END = "<!-- mutmut:begin -->", "<!-- mutmut:end -->"
# the mechanism modules, in the order `make mutation` runs them (pyproject.toml's only_mutate)
MODULES = ("sim/submodels/engagement.py", "sim/submodels/influence.py", "sim/submodels/holding.py",
           "sim/submodels/economy.py", "sim/submodels/population.py", "sim/submodels/tension.py",
           "sim/submodels/timeline.py", "sim/submodels/front.py", "sim/rules/*.py", "agents/*.py")
# mutmut's exit codes (mutmut/stats.py) folded into the columns of the table
KILLED, SURVIVED, TIMEOUT, NO_TESTS, NOT_RUN = "killed", "survived", "timeout", "no tests", "not run"
STATUS = {1: KILLED, 3: KILLED, 37: KILLED, 0: SURVIVED, 36: TIMEOUT, 24: TIMEOUT, -24: TIMEOUT,
          152: TIMEOUT, 255: TIMEOUT, 5: NO_TESTS, 33: NO_TESTS, None: NOT_RUN}


@dataclass
class Tally:
    """Mutant counts of one module (or the total)."""

    generated: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    equivalent: int = 0

    def add(self, status: str, equivalent: bool) -> None:
        self.generated += 1
        if equivalent:
            self.equivalent += 1
        else:
            self.counts[status] = self.counts.get(status, 0) + 1

    def score(self) -> float | None:
        """Killed ÷ (run and not equivalent), in %: timeouts count as killed (mutmut's convention:
        the mutant made the tests loop), mutants without a test or not yet run are left out."""
        killed = self.counts.get(KILLED, 0) + self.counts.get(TIMEOUT, 0)
        judged = killed + self.counts.get(SURVIVED, 0)
        return 100.0 * killed / judged if judged else None


def module_of(meta: Path, mutants_dir: Path = MUTANTS_DIR) -> str:
    """The module pattern of MODULES that a `mutants/<file>.meta` belongs to."""
    rel = meta.relative_to(mutants_dir).as_posix().removesuffix(".meta")
    for pattern in MODULES:
        if Path(rel).match(pattern):
            return pattern
    return rel


def tally(mutants_dir: Path = MUTANTS_DIR, equivalent: dict[str, str] | None = None
          ) -> tuple[dict[str, Tally], list[str]]:
    """({module pattern: Tally}, equivalent names that match no generated mutant)."""
    equivalent = equivalent or {}
    tallies: dict[str, Tally] = {}
    seen = set()
    for meta in sorted(mutants_dir.rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        for name, code in codes.items():
            status = STATUS.get(code, "suspicious")
            tallies.setdefault(module_of(meta, mutants_dir), Tally()).add(status, name in equivalent)
            seen.add(name)
    return tallies, sorted(set(equivalent) - seen)


def render(tallies: dict[str, Tally], equivalent: dict[str, str], commit: str, day: str) -> str:
    """The block's text (between the markers)."""
    cols = (KILLED, SURVIVED, TIMEOUT, NO_TESTS, NOT_RUN)
    lines = [
        BEGIN,
        f"Written by `python tests/mutation/mutmut_scores.py` from mutmut's results (`make mutation`), "
        f"{day}, commit `{commit}`.",
        "",
        "| module | generated | killed | survived | equivalent | timeout | no tests | not run | score |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    total = Tally()
    for pattern in [m for m in MODULES if m in tallies] + sorted(set(tallies) - set(MODULES)):
        t = tallies[pattern]
        k, s, to, nt, nr = (t.counts.get(c, 0) for c in cols)
        score = t.score()
        lines.append(f"| `{pattern}` | {t.generated} | {k} | {s} | {t.equivalent} | {to} | {nt} | {nr} | "
                     + (f"{score:.1f} %" if score is not None else "–") + " |")
        total.generated += t.generated
        total.equivalent += t.equivalent
        for c, n in t.counts.items():
            total.counts[c] = total.counts.get(c, 0) + n
    k, s, to, nt, nr = (total.counts.get(c, 0) for c in cols)
    score = total.score()
    lines.append(f"| **total** | {total.generated} | {k} | {s} | {total.equivalent} | {to} | {nt} | {nr} | "
                 + (f"**{score:.1f} %**" if score is not None else "–") + " |")
    lines += [
        "",
        "score = (killed + timeout) ÷ (killed + timeout + survived), equivalent mutants excluded: the "
        "score of the mutants run, so a module's score says nothing of its mutants *not run* (mutmut has "
        "not reached them); *no tests*: no selected test calls the function.",
        "",
        "Equivalent mutants (`tests/mutation/equivalent.yaml`): no test can tell them from the original.",
        "",
    ]
    lines += [f"* `{name}`: {reason}" for name, reason in sorted(equivalent.items())] or ["* none"]
    lines.append(END)
    return "\n".join(lines)


def write(block: str, report: Path = REPORT) -> None:
    """Replace the block between BEGIN and END of `report`, leaving the rest as it is."""
    text = report.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{report.name}: the markers {BEGIN} and {END} are missing")
    head, rest = text.split(BEGIN, 1)
    report.write_text(head + block + rest.split(END, 1)[1])


def names(module: str, statuses: tuple[str, ...], mutants_dir: Path = MUTANTS_DIR) -> list[str]:
    """Mutant names of `module` (dotted, e.g. sim.rules) whose verdict is one of `statuses`."""
    folder = mutants_dir.joinpath(*module.split("."))
    metas = sorted(folder.rglob("*.py.meta")) if folder.is_dir() else [folder.with_suffix(".py.meta")]
    return [name for meta in metas if meta.exists()
            for name, code in json.loads(meta.read_text())["exit_code_by_key"].items()
            if STATUS.get(code, "suspicious") in statuses]


def run(module: str, statuses: tuple[str, ...], skip: frozenset[str] = frozenset()) -> int:
    """Run mutmut (lowest priority, both cores) on the mutants of `module` with those verdicts,
    but not those in `skip` (the equivalent ones: they survive whatever the tests)."""
    todo = [n for n in names(module, statuses) if n not in skip]
    print(f"{module}: {len(todo)} mutants to run", flush=True)
    if not todo:
        return 0
    env = {**os.environ, "PYTHONPATH": str(MUTANTS_DIR)}  # worker processes import the mutated code
    return subprocess.run(["nice", "-n", "19", str(Path(sys.executable).with_name("mutmut")), "run",
                           "--max-children", "2", *todo], cwd=ROOT, env=env).returncode


def main(argv: list[str] | None = None, report: Path = REPORT, mutants_dir: Path = MUTANTS_DIR,
         equivalent_file: Path = EQUIVALENT) -> int:
    parser = argparse.ArgumentParser(description="mutmut's scores into docs/verification.md (module docstring)")
    parser.add_argument("--run", metavar="MODULE", help="first run mutmut on MODULE's mutants not yet run")
    parser.add_argument("--survivors", action="store_true",
                        help="with --run: rerun its survivors and those without tests (not those listed as equivalent)")
    args = parser.parse_args(argv)
    equivalent = yaml.safe_load(equivalent_file.read_text()) or {}
    if args.run:
        return run(args.run, (SURVIVED, NO_TESTS) if args.survivors else (NOT_RUN,), skip=frozenset(equivalent))
    tallies, stale = tally(mutants_dir, equivalent)
    for name in stale:
        print(f"{equivalent_file.name}: {name} is not a mutant mutmut generated (stale entry)", file=sys.stderr)
    if not tallies:
        print(f"no mutmut results in {mutants_dir}: run `make mutation` first", file=sys.stderr)
        return 1
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip() or "unknown"
    write(render(tallies, equivalent, commit, date.today().isoformat()), report)
    print(f"wrote {report}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
