"""Write the section "Mutation testing by a tool" of docs/verification.md from mutmut's results.

mutmut (`[tool.mutmut]` in pyproject.toml) mutates every function of the mechanism modules and
runs, for each mutant, the selected tests that call the mutated function (it learns which from
one instrumented run of the selection). Its verdicts are kept in `mutants/<file>.meta` (JSON,
`exit_code_by_key`: mutant name → pytest exit code, None while not yet run). This script counts
them per module, subtracts the mutants listed in `tests/mutation/equivalent.yaml` (mutant name →
its mutation and why no test can tell it from the original; tests/mutation/equivalents.py) whose
mutant still makes the recorded mutation, and rewrites the block between
`<!-- mutmut:begin -->` and `<!-- mutmut:end -->` of docs/verification.md; nothing outside the
block is touched (the hand-written harness, tests/mutation/harness.py, owns `<!-- mutants:… -->`).

    make mutation                                  # every module, then this script
    python tests/mutation/mutmut_scores.py         # only rewrite the block from mutants/
    python tests/mutation/mutmut_scores.py --run sim.submodels.engagement            # its mutants not yet run
    python tests/mutation/mutmut_scores.py --run sim.submodels.engagement --survivors  # rerun survivors, untested
    python tests/mutation/mutmut_scores.py --sample 0.2 --seed 1 --run sim.submodels.engagement sim.rules
    python tests/mutation/mutmut_scores.py --sample 0.2 --seed 1                     # the sampled table

With `--sample FRACTION --seed N` everything is restricted to a seeded simple random sample of
each module's mutants (`FRACTION` of them, at least `--minimum`, tests/mutation/sampling.py), and
the table reports the killed share of the sampled non-equivalent mutants with its Wilson 95 %
interval per module and in total: an estimate of the score `make mutation` measures in full.
With `--known-seed K…` (one or more earlier samples whose survivors were seen and given tests,
each drawn outside the ones before it) the sample is drawn from each module's mutants outside
theirs; the estimate takes the earlier samples whole, as a take-all stratum without sampling
error, beside the fresh sample of the rest (sampling.stratified_share). A sample is a
permutation of the module's sorted mutant names, so drawn again after the code changed it would
pick other mutants: `--run` records each sample it draws (its names, fraction, minimum and
commit) in `tests/mutation/samples.json`, and a seed recorded there with the same fraction and
minimum is taken from the record (its mutants still generated) rather than drawn again.
`--fresh` first forgets the stored verdicts of the fresh sample's and the earlier samples'
mutants, so that every one is judged against the current code and tests: mutmut 3 keeps a
verdict until the mutated function's own source changes, whatever changed in the tests or in
the functions it calls.
`--fresh-sample` forgets the fresh sample's only: the earlier samples keep their stored kills
(a kill stays valid while the mutated function is unchanged and tests were only added), and
with `--survivors` their survivors, mutants without tests and those not yet run are run.
`--part fresh` runs only the fresh sample's mutants and `--part earlier` only the earlier
samples', so that on a loaded machine the fresh estimate comes first and a later run of the
earlier samples' survivors does not run the fresh sample's again.

    python tests/mutation/mutmut_scores.py --sample 0.05 --seed 3 --known-seed 1 2 --fresh --run sim.submodels sim.rules agents

`mutmut run "MODULE.*"` reruns every mutant of the module; `--run` (one or more modules, one mutmut
run, so one run of the clean tests) hands mutmut only the names of the modules' mutants not yet
run (with `--survivors` also those that survived or had no test, after a test was added; never
those listed as equivalent whose mutation is still the recorded one), so an interrupted run
resumes where it stopped. Either way mutmut first runs the new tests once to learn which
functions they reach. `--run` first has mutmut
(re)generate the mutants of changed files (verdicts of changed functions reset), so that they can
be sampled. mutmut runs through tests/mutation/mutmut_cli.py, which names the agents' mutants `sim.agents.…`,
the module they are imported as (without it mutmut could not run them). The table and the estimate
are tests/mutation/mutmut_table.py's.

An entry of equivalent.yaml whose mutant mutmut did not generate, or whose mutant now makes
another mutation than the one it records (mutmut renumbered the function's mutants after its code
changed), is stale: one line each on stderr (the entry, what it expected, what the mutant now is),
and it is neither skipped by `--run` nor left out of the score. Writing the table then exits with
status 1, as it does when the markers are missing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Collection
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from equivalents import EQUIVALENT, check, load  # noqa: E402
from mutmut_table import (  # noqa: E402
    MODULES,
    NO_TESTS,
    NOT_RUN,
    REPORT,
    STATUS,
    SURVIVED,
    SampleDesign,
    Tally,
    render,
    write,
)
from sampling import successive_samples  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MUTANTS_DIR = ROOT / "mutants"
SAMPLES = Path(__file__).with_name("samples.json")  # {seed: {fraction, minimum, commit, names}} as drawn


def module_of(meta: Path, mutants_dir: Path = MUTANTS_DIR) -> str:
    """The module pattern of MODULES that a `mutants/<file>.meta` belongs to."""
    rel = meta.relative_to(mutants_dir).as_posix().removesuffix(".meta")
    for pattern in MODULES:
        if Path(rel).match(pattern):
            return pattern
    return rel


def verdicts(mutants_dir: Path = MUTANTS_DIR) -> dict[str, dict[str, str]]:
    """{module pattern: {mutant name: status}} of every mutant mutmut generated."""
    found: dict[str, dict[str, str]] = {}
    for meta in sorted(mutants_dir.rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        found.setdefault(module_of(meta, mutants_dir), {}).update(
            {name: STATUS.get(code, "suspicious") for name, code in codes.items()})
    return found


def draw(found: dict[str, dict[str, str]], fraction: float, seeds: list[int], minimum: int,
         pinned: dict[int, dict[str, list[str]]] | None = None) -> list[dict[str, list[str]]]:
    """[{module pattern: sampled mutant names}] of `seeds`, in order, each drawn from each
    module's mutants outside the samples before it (sampling.successive_samples), one stratum
    per module pattern, numbered in the order of MODULES (then any other file, sorted); a seed in
    `pinned` ({seed: {module pattern: names}}, see `recorded`) takes its recorded names instead."""
    strata = [m for m in MODULES if m in found] + sorted(set(found) - set(MODULES))
    return successive_samples({m: sorted(v) for m, v in found.items()}, fraction, seeds, minimum, strata, pinned)


def recorded(fraction: float, minimum: int, record: Path = SAMPLES) -> dict[int, dict[str, list[str]]]:
    """{seed: {module pattern: names}}: the samples recorded in `record` with this fraction and minimum."""
    samples = json.loads(record.read_text()) if record.exists() else {}
    return {int(seed): s["names"] for seed, s in samples.items()
            if s["fraction"] == fraction and s["minimum"] == minimum}


def record(samples: dict[int, dict[str, list[str]]], fraction: float, minimum: int, commit: str,
           path: Path = SAMPLES) -> None:
    """Add `samples` ({seed: {module pattern: names}}, drawn at `commit`) to the record `path`,
    replacing a seed's earlier entry."""
    kept = json.loads(path.read_text()) if path.exists() else {}
    kept.update({str(seed): {"fraction": fraction, "minimum": minimum, "commit": commit, "names": names}
                 for seed, names in samples.items()})
    path.write_text(json.dumps(dict(sorted(kept.items(), key=lambda kv: int(kv[0]))), indent=1, ensure_ascii=False) + "\n")


