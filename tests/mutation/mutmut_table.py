"""The table of mutmut's scores and the estimate of the score, for docs/verification.md (the
section "Mutation testing by a tool"): the statuses mutmut's exit codes fold into, a module's
counts (`Tally`), how a sample was drawn (`SampleDesign`), Cochran's stratified estimate over
the modules with its 95 % interval and the bounds of an unfinished run (`estimate`), and the
block between the markers (`render`, `write`). tests/mutation/mutmut_scores.py reads mutmut's
results, samples and runs mutmut, and calls these.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from equivalents import Equivalent  # noqa: E402
from sampling import stratified_share, wilson_interval  # noqa: E402

REPORT = Path(__file__).resolve().parents[2] / "docs" / "verification.md"
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


def render(tallies: dict[str, Tally], equivalent: dict[str, Equivalent], commit: str, day: str,
           design: SampleDesign | None = None) -> str:
    """The block's text (between the markers); with `design`, of a sample (`tallies` counting
    the sampled mutants only); `equivalent`: the entries of the equivalent list that were left
    out (tests/mutation/equivalents.py), each listed with its change and reason."""
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
    lines += [f"* `{name}` ({entry.change}): {entry.why}" for name, entry in sorted(equivalent.items())] or ["* none"]
    lines.append(END)
    return "\n".join(lines)


def write(block: str, report: Path = REPORT) -> None:
    """Replace the block between BEGIN and END of `report`, leaving the rest as it is."""
    text = report.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{report.name}: the markers {BEGIN} and {END} are missing")
    head, rest = text.split(BEGIN, 1)
    report.write_text(head + block + rest.split(END, 1)[1])
