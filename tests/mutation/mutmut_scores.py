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

    python tests/mutation/mutmut_scores.py --sample 0.05 --seed 3 --known-seed 1 2 --fresh --run sim.submodels sim.rules agents

`mutmut run "MODULE.*"` reruns every mutant of the module; `--run` (one or more modules, one mutmut
run, so one run of the clean tests) hands mutmut only the names of the modules' mutants not yet
run (with `--survivors` also those that survived or had no test, after a test was added; never
those listed as equivalent), so an interrupted run resumes where it stopped. Either way mutmut
first runs the new tests once to learn which functions they reach. `--run` first has mutmut
(re)generate the mutants of changed files (verdicts of changed functions reset), so that they can
be sampled. mutmut runs through tests/mutation/mutmut_cli.py, which names the agents' mutants `sim.agents.…`,
the module they are imported as (without it mutmut could not run them).

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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sampling import stratified_share, successive_samples, wilson_interval  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MUTANTS_DIR = ROOT / "mutants"
EQUIVALENT = Path(__file__).with_name("equivalent.yaml")
SAMPLES = Path(__file__).with_name("samples.json")  # {seed: {fraction, minimum, commit, names}} as drawn
REPORT = ROOT / "docs" / "verification.md"
BEGIN, END = "<!-- mutmut:begin -->", "<!-- mutmut:end -->"
# the mechanism modules, in the order `make mutation` runs them (pyproject.toml's only_mutate)
MODULES = ("sim/submodels/engagement.py", "sim/submodels/influence.py", "sim/submodels/holding.py",
           "sim/submodels/economy.py", "sim/submodels/population.py", "sim/submodels/tension.py",
           "sim/submodels/timeline.py", "sim/submodels/front.py", "sim/rules/*.py", "agents/*.py")
# mutmut's exit codes (mutmut/stats.py) folded into the columns of the table
KILLED, SURVIVED, TIMEOUT, NO_TESTS, NOT_RUN = "killed", "survived", "timeout", "no tests", "not run"
STATUS = {1: KILLED, 3: KILLED, 37: KILLED, 0: SURVIVED, 36: TIMEOUT, 24: TIMEOUT, -24: TIMEOUT,
          152: TIMEOUT, 255: TIMEOUT, 5: NO_TESTS, 33: NO_TESTS, None: NOT_RUN,
          -15: NOT_RUN}  # -15: the mutant's run was stopped (SIGTERM) before its verdict


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

    def killed_judged(self) -> tuple[int, int]:
        """(killed, judged): judged = run and not equivalent; timeouts count as killed (mutmut's
        convention: the mutant made the tests loop), a mutant no selected test reaches as not
        killed (the tests cannot see it break), mutants not yet run are left out."""
        killed = self.counts.get(KILLED, 0) + self.counts.get(TIMEOUT, 0)
        return killed, killed + self.counts.get(SURVIVED, 0) + self.counts.get(NO_TESTS, 0)

    def score(self) -> float | None:
        """Killed ÷ judged (`killed_judged`), in %; None when none is judged."""
        killed, judged = self.killed_judged()
        return 100.0 * killed / judged if judged else None


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


def tally(mutants_dir: Path = MUTANTS_DIR, equivalent: dict[str, str] | None = None,
          sample: dict[str, list[str]] | None = None) -> tuple[dict[str, Tally], list[str]]:
    """({module pattern: Tally}, equivalent names that match no generated mutant); with `sample`
    ({module pattern: names}) only the sampled mutants are counted (`generated` = sampled)."""
    equivalent = equivalent or {}
    tallies: dict[str, Tally] = {}
    seen = set()
    for pattern, statuses in verdicts(mutants_dir).items():
        seen |= set(statuses)
        chosen = statuses if sample is None else sample.get(pattern, [])
        for name in chosen:
            tallies.setdefault(pattern, Tally()).add(statuses[name], name in equivalent)
    return tallies, sorted(set(equivalent) - seen)


@dataclass
class SampleDesign:
    """How the mutants were sampled: `fraction` of each module's (at least `minimum`), drawn with
    `seed`; `population` = {module pattern: mutants generated}. With `known_seeds`, the sample was
    drawn from the mutants outside those seeds' samples (same fraction and minimum), and `known`
    ({module pattern: Tally}) counts those earlier samples, taken whole: a take-all stratum of
    the estimate (sampling.stratified_share)."""

    fraction: float
    seed: int
    minimum: int
    population: dict[str, int]
    known_seeds: tuple[int, ...] = ()
    known: dict[str, Tally] = field(default_factory=dict)

    def seeds_named(self, joiner: str = " and ") -> str:
        """The earlier seeds as words: "1 and 2"."""
        return joiner.join(str(s) for s in self.known_seeds)