def tally(mutants_dir: Path = MUTANTS_DIR, equivalent: Collection[str] = (),
          sample: dict[str, list[str]] | None = None) -> dict[str, Tally]:
    """{module pattern: Tally}, the mutants named in `equivalent` (confirmed by
    `equivalents.check`) counted as equivalent; with `sample` ({module pattern: names}) only the
    sampled mutants are counted (`generated` = sampled)."""
    tallies: dict[str, Tally] = {}
    for pattern, statuses in verdicts(mutants_dir).items():
        chosen = statuses if sample is None else sample.get(pattern, [])
        for name in chosen:
            tallies.setdefault(pattern, Tally()).add(statuses[name], name in equivalent)
    return tallies


def names(module: str, statuses: tuple[str, ...], mutants_dir: Path = MUTANTS_DIR) -> list[str]:
    """Mutant names of `module` (dotted, e.g. sim.rules) whose verdict is one of `statuses`."""
    folder = mutants_dir.joinpath(*module.split("."))
    metas = sorted(folder.rglob("*.py.meta")) if folder.is_dir() else [folder.with_suffix(".py.meta")]
    return [name for meta in metas if meta.exists()
            for name, code in json.loads(meta.read_text())["exit_code_by_key"].items()
            if STATUS.get(code, "suspicious") in statuses]


