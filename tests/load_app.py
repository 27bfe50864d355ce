"""Load test of the classroom app: many browsers, one server (`make verify` runs it).

Starts `python run.py viz` on a free port, opens one page and closes it (so that the caches of
the first visit are warm) and, once that page's runs are freed, measures the server's memory at
rest (the idle level); then opens
SESSIONS pages in separate browser contexts (Chromium driven by Playwright, as
tests/test_app_browser.py), each plays the scenario at 1 day a frame for SECONDS, pausing and
playing again every 20 s; every page must keep drawing its map. Then every page is closed as a
browser closes a tab (its `beforeunload` handlers run: Solara's page tells the server it is
gone), and the server's memory and the tabs it still holds (Solara's `/resourcez`) are read 30,
60 and 90 s later. It fails (exit 1) on any traceback in the server's log, a page without its
map, or memory 90 s after the close more than 10 % above idle.

    python tests/load_app.py [--sessions 10] [--seconds 120]
    python tests/load_app.py --drawing 100     # the drawing lock against a renderer per process
    python tests/load_app.py --to-end scenarios/corridor_campaign.yaml   # End: the app against the model alone
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's `sim`, not an installed one
from browser import CHROMIUM  # noqa: E402 - the browser tests' Chromium (the headless build where installed)

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
MAP_READY = ("() => { const i = document.querySelector('img.corridor-map');"
             " return i && i.complete && i.naturalWidth > 600; }")
TOLERANCE = 0.10  # memory after the sessions close, above idle
KEPT_S = 30.0  # a closed tab's runs are kept this long (sim.app.command.CLOSED_TAB_KEPT), then freed
SETTLE_S = 90.0  # memory is read this long after the pages closed
READ_EVERY_S = 30.0  # and the tabs the server holds, at this interval until then
START_S = 600.0  # for the server to listen: importing Solara and the model takes minutes on a loaded machine


def rss_mb(pid: int) -> float:
    """Resident memory of a process (MB), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def open_page(browser, url: str, timeout_ms: float):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_function(MAP_READY, timeout=timeout_ms)
    return context, page


def close_tabs(tabs: list, url: str, wait_s: float = 30.0) -> None:
    """Close the pages of `tabs` ((context, page) pairs) as a browser closes a tab: each page's
    `beforeunload` handlers run (Solara's closes the websocket and sends the server a beacon that
    the page is gone, so that the server frees the tab at once instead of keeping it `KEPT_S` for
    a page that reconnects); then, once the server holds no tab (at most `wait_s`), the contexts
    go. (Playwright does not take such a page as closed, and a context closed first drops the beacon.)"""
    for _, page in tabs:
        page.close(run_before_unload=True)
    deadline = time.monotonic() + wait_s
    while not tabs_held(url).startswith("0 ") and time.monotonic() < deadline:
        time.sleep(0.5)
    for context, _ in tabs:
        context.close()


def tabs_held(url: str) -> str:
    """The tabs (Solara kernels) the server at `url` still holds, from its `/resourcez`: e.g.
    '10 (0 connected)'."""
    with urllib.request.urlopen(url + "resourcez", timeout=60) as answer:
        kernels = json.load(answer)["kernels"]
    return f"{kernels['total']} ({kernels['has_connected']} connected)"


def _draw_frames(frames: int) -> None:
    """Build a live map of the default scenario and draw it `frames` times (one renderer)."""
    from sim.app.state import LiveRun
    from sim.figures.live import LiveMap
    from sim.figures.lock import DRAWING

    run = LiveRun(ROOT / "scenarios" / "albu_kamal_blockade.yaml")
    with DRAWING:
        live_map = LiveMap(run.model)
    for _ in range(frames):
        run.advance(1)
        with DRAWING:
            live_map.render("jpeg")


