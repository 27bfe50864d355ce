"""What the browser tests share: headless Chromium (Debian's package) driven by Playwright, the app's
server started on a free port (`python run.py viz`), and the steps a teacher takes on the page
(step, choose a speed, open the controls, pick from a drop-down) with waits on the page's state.

tests/test_app_browser.py and tests/test_app_browser_play.py share one server (the session
fixture `app_server` of tests/conftest.py; the two modules are one xdist group, so one worker
starts it); each module has a Chromium (`browser`) and each test a browser context (`page`).

Needs Debian's headless build of Chromium, /usr/bin/chromium-headless-shell (`apt-get install
chromium-headless-shell`, or `.ci/install-browser`), or else the full browser, /usr/bin/chromium, and
Playwright for Python (`pip install playwright`; its own browser download is not used). Without them
a test is skipped on a developer's machine and fails in CI (CI=true).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT

# The headless build first: the same Blink as the full browser without its windowing and UI
# processes (the build Playwright itself runs headless); the three browser tests cost 11 s of CPU
# less with it, every process counted (99 against 88 s, measured alternately at load 4-7;
# docs/performance.md, session 10). The full browser where only it is installed.
CHROMIUM_BUILDS = (Path("/usr/bin/chromium-headless-shell"), Path("/usr/bin/chromium"))
CHROMIUM = next((build for build in CHROMIUM_BUILDS if build.exists()), CHROMIUM_BUILDS[0])


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


START_TIMEOUT_S = 120.0  # the server imports Solara and the model: over 45 s at a load of 20 on 2 cores


UI_TIMEOUT_MS = 90_000  # generous: the suite runs beside other tests on 2 cores (CI), and Reset rebuilds a model


# How often a wait looks at the page again. Playwright's own default for `wait_for_function`, every
# animation frame, keeps headless Chromium drawing 60 frames a second for as long as a test waits:
# 0.45-0.70 s of Chromium's CPU per 10 s of waiting on a page that does not change, 0.04-0.17 s
# polled every 50 ms (measured alternately, docs/performance.md, session 13), and the browser
# tests spend most of their time waiting.
POLL_MS = 50


def _need_browser():
    """Playwright's sync API, or skip (fail in CI) saying how to install what is missing."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"Chromium at {' or '.join(map(str, CHROMIUM_BUILDS))}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
        missing.append("Playwright for Python")
    if missing:
        message = (f"browser test needs {' and '.join(missing)}: `apt-get install chromium-headless-shell` (or "
                   "`.ci/install-browser`) and `pip install playwright` (no `playwright install`)")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return sync_playwright


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"`run.py viz` exited with {proc.returncode}:\n{log.read_text()}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"the app did not listen on port {port} within {START_TIMEOUT_S:.0f} s:\n{log.read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    """Stop the app's server: politely, then for good after 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def serve_app(tmp_path_factory):
    """(address, server log) of one `run.py viz` shared by the browser tests (the fixture
    `app_server`): each test opens its own browser context, so each has a tab (and runs) of its own,
    as two machines would; starting the server (importing Solara and the model) is the costliest
    part of a test. A generator: the server is stopped when it is closed."""
    port = _free_port()
    log = tmp_path_factory.mktemp("viz") / "viz.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "run.py", "viz", "--port", str(port), "--host", "127.0.0.1"],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, proc, log)
        yield f"http://127.0.0.1:{port}/", log
    finally:
        _stop(proc)


def launch_chromium():
    """One headless Chromium for a module's browser tests (the fixture `browser`; a new context
    per test). A generator: the browser is closed when it is."""
    sync_playwright = _need_browser()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def open_page(browser):
    """(The fixture `page`.) A page at 1280 × 720 in a fresh browser context; JavaScript errors are collected in `page.js_errors`."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)  # every action's hang guard, as in the class session's test (30 s by default)
    page.js_errors = []
    page.on("pageerror", lambda err: page.js_errors.append(str(err)))
    yield page
    context.close()


def _server_clean(log: Path) -> None:
    """No traceback in the server's log so far (every test of the module shares the server)."""
    text = log.read_text()
    assert "Traceback" not in text, f"the server logged an error:\n{text[-3000:]}"


VIEWPORT = {"width": 1280, "height": 720}  # a classroom projector


ERROR_TEXT = ("Traceback", "Something went wrong", "could not be drawn")


def _no_python_error(page) -> None:
    text = page.inner_text("body")
    for marker in ERROR_TEXT:
        assert marker not in text, f"the page shows an error ({marker}):\n{text[:3000]}"


