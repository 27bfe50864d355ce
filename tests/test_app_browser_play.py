"""The web app in a real headless browser, played: lessons 2 and 6 side by side, Play and Pause
in frames of one step and of many, every speed offered, clicks queued while the app is busy, the
map's presenter size with the controls open, "Go to" a day. On the server of tests/test_app_browser.py (tests/browser.py, the session
fixture `app_server` of tests/conftest.py): the two modules are one xdist group."""

from __future__ import annotations

import time

import pytest
from browser import (
    UI_TIMEOUT_MS,
    VIEWPORT,
    _choose,
    _drawer,
    _idle,
    _no_python_error,
    _server_clean,
    _speed,
    _switch,
    _wait_text,
    wait_until,
)

from sim.app.toolbar import FRAME_SECONDS


def _map_share_and_label_px(page, selector: str = ".corridor-side-a img.corridor-map") -> tuple[float, float]:
    from sim.figures.live import DPI, LABEL_PT

    width, height, natural = page.evaluate(
        "s => { const i = document.querySelector(s); const b = i.getBoundingClientRect();"
        " return [b.width, b.height, i.naturalWidth]; }", selector)
    return width * height / (VIEWPORT["width"] * VIEWPORT["height"]), LABEL_PT * DPI / 72 * width / natural


def _clock_hours(text: str) -> float:
    """The app's clock, e.g. '2017-12-09 00:00 (day 20)', in hours since an arbitrary origin."""
    from datetime import datetime

    return datetime.strptime(text.split(" (")[0], "%Y-%m-%d %H:%M").timestamp() / 3600.0


def _play_then_pause(page, speed: str) -> None:
    """At `speed`: Play, the clock advances (twice); Pause, and from then on the clock moves by at
    most two frames: the frame under way when Pause was clicked, and one the loop may have begun
    before the click reached the server. It is read twice after Pause, each time after two frame
    periods as measured while playing (at least two of the app's shortest, `FRAME_SECONDS`); a loop
    still playing would have drawn about four frames by the second reading. The bound is counted in frames (simulated hours), not in
    seconds, so a loaded machine on which the last frame lands late passes, and a Pause that does
    not stop the loop still fails."""
    _speed(page, speed)
    frame_hours = 24.0 if speed == "1 day" else float(speed.split()[0])
    start = page.inner_text(".corridor-side-a .corridor-clock")
    page.click("button.corridor-play")
    moved = "b => { const c = document.querySelector('.corridor-side-a .corridor-clock'); return c && c.innerText !== b; }"
    wait_until(page, moved, arg=start, timeout=UI_TIMEOUT_MS)
    once, first_frame = page.inner_text(".corridor-side-a .corridor-clock"), time.perf_counter()
    wait_until(page, moved, arg=once, timeout=UI_TIMEOUT_MS)
    period = time.perf_counter() - first_frame
    watched = max(2 * FRAME_SECONDS, 2.0 * period)
    page.click("button.corridor-pause")
    at_pause = page.inner_text(".corridor-side-a .corridor-clock")
    page.wait_for_timeout(watched * 1000)
    stopped = page.inner_text(".corridor-side-a .corridor-clock")
    page.wait_for_timeout(watched * 1000)
    later = page.inner_text(".corridor-side-a .corridor-clock")
    frames = (_clock_hours(later) - _clock_hours(at_pause)) / frame_hours
    assert frames <= 2, (f"at {speed} the clock went on after Pause: {at_pause} at the click, {stopped} "
                         f"{watched:.1f} s after, {later} {watched:.1f} s later: {frames:g} frames "
                         f"(a frame took {period:.1f} s while playing)")
    page.wait_for_selector("button.corridor-play:not([disabled])", timeout=UI_TIMEOUT_MS)


