"""Command-line entry of `python run.py` (and the `corridor` script): builds the parser, runs
the chosen subcommand, turns user errors into exit status 2.

Subcommands are grouped by the family of modules they drive, and each family has one
`command` module whose `add_commands(sub)` adds its subcommands, each a thin `cmd_<name>`
function that parses nothing further, calls the library and prints:

* here, this module: one scenario and its map — `run`, `validate`, `schema`, `list`, `map`;
* `sim.experiments.command`: many runs — `sweep`, `compare`, `sensitivity`;
* `sim.hindcast.command`: the model against the record — `hindcast`;
* `sim.hindcast.calibrate_command`: `calibrate`;
* `sim.app.command`: the classroom app — `viz`, `export`;
* `sim.bench.command`: the benchmarks — `bench`.

The families' modules are imported when the parser is built, and the library they call only
when a command runs, so `python run.py --help` stays fast. Errors a user can fix (bad
scenario, bad map, bad sweep file, an output folder that exists) are `UserError`s: printed as
one or more `file:line: key: message` lines, exit 2, no traceback.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from sim.app import command as app_command
from sim.bench import command as bench_command
from sim.experiments import command as experiments_command
from sim.hindcast import calibrate_command
from sim.hindcast import command as hindcast_command
from sim.program import oserrors
from sim.program.disclaimer import DISCLAIMER
from sim.program.errors import UserError
from sim.program.flags import out_flag, path_flag, scenario_flag
from sim.program.folders import DEFAULT_MAP, DEFAULT_SCENARIO, OUTPUTS, SCENARIOS
from sim.program.signals import (
    exit_status,
    finished,
    interrupt_behind,
    said,
    stop_word,
    termination_handled,
)
from sim.program.written import FORCE_HELP


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.scenario import load_scenario
    from sim.scenario.library import find_in_library

    failed = 0
    for path in args.files:
        try:
            loaded = load_scenario(find_in_library(path, SCENARIOS))
        except UserError as err:
            print(str(err), file=sys.stderr)
            failed += 1
            continue
        except OSError as err:  # the machine refused a read (the readers report the rest): next file
            print(oserrors.failure_line(err, "reading failed", kept="nothing was written"), file=sys.stderr)
            failed += 1
            continue
        print(f"ok  {path}: {loaded.summary()}")
    return 2 if failed else 0


def cmd_schema(args: argparse.Namespace) -> int:
    import json

    from sim.scenario import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from sim.scenario import display_path, shipped_scenarios

    for path, description in shipped_scenarios(SCENARIOS):
        print(f"{display_path(path)}  —  {description}")
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    from sim.figures.basemap import draw_map_png
    from sim.geography import load_map
    from sim.program.output import check_destination, publish_file
    from sim.scenario.spec import MapSpec

    if args.cell_km is None:  # the default lives in the scenario language, nowhere else
        args.cell_km = MapSpec.model_fields["cell_km"].default
    out = Path(args.out) if args.out else OUTPUTS / f"map_{args.cell_km:g}km.png"
    check_destination(out, args.force)  # before any work
    corridor_map = load_map(args.map, args.cell_km)
    corridor_map.note_moved_places()
    publish_file(lambda tmp: draw_map_png(corridor_map, tmp), out, force=args.force)
    rows, cols = corridor_map.shape
    print(f"map: {rows} × {cols} cells at {corridor_map.cell_km:g} km, {len(corridor_map.places)} places → {out}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    import time

    from sim.hindcast.posterior import posterior_overrides, read_posterior, unlike_calibration
    from sim.model import CorridorModel
    from sim.program.cost import run_estimate
    from sim.program.output import check_destination, new_run_folder, publish_folder
    from sim.scenario import load_scenario, parse_sets
    from sim.scenario.library import find_in_library

    args.scenario = find_in_library(args.scenario, SCENARIOS)  # a path, or a library name: open_road
    if args.out:
        check_destination(Path(args.out), args.force, kind="run")  # before any work
    posterior = read_posterior(args.posterior) if args.posterior else None
    loaded = load_scenario(args.scenario, overrides=parse_sets(args.set))
    seed = loaded.spec.seed if args.seed is None else args.seed
    if posterior is not None:  # the parameters this seed draws from the calibration's posterior
        loaded = load_scenario(args.scenario, overrides=posterior_overrides(posterior, parse_sets(args.set), seed))
        print("drawn from the posterior: " + ", ".join(f"{k}={v:g}" for k, v in posterior.draw(seed).items()))
        for line in unlike_calibration(posterior, loaded.resolved):  # as hindcast and compare say it
            print(f"  note: not as the posterior was calibrated (give it with --set): {line}")
    out = Path(args.out) if args.out else new_run_folder(OUTPUTS, f"{args.scenario.stem}_seed{seed}")
    if not args.out:
        check_destination(out, kind="run")  # outputs/ can be written, before simulating
    if estimate := run_estimate(loaded):
        print(estimate, file=sys.stderr)
    started = time.perf_counter()
    result = CorridorModel(loaded, seed).run(progress=not args.quiet)
    simulated = time.perf_counter()
    out = publish_folder(lambda tmp: result.save(tmp, command=sys.argv, animation=not args.no_animation,
                                                 progress=not args.quiet), out, force=args.force,
                         checked=bool(args.out), chosen=bool(args.out))
    drawn = "tables, charts and maps" if args.no_animation else "tables, charts, maps and the animation"
    print(result.headline())
    print(f"  simulated in {simulated - started:.1f} s, {drawn} written in {time.perf_counter() - simulated:.1f} s; "
          f"wrote {out}")
    return 0


class Parser(argparse.ArgumentParser):
    """argparse with its errors in one line, `PROG: error: MESSAGE (see PROG --help)`, exit 2
    (every subcommand's parser is one too). An option the command does not know is the error
    said, before a missing argument (`sweep --bogus` names --bogus, not the missing sweep file)."""

    def parse_known_args(self, args=None, namespace=None):
        self._given = list(sys.argv[1:] if args is None else args)  # what `error` looks through
        return super().parse_known_args(args, namespace)

    def error(self, message: str):
        if message.startswith("the following arguments are required") and (unknown := self._unknown_option()):
            message = f"unrecognized arguments: {unknown}"
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def _unknown_option(self) -> str | None:
        """The first argument given that reads as an option this parser does not have (neither a
        negative number nor after `--`; `--name=value` by its name; an abbreviation of one it
        has is known, as argparse takes it), or None."""
        known = self._option_string_actions
        for arg in getattr(self, "_given", []):
            if arg == "--":
                return None
            if len(arg) < 2 or arg[0] != "-" or " " in arg or self._negative_number_matcher.match(arg):
                continue
            name = arg.split("=", 1)[0]
            if name not in known and not (self.allow_abbrev and name.startswith("--")
                                          and any(option.startswith(name) for option in known)):
                return arg
        return None


def invoked_as(argv0: str) -> str:
    """The program's name as the user invoked it, for its usage and error lines: `python run.py`,
    `python -m sim` or `corridor` (the installed script)."""
    path = Path(argv0)
    if path.name == "__main__.py":
        return f"python -m {path.parent.name}"
    if path.suffix == ".py":
        return f"python {path.name}"
    return path.name or "corridor"


def build_parser(prog: str = "python run.py") -> argparse.ArgumentParser:
    """The command line's parser, its usage and errors naming the program `prog`."""
    parser = Parser(
        prog=prog,
        description="Corridor: agent-based what-if simulation of a contested supply corridor. "
        f"{DISCLAIMER} With no command, runs the default scenario.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", help="run one scenario and write its run folder under outputs/",
                       description="Run one scenario (a YAML file or a library name) and write its run folder: the step "
                       "table, summary, narrative, charts, map, animation and GIS layers (README, *Outputs*).")
    p.add_argument("scenario", type=path_flag, nargs="?", default=DEFAULT_SCENARIO,
                   help="scenario YAML, or a library name such as open_road (default: the Albu Kamal blockade)")
    p.add_argument("--seed", type=scenario_flag("seed"), help="seed (default: the scenario's)")
    p.add_argument("--out", type=out_flag, help="run folder to create (default: outputs/<scenario>_seed<N>_<time>)")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.add_argument("--no-animation", action="store_true", help="skip the animated GIF (faster)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bars, no note of places the map moves (the headline, the folder and errors are printed)")
    p.add_argument("--set", action="append", metavar="KEY.PATH=VALUE",
                   help="override a scenario value, e.g. rules.checkpoint_blockade.stop_probability=0.5")
    p.add_argument("--posterior", type=path_flag, metavar="FOLDER",
                   help="draw the calibrated parameters from this calibration folder's posterior, by the seed")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="check scenario files and print a one-line summary each",
                       description="Check scenario files without running them: a one-line summary of each, or its "
                       "problems named by file, line and key (exit status 2 if any is refused).")
    p.add_argument("files", nargs="+", type=path_flag, help="scenario YAML files, or library names such as open_road")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("schema", help="print the JSON Schema of the scenario format",
                       description="Print the JSON Schema of the scenario format, for an editor's completion and checks.")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("list", help="list the shipped scenarios with their descriptions",
                       description="List the shipped scenarios (library names usable wherever a scenario file is) "
                       "with their descriptions.")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("map", help="draw the rasterised corridor map to PNG",
                       description="Draw the corridor map as the model sees it at a cell size (terrain, river, roads, "
                       "crossings, places) to a PNG, and say which places the rasterisation moved.")
    p.add_argument("--cell-km", type=scenario_flag("map.cell_km"), metavar="KM",
                   help="cell size in km (default 1, as map.cell_km in a scenario)")
    p.add_argument("--map", type=path_flag, default=DEFAULT_MAP, help="GeoJSON map file")
    p.add_argument("--out", type=out_flag, help="PNG to write (default outputs/map_<K>km.png)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=cmd_map)
    for family in (experiments_command, hindcast_command, calibrate_command, app_command, bench_command):
        family.add_commands(sub)
    return parser


def _note(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings meant for the user (e.g. a place moved off the river at a coarse cell size)
    print as one plain line, without the source line Python would show."""
    print(f"note: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the command `argv` (default: the process's arguments); its exit status. What a
    command sets for the whole process (warnings printed as notes, SIGTERM and SIGHUP raised as
    interrupts, the folder of many runs a failure names) lasts only while it runs: a script or a
    test may call one command after another in one process, each as if it were the first. The
    process's own command line (`argv` None) that succeeded leaves one thing: a Ctrl-C while the
    process exits is said in one line and the status stays 0 (`sim.program.signals.finished`)."""
    shown = warnings.showwarning
    warnings.showwarning = _note
    oserrors.working_in(None)
    try:
        with termination_handled():
            try:
                status = _command(argv)
            except KeyboardInterrupt as err:  # a signal while a failure's line was printed (or the flags read)
                return _stopped(err)
            if status == 0 and argv is None:  # the process's command is done: an interrupt as it exits undoes nothing
                finished()
            return status
    finally:
        warnings.showwarning = shown
        oserrors.working_in(None)


def _command(argv: list[str] | None) -> int:
    # the process's own command line: named as it was invoked; a command called in-process: as documented
    parser = build_parser(invoked_as(sys.argv[0]) if argv is None and sys.argv and sys.argv[0] else "python run.py")
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["run", str(DEFAULT_SCENARIO)])
    try:
        with warnings.catch_warnings():  # the filter lasts while the command runs
            if getattr(args, "quiet", False):  # --quiet: information is not said, errors are
                from sim.geography.corridor_map import MovedPlacesNote

                warnings.simplefilter("ignore", MovedPlacesNote)
            return args.func(args)
    except UserError as err:
        print(str(err), file=sys.stderr)
        return 2
    except ModuleNotFoundError as err:  # an optional part (the app, Dask, SALib) not installed
        from sim.program.extras import missing_extra

        message = missing_extra(err)
        if message is None:
            raise
        print(message, file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `python run.py schema | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt as err:  # Ctrl-C, or SIGTERM/SIGHUP (sim.program.signals)
        return _stopped(err)
    except OSError as err:  # the machine refused: a full disk, a read-only file system, …
        if (stop := interrupt_behind(err)) is not None:
            return _stopped(stop)
        print(oserrors.failure_line(err), file=sys.stderr)
        return oserrors.exit_status(err)
    except Exception as err:
        if (stop := interrupt_behind(err)) is None:  # a bug: its traceback is the report
            raise
        return _stopped(stop)


def _stopped(err: KeyboardInterrupt) -> int:
    """The exit status (130, 143, …) of a command stopped by Ctrl-C or a signal, and its one line:
    the word, unless the command already said what it saved (`sim.program.signals.say_stopped`)."""
    if not said(err):
        print(stop_word(err), file=sys.stderr)
    return exit_status(err)