def _score_cell(t: Tally, bold: bool = False) -> str:
    """The score, and with a sample its Wilson 95 % interval: "93.3 % [78.7, 98.2]"."""
    killed, judged = t.killed_judged()
    if not judged:
        return "–"
    low, high = wilson_interval(killed, judged)
    text = f"{100.0 * killed / judged:.1f} % [{100 * low:.1f}, {100 * high:.1f}]"
    return f"**{text}**" if bold else text


def _known_cell(design: SampleDesign, pattern: str | None = None) -> list[str]:
    """The column of the earlier sample taken whole, "killed / judged" (all modules when no
    pattern); no column without `known_seeds`."""
    if not design.known_seeds:
        return []
    known = list(design.known.values()) if pattern is None else [design.known.get(pattern, Tally())]
    killed, judged = (sum(t.killed_judged()[i] for t in known) for i in (0, 1))
    return [f"{killed} / {judged}"]


def estimate(tallies: dict[str, Tally], design: SampleDesign, not_run: str | None = None) -> tuple[float, float, float]:
    """The killed share of all of `design.population`'s non-equivalent mutants and its 95 %
    interval, as fractions (sampling.stratified_share): each module a stratum of its mutants
    weighted by their number; with `known_seeds`, split into the earlier sample (`design.known`, a
    take-all stratum of its size) and the rest (the sampled stratum, of the module's size less the
    earlier sample's). The mutants not yet run (sampled or earlier) are left out, or with
    `not_run` (KILLED or SURVIVED) counted as such: the bounds of what the unfinished run can still give."""
    def settled(t: Tally) -> Tally:
        if not_run is None:
            return t
        return Tally(t.generated, {**t.counts, NOT_RUN: 0, not_run: t.counts.get(not_run, 0) + t.counts.get(NOT_RUN, 0)},
                     t.equivalent)

    sampled, known = [], []
    for m, t in tallies.items():
        t, earlier = settled(t), settled(design.known.get(m, Tally()))
        sampled.append((design.population.get(m, t.generated) - earlier.generated, *reversed(t.killed_judged())))
        if earlier.generated:
            known.append((earlier.generated, *reversed(earlier.killed_judged())))
    return stratified_share(sampled, known=known)


