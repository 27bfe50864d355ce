"""Load test of the classroom app: many browsers, one server (`make verify` runs it).

Starts `python run.py viz` on a free port, opens one page and closes it (so that the caches of
the first visit are warm) and, once that page's runs are freed, measures the server's memory at
rest (the idle level); then opens
SESSIONS pages in separate browser contexts (Chromium driven by Playwright, as
tests/test_app_browser.py), each plays the scenario at 1 day a frame for SECONDS, pausing and
playing again every 20 s; every page must keep drawing its map. Then every page is closed and
the server's memory is measured again once it has settled (up to 90 s). It fails (exit 1) on any
traceback in the server's log, a page without its map, or memory more than 10 % above idle.

    python tests/load_app.py [--sessions 10] [--seconds 120]
    python tests/load_app.py --drawing 100     # the drawing lock against a renderer per process
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's `sim`, not an installed one
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
MAP_READY = ("() => { const i = document.querySelector('img.corridor-map');"
             " return i && i.complete && i.naturalWidth > 600; }")
TOLERANCE = 0.10  # memory after the sessions close, above idle
KEPT_S = 30.0  # a closed tab's runs are kept this long (sim.app.command.CLOSED_TAB_KEPT), then freed
SETTLE_S = 90.0


def rss_mb(pid: int) -> float:
    """Resident memory of a process (MB), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"no VmRSS for process {pid}")


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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--drawing", type=int, metavar="FRAMES",
                        help="do not serve: time 2 renderers drawing FRAMES frames each, as threads under the "
                        "drawing lock and as processes of their own, and print it")
    args = parser.parse_args(argv)
    if args.drawing:
        compare_drawing(2, args.drawing)
        return 0
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log_path = Path(tempfile.mkdtemp(prefix="corridor-load-")) / "viz.log"
    with log_path.open("w") as log:
        server = subprocess.Popen([sys.executable, "run.py", "viz", "--port", str(port)], cwd=ROOT,
                                  stdout=log, stderr=subprocess.STDOUT)
    failures: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            if time.monotonic() > deadline or server.poll() is not None:
                print(log_path.read_text())
                return 1
            time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            context, _ = open_page(browser, url, 300_000)  # warm the caches, then rest
            context.close()
            time.sleep(KEPT_S + 15)  # until the closed page's runs are freed
            idle = rss_mb(server.pid)
            print(f"idle (one page opened, closed and freed): {idle:.0f} MB", flush=True)
            started = time.perf_counter()
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
                        page.click("button.corridor-pause")
                        page.wait_for_selector("button.corridor-play", timeout=60_000)
                    if not page.locator("button.corridor-play").is_disabled():
                        page.click("button.corridor-play")
                    clocks[i] = page.inner_text(".corridor-clock")
            for i, (_, page) in enumerate(pages):
                if not page.evaluate(MAP_READY):
                    failures.append(f"session {i + 1} shows no map")
            print("clocks at the end: " + ", ".join(clocks.values()), flush=True)
            for context, _ in pages:
                context.close()
            closed = time.monotonic()
            after = rss_mb(server.pid)
            while after > idle * (1 + TOLERANCE) and time.monotonic() - closed < SETTLE_S:
                time.sleep(5)
                after = rss_mb(server.pid)
            browser.close()
        tracebacks = log_path.read_text().count("Traceback")
        print(f"{args.sessions} sessions for {args.seconds:.0f} s: peak {peak:.0f} MB; {after:.0f} MB "
              f"{time.monotonic() - closed:.0f} s after they closed ({after / idle - 1:+.1%} of idle); "
              f"{tracebacks} tracebacks in the server's log", flush=True)
        if tracebacks:
            failures.append(f"{tracebacks} tracebacks in {log_path}")
        if after > idle * (1 + TOLERANCE):
            failures.append(f"memory {after:.0f} MB is more than {TOLERANCE:.0%} above idle ({idle:.0f} MB)")
    finally:
        server.terminate()
        server.wait(timeout=30)
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