def forget(chosen: frozenset[str], mutants_dir: Path = MUTANTS_DIR) -> int:
    """Set the stored verdict of every mutant named in `chosen` to None (not run), in mutmut's
    `.meta` files, as mutmut itself resets a changed function's verdicts: mutmut 3 keeps a
    verdict until the mutated function's own source changes, whatever changed in the functions it
    calls or in the tests, so a sample meant to measure the current tests must be run afresh. The
    number of verdicts forgotten."""
    count = 0
    for meta in sorted(mutants_dir.rglob("*.py.meta")):
        data = json.loads(meta.read_text())
        codes = data["exit_code_by_key"]
        stale = [name for name in codes if name in chosen and codes[name] is not None]
        if stale:
            codes.update(dict.fromkeys(stale, None))
            meta.write_text(json.dumps(data, indent=4))
            count += len(stale)
    return count


CLI = Path(__file__).with_name("mutmut_cli.py")  # mutmut, with the agents named as imported


def generate() -> int:
    """Have mutmut write `mutants/` (the mutated copy and each file's .meta, verdicts kept for
    unchanged functions, None for new or changed ones) without running a test, as the first step
    of `mutmut run` does; mutmut's exit status."""
    return subprocess.run([sys.executable, str(CLI), "generate"], cwd=ROOT).returncode


def run(modules: list[str], statuses: tuple[str, ...], skip: frozenset[str] = frozenset(),
        only: frozenset[str] | None = None, nice: int = 19) -> int:
    """Run mutmut (at niceness `nice`, both cores), in one run, on the mutants of `modules` with
    those verdicts, but not those in `skip` (the equivalent ones: they survive whatever the
    tests) and, given `only` (a sample), only those in it."""
    todo = []
    for module in modules:
        mine = [n for n in names(module, statuses) if n not in skip and (only is None or n in only)]
        print(f"{module}: {len(mine)} mutants to run", flush=True)
        todo += mine
    if not todo:
        return 0
    env = {**os.environ, "PYTHONPATH": str(MUTANTS_DIR)}  # worker processes import the mutated code
    return subprocess.run(["nice", "-n", str(nice), sys.executable, str(CLI), "run", "--max-children", "2", *todo],
                          cwd=ROOT, env=env).returncode


def report_stale(stale: list[str], equivalent_file: Path) -> None:
    """One line on stderr per stale entry of the equivalent list (`equivalents.check`)."""
    for line in stale:
        print(f"{equivalent_file.name}: stale entry, neither skipped nor left out of the score: {line}", file=sys.stderr)


