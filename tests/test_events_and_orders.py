"""Events on the timeline: spawns, `set`, `enable` and `disable` at their time (sim/submodels/timeline.py)."""

from __future__ import annotations

import pytest

from sim.model import CorridorModel
from sim.scenario import load_scenario

from conftest import SCENARIOS

BLOCKADE = SCENARIOS / "albu_kamal_blockade.yaml"


def write(tmp_path, text: str):
    path = tmp_path / "scenario.yaml"
    path.write_text(f"extends: {BLOCKADE}\n" + text, encoding="utf-8")
    return path


def test_set_and_disable_events_change_rules_at_their_time(tmp_path):
    path = write(tmp_path, """
name: Events
description: Airstrikes start, intensify, then stop.
time: {duration_days: 6}
rules:
  airstrikes: {by: Israel, against: iran_militia, rate_per_day: 0.0}
events:
  - {at_day: 2, set: {rules.airstrikes.rate_per_day: 6.0}}
  - {at_day: 4, disable: airstrikes}
""")
    model = CorridorModel(load_scenario(path), seed=2)
    result = model.run()
    strikes = [e.hours / 24 for e in result.log.entries if e.kind == "airstrike"]
    assert strikes, "a rate of 6 a day for 2 days should give strikes"
    assert all(2.0 <= day < 4.0 + 1e-9 for day in strikes), f"strikes outside days 2–4: {strikes}"
    assert model.rules_by_key["airstrikes"].params.rate_per_day == 6.0
    assert not model.rules_by_key["airstrikes"].enabled


def test_an_event_at_a_date_fires_at_that_dates_midnight_and_the_log_is_dated(tmp_path):
    """time.start_date 2018-03-01 and at_date 2018-03-03: two days in, so the note is logged at
    hours 48 ("2018-03-03 00:00 (day 2)"); the step table dates each row from the start date."""
    path = write(tmp_path, """
name: Dated
description: An event on a calendar date.
time: {duration_days: 4, start_date: 2018-03-01}
events:
  - {at_date: 2018-03-03, note: the third of March}
""")
    result = CorridorModel(load_scenario(path), seed=2).run()
    note = next(e for e in result.log.entries if e.text == "the third of March")
    assert (note.hours, note.date, note.time) == (48.0, "2018-03-03", "00:00"), \
        f"an at_date event fires at the date's 00:00, 48 h after 2018-03-01: {note}"
    assert note.narrative() == "2018-03-03 00:00 (day 2) — the third of March"
    steps = result.steps.set_index("hours")["date"]
    assert (steps[0.0], steps[47.0], steps[48.0], steps[96.0]) == ("2018-03-01", "2018-03-02", "2018-03-03",
                                                                   "2018-03-05"), "each row's date is start + hours"


def test_a_convoy_spawned_by_an_event_departs_at_once(tmp_path):
    path = write(tmp_path, """
name: Second convoy
description: A second convoy is sent on day 2.
time: {duration_days: 3}
events:
  - at_day: 2
    spawn: {kind: convoy, faction: russia, strength: 80, label: R2, start: Al-Mayadeen,
            route: [Albu Kamal, Albu Kamal crossing]}
""")
    result = CorridorModel(load_scenario(path), seed=1).run()
    departures = [e for e in result.log.entries if "R2" in e.text and "set off" in e.text]
    assert len(departures) == 1 and departures[0].hours == pytest.approx(48.0)
    assert departures[0].factions == ["russia"] and departures[0].place is not None, (
        f"the departure is logged with the convoy's faction and the place nearest it: {departures[0]}")
    assert result.summary["convoy_R2"] in ("withdrew", "halted", "arrived")
    assert (result.steps["convoy_R2"].iloc[:48] == "not spawned").all()


def test_events_fire_once_in_time_order_at_the_first_step_starting_at_or_after_their_time(tmp_path):
    """Listed out of order: day 1.5 enable, day 1 disable, day 1 set the rate. At the step starting
    at 23 h nothing has fired; at 24 h both day-1 events (exactly at their time counts); at 35 h
    still nothing more; at 36 h the enable; each logged once."""
    from worlds import world

    events = [{"at_day": 1.5, "enable": "airstrikes"},
              {"at_day": 1, "disable": "airstrikes"},
              {"at_day": 1, "set": {"rules.airstrikes.rate_per_day": 3.0}}]
    model = world(tmp_path, rules={"airstrikes": {"by": "a", "against": "b", "rate_per_day": 1.0}}, events=events)
    strikes = model.rules_by_key["airstrikes"]
    model.timeline.apply_due(23.0)
    assert strikes.enabled and strikes.params.rate_per_day == 1.0, "before day 1 no event has fired"
    model.timeline.apply_due(24.0)
    assert not strikes.enabled and strikes.params.rate_per_day == 3.0, "both day-1 events fire at 24 h"
    model.timeline.apply_due(35.0)
    assert not strikes.enabled, "the day-1.5 event waits for the step starting at 36 h"
    model.timeline.apply_due(36.0)
    assert strikes.enabled, "enable fires at 36 h"
    model.timeline.apply_due(100.0)
    logged = [e for e in model.log.entries if e.kind == "event"]
    assert len(logged) == 3, f"each event is logged once: {[e.text for e in logged]}"
    assert all("airstrikes" in e.text for e in logged), f"each entry names the rule it changed: {logged}"
    assert sorted(e.text for e in logged) == ["rule airstrikes disabled", "rule airstrikes enabled",
                                              "set rules.airstrikes.rate_per_day = 3.0"], (
        f"an event without a note is logged as what it did: {[e.text for e in logged]}")


