"""The class session without a browser (sim/app/session.py, fog.py, gate.py, class_views.py):
the join code and who may join, one team per command, a team's order carried out by its
planner, an undecided team given exactly the planner's choice, fog of war on a hand-made map,
and the gate in front of every page and websocket."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import numpy as np
import pytest

from sim.app.class_views import option_text, team_log_html
from sim.app.debrief import planners_only
from sim.app.fog import SENSE_KM, visible_units
from sim.app.gate import CODE_COOKIE, SEAT_COOKIE, TEACHER_COOKIE, ClassGate
from sim.app.session import CODE_ALPHABET, CODE_LENGTH, STAFF, WAIT, ClassSession, new_code
from sim.program.errors import UserError
from sim.world.factions import ALLIED, NEUTRAL, RIVAL

from conftest import SCENARIOS

CAMPAIGN = SCENARIOS / "corridor_campaign.yaml"
DAY = 24  # the campaign's steps (1 h) to its planners' first cycle (every_hours 24)


def _until(s: ClassSession, done, what: str, seconds: float = 60.0) -> None:
    """Wait for the session's thread until `done()`; fail saying `what` was expected otherwise."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"expected within {seconds:.0f} s: {what}"
        s.wait_change(s.version, 0.5)


@pytest.fixture
def session():
    s = ClassSession(CAMPAIGN, decide_seconds=0.0)  # no time to decide: undecided teams get the staff's choice
    yield s
    s.end()
    s.join_thread(5)


def test_join_codes_are_random_unambiguous_and_checked_without_case():
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200, "200 codes of 25^6 ≈ 2.4e8: a repeat would mean they are not random"
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set("0O1IL2Z5S8B") & set(CODE_ALPHABET), "no look-alike characters on a projector"


def test_joining_taking_a_command_and_bad_input(session):
    s = session
    assert s.check_code(s.join_code.lower()) and s.check_code(f" {s.join_code} ")
    assert not s.check_code("AAAAAA") and not s.check_code(None) and not s.check_code("é")
    a = s.join("  Falcons  ")
    assert a.name == "Falcons" and s.team(a.seat) is a
    for bad in ("", "   ", "x" * 31, "tab\tin\x00it"):
        with pytest.raises(UserError, match="Team name"):
            s.join(bad)
    with pytest.raises(UserError, match="has joined already"):
        s.join("falcons")
    b = s.join("Owls")
    russia = s.run.model.factions.ids.index("russia")
    s.take(a.seat, russia)
    with pytest.raises(UserError, match="Team Falcons commands Russian forces already"):
        s.take(b.seat, russia)
    with pytest.raises(UserError, match="No such faction"):
        s.take(b.seat, 99)
    isis = s.run.model.factions.ids.index("insurgents")
    s.take(b.seat, isis)
    assert s.team_of(russia) is a and s.team_of(isis) is None, "ISIS has no planner: its team watches"
    with pytest.raises(UserError, match="Only a team that commands"):
        s.pick(b.seat, WAIT)
    with pytest.raises(UserError, match="no decision to make now"):
        s.pick(a.seat, WAIT)


def test_an_undecided_team_gets_exactly_the_planners_choice(session):
    s = session
    russia = s.run.model.factions.ids.index("russia")
    s.take(s.join("Falcons").seat, russia)
    s.advance()  # the teacher starts; the run is stepped here, in the test's thread
    s.run.advance(DAY * 3 + 1)  # three cycles, no decision in time (decide_seconds=0)
    computer = planners_only(s.run)
    ours = [e.text for e in s.run.model.log.entries if e.kind == "decision" and "Russian" in e.text]
    theirs = [e.text for e in computer.model.log.entries if e.kind == "decision" and "Russian" in e.text]
    assert len(ours) == 3 and all("as team Falcons did not decide in time" in t for t in ours), ours
    acted = [t.split(") ", 1)[1] for t in ours if not t.endswith(" waits")]
    assert acted and acted == [t.removeprefix("Russian forces command ") for t in theirs if " waits" not in t]
    np.testing.assert_array_equal(s.run.model.recorder.strength, computer.model.recorder.strength,
                                  err_msg="the staff's choice is the planner's: the two runs are the same")