def compare_drawing(renderers: int, frames: int) -> None:
    """Seconds for `renderers` renderers to draw `frames` frames each (a model step each):
    as threads of one process sharing the drawing lock, then as processes of their own."""
    import threading
    from concurrent.futures import ProcessPoolExecutor

    def in_threads() -> None:
        threads = [threading.Thread(target=_draw_frames, args=(frames,)) for _ in range(renderers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def in_processes() -> None:
        with ProcessPoolExecutor(renderers) as pool:
            list(pool.map(_draw_frames, [frames] * renderers))

    for label, run_all in (("threads + one lock", in_threads), ("one process each", in_processes)):
        started = time.perf_counter()
        run_all()
        print(f"{renderers} renderers × {frames} frames, {label}: {time.perf_counter() - started:.1f} s", flush=True)


@contextlib.contextmanager
def serving(scenario: str | None = None):
    """`python run.py viz [scenario]` on a free port, until the block ends: (process, address,
    log path); exits the script (status 1, the log printed) if it does not listen within `START_S`."""
    port = free_port()
    log_path = Path(tempfile.mkdtemp(prefix="corridor-load-")) / "viz.log"
    with log_path.open("w") as log:
        server = subprocess.Popen([sys.executable, "run.py", "viz", *([scenario] if scenario else []),
                                   "--port", str(port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_S
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            if time.monotonic() > deadline or server.poll() is not None:
                print(log_path.read_text())
                sys.exit(1)
            time.sleep(0.5)
        yield server, f"http://127.0.0.1:{port}/", log_path
    finally:
        server.terminate()
        server.wait(timeout=30)


def model_alone_cpu_s(scenario: str) -> tuple[float, int]:
    """CPU seconds of the scenario's model run to its end in this process, with no app; and its steps."""
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    model = CorridorModel(load_scenario(ROOT / scenario), None)
    started = time.process_time()
    for _ in range(model.n_steps):
        model.step()
    return time.process_time() - started, model.n_steps


def to_end(scenario: str) -> int:
    """Open the app on `scenario`, press End, and print the wall and CPU seconds until the page
    shows the end-of-run summary, against the CPU seconds of the model alone."""
    from playwright.sync_api import sync_playwright

    with serving(scenario) as (server, url, log_path), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        _, page = open_page(browser, url, 300_000)
        time.sleep(3)  # the first page's drawing done
        print(f"page drawn; pressing End (load average {os.getloadavg()[0]:.1f})", flush=True)
        cpu, wall = cpu_s(server.pid), time.perf_counter()
        page.click("button.corridor-end")
        page.wait_for_selector(".corridor-busy", timeout=60_000)  # End taken: the busy notice shows
        page.wait_for_function("() => document.querySelector('.corridor-summary') && "
                               "!document.querySelector('.corridor-busy')", timeout=3_600_000, polling=250)
        app_cpu, app_wall = cpu_s(server.pid) - cpu, time.perf_counter() - wall
        clock = page.inner_text(".corridor-clock")
        browser.close()
        tracebacks = log_path.read_text().count("Traceback")
    print(f"End in the app ({scenario}, to {clock}): {app_wall:.1f} s wall, {app_cpu:.1f} s CPU of the server; "
          f"{tracebacks} tracebacks in the server's log", flush=True)
    model_cpu, steps = model_alone_cpu_s(scenario)
    print(f"the model alone, {steps:,} steps: {model_cpu:.1f} s CPU; the app adds {app_cpu - model_cpu:+.1f} s "
          f"({app_cpu / model_cpu - 1:+.0%}); load average now {os.getloadavg()[0]:.1f}", flush=True)
    return 1 if tracebacks else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--drawing", type=int, metavar="FRAMES",
                        help="do not serve: time 2 renderers drawing FRAMES frames each, as threads under the "
                        "drawing lock and as processes of their own, and print it")
    parser.add_argument("--to-end", metavar="SCENARIO",
                        help="instead: press End in the app on SCENARIO (e.g. scenarios/corridor_campaign.yaml) "
                        "and print the seconds it takes, against the model alone")
    args = parser.parse_args(argv)
    if args.drawing:
        compare_drawing(2, args.drawing)
        return 0
    if args.to_end:
        return to_end(args.to_end)
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    failures: list[str] = []
    with serving() as (server, url, log_path):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
            close_tabs([open_page(browser, url, 300_000)], url)  # warm the caches, then rest
            time.sleep(KEPT_S + 15)  # until the closed page's runs are freed
            idle = rss_mb(server.pid)
            print(f"idle (one page opened, closed and freed): {idle:.0f} MB", flush=True)
            started, cpu_at_start = time.perf_counter(), cpu_s(server.pid)
            pages = []
            for i in range(args.sessions):
                context, page = open_page(browser, url, 600_000)
                page.locator(".corridor-speed button", has_text="1 day").click()
                page.click("button.corridor-play")
                pages.append((context, page))
                print(f"session {i + 1} playing after {time.perf_counter() - started:.0f} s", flush=True)
            peak, clocks = rss_mb(server.pid), {}
            end = time.monotonic() + args.seconds
            while time.monotonic() < end:
                time.sleep(20)
                peak = max(peak, rss_mb(server.pid))
                for i, (_, page) in enumerate(pages):  # pause and play again: Pause must answer
                    if page.locator("button.corridor-pause").count():
                        with contextlib.suppress(PlaywrightTimeout):  # the run may end meanwhile: Play is back
                            page.click("button.corridor-pause", timeout=5_000)
                        page.wait_for_selector("button.corridor-play", timeout=60_000)
                    if not page.locator("button.corridor-play").is_disabled():
                        page.click("button.corridor-play")
                    clocks[i] = page.inner_text(".corridor-clock")
            mapless = [i + 1 for i, (_, page) in enumerate(pages) if not page.evaluate(MAP_READY)]
            failures += [f"session {i} shows no map" for i in mapless]
            print("clocks at the end: " + ", ".join(clocks.values()), flush=True)
            print(f"maps drawn: {len(pages) - len(mapless)} of {len(pages)} pages; server CPU while they played: "
                  f"{cpu_s(server.pid) - cpu_at_start:.0f} s in {time.perf_counter() - started:.0f} s", flush=True)
            print(f"closing the pages (load average {os.getloadavg()[0]:.1f})", flush=True)
            closed = time.monotonic()
            close_tabs(pages, url)
            print(f"pages closed in {time.monotonic() - closed:.0f} s; tabs the server holds: {tabs_held(url)}",
                  flush=True)
            for wait in range(int(READ_EVERY_S), int(SETTLE_S) + 1, int(READ_EVERY_S)):
                time.sleep(max(0.0, closed + wait - time.monotonic()))
                after = rss_mb(server.pid)
                print(f"{time.monotonic() - closed:.0f} s after the close: {after:.0f} MB ({after / idle - 1:+.1%} of "
                      f"idle); tabs the server holds: {tabs_held(url)}; load average {os.getloadavg()[0]:.1f}",
                      flush=True)
            browser.close()
        tracebacks = log_path.read_text().count("Traceback")
        print(f"{args.sessions} sessions for {args.seconds:.0f} s: peak {peak:.0f} MB; {after:.0f} MB "
              f"{time.monotonic() - closed:.0f} s after they closed ({after / idle - 1:+.1%} of idle); "
              f"{tracebacks} tracebacks in the server's log", flush=True)
        if tracebacks:
            failures.append(f"{tracebacks} tracebacks in {log_path}")
        if after > idle * (1 + TOLERANCE):
            failures.append(f"memory {after:.0f} MB is more than {TOLERANCE:.0%} above idle ({idle:.0f} MB)")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
