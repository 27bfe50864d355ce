"""The `bench` subcommand: `python run.py bench [model|sweep]`.

`model` (the default, as `make bench` runs it) measures the model's cost per agent-step and
memory against Mesa's Epstein example (`sim.bench.step_cost`, several minutes); `sweep`
measures the experiment engine's speed-up, overhead per run and memory
(`sim.bench.sweep_engine`). Each suite's options are refused with the other.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.program.errors import UserError
from sim.program.flags import whole_number

RUNS = whole_number(1, 100_000)  # runs of one benchmark sweep, as replicates in a sweep file

#: the options of the sweep suite, with their defaults
SWEEP_DEFAULTS = {"runs": 120, "small": 200, "large": 2000}


def cmd_bench(args: argparse.Namespace) -> int:
    sweep_given = [f"--{k}" for k in SWEEP_DEFAULTS if getattr(args, k) is not None]
    if args.suite == "model":
        if sweep_given:
            raise UserError(f"bench model does not take {', '.join(sweep_given)}: options of `bench sweep`")
        from sim.bench.step_cost import main

        return main(args.out)
    if args.out is not None:
        raise UserError("bench sweep does not take --out: an option of `bench model` (the sweep benchmark writes no files)")
    from sim.bench.sweep_engine import main

    return main(**{k: default if getattr(args, k) is None else getattr(args, k)
                   for k, default in SWEEP_DEFAULTS.items()})


def add_commands(sub) -> None:
    """Add `bench` to the subcommands of `python run.py`."""
    p = sub.add_parser("bench", help="measure step cost and memory against Mesa's Epstein example "
                       "(several minutes), or the sweep engine's speed-up and memory")
    p.add_argument("suite", nargs="?", choices=("model", "sweep"), default="model",
                   help="model: the model against Mesa (default); sweep: the experiment engine")
    p.add_argument("--out", type=Path, help="model: folder for bench.csv, bench.png, figures.json")
    p.add_argument("--runs", type=RUNS, metavar="N",
                   help=f"sweep: runs in the speed-up sweep (default {SWEEP_DEFAULTS['runs']})")
    p.add_argument("--small", type=RUNS, metavar="N",
                   help=f"sweep: runs in the small memory sweep (default {SWEEP_DEFAULTS['small']})")
    p.add_argument("--large", type=RUNS, metavar="N",
                   help=f"sweep: runs in the large memory sweep (default {SWEEP_DEFAULTS['large']})")
    p.set_defaults(func=cmd_bench)
