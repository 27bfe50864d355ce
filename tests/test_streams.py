"""One random stream per subsystem and kind of decision (sim/streams.py): an intervention on one
faction's patrols must not reshuffle the insurgents' relocations (common random numbers), and
no two named streams may draw the same numbers."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from sim.agents.insurgent import InsurgentCell
from sim.streams import STREAMS, RandomStreams, stream_key

from conftest import ROOT, SCENARIOS

COARSE = {"map.cell_km": 2.0, "time.step_hours": 6, "time.duration_days": 20}
# patrols never find a cell and no new cells appear, so nothing the patrols do can reach the
# insurgents: any difference in their relocations could only come from a shared stream
APART = {"insurgents.detection_rate_per_day": 0.0, "rules.insurgent_recruitment.new_cells_per_day": 0.0}
MORE_IRAN_PATROLS = {"forces[3].units": 16}  # the west-bank patrol, 8 units in the scenario


def _run(overrides: dict, seed: int = 7):
    """Run the baseline scenario; return the relocations (hours, cell, destination) in order,
    where the Iranian patrols were at every leg, and the names of the streams used."""
    from sim.agents.standing import StandingUnit
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    relocations, legs = [], []
    cell_wake, unit_wake = InsurgentCell.wake, StandingUnit.wake

    def relocate(self):
        cell_wake(self)
        relocations.append((round(self.model.hours, 6), self.label, self.rc))

    def leg(self):
        unit_wake(self)
        if self.model.factions.ids[self.faction] == "iran_militia":
            legs.append((round(self.model.hours, 6), self.label, self.rc))

    with warnings.catch_warnings(), pytest.MonkeyPatch.context() as mp:
        warnings.simplefilter("ignore")
        mp.setattr(InsurgentCell, "wake", relocate)
        mp.setattr(StandingUnit, "wake", leg)
        model = CorridorModel(load_scenario(SCENARIOS / "baseline.yaml", overrides={**COARSE, **overrides}), seed)
        model.run()
    return relocations, legs, model.streams.names


@pytest.fixture(scope="module")
def paired():
    return _run(APART), _run({**APART, **MORE_IRAN_PATROLS})


def test_more_patrols_for_one_faction_do_not_move_the_insurgents(paired):
    (moves, legs, _), (moves_more, legs_more, _) = paired
    assert len(moves) > 50, "the insurgent cells should relocate many times in 20 days"
    assert legs != legs_more, "doubling Iran's patrols should change Iran's patrol legs"
    assert moves == moves_more, "insurgent relocations changed when only Iran's patrols did"


def test_every_stream_used_is_in_the_table(paired):
    (_, _, names), _ = paired
    patterns = [re.compile(re.escape(t).replace(r"\{faction\}", r"[\w-]+").replace(r"\{key\}", r"\S+") + "$")
                for t in STREAMS]
    unlisted = [n for n in names if not any(p.match(n) for p in patterns)]
    assert not unlisted, f"streams not in sim/streams.py's table: {unlisted}"
    assert "patrol:legs:iran_militia" in names and "insurgent:relocation:insurgents" in names


def _all_names() -> list[str]:
    from sim.scenario import load_scenario

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = load_scenario(SCENARIOS / "baseline.yaml").spec
    fields = {"faction": list(spec.factions), "key": [*spec.rules, "airstrikes", "checkpoint_blockade"]}
    names = []
    for template in STREAMS:
        slot = next((f for f in fields if "{" + f + "}" in template), None)
        names += [template.format(**{slot: v}) for v in fields[slot]] if slot else [template]
    return names


def test_no_two_streams_are_seeded_alike():
    names = _all_names()
    assert len(names) == len(set(names)) > 20
    assert len({stream_key(n) for n in names}) == len(names)
    streams = RandomStreams(20171119)
    draws = {tuple(streams[n].random(4)) for n in names}
    assert len(draws) == len(names), "two named streams drew the same numbers"
    # and the same name at the same seed draws the same numbers, whatever was asked for first
    again = RandomStreams(20171119)
    for n in reversed(names):
        again[n]
    assert np.array_equal(again[names[0]].random(4), RandomStreams(20171119)[names[0]].random(4))


def test_a_crc_collision_is_refused():
    streams = RandomStreams(1)
    assert stream_key("rule:x29685295") == stream_key("rule:x32060020")
    streams["rule:x29685295"]
    with pytest.raises(ValueError, match="seeded alike"):
        streams["rule:x32060020"]


def test_the_odd_lists_every_stream():
    odd = (ROOT / "docs" / "odd.md").read_text()
    section = odd[odd.index("**Stochasticity.**"):odd.index("**Collectives.**")]
    for template in STREAMS:
        shown = template.replace("{faction}", "<faction>").replace("{key}", "<key>")
        assert f"`{shown}`" in section, f"docs/odd.md, Stochasticity: {shown} missing from the table"
