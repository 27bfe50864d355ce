"""Mutation harness: break one mechanism at a time and check that a test aimed at it fails.

Each mutant in `mutants.yaml` names the file, an exact piece of code that occurs exactly once
in it, what to put in its place, and the tests that must catch it. The harness copies the whole
project (code, scenarios, tests, docs, README, …: everything but `.git`, `.venv`, `outputs/` and
caches) into a temporary folder and first runs every catching test there *unmutated*: a test
that already fails on the unmutated copy is refused (it would "catch" every mutant) and is not
run against any mutant. Then, for each mutant, it applies the one edit in a fresh copy and runs
the mutant's remaining tests, the fast ones first and the `slow` ones (`make verify`, not
`make test`) only if the fast ones pass, and records

* `caught` — a fast test failed (`make test` catches it);
* `caught (slow)` — only a `@pytest.mark.slow` test failed (only `make verify` catches it);
* `survived` — every test passed;
* `refused` — none of its catching tests passes unmutated, so nothing can catch it.

The project itself is never modified.

    make verify                                  # every mutant; rewrites the table in docs/verification.md
    .venv/bin/python tests/mutation/harness.py --only checkpoint_never_stops   # one mutant

Slow (each mutant runs its tests), so it is kept out of `make test`. Exit status 1 when any
mutant survives or is refused, when a catching test fails unmutated, or when an anchor no longer
occurs exactly once (the mutant list went stale).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MUTANTS = Path(__file__).with_name("mutants.yaml")
REPORT = ROOT / "docs" / "verification.md"
BEGIN, END = "<!-- mutants:begin -->", "<!-- mutants:end -->"  # the section the harness rewrites
# what the copy leaves out: version control, environments, run outputs, caches (nothing a test reads)
SKIP = (".git", ".venv", "outputs", "mutants", "__pycache__", "*.pyc", ".pytest_cache",
        ".hypothesis", ".ruff_cache", "*.egg-info")
OUTCOMES = ("PASSED", "FAILED", "ERROR", "XFAIL", "XPASS")


def load_mutants(path: Path = MUTANTS) -> list[dict]:
    mutants = yaml.safe_load(path.read_text())
    names = [m["name"] for m in mutants]
    if len(set(names)) != len(names):
        raise SystemExit(f"{path.name}: mutant names must be unique")
    return mutants


def check_anchor(mutant: dict, root: Path = ROOT) -> str | None:
    """None when the mutant's code occurs exactly once in its file, else what is wrong."""
    path = root / mutant["file"]
    if not path.exists():
        return f"{mutant['file']} does not exist"
    count = path.read_text().count(mutant["find"])
    return None if count == 1 else f"anchor occurs {count} times in {mutant['file']} (expected once)"


def copy_project(root: Path, dest: Path) -> Path:
    """Copy the project at `root` to `dest` (everything the tests may read; see SKIP)."""
    shutil.copytree(root, dest, ignore=shutil.ignore_patterns(*SKIP), symlinks=True)
    return dest


def pytest_outcomes(python: str, work: Path, specs: list[str], *extra: str) -> dict[str, str]:
    """Run pytest on `specs` in `work`: {node id: PASSED | FAILED | ERROR | …} from its `-rA` report."""
    if not specs:
        return {}
    proc = subprocess.run(
        [python, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "-p", "no:randomly",
         *extra, *specs], cwd=work, capture_output=True, text=True)
    found = {}
    for line in proc.stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word in OUTCOMES and "::" in rest:
            found[rest.split(" - ", 1)[0].strip()] = word
    if proc.returncode not in (0, 1, 5) and not found:  # 5: nothing collected
        found.update({spec: "ERROR" for spec in specs})  # collection or usage error: nothing ran
    return found


def slow_nodes(python: str, work: Path, specs: list[str]) -> set[str]:
    """Node ids among `specs` marked `@pytest.mark.slow` (collected, not run)."""
    proc = subprocess.run(
        [python, "-m", "pytest", "-q", "--collect-only", "-m", "slow", "-p", "no:cacheprovider",
         *specs], cwd=work, capture_output=True, text=True)
    return {line.strip() for line in proc.stdout.splitlines() if "::" in line}


def under(node: str, spec: str) -> bool:
    """Whether pytest node id `node` is selected by the spec `spec` (a file, a test, a class)."""
    return node == spec or node.startswith(spec + "::") or node.startswith(spec + "[")


@dataclass
class Unmutated:
    """What the catching tests do on the unmutated copy."""

    outcomes: dict[str, str]
    slow: set[str] = field(default_factory=set)

    def failing(self, specs: list[str]) -> list[str]:
        """Specs with a node that does not pass unmutated (or that select no test at all)."""
        return [s for s in specs
                if not any(under(n, s) for n in self.outcomes)
                or any(under(n, s) and o not in ("PASSED", "XFAIL") for n, o in self.outcomes.items())]

    def split(self, specs: list[str]) -> tuple[list[str], list[str]]:
        """The runnable nodes of `specs` (those passing unmutated): (fast, slow)."""
        good = [s for s in specs if s not in self.failing(specs)]
        nodes = sorted({n for n in self.outcomes for s in good if under(n, s)})
        return [n for n in nodes if n not in self.slow], [n for n in nodes if n in self.slow]


