"""The `viz` and `export` subcommands. Kept apart from `sim.app.page` so that `python run.py
--help` does not import Solara: the app and its server are imported only when `viz` runs.

`viz` serves the app with Solara's own ASGI app under uvicorn in this process, rather than
through the `solara run` command: one process to stop, no file watcher, no version check over
the network, telemetry off, and the address printed by us.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

from sim.program.disclaimer import DISCLAIMER
from sim.program.errors import UserError
from sim.program.flags import out_flag, path_flag, positive_int, scenario_flag, whole_number
from sim.program.folders import DEFAULT_SCENARIO
from sim.program.written import FORCE_HELP

DEFAULT_PORT = 8765
#: environment variables through which `viz` tells the server's tabs the scenario to open and its seed
SCENARIO_ENV = "CORRIDOR_APP_SCENARIO"
SEED_ENV = "CORRIDOR_APP_SEED"
CLOSED_TAB_KEPT = "30s"  # how long the runs of a tab whose page closed are kept for it to come back


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is free
        try:
            sock.bind((host, port))
        except OSError as err:
            raise UserError(f"cannot serve on {host}:{port}: {err.strerror}; choose another --port") from None


def bench_redraw(scenario: Path, steps: int) -> dict[str, float]:
    """Time what the app does per step: a model step, then the map and the charts redrawn to
    PNG. Returns mean and 95th-percentile milliseconds."""
    import time

    import numpy as np

    from sim.app.state import LiveRun
    from sim.figures.live import LiveMap
    from sim.figures.live_charts import LiveCharts

    run = LiveRun(scenario)
    live_map, charts = LiveMap(run.model), LiveCharts(run)
    times = []
    for _ in range(min(steps, run.model.n_steps)):
        t0 = time.perf_counter()
        run.advance(1)
        t1 = time.perf_counter()
        live_map.render("jpeg")
        t2 = time.perf_counter()
        charts.render("jpeg")
        times.append((t1 - t0, t2 - t1, time.perf_counter() - t2))
    ms = np.array(times) * 1000.0
    total = ms.sum(axis=1)
    out = {f"{name}_mean_ms": float(ms[:, i].mean()) for i, name in enumerate(("step", "map", "charts"))}
    out.update(total_mean_ms=float(total.mean()), total_p95_ms=float(np.percentile(total, 95)),
               total_max_ms=float(total.max()), steps=len(total))
    return out


def bench_reset(scenario: Path, other: Path, repeats: int = 3) -> dict[str, float]:
    """Time what a class waits for on Reset and on a scenario change (to `other`), each with the
    map and charts drawn again, after the app's first draw (which builds the map's layers once).
    Returns the median seconds of `repeats`."""
    import statistics
    import time

    from sim.app.state import Controller
    from sim.figures.live import LiveMap
    from sim.figures.live_charts import LiveCharts

    ctl = Controller(scenario)
    maps: dict[tuple, LiveMap] = {}
    charts = LiveCharts(ctl.sides[0].run)

    def draw() -> None:
        model = ctl.sides[0].run.model
        live_map = maps.get(LiveMap.key_of(model))
        if live_map is None:
            live_map = maps[LiveMap.key_of(model)] = LiveMap(model)
        live_map.bind(model)
        live_map.render("jpeg")
        charts.bind(ctl.sides[0].run)
        charts.render("jpeg")

    def timed(action) -> float:
        t0 = time.perf_counter()
        action()
        draw()
        return time.perf_counter() - t0

    draw()
    ctl.advance(24)
    reset = [timed(ctl.reset) for _ in range(repeats)]
    timed(lambda: ctl.choose_scenario(0, other))  # first sight of the other scenario's map
    change = [timed(lambda i=i: ctl.choose_scenario(0, (scenario, other)[i % 2])) for i in range(repeats)]
    return {"reset_s": statistics.median(reset), "change_s": statistics.median(change)}


def cmd_viz(args: argparse.Namespace) -> int:
    if not args.bench:
        from sim.app.memory import use_system_allocator

        # first, as it starts this command again: reading the scenario and importing what that needs
        # (2 of a start's 5 CPU seconds) were done twice; a bad scenario still fails before the server starts
        use_system_allocator()  # Python's objects on glibc's malloc, one heap: closed tabs' memory goes back
    from sim.app.controls import scenario_info
    from sim.program.folders import SCENARIOS
    from sim.scenario.library import find_in_library

    args.scenario = find_in_library(args.scenario, SCENARIOS)  # a path, or a library name: open_road
    path = scenario_info(args.scenario).path  # a bad scenario fails here, before the server starts
    if args.bench:
        other = SCENARIOS / "open_road.yaml"
        r = bench_reset(path, other if other != path else SCENARIOS / "baseline.yaml")
        print(f"Reset: {r['reset_s']:.2f} s; scenario change ({path.name} <-> {other.name}): {r['change_s']:.2f} s "
              "(median of 3, map and charts drawn again)")
        r = bench_redraw(path, args.bench)
        print(f"{path.name}, {r['steps']} steps: step {r['step_mean_ms']:.1f} ms + map {r['map_mean_ms']:.1f} ms "
              f"+ charts {r['charts_mean_ms']:.1f} ms = {r['total_mean_ms']:.1f} ms per step and redraw on average "
              f"(95th percentile {r['total_p95_ms']:.1f} ms, slowest {r['total_max_ms']:.1f} ms)")
        return 0
    _check_port(args.host, args.port)
    os.environ[SCENARIO_ENV] = str(path)
    if args.seed is not None:
        os.environ[SEED_ENV] = str(args.seed)
    os.environ["SOLARA_APP"] = "sim.app.class_page" if args.class_session else "sim.app.page"
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")  # its badge covered the page's corner
    # a closed tab's runs are freed this long after its page went away (Solara's default keeps
    # them a day, for a page that reconnects; a network blip of a few seconds still does)
    os.environ.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", CLOSED_TAB_KEPT)
    import uvicorn
    from solara.server.starlette import app

    from sim.app.network import HostGuard, local_names, network_warning

    warning = network_warning(args.host, args.port)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    allowed = local_names(args.host) | {h.lower() for h in args.allow_host or ()}
    url = f"http://{args.host}:{args.port}/"
    served = app
    if args.class_session:
        served = _class_session(app, args, path, allowed)
    else:
        print(f"Corridor app for {path.name}: {url}  (Ctrl+C to stop)\n{DISCLAIMER}", flush=True)
    uvicorn.run(HostGuard(served, allowed), host=args.host, port=args.port, log_level="warning")
    return 0


def _class_session(app, args: argparse.Namespace, path: Path, allowed: set[str]):
    """Start a class session on `path` and print its two addresses; `app` behind its gate."""
    from sim.app.gate import JOIN_PATH, TEACHER_PATH, ClassGate
    from sim.app.network import lan_address
    from sim.app.session import ClassSession, serve

    session = ClassSession(path, seed=args.seed, decide_seconds=args.decide_seconds, show_scores=args.show_scores)
    host = lan_address() if args.host in ("0.0.0.0", "::", "") else args.host
    allowed.add(host)
    base = f"http://{host}:{args.port}"
    session.join_url = f"{base}{JOIN_PATH}"
    serve(session)
    session.start()
    print(f"Corridor class session on {path.name}\n  teacher (keep it to yourself): {base}{TEACHER_PATH}?key="
          f"{session.teacher_key}\n  students: {session.join_url}  join code {session.join_code}\n"
          f"(Ctrl+C to stop)\n{DISCLAIMER}", flush=True)
    return ClassGate(app, session)


def cmd_export(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from sim.app.export import OUTPUTS, export_runs
    from sim.app.state import LiveRun
    from sim.program.folders import SCENARIOS
    from sim.program.output import check_destination, new_run_folder
    from sim.scenario import parse_sets
    from sim.scenario.library import find_in_library

    args.scenario = find_in_library(args.scenario, SCENARIOS)  # a path, or a library name: open_road
    if args.out is not None:
        check_destination(args.out, args.force, kind="export")  # before any work
    else:  # the default folder's name waits for the day reached; outputs/ must be writable now
        check_destination(new_run_folder(OUTPUTS, f"app_{args.scenario.stem}"), kind="export")
    run = LiveRun(args.scenario, seed=args.seed, overrides=parse_sets(args.set))
    model = run.model
    steps = model.n_steps if args.days is None else min(model.n_steps, round(args.days * 24 / model.step_hours))
    for _ in tqdm(range(steps), desc=run.info.name, unit="step", leave=False):
        run.advance(1)
    out = export_runs([run], args.out, force=args.force)
    print(f"{run.info.name} at {model.clock()} (seed {run.seed}): map.png, charts.png, "
          f"animation.gif, narrative.txt → {out}\n{DISCLAIMER}")
    return 0


def add_commands(sub) -> None:
    """Add `viz` and `export` to the subcommands of `python run.py`."""
    p = sub.add_parser("viz", help="start the classroom web app on this machine and print its address",
                       description="Start the classroom web app (lessons, side by side, interventions, the class "
                       "session) on this machine and print its address; --bench times it without serving.")
    p.add_argument("scenario", type=path_flag, nargs="?", default=DEFAULT_SCENARIO,
                   help="scenario YAML, or a library name such as open_road (default: the Albu Kamal blockade); "
                   "the app offers the others too")
    p.add_argument("--port", type=whole_number(1, 65535), default=DEFAULT_PORT, help=f"port to serve on (default {DEFAULT_PORT})")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--allow-host", action="append", metavar="NAME",
                   help="another name browsers use for this machine (e.g. a DNS name on the school network); "
                   "requests under any other name are refused")
    p.add_argument("--class", dest="class_session", action="store_true",
                   help="start a class session: student teams join from their browsers with a code and "
                   "command the factions at each planning cycle (docs/app.md, \"The class session\")")
    p.add_argument("--decide-seconds", type=positive_int, default=90, metavar="S",
                   help="with --class: seconds a team has to decide at each planning cycle (default 90)")
    p.add_argument("--show-scores", action="store_true",
                   help="with --class: show the teams the score their planner gives each option")
    p.add_argument("--seed", type=scenario_flag("seed"), help="seed of the runs every tab starts with (default: the scenario's)")
    p.add_argument("--bench", type=positive_int, metavar="STEPS",
                   help="do not serve: time Reset and a scenario change, then STEPS steps each with the map "
                   "and charts redrawn, and print it")
    p.set_defaults(func=cmd_viz)

    p = sub.add_parser("export", help="run a scenario for some days and save its map and charts (PNG) and "
                       "animation (GIF) for slides", description="Run a scenario for some days, as the app would, "
                       "and save its map and charts (PNG), animation (GIF) and narrative for slides.")
    p.add_argument("scenario", type=path_flag, nargs="?", default=DEFAULT_SCENARIO,
                   help="scenario YAML, or a library name such as open_road (default: the Albu Kamal blockade)")
    p.add_argument("--days", type=scenario_flag("time.duration_days"), help="days to run before exporting (default: the whole scenario)")
    p.add_argument("--seed", type=scenario_flag("seed"), help="seed (default: the scenario's)")
    p.add_argument("--set", action="append", metavar="KEY.PATH=VALUE",
                   help="override a scenario value, e.g. rules.checkpoint_blockade.stop_probability=0.5")
    p.add_argument("--out", type=out_flag, help="folder to create (default: outputs/app_<scenario>_seed<N>_day<D>_<time>)")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.set_defaults(func=cmd_export)

