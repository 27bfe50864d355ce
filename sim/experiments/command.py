"""The `sweep`, `compare` and `sensitivity` subcommands: parse, call the library, print.

Each is added to `python run.py` by `add_commands`, called from `sim.program.cli.build_parser`. Errors a
user can fix are `UserError`s, printed by `sim.program.cli.main` as one line each with exit status 2.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from sim.program.disclaimer import DISCLAIMER
from sim.program.flags import (
    day_list,
    fraction,
    out_flag,
    path_flag,
    positive_float,
    scenario_flag,
    whole_number,
)
from sim.program.folders import SCENARIOS
from sim.program.written import FORCE_HELP, FORCE_HELP_BY_NAME

#: the bounds of a sweep file's `replicates`, and of worker processes
REPLICATES = whole_number(1, 100_000)
WORKERS = whole_number(1, 1024)

ENGINE_HELP = textwrap.dedent("""\
    engines: by default runs go to a local process pool with --workers processes (default: the
    number of CPUs; 1 runs them in this process). --dask tcp://HOST:8786 sends them to an
    existing Dask cluster (the workers need this project and the scenario files at the same
    paths); --dask local starts a local Dask cluster of --workers processes on 127.0.0.1.
    Every engine gives the same table: a run depends only on its scenario, overrides and seed.""")
RESUME_HELP = textwrap.dedent("""\
    durability: each finished run is written at once to OUT/runs/ as its own file. If a sweep is
    interrupted (Ctrl-C, a crash, a killed job), run the same command with --resume --out OUT:
    finished runs are kept, the rest are run, and the tables have exactly one row per run.
    A folder begun with another code version is resumed only with --resume --force (the
    manifest then says the versions are mixed). The manifest lists every session: its start,
    end (none if it was killed), code version, command and the runs it ran (one that stopped
    before any of its runs finished leaves the folder as it was, byte for byte). A folder
    another command is writing into is locked: a second command on it (--resume, --force,
    discover) is refused in one line until the first ends.""")


#: --force of the commands of many runs (sim.program.written: what it may delete); {}: --add-replicates, where there is one
RESUME_FORCE_HELP = (FORCE_HELP_BY_NAME + "; with --resume{} it replaces nothing: it resumes a folder "
                     "begun with another code version")


def _engine_options(p: argparse.ArgumentParser, extends: bool = False) -> None:
    """The options of every command of many runs; `extends`: it has --add-replicates."""
    p.add_argument("--out", type=out_flag, metavar="DIR",
                   help="output folder (default: a new timestamped folder under outputs/)")
    p.add_argument("--workers", type=WORKERS, metavar="N",
                   help="worker processes (default: the number of CPUs; 1 = run in this process)")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="run on Dask: 'local' starts a local cluster, tcp://host:8786 uses an existing one")
    p.add_argument("--resume", action="store_true", help="finish an interrupted run folder given by --out")
    p.add_argument("--force", action="store_true", help=RESUME_FORCE_HELP.format(" (or --add-replicates)" if extends else ""))
    p.add_argument("--no-charts", action="store_true", help="write the tables and report but no charts")
    p.add_argument("--quiet", action="store_true",
                   help="no plan line, no progress bar, no note of places the map moves (errors and other notes still print)")


def add_commands(sub) -> None:
    """Add the experiment subcommands to the main parser's subparsers."""
    fmt = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser(
        "sweep", help="run a parameter sweep file: tidy tables, charts with replicate bands, report",
        formatter_class=fmt,
        description=textwrap.dedent("""\
            Run every design point of a sweep file (scenarios/sweeps/*.yaml) with its replicates and
            write OUT/runs.csv and runs.parquet (one row per run: run_id, point, parameters by key
            path, replicate, seed, outcomes), series.parquet (one row per run × kept step), charts,
            report.md and manifest.json. Replicate r uses the same seed at every design point
            (common random numbers). See docs/experiments.md for the file format.
            """) + DISCLAIMER,
        epilog=ENGINE_HELP + "\n\n" + RESUME_HELP + "\n\nexample:\n  python run.py sweep "
        "scenarios/sweeps/stop_probability_by_convoy_strength.yaml --workers 2")
    p.add_argument("sweep", type=path_flag, help="sweep file (YAML), or a library name such as blockade_screening")
    _engine_options(p, extends=True)
    p.add_argument("--replicates", type=REPLICATES, metavar="N",
                   help="replicates per point (default: the file's); with --resume, more than the folder "
                        "holds extend it with the next seeds")
    p.add_argument("--add-replicates", type=REPLICATES, metavar="N",
                   help="extend the finished sweep in --out by N replicates per point (the next seeds): "
                        "--resume with --replicates = what it holds + N")
    p.add_argument("--dry-run", action="store_true", help="check the sweep file and print the plan; run nothing")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser(
        "compare", help="what-if comparison of scenarios with common random numbers and bootstrap CIs",
        formatter_class=fmt,
        description=textwrap.dedent("""\
            Run each scenario --replicates times with the same seeds (replicate r has the same seed
            in every arm) and report, for each headline outcome, each arm's mean and its paired
            difference from the FIRST scenario with a percentile-bootstrap 95 % interval, and a
            verdict ("differs" only when the differences vary and the interval excludes zero;
            "identical in every pair" and "same area in every pair (land differs)" are said so).
            Writes compare.csv, compare.md, runs and series tables, charts of every arm's median
            and 5–95 % band over time, and maps of where mean control differs.
            """) + DISCLAIMER,
        epilog=ENGINE_HELP + "\n\n" + RESUME_HELP + "\n\nexample:\n  python run.py compare "
        "scenarios/open_road.yaml scenarios/albu_kamal_blockade.yaml --replicates 30")
    p.add_argument("scenarios", type=path_flag, nargs="+", metavar="SCENARIO",
                   help="two or more scenario files or library names (open_road); the first is the reference arm")
    p.add_argument("--replicates", type=REPLICATES, default=20, metavar="N", help="replicates per arm (default 20; at least 2: paired differences need a spread)")
    p.add_argument("--seed", type=scenario_flag("seed"), metavar="S", help="root seed (default: the first scenario's seed)")
    p.add_argument("--set", action="append", metavar="KEY.PATH=VALUE",
                   help="override a value in every arm, e.g. time.duration_days=10 (repeatable)")
    p.add_argument("--every-hours", type=positive_float, default=24.0, metavar="H",
                   help="keep one step every H simulated hours for the charts over time (default 24)")
    p.add_argument("--map-days", type=day_list, metavar="D,D,…",
                   help="also map each arm's probability of control at these days (the end is always mapped)")
    p.add_argument("--outcomes", nargs="+", metavar="NAME",
                   help="the outcomes to compare: runs-table columns or glob patterns, e.g. 'area_km2_*' "
                        "convoys_arrived (default: the headline outcomes, shares with their areas)")
    p.add_argument("--posterior", type=path_flag, metavar="FOLDER",
                   help="draw each replicate's parameters (the same in every arm) from this calibration "
                        "folder's posterior (python run.py calibrate)")
    _engine_options(p)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "uncertainty", help="replicates of one scenario: the probability each faction controls each cell, as maps",
        formatter_class=fmt,
        description=textwrap.dedent("""\
            Run one scenario --replicates times (replicate r with the seed it has in `compare`)
            and write, for each chosen day and the end, the share of replicates in which each
            faction controls each cell and in which it is contested: control_probability_day<D>.png
            and, with the [gis] extra (rasterio), control_probability.tif (GeoTIFF, EPSG:4326,
            one float band per day × faction, named 'day D: faction'), beside the runs table
            and report.md.
            """) + DISCLAIMER,
        epilog=ENGINE_HELP + "\n\n" + RESUME_HELP + "\n\nexample:\n  python run.py uncertainty "
        "scenarios/albu_kamal_blockade.yaml --replicates 20 --days 2,10")
    p.add_argument("scenario", type=path_flag, help="scenario file (YAML), or a library name such as open_road")
    p.add_argument("--replicates", type=REPLICATES, default=20, metavar="N", help="replicates (default 20)")
    p.add_argument("--days", type=day_list, metavar="D,D,…", help="days to map besides the end (default: the end only)")
    p.add_argument("--seed", type=scenario_flag("seed"), metavar="S", help="root seed (default: the scenario's seed)")
    p.add_argument("--set", action="append", metavar="KEY.PATH=VALUE",
                   help="override a scenario value, e.g. time.duration_days=10 (repeatable)")
    _engine_options(p)
    p.set_defaults(func=cmd_uncertainty)

    p = sub.add_parser(
        "sensitivity", help="Morris screening or Sobol indices (SALib) over a sweep file's bounds",
        formatter_class=fmt,
        description=textwrap.dedent("""\
            Run a sweep file whose design is morris or sobol and write the sensitivity indices of
            each outcome (mean over replicates at each design point): Morris mu* and sigma, or Sobol
            S1 and ST, each with a 95 % interval, as sensitivity.csv, sensitivity.md and bar
            charts, beside the sweep's own tables and charts.
            """) + DISCLAIMER,
        epilog=ENGINE_HELP + "\n\n" + RESUME_HELP + "\n\nexample:\n  python run.py sensitivity "
        "scenarios/sweeps/blockade_screening.yaml --workers 2")
    p.add_argument("sweep", type=path_flag, help="sweep file with design: {kind: morris, …} or {kind: sobol, …}, or its library name")
    _engine_options(p, extends=True)
    p.add_argument("--add-replicates", type=REPLICATES, metavar="N",
                   help="extend the finished analysis in --out by N replicates per point (the next seeds) "
                        "and redo its indices")
    p.set_defaults(func=cmd_sensitivity)

    p = sub.add_parser(
        "discover", help="scenario discovery: the boxes of parameter space where an outcome holds (PRIM)",
        formatter_class=fmt,
        description=textwrap.dedent("""            Read a finished sweep folder (the --out of `sweep` or `sensitivity`), mark the runs
            where the --where condition holds, and find with PRIM (EMA Workbench) the box of
            parameter space where it holds: its coverage (share of those runs inside the box),
            density (share of the runs inside where it holds), mass and the restricted parameters
            with their limits. Writes discover.png (peeling trajectory and the box), discover.json
            and trajectory.csv. Needs the [discovery] extra (pip install 'corridor[discovery]').
            """) + DISCLAIMER,
        epilog="conditions: comparisons of runs.csv columns (< <= == != >= >), and/or/not, + - * /,\n"
               "e.g. 'land_bridge_russia_open_share > 0.5'; phrases 'convoy arrived', 'convoy did not\n"
               "arrive' (also halted, withdrew, destroyed).\n\nexample:\n  python run.py discover "
               "outputs/sweeps/screening --where 'convoy did not arrive'")
    p.add_argument("folder", type=path_flag, metavar="SWEEP_FOLDER", help="a finished sweep's output folder")
    p.add_argument("--where", required=True, metavar="EXPRESSION", help="the outcome to explain, e.g. 'convoys_arrived == 0'")
    p.add_argument("--min-density", type=fraction, default=0.0, metavar="D",
                   help="report the best box (largest coverage × density) among those at least this dense (default 0)")
    p.add_argument("--box", type=whole_number(0), metavar="N",
                   help="report box N of the peeling trajectory instead of the best (the candidates are listed)")
    p.add_argument("--out", type=out_flag, metavar="DIR",
                   help="output folder (default: a new discover_… folder inside SWEEP_FOLDER)")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.set_defaults(func=cmd_discover)


