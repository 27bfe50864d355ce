"""The record's situation of 19 Nov 2017 (scenarios/corridor_2017.yaml), which the campaign and
the hindcast extend: at hour 0 each named place is held by the faction the record names
(../shared/data/history/towns_2017-09_2018-12.csv), read through footprints (sim/submodels/holding.py)."""

from __future__ import annotations

from sim.model import CorridorModel
from sim.scenario import load_scenario

from conftest import SCENARIOS

#: the record's holder on 19 Nov 2017 → the model's faction(s)
RECORD_AT_START = {
    "Deir ez-Zor": {"syrian_army", "russia"},       # government_russia, 3 Nov 2017
    "Al-Mayadeen": {"iran_militia"},                 # the IRGC's hub after 14 Oct 2017
    "Albu Kamal": {"iran_militia"},                  # 19 Nov 2017
    "Al-Qa'im": {"iraq_pmf"},                        # 3 Nov 2017
    "Husaybah": {"iraq_pmf"},
    "Hajin": {"insurgents"},                         # ISIS until 14 Dec 2018
    "Diban": {"coalition"},                          # SDF, 17 Nov 2017
    "Al-Omar oil field": {"coalition"},              # SDF, 22 Oct 2017
}


def test_the_campaign_and_the_hindcast_start_from_the_records_holders():
    for scenario in ("corridor_campaign.yaml", "corridor_2017_2019.yaml"):
        loaded = load_scenario(SCENARIOS / scenario, overrides={"map.cell_km": 2.0, "time.step_hours": 2.0})
        model = CorridorModel(loaded, seed=1)
        ids = model.factions.ids
        held = {name: model.recorder.holding.of(model.place(name)) for name in RECORD_AT_START}
        wrong = {name: (ids[h] if h >= 0 else h) for name, h in held.items()
                 if h < 0 or ids[h] not in RECORD_AT_START[name]}
        assert not wrong, f"{scenario}: at the start these places are not held as the record has them: {wrong}"
        iraq, iran = ids.index("iraq_pmf"), ids.index("iran_militia")
        assert model.factions.relation[iraq, iran] == 0, "iraq_pmf is allied to the Iran-backed militias"
