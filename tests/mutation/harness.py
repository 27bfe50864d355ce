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
    .venv/bin/python tests/mutation/harness.py --workers 2                     # every mutant, two at a time
    .venv/bin/python tests/mutation/harness.py --only checkpoint_never_stops   # one mutant
    .venv/bin/python tests/mutation/harness.py --only NAME… --update           # and replace their rows

The harness first takes a snapshot of the project, and every copy is made from it, so editing
the project during a long run changes nothing of the run. Every mutant runs in its own temporary
copy, so `--workers N` runs N mutants at once (and the unmutated check in N parts); the table
lists the mutants in the order of `mutants.yaml` whatever order they finish in, is rewritten as
each mutant finishes (those still to come marked *not run yet*), and its header names the
commit and date of the run and, at the end, the CPU time its test processes used. `--update` (with `--only`) replaces only those mutants' rows of the table
and adds a line naming them and the commit they were re-run on, for a file changed after the
full run.

Slow (each mutant runs its tests), so it is kept out of `make test`. Exit status 1 when any
mutant survives or is refused, when a catching test fails unmutated, or when an anchor no longer
occurs exactly once (the mutant list went stale).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
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


def run_unmutated(mutants: list[dict], python: str, root: Path = ROOT, workers: int = 1) -> Unmutated:
    """Run every catching test once on an unmutated copy of `root`, in `workers` parts at once
    (every `workers`-th spec, sorted, each part in its own copy)."""
    specs = sorted({t for m in mutants for t in m["tests"]})

    def part(chosen: list[str]) -> Unmutated:
        with tempfile.TemporaryDirectory(prefix="corridor-unmutated-") as tmp:
            work = copy_project(root, Path(tmp) / "project")
            return Unmutated(pytest_outcomes(python, work, chosen), slow_nodes(python, work, chosen))

    with ThreadPoolExecutor(max(1, workers)) as pool:
        parts = list(pool.map(part, [specs[i::workers] for i in range(workers) if specs[i::workers]]))
    return Unmutated({n: o for u in parts for n, o in u.outcomes.items()}, set().union(*(u.slow for u in parts)))


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


def row(m: dict, result: str, seconds: float) -> str:
    """The table's row of one mutant."""
    tests = "<br>".join(f"`{t}`" for t in m["tests"])
    return f"| `{m['name']}` | {m['what']} | `{m['file']}` | {tests} | **{result}** | {seconds:.0f} |"