def wait_until(page, expression: str, arg=None, timeout: float = UI_TIMEOUT_MS) -> None:
    """Wait until the JavaScript `expression` (a function of `arg`) is truthy on `page`, looking
    every `POLL_MS`; Playwright's TimeoutError after `timeout` ms."""
    page.wait_for_function(expression, arg=arg, timeout=timeout, polling=POLL_MS)


def _wait_text(page, selector: str, pattern: str, timeout: float = UI_TIMEOUT_MS) -> str:
    """Wait until the first element matching `selector` contains `pattern`; its text."""
    wait_until(page, "([s, p]) => { const e = document.querySelector(s); return e && e.innerText.includes(p); }",
                           arg=[selector, pattern], timeout=timeout)
    return page.inner_text(selector)


def _idle(page) -> None:
    """No background action under way (Reset, scenario change, side by side, rewind): the busy
    notice, if it came, has gone and the buttons are enabled again."""
    page.wait_for_timeout(150)
    wait_until(page, "() => !document.querySelector('.corridor-busy') && "
                           "!document.querySelector('button.corridor-reset').disabled", timeout=UI_TIMEOUT_MS)


def _on_screen(page, selector: str, text: str) -> None:
    """`text` is inside an element matching `selector` that lies within the 1280 × 720 viewport."""
    box = page.locator(selector, has_text=text).first.bounding_box()
    assert box is not None, f"{text!r} is not shown in {selector}"
    assert box["y"] >= 0 and box["y"] + min(box["height"], 20) <= VIEWPORT["height"], (text, box)


def _step(page, times: int = 1) -> None:
    for _ in range(times):
        before = page.inner_text(".corridor-side-a .corridor-clock")
        page.click("button.corridor-step")
        wait_until(page, "b => document.querySelector('.corridor-side-a .corridor-clock').innerText !== b",
                               arg=before, timeout=UI_TIMEOUT_MS)


def _speed(page, text: str) -> None:
    shown = "+24 H" if text == "1 day" else f"+{text.split()[0]} H"
    wait = "t => document.querySelector('button.corridor-step').innerText.includes(t)"
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.locator(".corridor-speed button", has_text=text).click()
    try:
        wait_until(page, wait, arg=shown, timeout=15_000)
    except PlaywrightTimeout:  # seen once under a load of 20 (lesson 6, 1 day to 1 h): say so, click again
        print(f"\nthe speed {text!r} was not taken within 15 s; clicked again")
        page.locator(".corridor-speed button", has_text=text).click()
        wait_until(page, wait, arg=shown, timeout=UI_TIMEOUT_MS)


def _drawer(page, open_: bool) -> None:
    """Open (or close) the Controls drawer and wait until it is so. One click: a click lost here
    (seen in CI after a rewind, under a second worker's load) was the toolbar's buttons being made
    anew as a background action started or ended (tests/test_app_clicks.py), not a test's to retry."""
    wait = "o => !!document.querySelector('.corridor-drawer') === o"
    if not page.evaluate(wait, open_):
        page.click("button.corridor-drawer-toggle")
        wait_until(page, wait, arg=open_, timeout=UI_TIMEOUT_MS)


def _switch(page, selector: str, on: bool) -> None:
    """Turn the switch (a checkbox) at `selector` on or off. A click made while the page re-renders
    can be lost (Playwright: "Clicking the checkbox did not change its state", seen as side B's
    controls were drawn at a load of 9): say so and click again, as `_speed` does."""
    from playwright.sync_api import Error as PlaywrightError

    for attempt in range(3):
        try:
            page.locator(selector).set_checked(on, force=True)
            return
        except PlaywrightError:
            if attempt == 2:
                raise
            print(f"\nthe switch {selector} did not turn {'on' if on else 'off'}; clicked again")


def _choose(page, select: str, item: str) -> None:
    """Pick `item` in a drop-down: a scenario by its whole title ("Russian co-optation", not
    "Campaign with a Russian co-optation push"), anything else by part of its text."""
    page.click(f"{select} .v-select__slot")
    text = re.compile(rf"^\s*{re.escape(item)}\s*(\(|$)") if "scenario" in select else item  # "Title (file)"
    page.locator(".menuable__content__active .v-list-item", has_text=text).first.click()


def _fighters(page, side: str, faction: str) -> float:
    cell = page.inner_text(f".corridor-side-{side} .corridor-faction-{faction} .corridor-m-strength")
    return float(cell.replace(",", ""))