SWEEPS = SCENARIOS / "sweeps"


def _found(name: Path, folder: Path = SCENARIOS, what: str = "scenario") -> Path:
    """The file a command line names: a path, or a library name such as open_road (UserError
    naming the library's files when it is neither)."""
    from sim.scenario.library import find_in_library

    return find_in_library(name, folder, what=what)


def _say(line: str) -> None:
    print(line, flush=True)


def _plan_log(args: argparse.Namespace):
    """Where a command's plan line (what will run, where) and its notes ("  note: …", e.g. a posterior
    calibrated at another cell size) go: stdout; with --quiet, the notes alone (an engine that then
    fails to start is the one line said)."""
    return _notes if args.quiet else _say


def _notes(line: str) -> None:
    if line.lstrip().startswith("note:"):
        _say(line)


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.experiments.run_files import held_runs
    from sim.experiments.runfolder import RunFolder
    from sim.experiments.sweep_folder import (
        held_replicates,
        replicates_to_run,
        resume_flag,
        unfinished_note,
    )
    from sim.experiments.sweepfile import point_text, read_sweep

    args.sweep = _found(args.sweep, SWEEPS, "sweep")  # a path, or a library name
    if args.dry_run:  # the sweep engine (pyarrow, the pool) is not even imported
        from sim.experiments.dask_cluster import check_dask

        check_dask(args.dask)  # refused as the sweep would refuse it
        replicates, resume = replicates_to_run(args.sweep, args.out, args.replicates, args.add_replicates,
                                               args.resume)  # as the sweep itself settles them
        plan = read_sweep(args.sweep, replicates=replicates)
        action = "create" if args.out is None else RunFolder(args.out, "sweep", plan.identity()).check(
            resume=resume, force=args.force, flag=resume_flag(args.add_replicates))  # refused as the sweep would be
        print(f"ok  {plan.display}: {plan.name} — {plan.design.describe()}, {len(plan.points)} design points × "
              f"{plan.replicates} replicates = {plan.n_runs} runs, root seed {plan.seed}")
        if action == "replace":
            print(f"  {args.out} would be replaced (--force): what an earlier sweep wrote there is deleted first "
                  "(it holds nothing else)")
        if resume:  # what the folder holds is not run again
            done = held_runs(args.out / "runs") & set(plan.run_ids())  # what the sweep counts
            print(f"  {args.out} holds {len(done)} of them: {plan.n_runs - len(done)} would run")
            held = held_replicates(args.out) or 0
            unfinished = sum(plan.run_id(i, r) not in done for i in range(len(plan.points)) for r in range(held))
            if args.add_replicates and (note := unfinished_note(args.out, args.add_replicates, unfinished, held)):
                print(note)
        for i, point in enumerate(plan.points[:20]):
            print(f"  point {i}: {point_text(point)}")
        if len(plan.points) > 20:
            print(f"  … {len(plan.points) - 20} more")
        return 0
    from sim.experiments.sweep import run_sweep

    result = run_sweep(args.sweep, out=args.out, workers=args.workers, dask=args.dask, resume=args.resume,
                       force=args.force, progress=not args.quiet, charts=not args.no_charts,
                       replicates=args.replicates, add_replicates=args.add_replicates, log=_plan_log(args))
    print(f"  {result.session.text()}")
    print(f"  wrote {result.folder}: runs.csv ({result.counts['runs']} rows), "
          + (f"series.parquet ({result.counts['series_rows']} rows), " if result.counts["series_rows"] else "")
          + f"{len(result.charts)} charts, report.md")
    print(f"  {DISCLAIMER}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.experiments.compare import run_compare
    from sim.experiments.compare_table import text_table
    from sim.hindcast.posterior import read_posterior
    from sim.scenario import parse_sets

    scenarios = [_found(s) for s in args.scenarios]  # paths, or library names: open_road
    sets = parse_sets(args.set)
    posterior = read_posterior(args.posterior) if args.posterior else None
    result = run_compare(scenarios, replicates=args.replicates, seed=args.seed, workers=args.workers,
                         dask=args.dask, out=args.out, sets=sets, resume=args.resume, force=args.force,
                         progress=not args.quiet, charts=not args.no_charts, every_hours=args.every_hours,
                         map_days=args.map_days, outcomes=args.outcomes, log=_plan_log(args), posterior=posterior)
    arms = [a.name for a in result.arms]
    print(f"\n{result.replicates} paired replicates per arm (root seed {result.seed}); differences vs "
          f"{arms[0]} with percentile-bootstrap 95 % intervals:\n")
    print(text_table(result.table, arms))
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"\n  wrote {result.folder}: compare.csv, compare.md, report.md, {len(result.charts)} charts, "
          f"{len(result.maps)} control-probability maps")
    print(f"  {DISCLAIMER}")
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from sim.experiments.sensitivity import run_sensitivity

    result = run_sensitivity(_found(args.sweep, SWEEPS, "sweep"), out=args.out, workers=args.workers, dask=args.dask, resume=args.resume,
                             force=args.force, progress=not args.quiet, charts=not args.no_charts, log=_plan_log(args),
                             add_replicates=args.add_replicates)
    print(f"  {result.sweep.session.text()}")
    table = result.table
    morris = "mu_star" in table.columns
    key = "mu_star" if morris else "ST"
    print(f"\n{'Morris mu* (sigma)' if morris else 'Sobol S1 / ST'} by outcome, most influential first:")
    for outcome, part in table.groupby("outcome", sort=False):
        ranked = part.sort_values(key, ascending=False, na_position="last")
        if morris:
            cells = [f"{r.label} {r.mu_star:.3g} ({r.sigma:.3g})" for r in ranked.itertuples()]
        else:
            cells = [f"{r.label} {r.S1:.2f}/{r.ST:.2f}" for r in ranked.itertuples()]
        print(f"  {outcome}: " + "; ".join(cells))
    print(f"\n  wrote {result.sweep.folder}: sensitivity.csv, sensitivity.md, {len(result.charts)} index charts, "
          "report.md")
    print(f"  {DISCLAIMER}")
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    import re

    from sim.experiments.discover import discover
    from sim.experiments.folder_reading import reading
    from sim.figures.discovery import discovery_chart
    from sim.program.output import new_run_folder, publish_folder, write_json_atomic

    with reading(args.folder):  # no other command writes into (or replaces) the sweep meanwhile
        found = discover(args.folder, args.where, min_density=args.min_density, box=args.box)
        slug = "discover_" + re.sub(r"[^a-z0-9]+", "_", found.condition.lower()).strip("_")[:40]
        out = args.out or new_run_folder(args.folder, slug)

        def build(tmp: Path) -> None:
            write_json_atomic(tmp / "discover.json", {"note": DISCLAIMER, "sweep": str(args.folder),
                                                      **found.summary()})
            found.trajectory.to_csv(tmp / "trajectory.csv", index_label="box")
            discovery_chart(tmp / "discover.png", found)

        publish_folder(build, out, force=args.force, kind="discover")
    print(found.text())
    print(f"\n  wrote {out}: discover.png, discover.json, trajectory.csv")
    print(f"  {DISCLAIMER}")
    return 0


def cmd_uncertainty(args: argparse.Namespace) -> int:
    from sim.experiments.uncertainty import run_uncertainty
    from sim.scenario import parse_sets

    result = run_uncertainty(_found(args.scenario), replicates=args.replicates, days=args.days, seed=args.seed,
                             sets=parse_sets(args.set), workers=args.workers, dask=args.dask, out=args.out,
                             resume=args.resume, force=args.force, progress=not args.quiet,
                             charts=not args.no_charts, log=_plan_log(args))
    print(f"  {result.session.text()}")
    print(f"  wrote {result.folder}: {', '.join(result.files)}, report.md")
    print(f"  {DISCLAIMER}")
    return 0