def test_a_teams_order_is_carried_out_by_its_planner_and_a_hold_changes_the_run():
    s = ClassSession(CAMPAIGN, decide_seconds=30.0)
    russia = s.run.model.factions.ids.index("russia")
    seat = s.join("Falcons").seat
    s.take(seat, russia)
    s.start()
    s.advance()
    _until(s, lambda: s.options_for(russia) is not None, "the team's options at the first cycle (day 1)")
    with s.cond:  # the model's thread waits for the team: its planner's options are the ones shown
        planner = s.run.model.planners[russia]
        assert [o.action for o in s.options_for(russia)] == [o.action for o in planner.options() if o.act]
        assert any(o.action.startswith("sends convoy R1 ") for o in planner.options())
    with pytest.raises(UserError, match="not one of your options"):
        s.pick(seat, "calls strikes on everyone")
    s.pick(seat, WAIT)
    s.pause()
    _until(s, lambda: s.cycle.closed and s.run.model.hours > DAY, "the run past the first cycle")
    s.end()
    s.join_thread(5)
    decisions = [e.text for e in s.run.model.log.entries if e.kind == "decision" and "Russian" in e.text]
    assert decisions[0] == "Russian forces command (team Falcons) waits"
    assert all(c.label != "R1" for c in s.run.model.convoys), \
        "the team held: no convoy R1 set off at the first cycle, though the planner would have sent it"


def test_staff_and_an_option_picked_by_wording(session):
    s = session
    s.decide_seconds = 600.0
    russia, iran = (s.run.model.factions.ids.index(f) for f in ("russia", "iran_militia"))
    seat, other = s.join("Falcons").seat, s.join("Owls").seat
    s.take(seat, russia)
    s.take(other, iran)
    s.start()
    s.advance()
    _until(s, lambda: s.options_for(russia) is not None, "the team's options at the first cycle (day 1)")
    reinforce = s.options_for(russia)[1]
    s.pick(seat, STAFF)
    s.pick(seat, reinforce.action)  # a team may change its order until the cycle closes
    assert not s.cycle.closed, "the Owls have not decided"
    s.pick(other, WAIT)
    assert s.cycle.closed, "every team decided: the cycle closes at once"
    s.pause()
    _until(s, lambda: s.run.model.hours > DAY, "the run past the first cycle")
    first = next(e.text for e in s.run.model.log.entries if e.kind == "decision" and "Russian" in e.text)
    assert first.startswith(f"Russian forces command (team Falcons) {reinforce.action}"), first


def _unit(faction, rc, alive=True):
    return SimpleNamespace(faction=faction, rc=rc, alive=alive)


def test_fog_shows_own_and_allied_units_and_others_only_within_the_sensing_radius():
    relation = np.array([[ALLIED, RIVAL, ALLIED], [RIVAL, ALLIED, NEUTRAL], [ALLIED, NEUTRAL, ALLIED]])
    cell_km = 2.0
    mine, ally = _unit(0, (0, 0)), _unit(2, (50, 50))
    near = _unit(1, (0, round(SENSE_KM / cell_km)))  # exactly SENSE_KM east of mine: seen
    far = _unit(1, (0, round(SENSE_KM / cell_km) + 1))  # 2 km further: not seen
    by_ally = _unit(1, (50, 52))  # 4 km from the ally: seen
    lonely = _unit(1, (30, 0))  # 60 km from mine, 107 km from the ally
    dead = _unit(1, (0, 1), alive=False)
    model = SimpleNamespace(agents=[mine, ally, near, far, by_ally, lonely, dead],
                            factions=SimpleNamespace(relation=relation), map=SimpleNamespace(cell_km=cell_km))
    assert visible_units(model, 0) == [mine, ally, near, by_ally]
    assert visible_units(model, 1) == [mine, ally, near, far, by_ally, lonely], (
        "faction 1 sees mine 10 km from its unit, the ally 4 km from another; 2 is neutral to it, not allied")
    model.agents.remove(by_ally)
    assert visible_units(model, 1) == [mine, near, far, lonely], "without by_ally, the ally is 100 km from any"
    assert visible_units(model, None) == [mine, ally, near, far, lonely], "the teacher's revealed map: everyone"