def run_unmutated(mutants: list[dict], python: str, root: Path = ROOT) -> Unmutated:
    """Run every catching test once on an unmutated copy of `root`."""
    specs = sorted({t for m in mutants for t in m["tests"]})
    with tempfile.TemporaryDirectory(prefix="corridor-unmutated-") as tmp:
        work = copy_project(root, Path(tmp) / "project")
        return Unmutated(pytest_outcomes(python, work, specs), slow_nodes(python, work, specs))


def run_mutant(mutant: dict, python: str, clean: Unmutated, root: Path = ROOT) -> tuple[str, float, str]:
    """Apply one mutant in a temporary copy and run its valid tests: (result, seconds, detail)."""
    fast, slow = clean.split(mutant["tests"])
    if not fast and not slow:
        return "refused", 0.0, "no catching test passes unmutated: " + ", ".join(mutant["tests"])
    with tempfile.TemporaryDirectory(prefix="corridor-mutant-") as tmp:
        work = copy_project(root, Path(tmp) / "project")
        target = work / mutant["file"]
        target.write_text(target.read_text().replace(mutant["find"], mutant["replace"], 1))
        started = time.perf_counter()
        for nodes, result in ((fast, "caught"), (slow, "caught (slow)")):
            failed = [n for n, o in pytest_outcomes(python, work, nodes, "-x").items() if o != "PASSED"]
            if failed:
                return result, time.perf_counter() - started, failed[0]
    return "survived", time.perf_counter() - started, f"{len(fast) + len(slow)} tests passed"


def write_report(rows: list[tuple[dict, str, float]], refused: list[str], report: Path = REPORT) -> None:
    lines = [
        BEGIN,
        "Written by `make verify` (`tests/mutation/harness.py`, mutants in `tests/mutation/mutants.yaml`).",
        "Each mutant breaks one mechanism in a temporary copy of the whole project; the named tests,",
        "each first checked to pass on the unmutated copy, must then fail. **caught** means a fast",
        "test catches it (`make test`); **caught (slow)** that only a `@pytest.mark.slow` test does",
        "(`make verify`).",
        "",
        "| mutant | mechanism broken | file | catching tests | result | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for m, result, seconds in rows:
        tests = "<br>".join(f"`{t}`" for t in m["tests"])
        lines.append(f"| `{m['name']}` | {m['what']} | `{m['file']}` | {tests} | **{result}** | {seconds:.0f} |")
    caught = sum(r.startswith("caught") for _, r, _ in rows)
    slow = sum(r == "caught (slow)" for _, r, _ in rows)
    lines += ["", f"{caught} of {len(rows)} mutants caught ({caught - slow} by `make test`, "
              f"{slow} only by the slow tests of `make verify`)."]
    if refused:
        lines += ["", "Refused (they fail on the unmutated copy): " + ", ".join(f"`{t}`" for t in refused)]
    lines.append(END)
    text = report.read_text() if report.exists() else f"# Verification\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{report.name}: the markers {BEGIN} and {END} are missing")
    head, rest = text.split(BEGIN, 1)
    report.write_text(head + "\n".join(lines) + rest.split(END, 1)[1])


def main(argv: list[str] | None = None, root: Path = ROOT, mutants_file: Path = MUTANTS,
         report: Path = REPORT) -> int:
    parser = argparse.ArgumentParser(description="Run the mutation harness (see the module docstring).")
    parser.add_argument("--only", nargs="*", help="names of mutants to run (default: all)")
    parser.add_argument("--check", action="store_true", help="only check that every anchor occurs once")
    args = parser.parse_args(argv)
    mutants = load_mutants(mutants_file)
    if args.only:
        unknown = set(args.only) - {m["name"] for m in mutants}
        if unknown:
            parser.error(f"--only: unknown mutants {sorted(unknown)}")
        mutants = [m for m in mutants if m["name"] in args.only]
    stale = [(m["name"], problem) for m in mutants if (problem := check_anchor(m, root))]
    for name, problem in stale:
        print(f"stale mutant {name}: {problem}", file=sys.stderr)
    if stale or args.check:
        return 1 if stale else 0
    clean = run_unmutated(mutants, sys.executable, root)
    refused = clean.failing(sorted({t for m in mutants for t in m["tests"]}))
    for spec in refused:
        print(f"refused {spec}: it fails (or selects nothing) on the unmutated copy", file=sys.stderr)
    rows = []
    for i, mutant in enumerate(mutants, 1):
        result, seconds, detail = run_mutant(mutant, sys.executable, clean, root)
        print(f"[{i}/{len(mutants)}] {mutant['name']}: {result} in {seconds:.0f} s ({detail})", flush=True)
        rows.append((mutant, result, seconds))
    if not args.only:
        write_report(rows, refused, report)
        print(f"wrote {report}")
    return 0 if not refused and all(r.startswith("caught") for _, r, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
