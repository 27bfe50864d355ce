"""Mutation harness: break one mechanism at a time and check that a test aimed at it fails.

Each mutant in `mutants.yaml` names the file, an exact piece of code that occurs exactly once
in it, what to put in its place, and the tests that must catch it. For each mutant the harness
copies the project's code, scenarios and tests into a temporary folder, applies the one edit,
runs the named tests there, and records whether they failed ("caught") or passed ("survived").
The project itself is never modified.

    make verify                                  # every mutant; rewrites the table in docs/verification.md
    .venv/bin/python tests/mutation/harness.py --only checkpoint_never_stops   # one mutant

Slow (each mutant runs its tests), so it is kept out of `make test`. Exit status 1 when any
mutant survives, or when an anchor no longer occurs exactly once (the mutant list went stale).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MUTANTS = Path(__file__).with_name("mutants.yaml")
REPORT = ROOT / "docs" / "verification.md"
BEGIN, END = "<!-- mutants:begin -->", "<!-- mutants:end -->"  # the section the harness rewrites
COPY = ("sim", "agents", "scenarios", "tests", "pyproject.toml", "run.py")


def load_mutants() -> list[dict]:
    mutants = yaml.safe_load(MUTANTS.read_text())
    names = [m["name"] for m in mutants]
    if len(set(names)) != len(names):
        raise SystemExit(f"{MUTANTS.name}: mutant names must be unique")
    return mutants


def check_anchor(mutant: dict) -> str | None:
    """None when the mutant's code occurs exactly once in its file, else what is wrong."""
    path = ROOT / mutant["file"]
    if not path.exists():
        return f"{mutant['file']} does not exist"
    count = path.read_text().count(mutant["find"])
    return None if count == 1 else f"anchor occurs {count} times in {mutant['file']} (expected once)"


def run_mutant(mutant: dict, python: str) -> tuple[str, float, str]:
    """Apply one mutant in a temporary copy and run its tests: ('caught'|'survived', seconds, tail)."""
    with tempfile.TemporaryDirectory(prefix="corridor-mutant-") as tmp:
        work = Path(tmp)
        for name in COPY:
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(src, work / name)
        target = work / mutant["file"]
        target.write_text(target.read_text().replace(mutant["find"], mutant["replace"], 1))
        started = time.perf_counter()
        proc = subprocess.run(
            [python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
             *mutant["tests"]], cwd=work, capture_output=True, text=True)
        seconds = time.perf_counter() - started
    tail = (proc.stdout.strip().splitlines() or [""])[-1]
    return ("caught" if proc.returncode != 0 else "survived"), seconds, tail


def write_report(rows: list[tuple[dict, str, float]]) -> None:
    lines = [
        BEGIN,
        "Written by `make verify` (`tests/mutation/harness.py`, mutants in `tests/mutation/mutants.yaml`).",
        "Each mutant breaks one mechanism in a temporary copy; the named tests must then fail.",
        "",
        "| mutant | mechanism broken | file | catching tests | result | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for m, result, seconds in rows:
        tests = "<br>".join(f"`{t}`" for t in m["tests"])
        lines.append(f"| `{m['name']}` | {m['what']} | `{m['file']}` | {tests} | **{result}** | {seconds:.0f} |")
    caught = sum(r == "caught" for _, r, _ in rows)
    lines += ["", f"{caught} of {len(rows)} mutants caught.", END]
    text = REPORT.read_text() if REPORT.exists() else f"# Verification\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{REPORT.name}: the markers {BEGIN} and {END} are missing")
    head, rest = text.split(BEGIN, 1)
    REPORT.write_text(head + "\n".join(lines) + rest.split(END, 1)[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the mutation harness (see the module docstring).")
    parser.add_argument("--only", nargs="*", help="names of mutants to run (default: all)")
    parser.add_argument("--check", action="store_true", help="only check that every anchor occurs once")
    args = parser.parse_args(argv)
    mutants = load_mutants()
    if args.only:
        unknown = set(args.only) - {m["name"] for m in mutants}
        if unknown:
            parser.error(f"--only: unknown mutants {sorted(unknown)}")
        mutants = [m for m in mutants if m["name"] in args.only]
    stale = [(m["name"], problem) for m in mutants if (problem := check_anchor(m))]
    for name, problem in stale:
        print(f"stale mutant {name}: {problem}", file=sys.stderr)
    if stale or args.check:
        return 1 if stale else 0
    rows = []
    for i, mutant in enumerate(mutants, 1):
        result, seconds, tail = run_mutant(mutant, sys.executable)
        print(f"[{i}/{len(mutants)}] {mutant['name']}: {result} in {seconds:.0f} s ({tail})", flush=True)
        rows.append((mutant, result, seconds))
    if not args.only:
        write_report(rows)
        print(f"wrote {REPORT.relative_to(ROOT)}")
    return 0 if all(r == "caught" for _, r, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