@pytest.mark.parametrize(("event", "message"), [
    ({"at_day": 0, "disable": "nope"}, "event names rule 'nope', which the scenario does not have"),
    ({"at_day": 0, "set": {"map.cell_km": 3.0}},
     "event set path 'map.cell_km': only rules.<rule>.<parameter> can change during a run"),
    ({"at_day": 0, "set": {"map.river.width": 3.0}},  # three parts, but not under rules
     "event set path 'map.river.width': only rules.<rule>.<parameter> can change during a run"),
])
def test_an_event_built_past_the_scenarios_checks_is_refused_with_a_message_naming_it(tmp_path, event, message):
    """The scenario's checks refuse these events at load; an event built in code (the app, the
    API) reaches the timeline unchecked, which refuses it with a UserError naming what is wrong."""
    from worlds import world

    from sim.program.errors import UserError
    from sim.scenario.spec import Event
    from sim.submodels.timeline import Timeline

    model = world(tmp_path)
    timeline = Timeline([Event(**event)], model)
    with pytest.raises(UserError) as refused:
        timeline.apply_due(0.0)
    assert str(refused.value) == message, f"expected the message {message!r}, got {str(refused.value)!r}"


def test_a_spawned_convoy_departs_at_its_event_whatever_its_depart_day(tmp_path):
    """ODD §3.3 *Events*: "a spawned convoy departs at once". Spawned on day 1 with a depart_day
    of 1.75 (42 h), at 6 h steps: it has set off after the step at 24 h, not waited for 42 h."""
    from worlds import world

    from sim.agents.convoy import ConvoyState

    spawn = {"kind": "convoy", "faction": "a", "strength": 50, "label": "late", "start": "Al-Mayadeen",
             "route": ["Albu Kamal"], "depart_day": 1.75}
    model = world(tmp_path, factions=("a",), step_hours=6, days=2, events=[{"at_day": 1, "spawn": spawn}])
    while model.hours < 30.0:
        model.step()
    (convoy,) = model.convoys
    assert convoy.state != ConvoyState.WAITING, f"spawned at 24 h it departs at once, not at 42 h: {convoy.state}"


def test_a_spawn_without_a_note_is_logged_as_the_units_that_appear(tmp_path):
    """An event's log entry is its note, or else what it did: 2 local militia units of a spawned
    on day 1 read "2 local militia unit(s) of a appear" (the kind's underscore as a space)."""
    from worlds import world

    spawn = {"kind": "local_militia", "faction": "a", "units": 2, "strength": 30,
             "deploy": {"near": "Al-Mayadeen", "radius_km": 0}}
    model = world(tmp_path, factions=("a",), step_hours=6, days=2, events=[{"at_day": 1, "spawn": spawn}])
    while model.hours < 30.0:
        model.step()
    texts = [e.text for e in model.log.entries if e.kind == "event"]
    assert any("2 local militia unit(s) of a appear" in t for t in texts), f"the spawn's entry: {texts}"


def test_a_destroyed_convoy_is_logged_by_name(tmp_path):
    """A convoy that loses its last fighters is destroyed, and the event log says so by name:
    "convoy late (A) was destroyed", then where."""
    from worlds import world

    spawn = {"kind": "convoy", "faction": "a", "strength": 50, "label": "late", "start": "Al-Mayadeen",
             "route": ["Albu Kamal"]}
    model = world(tmp_path, factions=("a",), step_hours=6, days=2, events=[{"at_day": 0, "spawn": spawn}])
    model.step()
    (convoy,) = model.convoys
    convoy.lose(convoy.strength)
    texts = [e.text for e in model.log.entries if e.kind == "clash"]
    assert len(texts) == 1 and texts[0].startswith("convoy late (A) was destroyed"), (
        f"one entry naming the destroyed convoy: {texts}")


def test_an_event_setting_several_parameters_is_logged_as_each_path_and_value(tmp_path):
    """An event with no note that sets two parameters is logged "set <path> = <value>, <path> =
    <value>", in the order written."""
    from worlds import world

    events = [{"at_day": 0, "set": {"rules.airstrikes.rate_per_day": 3.0, "rules.airstrikes.loss_fraction": 0.2}}]
    model = world(tmp_path, rules={"airstrikes": {"by": "a", "against": "b", "rate_per_day": 1.0}}, events=events)
    model.timeline.apply_due(0.0)
    (entry,) = [e for e in model.log.entries if e.kind == "event"]
    assert entry.text == "set rules.airstrikes.rate_per_day = 3.0, rules.airstrikes.loss_fraction = 0.2", entry.text