def main(argv: list[str] | None = None, report: Path = REPORT, mutants_dir: Path = MUTANTS_DIR,
         equivalent_file: Path = EQUIVALENT, samples_file: Path = SAMPLES) -> int:
    parser = argparse.ArgumentParser(description="mutmut's scores into docs/verification.md (module docstring)")
    parser.add_argument("--run", metavar="MODULE", nargs="+",
                        help="first run mutmut (one run) on the MODULEs' mutants not yet run")
    parser.add_argument("--survivors", action="store_true",
                        help="with --run: also rerun its survivors and those without tests (not those listed as equivalent)")
    parser.add_argument("--sample", metavar="FRACTION", type=float,
                        help="only a seeded simple random sample of FRACTION of each module's mutants (0 < FRACTION ≤ 1)")
    parser.add_argument("--seed", type=int, default=1, help="with --sample: the sample's seed (default 1)")
    parser.add_argument("--minimum", type=int, default=30,
                        help="with --sample: at least this many mutants per module (default 30)")
    parser.add_argument("--known-seed", type=int, nargs="+", default=[], metavar="SEED",
                        help="with --sample: draw from each module's mutants outside the samples of these seeds "
                             "(same fraction and minimum, each drawn outside the ones before it, or as recorded), "
                             "whose mutants were seen; the estimate takes them whole (their mutants run too, with --run)")
    parser.add_argument("--fresh", action="store_true",
                        help="with --run and --sample: first forget the stored verdicts of the sample's and the "
                             "--known-seed samples' mutants, so that each runs against the current code and tests")
    parser.add_argument("--fresh-sample", action="store_true",
                        help="with --run and --sample: forget the stored verdicts of the fresh sample's mutants only; "
                             "the --known-seed samples keep theirs (a kill stays valid while the mutated function is "
                             "unchanged and tests were only added), and with --survivors their survivors, mutants "
                             "without tests and those not run are run")
    parser.add_argument("--part", choices=("all", "fresh", "earlier"), default="all",
                        help="with --run and --sample: run the mutants of every sample (all, the default), of the "
                             "fresh sample only, or of the --known-seed samples only (e.g. the fresh one first "
                             "on a loaded machine, then the earlier ones without touching the fresh one's)")
    parser.add_argument("--nice", type=int, default=19, help="with --run: mutmut's niceness (default 19, lowest)")
    args = parser.parse_args(argv)
    if args.sample is not None and not 0.0 < args.sample <= 1.0:
        parser.error(f"--sample: the fraction must be in (0, 1], not {args.sample}")
    if args.minimum < 0:
        parser.error(f"--minimum: must be ≥ 0, not {args.minimum}")
    if args.sample is None and (args.known_seed or args.fresh or args.fresh_sample):
        parser.error("--known-seed, --fresh and --fresh-sample need --sample")
    if (args.fresh or args.fresh_sample or args.part != "all") and (not args.run or args.sample is None):
        parser.error("--fresh, --fresh-sample and --part need --run and --sample")
    if args.fresh and args.fresh_sample:
        parser.error("--fresh forgets every sample's verdicts, --fresh-sample only the fresh one's: give one")
    if args.seed in args.known_seed or len(set(args.known_seed)) < len(args.known_seed):
        parser.error(f"--known-seed: each seed once, none equal to --seed ({args.seed})")
    entries = load(equivalent_file)
    if args.run and generate() != 0:
        return 1
    equivalent, stale = check(entries, mutants_dir)  # only the entries still pinned to their mutation count
    found = verdicts(mutants_dir)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip() or "unknown"
    seeds = [*args.known_seed, args.seed]
    pinned = {} if args.sample is None else recorded(args.sample, args.minimum, samples_file)
    drawn = [] if args.sample is None else draw(found, args.sample, seeds, args.minimum, pinned)
    earlier = {m: sorted(n for s in drawn[:-1] for n in s.get(m, ())) for m in found} if args.known_seed else {}
    sample = drawn[-1] if drawn else None
    if args.run:
        only = None if sample is None else frozenset(n for s in drawn for n in (x for v in s.values() for x in v))
        if sample is not None:  # pin what was drawn now, so that later runs take the same mutants
            record({s: d for s, d in zip(seeds, drawn, strict=True) if s not in pinned}, args.sample, args.minimum, commit, samples_file)
        fresh = frozenset(() if sample is None else (x for v in sample.values() for x in v))
        if args.fresh:
            print(f"forgot {forget(only, mutants_dir)} stored verdicts of the samples' mutants", flush=True)
        elif args.fresh_sample:
            print(f"forgot {forget(fresh, mutants_dir)} stored verdicts of seed {args.seed}'s mutants", flush=True)
        if args.part != "all":
            only = fresh if args.part == "fresh" else only - fresh
        report_stale(stale, equivalent_file)  # run like any other mutant
        return run(args.run, (NOT_RUN, SURVIVED, NO_TESTS) if args.survivors else (NOT_RUN,), skip=frozenset(equivalent),
                   only=only, nice=args.nice)
    tallies = tally(mutants_dir, equivalent, sample)
    known = tally(mutants_dir, equivalent, earlier) if earlier else {}
    if not tallies:  # before the stale entries: with no results every entry would look stale
        print(f"no mutmut results in {mutants_dir}: run `make mutation` first", file=sys.stderr)
        return 1
    report_stale(stale, equivalent_file)
    design = None if sample is None else SampleDesign(args.sample, args.seed, args.minimum,
                                                      {m: len(v) for m, v in found.items()}, tuple(args.known_seed), known)
    write(render(tallies, equivalent, commit, date.today().isoformat(), design), report)
    print(f"wrote {report}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
