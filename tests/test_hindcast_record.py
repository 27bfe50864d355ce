"""The record in (UCDP GED and ACLED readers, the holders, the mapping), the events out in the
same columns, the pattern regions, and the pattern statistics on small cases computed by hand."""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest

from sim.geography.gis_out import cell_lonlat
from sim.hindcast.events import EVENT_COLUMNS, MIN_DEATHS, ViolenceLog, events_table, write_events
from sim.hindcast.patterns import event_patterns, observed_patterns, run_view, simulated_patterns
from sim.hindcast.record import Mapping, Window, read_acled, read_mapping, read_record, read_ucdp
from sim.hindcast.regions import regions_at
from sim.program.errors import UserError
from sim.scenario import load_scenario
from sim.world.calendar import Calendar

from conftest import ROOT, SCENARIOS

FIXTURES = ROOT / "tests" / "fixtures" / "record"
WINDOW = Window(dt.date(2018, 1, 1), dt.date(2018, 12, 31))


@pytest.fixture(scope="module")
def corridor_map():
    return load_scenario(SCENARIOS / "open_road.yaml", overrides={"map.cell_km": 2.0}).map


@pytest.fixture(scope="module")
def mapping():
    return read_mapping(FIXTURES / "mapping.yaml")


def test_acled_reader_maps_types_actors_and_dates_and_drops_what_is_not_violence(mapping):
    events = read_acled(FIXTURES / "acled_sample.csv", mapping).set_index("event_id")
    assert list(events.reset_index().columns) == list(EVENT_COLUMNS)
    assert "SYR9005" not in events.index, "a peaceful protest is not a violent event"
    kinds = events["kind"].to_dict()
    assert (kinds["SYR9001"], kinds["SYR9002"], kinds["SYR9003"], kinds["SYR9004"]) == (
        "clash", "strike", "ambush", "one_sided"), f"ACLED types map to clash/strike/ambush/one_sided: {kinds}"
    assert events.at["SYR9001", "dyad"] == "isis-sdf_coalition", "actors go through the mapping, dyads sorted"
    assert events.at["SYR9004", "side_b"] == "civilians", "an empty actor2 is the civilians"
    assert (events.at["SYR9001", "date"], events.at["SYR9002", "date"]) == ("2018-03-12", "2018-03-14"), \
        "both '12 March 2018' and ISO dates are read"
    assert events.at["SYR9004", "deaths_civilians"] == 5 and np.isnan(events.at["SYR9001", "deaths_a"]), \
        "ACLED's fatalities are civilians' only for violence against civilians; the sides' split is unknown"


def test_ucdp_reader_keeps_the_sides_deaths_and_type(mapping):
    events = read_ucdp(FIXTURES / "ucdp_sample.csv", mapping).set_index("event_id")
    row = events.loc["1"]
    assert (row["kind"], row["dyad"], row["deaths_a"], row["deaths_b"], row["deaths"]) == (
        "clash", "isis-sdf_coalition", 3.0, 2.0, 6.0), f"type 2, IS - SDF, deaths 3/2, best 6: {row.to_dict()}"
    assert events.at["2", "kind"] == "one_sided" and events.at["2", "dyad"] == "civilians-isis"