def test_scores_are_hidden_from_teams_unless_shown(session):
    option = SimpleNamespace(action="reinforces X", score=1.0,
                             reason="512 rival fighters within 10 km against 99 (5.1 : 1; score 1.00)")
    assert option_text(option, False) == ("reinforces X", "512 rival fighters within 10 km against 99 (5.1 : 1)")
    assert option_text(option, True)[1].endswith("(5.1 : 1; score 1.00)")
    russia = session.run.model.factions.ids.index("russia")
    session.run.advance(DAY + 2)
    log = team_log_html(session, russia)
    assert "sends convoy R1" in log and "score" not in log
    session.show(True)  # the teacher shows the scores
    assert "(score 1.00)" in team_log_html(session, russia), "the convoy's score: objective 1, no tension, risk or setback"


def _call(gate, scope) -> list[dict]:
    sent = []

    async def receive():
        return {"type": "websocket.connect"}

    async def send(message):
        sent.append(message)

    asyncio.run(gate(scope, receive, send))
    return sent


def _request(path, cookies=None, query=b"", kind="http"):
    headers = [(b"cookie", "; ".join(f"{k}={v}" for k, v in (cookies or {}).items()).encode())] if cookies else []
    return {"type": kind, "path": path, "query_string": query, "headers": headers}


def test_the_gate_admits_only_the_code_or_the_teacher_key(session):
    reached = []

    async def app(scope, receive, send):
        reached.append(scope["path"])

    gate = ClassGate(app, session)
    for path in ("/", "/static/main.js", "/_solara/api/x"):
        sent = _call(gate, _request(path))
        assert sent[0]["status"] == 403 and b"join code" in sent[1]["body"], path
    assert _call(gate, _request("/jupyter/api/kernels/x/channels", kind="websocket")) == [
        {"type": "websocket.close", "code": 1008}]
    assert _call(gate, _request("/", {CODE_COOKIE: "WRONG1"}))[0]["status"] == 403
    assert reached == []
    wrong = _call(gate, _request("/join", query=b"code=WRONG1&team=Owls"))
    assert wrong[0]["status"] == 403 and b"not the join code" in wrong[1]["body"]
    bad = _call(gate, _request("/join", query=f"code={session.join_code}&team=%3Cb%3E{'x' * 40}".encode()))
    assert bad[0]["status"] == 400 and b"Team name" in bad[1]["body"] and b"<b>" not in bad[1]["body"]
    ok = _call(gate, _request("/join", query=f"code={session.join_code.lower()}&team=Owls".encode()))
    cookies = [v.decode() for k, v in ok[0]["headers"] if k == b"set-cookie"]
    assert ok[0]["status"] == 303 and len(cookies) == 2 and all("HttpOnly; SameSite=Strict" in c for c in cookies)
    seat = next(c for c in cookies if c.startswith(SEAT_COOKIE)).split(";")[0].split("=", 1)[1]
    assert session.team(seat).name == "Owls"
    _call(gate, _request("/", {CODE_COOKIE: session.join_code}))
    _call(gate, _request("/jupyter/api/kernels/x/channels", {CODE_COOKIE: session.join_code}, kind="websocket"))
    assert _call(gate, _request("/teacher", query=b"key=guess"))[0]["status"] == 403
    teacher = _call(gate, _request("/teacher", query=f"key={session.teacher_key}".encode()))
    assert teacher[0]["status"] == 303
    _call(gate, _request("/", {TEACHER_COOKIE: session.teacher_key}))
    assert reached == ["/", "/jupyter/api/kernels/x/channels", "/"]
