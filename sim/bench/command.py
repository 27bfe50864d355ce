"""The `bench` subcommand: `python run.py bench [model|sweep|campaign]`.

`model` (the default, as `make bench` runs it) measures the model's cost per agent-step and
memory against Mesa's Epstein example (`sim.bench.step_cost`, several minutes); `sweep`
measures the experiment engine's speed-up, overhead per run and memory
(`sim.bench.sweep_engine`); `campaign` the CPU seconds of a year of the campaign at 1 km/1 h
and 2 km/2 h and of the hindcast's training window at 3 km/3 h (`sim.bench.campaign`). Each
suite's options are refused with the others.
"""

from __future__ import annotations

import argparse
import textwrap

from sim.program.errors import UserError
from sim.program.flags import number, out_flag, whole_number

DESCRIPTION = textwrap.dedent("""\
    Measure what Corridor costs on this machine, in CPU seconds of the process
    (time.process_time: on a shared machine, wall time also measures the neighbours), one
    suite at a time:

      model     (the default; several minutes) the model's cost per agent-step and its peak
                memory, the default scenario scaled from 1k to 32k agents and from 2 km to
                0.5 km cells, against Mesa's Epstein civil-violence example at 40 × 40 to
                200 × 200 cells, each in its own process; writes bench.csv, bench.png and
                figures.json into --out (default: a new outputs/bench_<date>-<time> folder)
      sweep     the experiment engine: the speed-up of 2 workers over 1 on --runs short runs,
                the overhead per run, and the peak memory of a --small and a --large sweep;
                prints its figures (its sweeps go to a temporary folder, deleted after)
      campaign  a year of corridor_campaign at 1 km / 1 h and at 2 km / 2 h, and the
                hindcast's 408-day training window at 3 km / 3 h (seed 1), beside their
                targets; prints a row per run (--profile, --stages: where the time goes) and
                writes nothing

    docs/performance.md holds the figures measured so far.""")

RUNS = whole_number(1, 100_000)  # runs of one benchmark sweep, as replicates in a sweep file

#: the options of the sweep suite, with their defaults
SWEEP_DEFAULTS = {"runs": 120, "small": 200, "large": 2000}
#: the options of the campaign suite, with their defaults
CAMPAIGN_DEFAULTS = {"days": None, "profile": 0, "stages": False}  # days None: each row's own horizon


def _refuse_others(args: argparse.Namespace) -> None:
    """A suite's options given to another suite are a UserError naming them and their suite."""
    owners = {"out": "model", **dict.fromkeys(SWEEP_DEFAULTS, "sweep"), **dict.fromkeys(CAMPAIGN_DEFAULTS, "campaign")}
    alien = [f"--{k} (an option of `bench {suite}`)" for k, suite in owners.items()
             if suite != args.suite and getattr(args, k) is not None]
    if alien:
        raise UserError(f"bench {args.suite} does not take {', '.join(alien)}")


def cmd_bench(args: argparse.Namespace) -> int:
    _refuse_others(args)
    if args.suite == "model":
        from sim.bench.step_cost import main

        return main(args.out)
    if args.suite == "campaign":
        from sim.bench.campaign import main

        return main(**{k: default if getattr(args, k) is None else getattr(args, k)
                       for k, default in CAMPAIGN_DEFAULTS.items()})
    from sim.bench.sweep_engine import main

    return main(**{k: default if getattr(args, k) is None else getattr(args, k)
                   for k, default in SWEEP_DEFAULTS.items()})


def add_commands(sub) -> None:
    """Add `bench` to the subcommands of `python run.py`."""
    p = sub.add_parser("bench", help="measure step cost and memory against Mesa's Epstein example "
                       "(several minutes), the sweep engine's speed-up and memory, or the CPU "
                       "seconds of a year of the campaign",
                       formatter_class=argparse.RawDescriptionHelpFormatter, description=DESCRIPTION)
    p.add_argument("suite", nargs="?", choices=("model", "sweep", "campaign"), default="model",
                   help="model: the model against Mesa (default); sweep: the experiment engine; "
                   "campaign: a year of corridor_campaign at 1 km/1 h and 2 km/2 h, the hindcast's "
                   "training window at 3 km/3 h")
    p.add_argument("--out", type=out_flag, help="model: folder for bench.csv, bench.png, figures.json")
    p.add_argument("--runs", type=RUNS, metavar="N",
                   help=f"sweep: runs in the speed-up sweep (default {SWEEP_DEFAULTS['runs']})")
    p.add_argument("--small", type=RUNS, metavar="N",
                   help=f"sweep: runs in the small memory sweep (default {SWEEP_DEFAULTS['small']})")
    p.add_argument("--large", type=RUNS, metavar="N",
                   help=f"sweep: runs in the large memory sweep (default {SWEEP_DEFAULTS['large']})")
    p.add_argument("--days", type=number(0.0, 3650.0, noun="a number of days"), metavar="D",
                   help="campaign: simulated days of every run (default: a year of the campaign, the "
                   "hindcast's 408-day training window)")
    p.add_argument("--profile", type=whole_number(1, 200), metavar="N",
                   help="campaign: also print the N costliest functions of each run (cProfile)")
    p.add_argument("--stages", action="store_const", const=True,
                   help="campaign: also print the CPU time of each stage of the step (sim/bench/stages.py)")
    p.set_defaults(func=cmd_bench)