def commit(root: Path = ROOT) -> str:
    """The short commit of `root`'s HEAD ("unknown" outside git), "+ uncommitted changes" when
    tracked files differ from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + (" + uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def write_report(rows: list[tuple[dict, str, float]], refused: list[str], report: Path = REPORT,
                 run: str = "") -> None:
    """Rewrite the table between BEGIN and END of `report` (rows in the order given); `run` says
    where and when it ran (commit, date, workers, CPU time)."""
    lines = [
        BEGIN,
        "Written by `make verify` (`tests/mutation/harness.py`, mutants in `tests/mutation/mutants.yaml`)"
        + (f": {run}." if run else "."),
        "Each mutant breaks one mechanism in a temporary copy of the whole project; the named tests,",
        "each first checked to pass on the unmutated copy, must then fail. **caught** means a fast",
        "test catches it (`make test`); **caught (slow)** that only a `@pytest.mark.slow` test does",
        "(`make verify`). *seconds*: wall time of the mutant's tests on the machine as loaded then.",
        "",
        "| mutant | mechanism broken | file | catching tests | result | seconds |",
        "|---|---|---|---|---|---|",
    ]
    lines += [row(m, result, seconds) for m, result, seconds in rows]
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


def update_report(rows: list[tuple[dict, str, float]], run: str, report: Path = REPORT,
                  order: list[str] | None = None) -> None:
    """Replace the rows of the mutants in `rows` in the table of `report` (a mutant without a
    row gets one after the row of the nearest mutant before it in `order`, the names of
    mutants.yaml, or after the last row), and add a line after its first, naming them and `run`,
    then recount the catches."""
    text = report.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{report.name}: the markers {BEGIN} and {END} are missing")
    head, rest = text.split(BEGIN, 1)
    block, tail = rest.split(END, 1)
    lines = block.split("\n")
    for m, result, seconds in rows:
        at = [i for i, line in enumerate(lines) if line.startswith(f"| `{m['name']}` |")]
        if at:
            lines[at[0]] = row(m, result, seconds)
        else:
            before = order[:order.index(m["name"])] if order and m["name"] in order else []
            rowed = {name: i for i, line in enumerate(lines) for name in before
                     if line.startswith(f"| `{name}` |")}
            last = (max(rowed.values()) if rowed else
                    max(i for i, line in enumerate(lines) if line.startswith("|")))
            lines.insert(last + 1, row(m, result, seconds))
    names = ", ".join(f"`{m['name']}`" for m, _, _ in rows)
    lines.insert(2, f"Re-run with `--only {' '.join(m['name'] for m, _, _ in rows)} --update` ({names}): {run}.")
    results = [line.split(" | ")[-2].strip("*") for line in lines if line.startswith("| `")]
    caught = sum(r.startswith("caught") for r in results)
    slow = sum(r == "caught (slow)" for r in results)
    total = [i for i, line in enumerate(lines) if " mutants caught (" in line]
    if total:
        lines[total[0]] = (f"{caught} of {len(results)} mutants caught ({caught - slow} by `make test`, "
                           f"{slow} only by the slow tests of `make verify`).")
    report.write_text(head + BEGIN + "\n".join(lines) + END + tail)


def main(argv: list[str] | None = None, root: Path = ROOT, mutants_file: Path = MUTANTS,
         report: Path = REPORT) -> int:
    parser = argparse.ArgumentParser(description="Run the mutation harness (see the module docstring).")
    parser.add_argument("--only", nargs="*", help="names of mutants to run (default: all)")
    parser.add_argument("--check", action="store_true", help="only check that every anchor occurs once")
    parser.add_argument("--workers", type=int, default=1, help="mutants run at once, each in its own copy (default 1)")
    parser.add_argument("--report", type=Path, default=report,
                        help="the file whose table is written (default docs/verification.md)")
    parser.add_argument("--update", action="store_true",
                        help="with --only: replace those mutants' rows of the table and note the re-run")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f"--workers: must be ≥ 1, not {args.workers}")
    if args.update and not args.only:
        parser.error("--update needs --only")
    mutants = load_mutants(mutants_file)
    order = [m["name"] for m in mutants]
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
    report = args.report
    run = f"commit `{commit(root)}`, {date.today().isoformat()}, {args.workers} worker(s)"
    with tempfile.TemporaryDirectory(prefix="corridor-snapshot-") as tmp:
        snapshot = copy_project(root, Path(tmp) / "project")  # the run's code, whatever is edited meanwhile
        clean = run_unmutated(mutants, sys.executable, snapshot, args.workers)
        refused = clean.failing(sorted({t for m in mutants for t in m["tests"]}))
        for spec in refused:
            print(f"refused {spec}: it fails (or selects nothing) on the unmutated copy", file=sys.stderr)
        done: dict[str, tuple[dict, str, float]] = {}
        lock = threading.Lock()

        def one(mutant: dict) -> tuple[dict, str, float]:
            result, seconds, detail = run_mutant(mutant, sys.executable, clean, snapshot)
            with lock:
                done[mutant["name"]] = (mutant, result, seconds)
                print(f"[{len(done)}/{len(mutants)}] {mutant['name']}: {result} in {seconds:.0f} s ({detail})",
                      flush=True)
                if not args.only:  # the table so far, so that a run cut short still leaves its results
                    write_report([done.get(m["name"], (m, "not run yet", 0.0)) for m in mutants], refused,
                                 report, f"{run}, partial: {len(done)} of {len(mutants)} run so far")
            return done[mutant["name"]]

        with ThreadPoolExecutor(args.workers) as pool:
            rows = list(pool.map(one, mutants))  # in the order of mutants.yaml
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    run += f", {used.ru_utime + used.ru_stime:.0f} CPU s of test processes"
    print(run, flush=True)
    if not args.only:
        write_report(rows, refused, report, run)
        print(f"wrote {report}")
    elif args.update:
        update_report(rows, run, report, order)
        print(f"updated {len(rows)} rows of {report}")
    return 0 if not refused and all(r.startswith("caught") for _, r, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
