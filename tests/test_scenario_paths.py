"""Key paths in scenarios: parsing and formatting `forces[2].route[0]`, setting and reading a
value by its path (defaults read through), the misspelt segment named with a suggestion, and
`KEY.PATH=VALUE` assignments (`--set`)."""

from __future__ import annotations

import pytest
from test_scenario import BASELINE, BLOCKADE, raw

from sim.scenario import (
    PathError,
    format_path,
    get_by_path,
    parse_assignment,
    parse_path,
    set_by_path,
)
from sim.scenario.spec import ControlSpec


def test_parse_and_format_paths():
    assert parse_path("forces[2].route[0]") == ("forces", 2, "route", 0)
    assert parse_path("rules.reinforcement/russia.max_per_day") == (
        "rules", "reinforcement/russia", "max_per_day")
    assert format_path(("forces", 1, "route", 0)) == "forces[1].route[0]"
    assert format_path(("events", 0, "set", "rules.a.b")) == "events[0].set['rules.a.b']"
    for bad in ("", "a..b", "a.", "[0]", "forces[0]strength"):
        with pytest.raises(PathError):
            parse_path(bad)


def test_set_and_get_by_path():
    data = raw(BLOCKADE)
    set_by_path(data, "rules.checkpoint_blockade.stop_probability", 0.4)
    assert get_by_path(data, "rules.checkpoint_blockade.stop_probability") == 0.4
    set_by_path(data, "rules.checkpoint_blockade.reach_km", 5)  # valid for the kind, not in the file
    assert data["rules"]["checkpoint_blockade"]["reach_km"] == 5
    set_by_path(data, "time.step_hours", 6)
    assert data["time"]["step_hours"] == 6
    # a default is read through
    assert get_by_path(data, "control.kernel_km") == ControlSpec().kernel_km
    assert get_by_path(data, "rules.checkpoint_blockade.withdraw_when_outnumbered") == 1.5
    base = raw(BASELINE)
    set_by_path(base, "forces[2].strength", 99)
    assert get_by_path(base, "forces[2].strength") == 99
    assert get_by_path(base, "forces[7].orders.max_wait_hours") == 24
    assert get_by_path(base, "forces[7].speed_factor") == 1.0  # default of a convoy
    base["rules"]["reinforcement/russia"] = {"faction": "russia", "at": "Deir ez-Zor", "max_per_day": 1}
    set_by_path(base, "rules.reinforcement/russia.max_per_day", 4)
    assert base["rules"]["reinforcement/russia"]["max_per_day"] == 4


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("rules.checkpoint_blokade.stop_probability", "no rule 'checkpoint_blokade' in this scenario; did you mean 'checkpoint_blockade'?"),
        ("rules.checkpoint_blockade.stop_probabilty", "unknown key 'stop_probabilty' in 'rules.checkpoint_blockade'; did you mean 'stop_probability'?"),
        ("rules.airstrikes.rate_per_day", "no rule 'airstrikes' in this scenario"),
        ("forces[2].strenght", "unknown key 'strenght' in 'forces[2]'; did you mean 'strength'?"),
        ("forces[20].strength", "index [20] is out of range: 'forces' has 18 items"),
        ("forces.strength", "'forces' is a list: use an index like forces[0]"),
        ("time.step_hour", "unknown key 'step_hour' in 'time'; did you mean 'step_hours'?"),
        ("tme.step_hours", "unknown key 'tme' in the top level; did you mean 'time'?"),
        ("factions.rusia.label", "unknown key 'rusia' in 'factions'; did you mean 'russia'?"),
        ("seed.x", "'seed' is 20171119, it has no key 'x'"),
    ],
)
def test_unknown_path_segments_raise_key_error_with_suggestion(path, fragment):
    data = raw(BASELINE)
    data["rules"].update(raw(BLOCKADE)["rules"])
    with pytest.raises(KeyError) as info:
        set_by_path(data, path, 1)
    assert fragment in str(info.value)


def test_parse_assignment():
    assert parse_assignment("rules.checkpoint_blockade.stop_probability=0.5") == (
        "rules.checkpoint_blockade.stop_probability", 0.5)
    assert parse_assignment("speeds.bridge = 0") == ("speeds.bridge", 0)
    assert parse_assignment("forces[1].label=Iraqi guard") == ("forces[1].label", "Iraqi guard")
    with pytest.raises(PathError):
        parse_assignment("no equals sign")
