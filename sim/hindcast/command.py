"""The `hindcast` subcommand: parse, call `sim.hindcast.report.run_hindcast`, print.

Added to `python run.py` by `add_commands`, called from `sim.program.cli.build_parser`. Errors a user
can fix (a bad window, record folder or mapping file) are `UserError`s: one line, exit status 2.
"""

from __future__ import annotations

import argparse
import textwrap

from sim.program.disclaimer import DISCLAIMER
from sim.program.flags import path_flag, scenario_flag

#: the shipped record's window (scenarios/record/): the training window
TRAINING_WINDOW = "2017-11-19:2018-12-31"


def add_commands(sub) -> None:
    """Add `hindcast` to the main parser's subparsers."""
    from sim.experiments.command import ENGINE_HELP, REPLICATES, RESUME_HELP, _engine_options

    p = sub.add_parser(
        "hindcast", help="replicates of a scenario against the record: events, strikes and holders, with charts",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=textwrap.dedent("""\
            Run a scenario --replicates times (replicate r with the seed it has in `compare`) and
            compare the runs with the record over --window (pattern-oriented validation): violent
            events per month by region and dyad, deaths per event, air strikes per month, and the
            holder of each named place on the first of each month. Writes report.md, scores.json
            (coverage of the observed monthly counts by the simulated 90 % bands; place-month
            agreement of holders; beside each, a null model from the record alone: a Poisson
            climatology of the counts, persistence of the holders and the model's share of the
            place-months whose holder changed), patterns.csv and the charts (events per region,
            strikes, event density, holders) and milestones.csv (the ISIS pocket until the
            offensive, the day its first objective fell, rivals hostile by the window's end).
            With --posterior each replicate draws its parameters from a calibration's posterior
            (the posterior-predictive check). Any window works: a window the calibration never
            saw is an out-of-sample test. See docs/hindcast.md.
            """) + DISCLAIMER,
        epilog=ENGINE_HELP + "\n\n" + RESUME_HELP + "\n\nexample:\n  python run.py hindcast corridor_campaign "
        "--replicates 30 --window 2017-11-19:2018-10-31 --workers 2")
    p.add_argument("scenario", type=path_flag, help="scenario YAML, or a library name such as corridor_campaign")
    p.add_argument("--replicates", type=REPLICATES, default=30, metavar="N", help="replicates (default 30)")
    p.add_argument("--window", default=TRAINING_WINDOW, metavar="START:END",
                   help=f"the dates compared, ISO, both included (default {TRAINING_WINDOW}, the shipped record)")
    p.add_argument("--record", type=path_flag, metavar="FOLDER",
                   help="folder of record CSV files: UCDP GED, ACLED, events tables, holders (default: the "
                        "shipped scenarios/record/)")
    p.add_argument("--mapping", type=path_flag, metavar="FILE",
                   help="actor/faction/place mapping YAML (default: the record folder's mapping.yaml)")
    p.add_argument("--seed", type=scenario_flag("seed"), metavar="S", help="root seed (default: the scenario's seed)")
    p.add_argument("--set", action="append", metavar="KEY.PATH=VALUE",
                   help="override a scenario value, e.g. time.duration_days=400 (repeatable); give a "
                        "calibration's own `set` (its resolution) with its --posterior")
    p.add_argument("--posterior", type=path_flag, metavar="FOLDER",
                   help="draw each replicate's parameters from this calibration folder's posterior "
                        "(python run.py calibrate)")
    _engine_options(p)
    p.set_defaults(func=cmd_hindcast)


def cmd_hindcast(args: argparse.Namespace) -> int:
    from sim.experiments.command import _plan_log
    from sim.hindcast.posterior import read_posterior
    from sim.hindcast.record import Window
    from sim.hindcast.report import few_replicates_note, run_hindcast
    from sim.program.folders import SCENARIOS
    from sim.scenario import parse_sets
    from sim.scenario.library import find_in_library

    window = Window.parse(args.window)
    scenario = find_in_library(args.scenario, SCENARIOS)
    posterior = read_posterior(args.posterior) if args.posterior else None
    result = run_hindcast(scenario, window=window, replicates=args.replicates, record=args.record,
                          mapping_file=args.mapping, seed=args.seed, sets=parse_sets(args.set), workers=args.workers,
                          dask=args.dask, out=args.out, resume=args.resume, force=args.force,
                          progress=not args.quiet, charts=not args.no_charts, log=_plan_log(args),
                          posterior=posterior)
    s, session = result.scores, result.session

    def share(score: dict) -> str:
        return "n/a" if score["share"] is None else f"{score['share']:.0%} of {score['of']}"

    print(f"  {session.text()}")
    print(f"  90 % bands cover the observed month × region counts: all events {share(s['coverage_90|all'])}, "
          f"IS – government {share(s['coverage_90|government_russia-isis'])}, "
          f"IS – SDF {share(s['coverage_90|isis-sdf_coalition'])}")
    if note := few_replicates_note(args.replicates):
        print(f"  note: {note}")
    print(f"  null (climatology: a Poisson at each series' window mean): all events {share(s['climatology_90|all'])}, "
          f"IS – government {share(s['climatology_90|government_russia-isis'])}, "
          f"IS – SDF {share(s['climatology_90|isis-sdf_coalition'])}")
    if s["holder_agreement"]["of"]:
        print(f"  holders: the model's most likely holder is the record's in {share(s['holder_agreement'])} place-months "
              f"(null, persistence: {share(s['holder_persistence'])}); on the place-months whose holder changed: "
              f"{share(s['holder_changes'])}")
    else:  # holders are compared on the 1st of each month
        print("  holders: nothing to compare (no 1st of a month in the window, or the record names no holder in it)")
    print(f"  air strikes per month: record {s['strikes_per_month']['observed']:.2f}, simulated median "
          f"{s['strikes_per_month']['simulated_median']:.2f}, mean {s['strikes_per_month']['simulated_mean']:.2f}")
    if "pocket" in s:
        pk = s["pocket"]
        print(f"  the pocket stood until the offensive in {pk['stood']} of {pk['of']} runs; "
              f"{pk['objectives'][0]} fell in {len(pk['fell'])} of {len(result.milestones)} "
              f"(taken by the offensive, median {pk['median_fall'] or 'not within the run'}; ISIS lost the hold, "
              f"median {pk['median_lost_hold'] or 'not within the run'})")
    for key in (k for k in s if k.startswith("hostile|")):
        print(f"  {key.split('|')[1]} hostile by {s[key]['by']} in {s[key]['runs']} of {s[key]['of']} runs")
    print(f"  wrote {result.folder}: report.md, scores.json, patterns.csv" + (", charts" if result.files else ""))
    print(f"  {DISCLAIMER}")
    return 0
