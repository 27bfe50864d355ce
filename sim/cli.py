"""Command-line wiring: parse arguments, call the library, turn user errors into exit status 2.

Each subcommand is a thin function here; the work lives in the library modules. Errors a
user can fix (bad scenario, bad map, bad sweep file, an output folder that exists) are
`UserError`s: printed as one or more `file:line: key: message` lines, exit 2, no traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.errors import UserError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = PROJECT_ROOT / "scenarios"
DEFAULT_SCENARIO = SCENARIO_DIR / "albu_kamal_blockade.yaml"
DEFAULT_MAP = SCENARIO_DIR / "maps" / "euphrates_corridor.geojson"


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.scenario import load_scenario

    failed = 0
    for path in args.files:
        try:
            loaded = load_scenario(path)
        except UserError as err:
            print(str(err), file=sys.stderr)
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
    from sim.scenario import shipped_scenarios

    for path, description in shipped_scenarios(SCENARIO_DIR):
        print(f"{path.relative_to(PROJECT_ROOT)}  —  {description}")
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    from sim.geography import load_map
    from sim.mapplot import draw_map_png
    from sim.output import refuse_overwrite

    cmap = load_map(args.map, args.cell_km)
    out = Path(args.out) if args.out else PROJECT_ROOT / "outputs" / f"map_{args.cell_km:g}km.png"
    refuse_overwrite(out, args.force)
    draw_map_png(cmap, out)
    rows, cols = cmap.shape
    print(f"map: {rows} × {cols} cells at {cmap.cell_km:g} km, {len(cmap.places)} places → {out}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    import time

    from sim.model import CorridorModel
    from sim.output import new_run_folder, publish_folder
    from sim.scenario import load_scenario, parse_sets

    loaded = load_scenario(args.scenario, overrides=parse_sets(args.set))
    seed = loaded.spec.seed if args.seed is None else args.seed
    out = Path(args.out) if args.out else new_run_folder(PROJECT_ROOT / "outputs", f"{args.scenario.stem}_seed{seed}")
    from sim.output import refuse_overwrite

    refuse_overwrite(out, args.force)
    started = time.perf_counter()
    result = CorridorModel(loaded, seed).run(progress=True)
    ran = time.perf_counter() - started
    publish_folder(lambda tmp: result.save(tmp, command=sys.argv, animation=not args.no_animation,
                                           progress=True), out, force=args.force)
    print(result.headline())
    print(f"  simulated in {ran:.1f} s; wrote {out}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from sim.bench import main as bench_main

    return bench_main(args.out)


def build_parser() -> argparse.ArgumentParser:
    from sim.experiments.cli import add_commands

    parser = argparse.ArgumentParser(
        prog="python run.py",
        description="Corridor: agent-based what-if simulation of a contested supply corridor "
        "(a stylised model, not a forecast). With no command, runs the default scenario.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", help="run one scenario and write its run folder under outputs/")
    p.add_argument("scenario", type=Path, nargs="?", default=DEFAULT_SCENARIO,
                   help="scenario YAML (default: the Albu Kamal blockade)")
    p.add_argument("--seed", type=int, help="seed (default: the scenario's)")
    p.add_argument("--out", type=Path, help="run folder to create (default: outputs/<scenario>_seed<N>_<time>)")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.add_argument("--no-animation", action="store_true", help="skip the animated GIF (faster)")
    p.add_argument("--set", action="append", metavar="KEY.PATH=VALUE",
                   help="override a scenario value, e.g. rules.checkpoint_blockade.stop_probability=0.5")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="check scenario files and print a one-line summary each")
    p.add_argument("files", nargs="+", type=Path, help="scenario YAML files")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("schema", help="print the JSON Schema of the scenario format")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("list", help="list the shipped scenarios with their descriptions")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("bench", help="measure step cost and memory against Mesa's Epstein example "
                       "(several minutes)")
    p.add_argument("--out", type=Path, help="folder for bench.csv, bench.png, figures.json")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("map", help="draw the rasterised corridor map to PNG")
    p.add_argument("--cell-km", type=float, default=1.0, help="cell size in km (default 1)")
    p.add_argument("--map", type=Path, default=DEFAULT_MAP, help="GeoJSON map file")
    p.add_argument("--out", type=Path, help="PNG to write (default outputs/map_<K>km.png)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=cmd_map)
    from sim.app_cli import add_commands as add_app_commands
    add_app_commands(sub)
    add_commands(sub)
    return parser


def _note(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings meant for the user (e.g. a place moved off the river at a coarse cell size)
    print as one plain line, without the source line Python would show."""
    print(f"note: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    import warnings

    warnings.showwarning = _note
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["run", str(DEFAULT_SCENARIO)])
    try:
        return args.func(args)
    except UserError as err:
        print(str(err), file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `python run.py schema | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
