"""The classroom app's pieces that need no browser: "Go to" read as a step, the export's frame
choice around incidents, the text-size CSS, the convoy strip's rows, the plain words of the
status line and the log, and the network guard (warning, Host/Origin allow-list)."""

from __future__ import annotations

import asyncio
import datetime as dt
from types import SimpleNamespace

import pytest

from sim.app.export import frame_steps
from sim.app.goto import step_for, time_label
from sim.app.monitors import ConvoyStatus
from sim.app.network import HostGuard, is_loopback, network_warning
from sim.app.presenter import font_css, scaled_css
from sim.figures.live_charts import STRIP_ROWS, strip_rows
from sim.program.errors import UserError
from sim.results.event_log import fighters_text
from sim.world.calendar import Calendar


def _model(step_hours: float = 1.0, n_steps: int = 8760, start=dt.date(2017, 11, 19)):
    return SimpleNamespace(step_hours=step_hours, n_steps=n_steps, calendar=Calendar(start, step_hours))


@pytest.mark.parametrize(("text", "step"), [
    ("120", 2880), ("day 120", 2880), ("Day 3 14:00", 86), ("0", 0), ("end", 8760), ("day 400", 8760),
    ("2017-11-20", 24), ("2018-01-01", 43 * 24),
])
def test_go_to_reads_a_day_an_hour_a_date_or_the_end(text, step):
    assert step_for(text, _model()) == step, f"'{text}' should be step {step} of a 1 h, 365-day run"


def test_go_to_rounds_up_to_the_next_step_and_refuses_what_it_cannot_read():
    six_hourly = _model(step_hours=6.0, n_steps=60)
    assert step_for("day 1 07:00", six_hourly) == 6, "31 h on 6 h steps: the step that starts at 36 h"
    for bad, said in (("tomorrow", "not understood"), ("day 2 25:00", "not a time of day"),
                      ("2017-11-01", "before the run starts")):
        with pytest.raises(UserError, match=said):
            step_for(bad, _model())
    assert time_label(_model(), 86) == "day 3 14:00 (2017-11-22)"


def test_the_animation_shows_every_hour_around_an_incident_and_every_six_otherwise():
    steps, near = frame_steps(1.0, 30, [14.0])
    assert near == set(range(8, 21)), "hourly from 6 h before to 6 h after the incident at hour 14"
    assert steps == [0, 6, *range(8, 21), 24, 30], steps
    long_steps, _ = frame_steps(1.0, 8760, [])
    assert len(long_steps) <= 400 and long_steps[0] == 0 and long_steps[-1] == 8760, "a year fits in 400 frames"


def test_every_text_size_follows_the_presenters_factor():
    css = ".a { font-size: 14px; } .b { color: red; font-size:22.5px }"
    assert scaled_css(css) == (".a { font-size: calc(14px * var(--corridor-font, 1)); } "
                               ".b { color: red; font-size: calc(22.5px * var(--corridor-font, 1)) }")
    assert font_css(1.3) == ":root { --corridor-font: 1.3; }"


def _convoys(*states):
    return SimpleNamespace(convoys=[SimpleNamespace(state=SimpleNamespace(value=s)) for s in states])


def test_the_convoy_strip_shows_the_convoys_on_the_road_then_the_latest_that_ended():
    assert STRIP_ROWS == 4
    many = _convoys("arrived", "withdrawn", "arrived", "moving", "destroyed", "standoff", "arrived")
    assert strip_rows(many) == [3, 4, 5, 6], "two on the road (3, 5) and the two latest ended (4, 6), in order"
    busy = _convoys("moving", "arrived", "moving", "waiting", "standoff", "withdrawing")
    assert strip_rows(busy) == [2, 3, 4, 5], "more on the road than rows: the latest of them"
    assert strip_rows(_convoys()) == []


def test_the_status_line_says_what_became_of_a_convoy_in_plain_words():
    def status(state):
        return ConvoyStatus("R1", 0, state, 0.0, 1.0, 0.0, "Albu Kamal crossing", "Al-Mayadeen")

    assert status("arrived").words() == "now a post at Albu Kamal crossing"
    assert status("withdrawn").words() == "turned back (home at Al-Mayadeen)"
    assert status("moving").words() == "moving toward Albu Kamal crossing"
    assert status("standoff").words() == "standoff" and status("standoff").current
    assert not status("destroyed").current


def test_fighters_are_counted_in_words():
    assert [fighters_text(n) for n in (0, 0.3, 0.6, 1, 30, 1234.4)] == [
        "no fighters", "less than one fighter", "1 fighter", "1 fighter", "30 fighters", "1,234 fighters"]


def test_a_non_loopback_bind_is_warned_about():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert network_warning("127.0.0.1", 8765) is None
    warning = network_warning("0.0.0.0", 8765)
    assert warning and "reachable from the network" in warning, warning
    assert not is_loopback("192.168.1.20")


def _call(guard: HostGuard, kind: str, headers: dict[str, str]) -> list[dict]:
    sent: list[dict] = []

    async def app(scope, receive, send):
        await send({"type": "app", "reached": True})

    async def receive():
        return {"type": "websocket.connect"}

    async def send(message):
        sent.append(message)

    guard.app = app
    scope = {"type": kind, "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}
    asyncio.run(guard(scope, receive, send))
    return sent


def test_requests_under_a_foreign_host_or_origin_are_refused():
    guard = HostGuard(None, {"127.0.0.1", "localhost"})
    assert _call(guard, "http", {"host": "127.0.0.1:8765"}) == [{"type": "app", "reached": True}]
    assert _call(guard, "http", {"host": "localhost:8765", "origin": "http://localhost:8765"})[0]["type"] == "app"
    refused = _call(guard, "http", {"host": "evil.example"})
    assert refused[0]["status"] == 403, "a rebound DNS name must not reach the app"
    assert _call(guard, "http", {"host": "127.0.0.1:8765", "origin": "http://evil.example"})[0]["status"] == 403
    assert _call(guard, "websocket", {"host": "127.0.0.1:8765", "origin": "https://evil.example"}) == [
        {"type": "websocket.close", "code": 1008}], "a websocket from another site's page is refused"
    assert _call(guard, "http", {})[0]["status"] == 403, "no Host header: refused"
