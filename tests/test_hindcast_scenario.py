"""The record's situation of 19 Nov 2017 (scenarios/corridor_2017.yaml), which the campaign and
the hindcast extend: at hour 0 each named place is held by the faction the record names
(../shared/data/history/towns_2017-09_2018-12.csv), read through footprints (sim/submodels/holding.py)."""

from __future__ import annotations

import numpy as np

from sim.hindcast.record import MAPPING_FILE, read_holders, read_mapping
from sim.model import CorridorModel
from sim.scenario import load_scenario

from conftest import SCENARIOS

RECORD = SCENARIOS / "record"

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


def test_the_initial_holders_and_the_governments_offensive_follow_the_record():
    """Every place `control.held_at_start` lists starts with the record's holder on 19 Nov 2017
    (through the record's mapping: syrian_army → government_russia; a place the record has
    contested then, with one of its contenders, its holder before or after), and the places the record
    has ISIS hold or contest then and the government take by 6 Dec 2017 (the west-bank villages
    south of Al-Mayadeen) are the objectives of the government's offensive, not its from the
    start (the scenario once gave them to it a fortnight early, and the hindcast missed the
    fighting there: 23 IS – government events in the valley in Nov 2017, model median 4)."""
    loaded = load_scenario(SCENARIOS / "corridor_2017.yaml")
    mapping = read_mapping(RECORD / MAPPING_FILE)
    holders = read_holders(RECORD / "towns_2017-09_2018-12.csv", loaded.map, mapping)

    def on(place: str, date: str) -> str | None:
        rows = holders[(holders.place == place) & (holders.date <= date)]
        return None if rows.empty else rows.holder.iloc[-1]

    def contenders(place: str) -> set[str]:
        """The record's holder on 19 Nov 2017; if contested, the holders just before and after the contest."""
        if on(place, "2017-11-19") != "contested":
            return {on(place, "2017-11-19")}
        rows = holders[(holders.place == place) & (holders.holder != "contested")]
        return set(rows[rows.date <= "2017-11-19"].holder.tail(1)) | set(rows[rows.date > "2017-11-19"].holder.head(1))

    start = loaded.spec.control.held_at_start
    wrong = {p: (mapping.model_faction(f), contenders(p)) for p, f in start.items()
             if mapping.model_faction(f) not in contenders(p)}
    assert not wrong, f"held_at_start (model → record faction, the record's holder on 19 Nov 2017) differ: {wrong}"
    assert contenders("Al-Quriyah") == {"isis", "government_russia"}, "contested on 19 Nov: ISIS's before, the army's after"
    cleared = {p for p in holders.place.unique()
               if on(p, "2017-11-19") in ("isis", "contested") and on(p, "2017-12-06") == "government_russia"}
    assert cleared == {"Al-Quriyah", "Al-Asharah", "Subaykhan", "Al-Salihiyah"}, cleared
    offensive = next(rule.params for rule in loaded.rules if rule.key == "offensive/government")
    assert offensive.by == "syrian_army" and set(offensive.objectives) == cleared, (
        f"the government's offensive should have the record's cleared villages as objectives: {offensive.objectives}")
    assert offensive.from_day == 0, "the offensive was under way on 19 Nov 2017 (Subaykhan fell on 23 Nov)"


def test_roundups_first_phase_follows_its_sources():
    """Operation Roundup's first phase (DoD News, 21 May and 4 Jun 2018): launched 1 May 2018 (day
    163 from 19 Nov 2017: 11 + 31 + 31 + 28 + 31 + 30 = 162 days to 30 Apr), the SDF (the
    coalition here) cleared the Baghuz area on the Iraqi border and held it, while Al-Baghuz
    Fawqani and Al-Susah stayed ISIS's (the record): its objective lies in Syria, 3–8 km from
    each (the haversine-free flat-earth distance at this latitude), outside their 3 km
    footprints, near enough for the two sides' ground to meet within a front's 5 km depth."""
    loaded = load_scenario(SCENARIOS / "corridor_2017_2019.yaml", overrides={"map.cell_km": 2.0, "time.step_hours": 2.0})
    roundup = next(rule.params for rule in loaded.rules if rule.key == "offensive/roundup")
    pocket = next(rule.params for rule in loaded.rules if rule.key == "offensive")
    assert roundup.by == "coalition" and roundup.from_day == 163, "the SDF's, launched 1 May 2018 (day 163)"
    assert roundup.from_day < pocket.from_day == 295, "before the final phase on the pocket (10 Sep 2018, day 295)"
    model = CorridorModel(loaded, seed=1)
    (objective,) = model.rules_by_key["offensive/roundup"].objectives
    lon, lat = roundup.points[objective.name]
    for town in ("Al-Baghuz Fawqani", "Al-Susah"):
        place = model.place(town)
        km = np.hypot((lon - place.lon) * 111.32 * np.cos(np.radians(lat)), (lat - place.lat) * 110.57)
        assert 3.0 < km < 8.0, f"{town} is {km:.1f} km from the objective: outside its footprint, near enough for a front"
    country = model.map.country_names[model.map.country[objective.cell]]
    assert country == "Syria", f"the border strip the SDF cleared is on the Syrian side, got {country}"