@pytest.mark.xdist_group("app_browser")
def test_side_by_side_plays_and_pauses_in_frames_of_one_step_and_of_many_lessons_2_and_6(app_server, page, tmp_path):
    """Lessons 2 and 6 side by side: Play advances both runs and Pause stops them within a frame,
    in frames of one step (1 h) and of many (1 day of the campaign); every speed is offered and
    taken; clicks made during a busy action are queued, not lost; the map keeps its presenter size
    (≥ 40 % of 1280 × 720, labels ≥ 14 px) with the controls open; "Go to" a day lands on it; the
    status line lists only the convoys on the road.

    Play and Pause once per kind of frame, not at every speed: both scenarios step 1 h, so 3, 6, 12
    and 24 h are all frames of many steps, which Pause stops between two steps
    (`sim.app.state.Controller.advance`, `sim.app.toolbar._Paused`); 1 h is a frame of one step,
    which Pause stops between frames (`sim.app.toolbar.play_loop`). Many steps are played on the
    campaign's day side by side, the frame that can outlast the second within which Pause must
    stop the clock. Each Play and Pause cost 1.3–2.7 s of the server's and Chromium's CPU; the
    five left out, ~9 s (docs/performance.md, session 14)."""
    from sim.app.state import SPEEDS_HOURS

    app_url, server_log = app_server
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        wait_until(page, "() => { const i = document.querySelector('img.corridor-map');"
                               " return i && i.complete && i.naturalWidth > 600; }", timeout=UI_TIMEOUT_MS)

        # keyboard shortcuts: + enlarges the text, C opens the controls
        page.keyboard.press("+")
        _wait_text(page, ".corridor-font-size", "text 115%")
        page.keyboard.press("-")
        _wait_text(page, ".corridor-font-size", "text 100%")

        # the controls open beside the map, which keeps its presenter size
        page.keyboard.press("c")
        page.wait_for_selector(".corridor-compare", timeout=UI_TIMEOUT_MS)
        share, label_px = _map_share_and_label_px(page)
        print(f"\nwith the controls open: map {share:.0%} of the screen, labels {label_px:.1f} px")
        assert share >= 0.40 and label_px >= 14.0, (share, label_px)

        # lesson 2, two clicks in a row while the first is busy: both are carried out
        _choose(page, ".corridor-scenario-a", "Russian co-optation")
        _switch(page, ".corridor-compare input", True)
        _idle(page)
        _wait_text(page, ".corridor-side-b h3", "Russian co-optation")
        _wait_text(page, ".corridor-side-a h3", "Russian co-optation")
        for hours in SPEEDS_HOURS[1:]:  # each speed is taken: the Step button says it
            _speed(page, f"{hours} h" if hours < 24 else "1 day")
        _play_then_pause(page, f"{SPEEDS_HOURS[0]} h")
        # the two runs step together: once both sides have drawn their last step, the clocks agree
        wait_until(page, "() => { const a = document.querySelector('.corridor-side-a .corridor-clock');"
                               " const b = document.querySelector('.corridor-side-b .corridor-clock');"
                               " return a && b && a.innerText === b.innerText; }", timeout=UI_TIMEOUT_MS)
        _no_python_error(page)

        # lesson 6: the campaign side by side with the planners off
        _choose(page, ".corridor-scenario-a", "Corridor campaign")
        _idle(page)
        _choose(page, ".corridor-scenario-b", "Campaign without planners")
        _idle(page)
        _wait_text(page, ".corridor-side-b h3", "Campaign without planners")
        _drawer(page, False)
        _play_then_pause(page, "1 day")
        goto = page.locator(".corridor-goto-input input")
        goto.fill("day 20")
        goto.press("Enter")
        _idle(page)
        _wait_text(page, ".corridor-side-a .corridor-clock", "2017-12-09 00:00 (day 20)")
        _wait_text(page, ".corridor-side-b .corridor-clock", "2017-12-09 00:00 (day 20)")  # B goes to day 20 too
        assert len(page.locator(".corridor-side-a .corridor-convoy").all()) <= 8, "only the convoys on the road"
        _no_python_error(page)
        assert not page.js_errors, page.js_errors
    except Exception:
        page.screenshot(path=str(tmp_path / "failed.png"))
        print(f"page at the failure (screenshot {tmp_path / 'failed.png'}):\n{page.inner_text('body')[:2000]}")
        print(server_log.read_text()[-3000:])
        raise
    _server_clean(server_log)
