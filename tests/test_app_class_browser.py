"""A class session in a real headless browser (Playwright + Chromium, one browser context per
person, as separate machines would be): `python run.py viz --class` serves it; a teacher and
three student teams join with the code, each team takes one faction's command and decides
through two planning cycles, a browser without the code is refused everywhere (page, join form,
files, websocket), a team's map shows only what its faction sees, and the debrief lists every
team's decisions beside the computer planners'. No traceback on any page or in the server log.

Needs Chromium and Playwright as tests/browser.py says (skipped without them, failed in CI).
"""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    UI_TIMEOUT_MS,
    _free_port,
    _need_browser,
    _stop,
    _wait_for_port,
    wait_until,
)

from conftest import ROOT

SCENARIO = "scenarios/corridor_campaign.yaml"
TEAMS = {"Falcons": "Russian forces", "Owls": "Iran-backed militias", "Herons": "US-led coalition / SDF"}
ERROR_TEXT = ("Traceback", "Something went wrong", "could not be drawn")


@pytest.fixture
def class_server(tmp_path):
    """(base address, teacher address, join code, server log) of a class session on a free port."""
    port = _free_port()
    log = tmp_path / "viz.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "run.py", "viz", SCENARIO, "--class", "--port", str(port),
                                 "--decide-seconds", "120"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, proc, log)
        text = log.read_text()
        teacher = re.search(r"teacher \(keep it to yourself\): (\S+)", text).group(1)
        code = re.search(r"join code (\w+)", text).group(1)
        yield f"http://127.0.0.1:{port}", teacher, code, log
    finally:
        _stop(proc)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def _no_error(page) -> None:
    text = page.inner_text("body")
    for marker in ERROR_TEXT:
        assert marker not in text, f"the page shows an error ({marker}):\n{text[:2000]}"


def _units_of(page, faction: str) -> int:
    """Units of `faction` on the page's map (its hover labels name each unit's faction)."""
    titles = page.eval_on_selector_all(".class-team-map svg circle title", "els => els.map(e => e.textContent)")
    return sum(f"({faction})" in t for t in titles)


def test_a_class_session_with_three_teams_two_cycles_fog_and_debrief(class_server):
    sync_playwright = _need_browser()
    base, teacher_url, code, log = class_server

    # without the code: refused with a message, never the app (page, a file, the join form)
    status, body = _get(f"{base}/")
    assert status == 403 and "join code" in body, (status, body[:300])
    assert _get(f"{base}/static/main-vuetify.js")[0] == 403, "a file must not be served without the code"
    status, body = _get(f"{base}/join?code=WRONG1&team=Eagles")
    assert status == 403 and "not the join code" in body, (status, body[:300])
    status, body = _get(f"{base}/join?code={code}&team=%00")
    assert status == 400 and "Team name" in body, "bad input from a student browser: a message on the form"
    assert "Traceback" not in body

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        viewport = {"width": 1280, "height": 720}
        teacher = browser.new_context(viewport=viewport).new_page()
        teacher.set_default_timeout(UI_TIMEOUT_MS)
        teacher.goto(teacher_url)
        teacher.wait_for_selector(".class-code")
        assert teacher.inner_text(".class-code").strip() == code
        assert teacher.locator(".class-qr svg").count() == 1, "the console shows the join address as a QR code"

        stranger = browser.new_context(viewport=viewport).new_page()
        stranger.goto(f"{base}/")
        assert "needs its join code" in stranger.inner_text("body")
        stranger.goto(f"{base}/join")  # the websocket of an app page opened without the code is refused
        assert stranger.evaluate("""url => new Promise(done => { const ws = new WebSocket(url);
            ws.onopen = () => done('open'); ws.onclose = () => done('closed'); })""",
                                 base.replace("http", "ws") + "/jupyter/api/kernels/x/channels") == "closed"

        pages = {}
        for name, faction in TEAMS.items():
            page = browser.new_context(viewport=viewport).new_page()
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.goto(f"{base}/join")
            page.fill("input.join-code", code.lower())  # typed in lower case: accepted
            page.fill("input.join-team", name)
            page.click("button.join-button")
            page.locator("button.class-take", has_text=faction).click()
            page.wait_for_selector(".class-team-map img.corridor-map")
            assert page.locator(".class-advance").count() == 0, "a team must not see the teacher's controls"
            pages[name] = page
        wait_until(teacher, "() => document.querySelectorAll('table.class-teams tr').length === 4")

        teacher.click("button.class-advance")
        decided_at = []
        for cycle in range(2):
            for page in pages.values():
                page.wait_for_selector("button.class-hold")
            clock = pages["Falcons"].inner_text(".class-clock")
            decided_at.append(clock)
            if cycle == 0:  # the fog of war, on the situation the teams decide on
                own = _units_of(pages["Owls"], "Iran-backed militias")
                seen_by_russia = _units_of(pages["Falcons"], "Iran-backed militias")
                seen_by_coalition = _units_of(pages["Herons"], "Iran-backed militias")
                assert own > 0 and _units_of(pages["Falcons"], "Russian forces") > 0
                assert seen_by_russia < own and seen_by_coalition < own, (
                    f"the militias' team sees its {own} units; Russia's and the coalition's teams only those "
                    f"near their own units (saw {seen_by_russia} and {seen_by_coalition})")
            for i, (name, page) in enumerate(pages.items()):
                options = page.locator("button.class-option")
                if name == "Owls" and cycle == 1:
                    page.click("button.class-staff")
                elif name == "Herons" or options.count() == 0:
                    page.click("button.class-hold")
                else:
                    options.first.click()
                if i < len(pages) - 1:  # the last team's order closes the cycle: the run goes on at once
                    page.wait_for_selector(".class-chosen")
                _no_error(page)
            for page in pages.values():  # every team decided: the model runs on to the next cycle
                wait_until(page, "c => document.querySelector('.class-clock').innerText !== c", arg=clock)
        assert decided_at[0] != decided_at[1], decided_at

        teacher.click("button.class-end")
        teacher.wait_for_selector(".class-debrief table.corridor-debrief")
        debrief = teacher.inner_text(".class-debrief")
        for name in TEAMS:
            decided = debrief.count(f"(team {name})") + debrief.count(f"as team {name} ")
            assert decided >= 2, f"team {name}'s two decisions are in the debrief:\n{debrief}"
        assert "the staff, as team Owls asked" in debrief
        assert "computer planners" in teacher.inner_text("body")
        for page in (teacher, *pages.values()):
            _no_error(page)
        browser.close()
    server_log = log.read_text()
    assert "Traceback" not in server_log and "ERROR" not in server_log, server_log[-3000:]