def render(tallies: dict[str, Tally], equivalent: dict[str, str], commit: str, day: str,
           design: SampleDesign | None = None) -> str:
    """The block's text (between the markers); with `design`, of a sample (`tallies` counting
    the sampled mutants only)."""
    cols = (KILLED, SURVIVED, TIMEOUT, NO_TESTS, NOT_RUN)
    known = design is not None and bool(design.known_seeds)
    command = ("python tests/mutation/mutmut_scores.py" if design is None else
               f"python tests/mutation/mutmut_scores.py --sample {design.fraction:g} --seed {design.seed}"
               f" --minimum {design.minimum}" + (f" --known-seed {design.seeds_named(' ')}" if known else ""))
    lines = [BEGIN, f"Written by `{command}` from mutmut's results, {day}, commit `{commit}`.", ""]
    if design is not None:
        n = sum(t.generated for t in tallies.values())
        beside = (f" drawn from the mutants outside the samples of seeds {design.seeds_named()} (whose mutants, "
                  f"taken whole, are counted in the column *seeds {design.seeds_named()}*: killed / judged)") if known else ""
        lines += [
            f"**A sample, not the full run**: {n} of the {sum(design.population.values())} mutants, a "
            f"simple random sample of {design.fraction:.0%} of each module's mutants (at least "
            f"{design.minimum}), seed {design.seed}{beside} (tests/mutation/sampling.py). The score is the "
            "killed share of the sampled non-equivalent mutants, with its Wilson 95 % interval; "
            "`make mutation` runs every mutant.",
            "",
            "| module | mutants | " + (f"seeds {design.seeds_named()} | " if known else "") + "sampled | killed | survived "
            "| equivalent | timeout | no tests | not run | score [95 % interval] |",
            "|---|---|---|---|---|---|---|---|---|---|" + ("---|" if known else ""),
        ]
    else:
        lines += ["| module | generated | killed | survived | equivalent | timeout | no tests | not run | score |",
                  "|---|---|---|---|---|---|---|---|---|"]
    total = Tally()
    for pattern in [m for m in MODULES if m in tallies] + sorted(set(tallies) - set(MODULES)):
        t = tallies[pattern]
        k, s, to, nt, nr = (t.counts.get(c, 0) for c in cols)
        if design is None:
            score = t.score()
            cells = [t.generated, k, s, t.equivalent, to, nt, nr, f"{score:.1f} %" if score is not None else "–"]
        else:
            cells = [design.population.get(pattern, t.generated), *_known_cell(design, pattern), t.generated,
                     k, s, t.equivalent, to, nt, nr, _score_cell(t)]
        lines.append(f"| `{pattern}` | " + " | ".join(str(c) for c in cells) + " |")
        total.generated += t.generated
        total.equivalent += t.equivalent
        for c, n in t.counts.items():
            total.counts[c] = total.counts.get(c, 0) + n
    k, s, to, nt, nr = (total.counts.get(c, 0) for c in cols)
    if design is None:
        score = total.score()
        cells = [total.generated, k, s, total.equivalent, to, nt, nr,
                 f"**{score:.1f} %**" if score is not None else "–"]
    else:
        cells = [sum(design.population.values()), *_known_cell(design), total.generated, k, s,
                 total.equivalent, to, nt, nr, _score_cell(total, bold=True)]
    lines.append("| **total** | " + " | ".join(str(c) for c in cells) + " |")
    if design is not None:
        share, low, high = estimate(tallies, design)
        whole = (f"; each module's mutants of the samples of seeds {design.seeds_named()} are a take-all stratum, known without "
                 f"sampling error, and the rest of the module a stratum sampled by seed {design.seed}, so the "
                 f"interval is the seed-{design.seed} part's (§5A.13)") if known else ""
        lines += ["", f"Weighting each module by its number of mutants (a stratified estimate, Cochran 1977 "
                  f"§5.3{whole}): **{100 * share:.1f} % [{100 * low:.1f}, {100 * high:.1f}]** (normal approximation). "
                  "The pooled total above counts the small modules, raised to the minimum, more than their share."]
        unrun = [sum(t.counts.get(NOT_RUN, 0) for t in group.values()) for group in (tallies, design.known)]
        if sum(unrun):
            worst, best = (100 * estimate(tallies, design, s)[0] for s in (SURVIVED, KILLED))
            earlier = f" and {unrun[1]} of the earlier samples'" if known else ""
            lines += ["", f"**Unfinished**: {unrun[0]} sampled mutants{earlier} "
                      f"not run yet; had they all survived the estimate would be {worst:.1f} %, had they all "
                      f"been killed {best:.1f} % (the figure above leaves them out, and mutmut runs the cheapest "
                      "first, so those left are the costliest: survivors run every test that reaches them)."]
    lines += [
        "",
        "score = (killed + timeout) ÷ (killed + timeout + survived + no tests), equivalent mutants "
        "excluded: *no tests* (no selected test reaches the function) counts as not killed; mutants "
        "*not run* (mutmut has not reached them) are left out, so a module's score says nothing of them."
        + ("" if design is None else
           " The total pools the modules' samples (the sampled share is the same in every module "
           "but those raised to the minimum, so the pooled share weights them a little more)."),
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
    parser.add_argument("--nice", type=int, default=19, help="with --run: mutmut's niceness (default 19, lowest)")
    args = parser.parse_args(argv)
    if args.sample is not None and not 0.0 < args.sample <= 1.0:
        parser.error(f"--sample: the fraction must be in (0, 1], not {args.sample}")
    if args.minimum < 0:
        parser.error(f"--minimum: must be ≥ 0, not {args.minimum}")
    if args.sample is None and (args.known_seed or args.fresh):
        parser.error("--known-seed and --fresh need --sample")
    if args.fresh and not args.run:
        parser.error("--fresh needs --run")
    if args.seed in args.known_seed or len(set(args.known_seed)) < len(args.known_seed):
        parser.error(f"--known-seed: each seed once, none equal to --seed ({args.seed})")
    equivalent = yaml.safe_load(equivalent_file.read_text()) or {}
    if args.run and generate() != 0:
        return 1
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
        if args.fresh:
            print(f"forgot {forget(only, mutants_dir)} stored verdicts of the samples' mutants", flush=True)
        return run(args.run, (NOT_RUN, SURVIVED, NO_TESTS) if args.survivors else (NOT_RUN,), skip=frozenset(equivalent),
                   only=only, nice=args.nice)
    tallies, stale = tally(mutants_dir, equivalent, sample)
    known = tally(mutants_dir, equivalent, earlier)[0] if earlier else {}
    if not tallies:  # before the stale entries: with no results every entry would look stale
        print(f"no mutmut results in {mutants_dir}: run `make mutation` first", file=sys.stderr)
        return 1
    for name in stale:
        print(f"{equivalent_file.name}: {name} is not a mutant mutmut generated (stale entry)", file=sys.stderr)
    design = None if sample is None else SampleDesign(args.sample, args.seed, args.minimum,
                                                      {m: len(v) for m, v in found.items()}, tuple(args.known_seed), known)
    write(render(tallies, equivalent, commit, date.today().isoformat(), design), report)
    print(f"wrote {report}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
