"""Events on the timeline, and how a convoy's orders shape the end of its standoff."""

from __future__ import annotations

import pytest
import yaml

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
    assert result.summary["convoy_R2"] in ("withdrew", "halted", "arrived")
    assert (result.steps["convoy_R2"].iloc[:48] == "not spawned").all()


@pytest.mark.parametrize("orders, strength, expected", [
    ("{when_stopped: withdraw}", 60, "outnumbered once the defenders had gathered"),
    ("{when_stopped: wait, max_wait_hours: 6}", 60, "its wait ran out"),
    ("{when_stopped: push, max_wait_hours: 2}", 600, None),
])
def test_standoff_orders(tmp_path, orders, strength, expected):
    path = write(tmp_path, """
name: Orders
description: The convoy's orders decide how the standoff ends.
time: {duration_days: 2.5}
rules:
  checkpoint_blockade: {stop_probability: 1.0}
""")
    loaded = load_scenario(path)
    forces = loaded.resolved["forces"]
    index = next(i for i, f in enumerate(forces) if f["kind"] == "convoy")
    loaded = load_scenario(path, overrides={f"forces[{index}].orders": yaml.safe_load(orders),
                                            f"forces[{index}].strength": strength})
    result = CorridorModel(loaded, seed=4).run()
    halted = next(e for e in result.log.entries if e.kind == "standoff")
    ended = next(e for e in result.log.entries if e.hours > halted.hours and e.kind in ("withdrawal", "clash"))
    if expected is not None:
        # 60 fighters against the 40 at the checkpoint, then the 490 called in: 'withdraw' judges the odds
        # once they have gathered (at 8 : 1 it withdraws with probability ≈ 0.99); 'wait' ignores that and stays until its resolve is spent, which at
        # 490 against 60 takes a fraction of max_wait_hours (the wait limit scales with the force ratio)
        assert ended.kind == "withdrawal" and f"({expected})" in ended.text, ended.text
        assert ended.hours - halted.hours <= 6.0 + 1e-9
        assert result.summary["convoy_R1"] == "withdrew"
    else:
        # 600 outnumber the defenders there by more than the push ratio 1.5 but not the 490 the militias can
        # gather by the give-way ratio 3: the convoy forces its way before most reinforcements arrive
        assert ended.kind == "clash" and "forces its way" in ended.text, ended.text
        assert result.summary["checkpoint_blockade.fought_through"] == 1
        assert result.summary["incidents_clash"] >= 1
        assert result.summary["strength_russia"] < result.steps["strength_russia"].iloc[0]
