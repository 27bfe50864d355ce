"""The `viz` and `export` subcommands. Kept apart from `sim.app` so that `python run.py --help`
does not import Solara: the app and its server are imported only when `viz` runs.

`viz` serves the app with Solara's own ASGI app under uvicorn in this process, rather than
through the `solara run` command: one process to stop, no file watcher, no version check over
the network, telemetry off, and the address printed by us.
"""

from __future__ import annotations

import argparse
import os
import socket
from pathlib import Path

from sim.errors import UserError

DEFAULT_PORT = 8765


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is free
        try:
            sock.bind((host, port))
        except OSError as err:
            raise UserError(f"cannot serve on {host}:{port}: {err.strerror}; choose another --port") from None


def cmd_viz(args: argparse.Namespace) -> int:
    from sim.app_state import scenario_info

    path = scenario_info(args.scenario).path  # a bad scenario fails here, before the server starts
    _check_port(args.host, args.port)
    os.environ["CORRIDOR_APP_SCENARIO"] = str(path)
    os.environ["SOLARA_APP"] = "sim.app"
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    import uvicorn

    url = f"http://{args.host}:{args.port}/"
    print(f"Corridor app for {path.name}: {url}  (Ctrl+C to stop)\n"
          "A stylised what-if model, not a forecast.", flush=True)
    uvicorn.run("solara.server.starlette:app", host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from sim.app_state import Session, export_runs
    from sim.cli import parse_sets

    session = Session(args.scenario, seed=args.seed, overrides=parse_sets(args.set))
    model = session.model
    steps = model.n_steps if args.days is None else min(model.n_steps, round(args.days * 24 / model.step_hours))
    for _ in tqdm(range(steps), desc=session.info.name, unit="step", leave=False):
        session.advance(1)
    out = export_runs([session], args.out, force=args.force)
    print(f"{session.info.name} at {model.clock()} (seed {session.seed}): map.png, charts.png, "
          f"animation.gif, narrative.txt → {out}\nA stylised what-if model, not a forecast.")
    return 0


def add_commands(sub) -> None:
    """Add `viz` and `export` to the subcommands of `python run.py`."""
    from sim.cli import DEFAULT_SCENARIO

    p = sub.add_parser("viz", help="start the classroom web app on this machine and print its address")
    p.add_argument("scenario", type=Path, nargs="?", default=DEFAULT_SCENARIO,
                   help="scenario to open (default: the Albu Kamal blockade); the app offers the others too")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to serve on (default {DEFAULT_PORT})")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.set_defaults(func=cmd_viz)

    p = sub.add_parser("export", help="run a scenario for some days and save its map and charts (PNG) and "
                       "animation (GIF) for slides")
    p.add_argument("scenario", type=Path, nargs="?", default=DEFAULT_SCENARIO,
                   help="scenario YAML (default: the Albu Kamal blockade)")
    p.add_argument("--days", type=float, help="days to run before exporting (default: the whole scenario)")
    p.add_argument("--seed", type=int, help="seed (default: the scenario's)")
    p.add_argument("--set", action="append", metavar="KEY.PATH=VALUE",
                   help="override a scenario value, e.g. rules.checkpoint_blockade.stop_probability=0.5")
    p.add_argument("--out", type=Path, help="folder to create (default: outputs/app_<scenario>_seed<N>_day<D>_<time>)")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.set_defaults(func=cmd_export)

