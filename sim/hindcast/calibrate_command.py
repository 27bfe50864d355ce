"""The `calibrate` subcommand: parse, call `sim.hindcast.calibrate.calibrate`, print.

Added to `python run.py` by `add_commands`, called from `sim.program.cli.build_parser`; bad input is a
`UserError` (one line each, exit status 2), raised before anything is written.
"""

from __future__ import annotations

import argparse
import sys
import textwrap

from sim.experiments.command import ENGINE_HELP, WORKERS
from sim.program.disclaimer import DISCLAIMER
from sim.program.flags import out_flag, path_flag
from sim.program.written import FORCE_HELP_BY_NAME


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.hindcast.calibrate import calibrate

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    result = calibrate(args.calibration, out=args.out, resume=args.resume, force=args.force, workers=args.workers,
                       dask=args.dask, progress=not args.quiet, charts=not args.no_charts, log=log)
    print(result.intervals.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    covered = result.predictive["covered"]
    print(f"posterior-predictive 90 % intervals cover {int(covered.sum())} of {len(covered)} observed statistics")
    print(f"wrote {result.folder} ({result.seconds:.0f} s wall, {result.cpu_seconds:.0f} s CPU)")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser(
        "calibrate", help="ABC-SMC calibration of scenario parameters against pattern statistics",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=textwrap.dedent("""\
            Calibrate the parameters a calibration file names (scenario key paths with priors) by
            ABC-SMC (pyabc) against statistics of the training window, and write the posterior
            sample (posterior.csv, with weights), its intervals, the marginals chart, the pair plot,
            a posterior-predictive report and the provenance into OUT. Give OUT to run or compare
            as --posterior to carry the calibration's uncertainty into a what-if.
            See docs/experiments.md for the file format.
            """) + DISCLAIMER,
        epilog=ENGINE_HELP + "\n\ndurability: finished generations are kept in OUT/abc.db; after an "
        "interruption run the same\ncommand with --resume --out OUT.\n\nexample:\n  python run.py calibrate "
        "scenarios/calibration/corridor_2017_2018.yaml --workers 2")
    p.add_argument("calibration", type=path_flag, help="calibration file (YAML)")
    p.add_argument("--out", type=out_flag, metavar="DIR",
                   help="output folder (default: a new timestamped folder under outputs/calibration/)")
    p.add_argument("--workers", type=WORKERS, metavar="N",
                   help="worker processes (default: the number of CPUs; 1 = run in this process)")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="run on Dask: 'local' starts a local cluster, tcp://host:8786 uses an existing one")
    p.add_argument("--resume", action="store_true", help="continue an interrupted calibration given by --out")
    p.add_argument("--force", action="store_true", help=FORCE_HELP_BY_NAME)
    p.add_argument("--no-charts", action="store_true", help="write the tables and report but no charts")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no note of places the map moves")
    p.set_defaults(func=cmd_calibrate)