def test_a_record_folder_is_clipped_to_the_map_and_window_and_gets_regions(tmp_path, corridor_map):
    for name in ("acled_sample.csv", "ucdp_sample.csv", "holders.csv", "mapping.yaml"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    record = read_record(tmp_path, corridor_map, Window(dt.date(2018, 1, 1), dt.date(2018, 12, 31)))
    ids = set(record.events["event_id"])
    assert ids == {"SYR9001", "SYR9002", "SYR9003", "SYR9004", "1", "2"}, \
        f"Palmyra (lon 38.27) is off the map and 10 Jan 2019 after the window: {sorted(ids)}"
    region = record.events.set_index("event_id")["region"]
    assert (region["SYR9001"], region["SYR9002"], region["SYR9004"]) == ("east_bank", "west_bank_valley", "east_bank")
    assert list(record.holders["holder"]) == ["isis", "sdf_coalition"]
    assert list(record.holders["date"]) == ["2018-01-10", "2018-02-15"], "a month-only date counts from the 15th"


def test_regions_come_from_the_map_bank_and_country(corridor_map):
    names = ["Hajin", "Al-Mayadeen", "T-2 station", "Al-Qa'im"]
    places = [corridor_map.find_place(n) for n in names]
    got = regions_at(corridor_map, [p.lon for p in places], [p.lat for p in places])
    assert list(got) == ["east_bank", "west_bank_valley", "badia", "iraqi_side"], dict(zip(names, got, strict=True))
    bridge = corridor_map.find_place("Al-Mayadeen bridge")
    assert regions_at(corridor_map, [bridge.lon], [bridge.lat])[0] in ("west_bank_valley", "east_bank"), \
        "a point on the river takes the region of the nearest land"
    assert regions_at(corridor_map, [38.0], [34.5])[0] == "", "off the map: no region"


def test_bad_record_input_is_one_line_naming_file_line_and_column(tmp_path, corridor_map, mapping):
    bad = tmp_path / "ucdp.csv"
    text = (FIXTURES / "ucdp_sample.csv").read_text(encoding="utf-8").replace("2018-03-20,2018-03-20", "March,x")
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(UserError, match=rf"^{bad}:3: date_start: expected a date \(YYYY-MM-DD\), found 'March'$"):
        read_ucdp(bad, mapping)
    (tmp_path / "other.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    bad.unlink()
    with pytest.raises(UserError, match="other.csv:1: not a UCDP GED, ACLED, events-table or holders file"):
        read_record(tmp_path, corridor_map)
    (tmp_path / "m.yaml").write_text("actors:\n  IS: isis\nplace:\n  a: b\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"m.yaml:3: place: unknown key \(expected one of actors"):
        read_mapping(tmp_path / "m.yaml")
    with pytest.raises(UserError, match="--window: expected START:END"):
        Window.parse("2018-01-01")


def test_run_events_group_incidents_by_day_cell_and_dyad_at_the_cell_centre(tmp_path, corridor_map):
    """Hand case: two clashes in one cell on one day (1.5 + 2.0 and 0.5 + 0 lost) are one event
    of 4 lost at the first one's time; the same cell the next day is another; a strike that
    disabled 0.4 (< 1) is no event. With a killed share of 1/2 the deaths are 2.0 and 1.0."""
    log = ViolenceLog()
    cell = (40, 60)
    log.add(5.0, cell, "clash", "insurgents", "coalition", 1.5, 2.0)
    log.add(7.0, cell, "clash", "coalition", "insurgents", 0.0, 0.5)
    log.add(25.0, cell, "clash", "insurgents", "coalition", 1.0, 1.0)
    log.add(9.0, (10, 10), "strike", "Israel", "iran_militia", 0.0, 0.4)
    events = events_table(log, Calendar(dt.date(2018, 3, 1), 1.0), corridor_map, 0.5)
    assert list(events.columns) == list(EVENT_COLUMNS), "the run's table has the record's columns"
    assert list(events["date"]) == ["2018-03-01", "2018-03-02"] and list(events["time"]) == ["05:00", "01:00"]
    assert list(events["deaths"]) == [2.0, 1.0], "half the fighters lost summed over the day's incidents"
    assert (events.at[0, "deaths_a"], events.at[0, "deaths_b"]) == (0.75, 1.25), "each side's: (1.5, 2.5) / 2"
    assert (events.at[0, "side_a"], events.at[0, "dyad"]) == ("insurgents", "coalition-insurgents")
    lon, lat = cell_lonlat(corridor_map, 40, 60)
    assert (events.at[0, "lon"], events.at[0, "lat"]) == (round(float(lon), 5), round(float(lat), 5)), \
        "where it happened is the cell's centre"
    assert pd.read_csv(write_events(events, tmp_path)).shape == (2, len(EVENT_COLUMNS))


def test_run_events_are_pandas_grouped_sums_to_the_bit(corridor_map):
    """The run's incidents are grouped in a dict, not by pandas (`events_table`, for speed): the
    table is the one pandas' `groupby` gave, sums to the bit. Pandas sums with compensation, so
    ten incidents of 0.1 fighters lost are one event of 1.0, kept (MIN_DEATHS), where a running
    sum gives 0.9999999999999999 and drops it; and 400 incidents drawn at random in three cells
    over two days give pandas' groups, sums, first times, order and filter."""
    calendar = Calendar(dt.date(2018, 3, 1), 1.0)
    tenths, log, rng = ViolenceLog(), ViolenceLog(), np.random.default_rng(5)
    for hour in range(10):
        tenths.add(float(hour), (40, 60), "ambush", "insurgents", "coalition", 0.1, 0.0)
    events = events_table(tenths, calendar, corridor_map, 1.0)
    assert list(events["deaths_a"]) == [1.0] and list(events["time"]) == ["00:00"], "one event of 1.0, kept"
    for _ in range(400):
        sides = [("insurgents", "coalition"), ("coalition", "insurgents"), ("Israel", "iran_militia")][rng.integers(3)]
        log.add(float(rng.integers(0, 48)), [(40, 60), (41, 60), (10, 10)][rng.integers(3)],
                ["clash", "strike"][rng.integers(2)], *sides, *(rng.uniform(0, 0.7, 2) * rng.choice([0.1, 1.0, 30.0])))
    stamps = np.datetime_as_string(np.datetime64("2018-03-01T00") + np.array(log.hours).astype("timedelta64[h]"), "m")
    raw = pd.DataFrame({"date": [t[:10] for t in stamps], "time": [t[11:] for t in stamps], "cell": log.cells,
                        "kind": log.kinds, "dyad": ["-".join(sorted(s)) for s in log.sides],
                        "deaths_a": [d[0] for d in log.deaths], "deaths_b": [d[1] for d in log.deaths]})
    want = raw.groupby(["date", "cell", "kind", "dyad"], sort=False).agg(
        time=("time", "first"), deaths_a=("deaths_a", "sum"), deaths_b=("deaths_b", "sum")).reset_index()
    want = want[want["deaths_a"] + want["deaths_b"] >= MIN_DEATHS].sort_values(["date", "time"], kind="stable")
    got = events_table(log, calendar, corridor_map, 0.3)
    assert len(got) == len(want) > 20, (len(got), len(want))
    assert all(list(got[column]) == list(want[column]) for column in ("date", "time", "kind", "dyad"))
    for column in ("deaths_a", "deaths_b"):
        assert got[column].to_numpy().tobytes() == (want[column] * 0.3).round(2).to_numpy().tobytes(), column


def _events(rows) -> pd.DataFrame:
    cols = ("date", "kind", "dyad", "region", "deaths")
    return pd.DataFrame([dict(zip(cols, r, strict=True)) for r in rows])


def test_event_patterns_count_by_month_region_and_dyad_by_hand():
    events = _events([("2018-03-02", "clash", "isis-sdf_coalition", "east_bank", 4.0),
                      ("2018-03-30", "clash", "isis-sdf_coalition", "east_bank", 6.0),
                      ("2018-03-15", "clash", "government_russia-isis", "badia", 2.0),
                      ("2018-04-01", "strike", "government_russia-israel", "west_bank_valley", 12.0),
                      ("2019-01-05", "clash", "isis-sdf_coalition", "east_bank", 9.0)])
    p = event_patterns(events, Window(dt.date(2018, 3, 1), dt.date(2018, 4, 30)))
    assert p["events|2018-03|east_bank|isis-sdf_coalition"] == 2
    assert p["events|2018-03|valley|all"] == 2, "the valley is both banks: the two east-bank clashes, not the Badia's"
    assert p["events|2018-03|all|all"] == 3 and p["events|2018-03|badia|all"] == 1
    assert p["events|2018-04|all|all"] == 0, "a strike is counted under strikes, not events"
    assert (p["strikes|2018-03"], p["strikes|2018-04"]) == (0, 1)
    assert p["deaths_per_event|all"] == pytest.approx(4.0), "(4 + 6 + 2) / 3; the 2019 event is outside"
    assert p["deaths_per_event|isis-sdf_coalition"] == pytest.approx(5.0)
    assert np.isnan(p["deaths_per_event|iraq_pmf-isis"]), "no event: no deaths per event"
    cut = event_patterns(events, Window(dt.date(2018, 3, 1), dt.date(2018, 4, 30)), covered_until=dt.date(2018, 4, 10))
    assert cut["events|2018-03|all|all"] == 3 and np.isnan(cut["events|2018-04|all|all"]), \
        "a month the source does not cover to its end is NaN, not 0"


def test_holder_patterns_of_the_record_and_of_a_run_by_hand(tmp_path, corridor_map, mapping):
    shutil.copy(FIXTURES / "holders.csv", tmp_path / "holders.csv")
    shutil.copy(FIXTURES / "ucdp_sample.csv", tmp_path / "ucdp.csv")
    record = read_record(tmp_path, corridor_map, WINDOW, FIXTURES / "mapping.yaml")
    window = Window(dt.date(2018, 1, 1), dt.date(2018, 3, 31))
    obs = observed_patterns(record, window)
    assert np.isnan(obs["holder|2018-01|Hajin|isis"]), "1 Jan: before the first row for Hajin, unknown"
    assert obs["holder|2018-02|Hajin|isis"] == 1, "1 Feb: ISIS since 10 Jan; the change 'in Feb' counts from the 15th"
    assert obs["holder|2018-03|Hajin|sdf_coalition"] == 1 and obs["holder|2018-03|Hajin|isis"] == 0
    # a run from 2018-01-01, daily rows, 45 days: insurgents hold Hajin, then the coalition from 1 Feb
    days = pd.date_range("2018-01-01", periods=46).strftime("%Y-%m-%d")
    steps = pd.DataFrame({"step": range(46), "hours": np.arange(46) * 24.0, "date": days})
    for place in corridor_map.places:
        steps[f"holder_{place}"] = "ungoverned"
    steps["holder_Hajin"] = np.where(np.arange(46) >= 31, "coalition", "insurgents")
    events = _events([]).reindex(columns=list(EVENT_COLUMNS))
    sim = simulated_patterns(run_view(events, steps), window, Mapping(model={"insurgents": "isis",
                                                                          "coalition": "sdf_coalition"}))
    assert set(sim) == set(obs), "observed and simulated patterns have the same keys"
    assert sim["holder|2018-01|Hajin|isis"] == 1 and sim["holder|2018-02|Hajin|sdf_coalition"] == 1, \
        "the model's ids become the record's factions through the mapping"
    assert np.isnan(sim["holder|2018-03|Hajin|isis"]), "1 Mar is after the run's end (15 Feb): unknown"
    assert sim["events|2018-01|all|all"] == 0 and np.isnan(sim["events|2018-02|all|all"]), \
        "January is covered (zero events); February only to the 15th"


def test_a_run_writes_its_violent_events_in_the_record_columns_and_both_give_the_same_keys(tmp_path):
    import sim

    record_map = load_scenario(SCENARIOS / "corridor_campaign.yaml", overrides={"map.cell_km": 2.0}).map
    window = Window(dt.date(2017, 11, 19), dt.date(2018, 1, 31))
    record = read_record(SCENARIOS / "record", record_map, window)
    raw = pd.read_csv(SCENARIOS / "record" / "ucdp_ged_euphrates_2017-11-19_2018-12-31.csv")
    expected = int((raw["date_start"] <= "2018-01-31").sum())  # every row lies inside the map (its README)
    assert len(record.events) == expected == 133, "the shipped UCDP events from 19 Nov 2017 to 31 Jan 2018"
    run = sim.run("corridor_campaign", seed=3, out=tmp_path / "run",
                  overrides={"map.cell_km": 2.0, "time.step_hours": 2, "time.duration_days": 20})
    table = pd.read_csv(tmp_path / "run" / "violent_events.csv")
    assert list(table.columns) == list(EVENT_COLUMNS)
    killed = load_scenario(SCENARIOS / "corridor_campaign.yaml").spec.engagement.killed_share
    assert len(table) == len(run.result.events) and (table["deaths"] >= MIN_DEATHS * killed - 0.005).all(), (
        f"every event lost at least {MIN_DEATHS} fighter, so its dead (× {killed}, 2 decimals) are at least "
        f"{MIN_DEATHS * killed}: {table['deaths'].min()}")
    assert (tmp_path / "run" / "gis" / "violent_events.geojson").is_file()
    obs, simulated = observed_patterns(record, window), simulated_patterns(run.result, window)
    assert set(obs) == set(simulated)
    ev = run.result.events
    assert simulated["events|2017-11|all|all"] == sum((ev["kind"] != "strike") & (ev["date"] < "2017-12-01")), \
        "the 20-day run covers November from the 19th"
    assert np.isnan(simulated["events|2017-12|all|all"]), "the run ends on 9 Dec: December is not covered"


def test_an_event_located_only_by_an_area_gets_no_region_but_counts_in_all(tmp_path, corridor_map):
    """UCDP where_prec 3 or more (a district's centroid, a governorate's, a larger named area) and
    ACLED geo_precision 3 (a larger region): the coordinates are an area's representative point,
    so no region; where_prec 2 (within about 25 km of a named place) keeps its place's."""
    ucdp = pd.read_csv(FIXTURES / "ucdp_sample.csv", dtype=str)
    ucdp.loc[ucdp["id"] == "1", "where_prec"] = "5"  # "IS enclave": the Hajin event, now located by its area
    ucdp.loc[ucdp["id"] == "2", "where_prec"] = "2"  # near a named place: still a place
    ucdp.to_csv(tmp_path / "ucdp_sample.csv", index=False)
    acled = pd.read_csv(FIXTURES / "acled_sample.csv", dtype=str)
    acled.loc[acled["event_id_cnty"] == "SYR9002", "geo_precision"] = "3"
    acled.to_csv(tmp_path / "acled_sample.csv", index=False)
    shutil.copy(FIXTURES / "mapping.yaml", tmp_path / "mapping.yaml")
    record = read_record(tmp_path, corridor_map, WINDOW)
    region = record.events.set_index("event_id")["region"]
    assert (region["1"], region["SYR9002"]) == ("", ""), f"area-only events have no region: {region.to_dict()}"
    assert region["2"] == "east_bank" and region["SYR9001"] == "east_bank", "precise events keep theirs"
    p = event_patterns(record.events, WINDOW)
    assert p["events|2018-03|east_bank|isis-sdf_coalition"] == 1 and p["events|2018-03|all|isis-sdf_coalition"] == 2, (
        "of the two IS - SDF events at Hajin in March 2018 only ACLED's (precise) is in the east bank; both are in all")


def test_an_event_located_only_by_its_district_gets_no_region(tmp_path, corridor_map):
    """UCDP where_prec 3: the source names only the district, and GED gives the district's
    centroid; Albu Kamal district spans the valley and the Badia, so the event's region is not
    known (the Al-Susah event, in the east bank when located exactly, gets none)."""
    ucdp = pd.read_csv(FIXTURES / "ucdp_sample.csv", dtype=str)
    ucdp.loc[ucdp["id"] == "2", "where_prec"] = "3"
    ucdp.to_csv(tmp_path / "ucdp_sample.csv", index=False)
    shutil.copy(FIXTURES / "mapping.yaml", tmp_path / "mapping.yaml")
    region = read_record(tmp_path, corridor_map, WINDOW).events.set_index("event_id")["region"]
    assert region["2"] == "" and region["1"] == "east_bank", (
        f"the district-located event has no region, the exactly located Hajin event keeps the east bank: {region.to_dict()}")


def _seen_and_unseen(corridor_map) -> pd.DataFrame:
    """Hand case: an IS - SDF clash at Hajin (Syria, 4 dead), an Iraq - IS clash at Al-Qa'im
    (Iraq, 10 dead) and an air strike at Al-Qa'im, all in March 2018, as an events table."""
    hajin, qaim = corridor_map.find_place("Hajin"), corridor_map.find_place("Al-Qa'im")
    return pd.DataFrame({
        "event_id": ["e1", "e2", "e3"], "date": ["2018-03-02", "2018-03-05", "2018-03-09"], "time": "",
        "kind": ["clash", "clash", "strike"], "side_a": ["isis", "iraq_pmf", "coalition_air"],
        "side_b": ["sdf_coalition", "isis", "isis"], "dyad": ["isis-sdf_coalition", "iraq_pmf-isis", "coalition_air-isis"],
        "lon": [hajin.lon, qaim.lon, qaim.lon], "lat": [hajin.lat, qaim.lat, qaim.lat],
        "region": ["east_bank", "iraqi_side", "iraqi_side"], "deaths_a": 0.0, "deaths_b": 0.0,
        "deaths_civilians": 0.0, "deaths": [4.0, 10.0, 3.0], "source": "model"}, columns=list(EVENT_COLUMNS))


def test_a_record_of_syria_only_leaves_the_iraqi_side_out_of_both_sides_by_hand(tmp_path, corridor_map):
    """event_countries: [Syria] (UCDP's Syria country file): the run's clash at Al-Qa'im (Iraq) is
    not counted, the one at Hajin (Syria) is; the Iraqi side is not observed (NaN, so no score or
    distance compares it); the strike, from its own record, still counts. The same events read as
    the record give the same statistics (both sides go through the same coverage)."""
    events = _seen_and_unseen(corridor_map)
    window = Window(dt.date(2018, 3, 1), dt.date(2018, 3, 31))
    days = pd.date_range("2018-03-01", periods=32).strftime("%Y-%m-%d")  # ends at midnight on 1 April
    steps = pd.DataFrame({"step": range(32), "hours": np.arange(32) * 24.0, "date": days})
    syria = simulated_patterns(run_view(events, steps, corridor_map), window, Mapping(event_countries=("Syria",)))
    assert syria["events|2018-03|all|all"] == 1, "only the Hajin clash is in Syria; Al-Qa'im's is unseen"
    assert syria["events|2018-03|valley|isis-sdf_coalition"] == 1 and syria["events|2018-03|all|iraq_pmf-isis"] == 0
    assert np.isnan(syria["events|2018-03|iraqi_side|all"]) and np.isnan(syria["events|2018-03|iraqi_side|iraq_pmf-isis"]), \
        "a region with no cell in Syria is not observed: NaN, not a zero that every band covers"
    assert syria["deaths_per_event|all"] == pytest.approx(4.0), "Hajin's 4 dead only, not (4 + 10) / 2"
    assert np.isnan(syria["deaths_per_event|iraq_pmf-isis"]), "no event of that dyad is seen"
    assert syria["strikes|2018-03"] == 1, "air strikes come from their own record, on the whole map"
    everywhere = simulated_patterns(run_view(events, steps, corridor_map), window, Mapping())
    assert (everywhere["events|2018-03|all|all"], everywhere["events|2018-03|iraqi_side|all"]) == (2, 1), \
        "without event_countries the record covers the whole map"
    assert everywhere["deaths_per_event|all"] == pytest.approx(7.0), "(4 + 10) / 2"
    events.to_csv(tmp_path / "events.csv", index=False)
    (tmp_path / "mapping.yaml").write_text("event_countries: [Syria]\n", encoding="utf-8")
    observed = observed_patterns(read_record(tmp_path, corridor_map, window), window)
    events_keys = [k for k in syria if k.startswith(("events|", "deaths_per_event|", "strikes|"))]
    assert {k: observed[k] for k in events_keys} == pytest.approx({k: syria[k] for k in events_keys}, nan_ok=True), \
        "the record's events go through the same coverage as the run's"
    with pytest.raises(ValueError, match="event_countries need the run's map"):
        simulated_patterns(run_view(events, steps), window, Mapping(event_countries=("Syria",)))


def test_a_bad_event_countries_is_one_line_naming_the_file_and_line(tmp_path, corridor_map):
    shutil.copy(FIXTURES / "ucdp_sample.csv", tmp_path / "ucdp.csv")
    (tmp_path / "mapping.yaml").write_text("actors:\n  IS: isis\nevent_countries: [Syria, Turkey]\n", encoding="utf-8")
    with pytest.raises(UserError, match=rf"^{tmp_path / 'mapping.yaml'}:3: event_countries: unknown country 'Turkey' "
                                        r"\(the map has Syria, Iraq\)$"):
        read_record(tmp_path, corridor_map)
    (tmp_path / "mapping.yaml").write_text("event_countries: Syria\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"mapping.yaml:1: event_countries: expected a list of the map's country names"):
        read_record(tmp_path, corridor_map)


def _ucdp_text() -> str:
    return (FIXTURES / "ucdp_sample.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "content", "message"), [
    # what a spreadsheet or a hand edit makes of a record file: each refused in one line naming the file
    # and line (these were tracebacks, or events dropped unseen, before a fresh reviewer tried them)
    ("latin1", lambda t: t.replace("Hajin", "Haj\xeen").encode("cp1252"),
     r":2: the byte 0xee is not UTF-8 \(the file looks like Latin-1 / Windows-1252, where it is 'î'\); save it as UTF-8$"),
    ("utf16", lambda t: t.encode("utf-16"), r":1: the file is UTF-16 \(its byte-order mark says so\); save it as UTF-8$"),
    ("empty", lambda t: b"", r":1: the file is empty \(expected a header line"),
    ("extra field", lambda t: (t + t.splitlines()[1] + ",surplus\n").encode(),  # a row after the sample's
     r":5: expected \d+ fields, as in the header, found \d+ \(a comma inside a field needs"),
    ("no latitude", lambda t: t.replace(",34.69,", ",,", 1).encode(), r":2: latitude: expected a number, found nothing$"),
    ("negative deaths", lambda t: _with_best(t, "-6"), r":2: best: expected a number ≥ 0, found '-6'$"),
    ("semicolons", lambda t: t.replace(",", ";").encode(),
     r":1: not a UCDP GED, ACLED, events-table or holders file \(see docs/hindcast.md\); its columns are separated by ';'"),
])
def test_a_malformed_record_file_is_one_line_naming_file_and_line(tmp_path, corridor_map, name, content, message):
    folder = tmp_path / "record"
    folder.mkdir()
    (folder / "ucdp.csv").write_bytes(content(_ucdp_text()))
    with pytest.raises(UserError, match=rf"^{folder / 'ucdp.csv'}{message}") as caught:
        read_record(folder, corridor_map, WINDOW)
    assert "\n" not in str(caught.value), f"{name}: one line, not a traceback: {caught.value}"


def _with_best(text: str, best: str) -> bytes:
    """The sample with the first event's `best` (deaths) replaced."""
    lines = text.splitlines()
    header, first = lines[0].split(","), lines[1].split(",")
    first[header.index("best")] = best
    return "\n".join([lines[0], ",".join(first), *lines[2:]]).encode() + b"\n"


def test_a_row_error_after_rows_acled_leaves_out_names_its_own_line(tmp_path, mapping):
    """ACLED's non-violent rows are dropped before the numbers are read: the line named must still be
    the bad row's in the file (line 3 here, after a protest on line 2), not its place among the kept."""
    text = (FIXTURES / "acled_sample.csv").read_text(encoding="utf-8").splitlines()
    protest = next(r for r in text[1:] if ",Protests," in r)
    violent = next(r for r in text[1:] if ",Battles," in r)
    header = text[0].split(",")
    cells = violent.split(",")
    cells[header.index("fatalities")] = "many"
    (tmp_path / "acled.csv").write_text("\n".join([text[0], protest, ",".join(cells)]) + "\n", encoding="utf-8")
    with pytest.raises(UserError, match=rf"^{tmp_path / 'acled.csv'}:3: fatalities: expected a number, found 'many'$"):
        read_acled(tmp_path / "acled.csv", mapping)


def test_a_mapping_file_that_is_not_utf8_is_one_line(tmp_path):
    (tmp_path / "m.yaml").write_bytes("actors:\n  Daesh: isis\n  Hay\xe2t: syrian_insurgents\n".encode("cp1252"))
    with pytest.raises(UserError, match=r"m.yaml:3: the byte 0xe2 is not UTF-8"):
        read_mapping(tmp_path / "m.yaml")


def test_a_window_beyond_the_records_declared_dates_is_refused_naming_the_mapping_line(tmp_path, corridor_map):
    """The shipped record ends on 31 Dec 2018; a window in 2019 against it compared the runs with
    zeros (a fresh reviewer's 2019-01-01:2019-01-31: "IS – SDF 100 % of 2"). `event_dates` in the
    mapping file declares what the events files cover; a window inside is read, one beyond is refused."""
    for name in ("ucdp_sample.csv", "holders.csv"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    text = (FIXTURES / "mapping.yaml").read_text(encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(text + "\nevent_dates: {start: 2018-01-01, end: 2018-12-31}\n",
                                           encoding="utf-8")
    line = len(text.splitlines()) + 2
    inside = read_record(tmp_path, corridor_map, Window(dt.date(2018, 3, 1), dt.date(2018, 12, 31)))
    assert set(inside.events["event_id"]) == {"1", "2"}, "a window inside the declared dates is read as before"
    for window in (Window(dt.date(2018, 6, 1), dt.date(2019, 1, 31)), Window(dt.date(2017, 12, 1), dt.date(2018, 2, 1))):
        with pytest.raises(UserError, match=rf"^{tmp_path / 'mapping.yaml'}:{line}: event_dates: the record's events "
                                            rf"cover 2018-01-01 to 2018-12-31 only, and the window {window} goes beyond"):
            read_record(tmp_path, corridor_map, window)
    (tmp_path / "mapping.yaml").write_text(text + "\nevent_dates: [2018-01-01, 2018-12-31]\n", encoding="utf-8")
    with pytest.raises(UserError, match=rf"mapping.yaml:{line}: event_dates: expected \{{start: YYYY-MM-DD, end"):
        read_mapping(tmp_path / "mapping.yaml")


def test_the_shipped_record_declares_the_dates_it_covers():
    mapping = read_mapping(SCENARIOS / "record" / "mapping.yaml")
    assert mapping.event_dates == Window(dt.date(2017, 11, 19), dt.date(2018, 12, 31)), \
        "the shipped UCDP GED file and the history cover 19 Nov 2017 - 31 Dec 2018 (scenarios/record/README.md)"
