"""The record in: violent events from UCDP GED or ACLED CSV files, the holders of named places,
and the mapping (a YAML file the user writes) from the record's actors and the model's factions
to one vocabulary of factions.

A record is a folder of CSV files (`read_record`); each file's kind is told by its header:

=================  ===================================================================
UCDP GED           has ``type_of_violence``: one row per event (GED codebook 19.1)
ACLED              has ``event_id_cnty``: one row per event (ACLED codebook 2019+)
events table       has every column of `sim.hindcast.events.EVENT_COLUMNS` (Corridor's own)
holders            has ``place``, ``date``, ``holder_after``: one row per known holder
=================  ===================================================================

Column mapping to the events table (`EVENT_COLUMNS`):

=================  ==========================================  ===============================
events table       UCDP GED                                    ACLED
=================  ==========================================  ===============================
event_id           ``id``                                      ``event_id_cnty``
date               ``date_start``                              ``event_date`` (ISO or "19 November 2017")
time               "" (days only)                              ""
kind               ``type_of_violence`` 1, 2 → clash;          ``sub_event_type``: Air/drone strike
                   3 → one_sided                               → strike; Remote explosive/landmine/IED
                                                               → ambush; ``event_type`` Battles and
                                                               other Explosions/Remote violence →
                                                               clash; Violence against civilians →
                                                               one_sided; other types are not violent
                                                               events and are left out
side_a, side_b     ``side_a``, ``side_b`` through ``actors``   ``actor1``, ``actor2`` (empty:
                                                               ``Civilians``) through ``actors``
lon, lat           ``longitude``, ``latitude``                 ``longitude``, ``latitude``
deaths_a, _b       ``deaths_a``, ``deaths_b``                  NaN (ACLED does not split them)
deaths_civilians   ``deaths_civilians``                        ``fatalities`` if one_sided, else NaN
deaths             ``best``                                    ``fatalities``
source             ucdp_ged                                    acled
=================  ==========================================  ===============================

Events are kept inside the map's extent (`sim.hindcast.regions.on_map`) and the date window;
each gets its pattern region, except an event the source locates only by an area (UCDP
``where_prec`` 3 or more: a district, a governorate, a larger named area such as "IS
enclave", the country; ACLED ``geo_precision`` 3: a larger region): its coordinates are the
area's representative point, not where it happened, so it gets no region (it counts in
``all``). Without the precision column every event is located. The mapping file's ``event_countries``
says which countries the events files cover (`Record.coverage`; the patterns leave out, on both
sides, the events outside them: `sim.hindcast.regions.Coverage`). Errors (a missing column, a date that is not a date, an unknown
kind of file, a file that is not UTF-8 or is empty, a row with more fields than the header, an event
without coordinates, negative deaths) are one line, ``file:line: column: message``
(`sim.program.errors.UserError`; the fields are read by `sim.hindcast.record_fields`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.hindcast.events import EVENT_COLUMNS, dyad
from sim.hindcast.mapping import DYADS, HOLDERS, MAPPING_FILE, Mapping, read_mapping
from sim.hindcast.record_fields import (
    need_columns,
    parse_dates,
    parse_numbers,
    read_csv,
    row_problem,
    unique_ids,
)
from sim.hindcast.regions import Coverage, on_map, regions_at
from sim.hindcast.window import Window
from sim.program.errors import UserError

UCDP_COLUMNS = ("id", "date_start", "type_of_violence", "side_a", "side_b", "latitude", "longitude",
                "deaths_a", "deaths_b", "deaths_civilians", "best")
ACLED_COLUMNS = ("event_id_cnty", "event_date", "event_type", "sub_event_type", "actor1", "actor2",
                 "latitude", "longitude", "fatalities")
HOLDER_COLUMNS = ("place", "date", "holder_after")
#: the precision from which a source's location is an area's representative point, not a place
#: (UCDP GED codebook: 3 a second-order division, a district, at its centroid; 4 a first-order division, 5 a
#: larger area or a linear feature, 6 the country, 7 waters or air space; ACLED codebook: 3 a larger region);
#: such events get no region (`clip_events`). The corridor's districts (Albu Kamal, Al Mayadin) span the
#: valley and the Badia, and their centroids lie in the Badia
UCDP_AREA_PRECISION = 3
ACLED_AREA_PRECISION = 3
AREA_ONLY = "area only"  # the region of such an event until `clip_events` (then "")
ACLED_KINDS = {"Air/drone strike": "strike", "Remote explosive/landmine/IED": "ambush"}
ACLED_TYPES = {"Battles": "clash", "Explosions/Remote violence": "clash", "Violence against civilians": "one_sided"}


@dataclass
class Record:
    """What happened: `events` (EVENT_COLUMNS, inside the map and the window), `holders`
    (place (map name), date, holder; one row per known holder, sorted by place and date),
    `mapping`, the `files` read, the map's `places` (names) the patterns ask about and the
    events' `coverage` (`sim.hindcast.regions.Coverage`, from ``event_countries``)."""

    events: pd.DataFrame
    holders: pd.DataFrame
    mapping: Mapping
    files: list[Path]
    places: list[str]
    coverage: Coverage


def _area_only(path: Path, frame: pd.DataFrame, column: str, area_from: int) -> np.ndarray:
    """The region placeholder of each row: AREA_ONLY where the precision `column` is at least
    `area_from` (an area's representative point), "" otherwise or without the column."""
    if column not in frame.columns:
        return np.full(len(frame), "", dtype=object)
    return np.where(parse_numbers(path, frame, column) >= area_from, AREA_ONLY, "").astype(object)


def _actor(mapping: Mapping, names: pd.Series) -> list[str]:
    return [mapping.actors.get(str(n), str(n)) for n in names]


def read_ucdp(path: Path, mapping: Mapping) -> pd.DataFrame:
    """A UCDP GED CSV file as the events table (no clipping; `clip_events` does that)."""
    frame = read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    need_columns(path, frame, UCDP_COLUMNS)
    unique_ids(path, frame["id"], "id")
    violence = parse_numbers(path, frame, "type_of_violence")
    bad = np.flatnonzero(~np.isin(violence, (1, 2, 3)))
    if len(bad):
        raise row_problem(path, int(bad[0]), "type_of_violence", f"expected 1, 2 or 3, found '{violence[bad[0]]:g}'")
    a, b = _actor(mapping, frame["side_a"]), _actor(mapping, frame["side_b"])
    return pd.DataFrame({
        "event_id": frame["id"].astype(str), "date": parse_dates(path, frame["date_start"], "date_start"), "time": "",
        "kind": np.where(violence == 3, "one_sided", "clash"), "side_a": a, "side_b": b,
        "dyad": [dyad(x, y) for x, y in zip(a, b, strict=True)],
        "lon": parse_numbers(path, frame, "longitude", required=True), "lat": parse_numbers(path, frame, "latitude", required=True),
        "region": _area_only(path, frame, "where_prec", UCDP_AREA_PRECISION),
        "deaths_a": parse_numbers(path, frame, "deaths_a", nonnegative=True),
        "deaths_b": parse_numbers(path, frame, "deaths_b", nonnegative=True),
        "deaths_civilians": parse_numbers(path, frame, "deaths_civilians", nonnegative=True),
        "deaths": parse_numbers(path, frame, "best", nonnegative=True),
        "source": "ucdp_ged"}, columns=list(EVENT_COLUMNS))


def read_acled(path: Path, mapping: Mapping) -> pd.DataFrame:
    """An ACLED CSV file as the events table: violent event types only (see the module's table)."""
    frame = read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    need_columns(path, frame, ACLED_COLUMNS)
    unique_ids(path, frame["event_id_cnty"], "event_id_cnty")
    kind = frame["sub_event_type"].map(ACLED_KINDS).fillna(frame["event_type"].map(ACLED_TYPES))
    frame = frame[kind.notna()].copy()
    kind = kind[kind.notna()].to_numpy()
    actor2 = frame["actor2"].fillna("Civilians")
    a, b = _actor(mapping, frame["actor1"]), _actor(mapping, actor2)
    deaths = parse_numbers(path, frame, "fatalities", nonnegative=True)
    return pd.DataFrame({
        "event_id": frame["event_id_cnty"].astype(str).to_numpy(),
        "date": parse_dates(path, frame["event_date"], "event_date", ("%Y-%m-%d", "%d %B %Y")).to_numpy(), "time": "",
        "kind": kind, "side_a": a, "side_b": b, "dyad": [dyad(x, y) for x, y in zip(a, b, strict=True)],
        "lon": parse_numbers(path, frame, "longitude", required=True), "lat": parse_numbers(path, frame, "latitude", required=True),
        "region": _area_only(path, frame, "geo_precision", ACLED_AREA_PRECISION), "deaths_a": np.nan, "deaths_b": np.nan, "deaths_civilians": np.where(kind == "one_sided", deaths, np.nan),
        "deaths": deaths, "source": "acled"}, columns=list(EVENT_COLUMNS), index=frame.index)


def read_events_table(path: Path, mapping: Mapping) -> pd.DataFrame:
    """A CSV file already in Corridor's events table (EVENT_COLUMNS), e.g. a run's
    violent_events.csv or the record's strikes; sides go through `mapping.actors`."""
    frame = read_csv(path, dtype={"event_id": str, "time": str, "side_a": str, "side_b": str},
                        keep_default_na=False, na_values=[""])
    need_columns(path, frame, EVENT_COLUMNS)
    unique_ids(path, frame["event_id"], "event_id")
    frame["date"] = parse_dates(path, frame["date"], "date")
    frame["time"] = frame["time"].fillna("")
    frame["side_a"], frame["side_b"] = _actor(mapping, frame["side_a"]), _actor(mapping, frame["side_b"])
    frame["dyad"] = [dyad(x, y) for x, y in zip(frame["side_a"], frame["side_b"], strict=True)]
    for c in ("lon", "lat", "deaths_a", "deaths_b", "deaths_civilians", "deaths"):
        frame[c] = parse_numbers(path, frame, c, required=c in ("lon", "lat"), nonnegative=c.startswith("deaths"))
    return frame[list(EVENT_COLUMNS)]


def read_holders(path: Path, corridor_map, mapping: Mapping) -> pd.DataFrame:
    """A holders CSV (place, date, holder_after): place names as the map's (`mapping.places`,
    then the map's names and aliases); a month-only date (YYYY-MM) counts from the 15th.
    Returns place, date (ISO), holder, sorted by place and date."""
    frame = read_csv(path, dtype=str, keep_default_na=False)
    need_columns(path, frame, HOLDER_COLUMNS)
    months = frame["date"].str.fullmatch(r"\d{4}-\d{2}")
    dates = parse_dates(path, frame["date"].where(~months, frame["date"] + "-15"), "date")
    places = []
    for i, name in enumerate(frame["place"]):
        try:
            places.append(corridor_map.find_place(mapping.places.get(name, name)).name)
        except KeyError as exc:
            raise row_problem(path, i, "place", f"{exc.args[0]} (map it under `places` in {MAPPING_FILE})") from None
    holders = frame["holder_after"].str.strip()
    unknown = np.flatnonzero(~holders.isin(HOLDERS).to_numpy())
    if len(unknown):
        raise row_problem(path, int(unknown[0]), "holder_after", f"expected one of {', '.join(HOLDERS)}, found "
                          f"'{holders.iloc[unknown[0]]}'")
    out = pd.DataFrame({"place": places, "date": dates, "holder": holders})
    return out.sort_values(["place", "date"], kind="stable").reset_index(drop=True)


def clip_events(events: pd.DataFrame, corridor_map, window: Window | None) -> pd.DataFrame:
    """Events inside the map's extent and (if given) the window, each with its pattern region
    ("" for an event located only by an area: `AREA_ONLY`)."""
    keep = on_map(corridor_map, events["lon"].to_numpy(), events["lat"].to_numpy())
    if window is not None:
        keep &= (events["date"] >= window.start.isoformat()).to_numpy() & (events["date"] <= window.end.isoformat()).to_numpy()
    out = events[keep].copy()
    area = (out["region"] == AREA_ONLY).to_numpy()
    out["region"] = np.where(area, "", regions_at(corridor_map, out["lon"].to_numpy(), out["lat"].to_numpy()))
    return out.reset_index(drop=True)


def _check_events(events: list[pd.DataFrame], files: list[Path], mapping: Mapping) -> None:
    """UserError if an event id of one file is also another's (`files`: the events files, in the
    order of `events`; the line is the second file's), or if the files have violent events and
    none is between the factions the patterns score (`DYADS`): the record's actors are not mapped
    to them (`actors` in the mapping file), and every count the patterns compare would be 0."""
    seen: dict[str, Path] = {}
    for path, table in zip(files, events, strict=True):
        again = table["event_id"].isin(list(seen)).to_numpy()
        if again.any():
            row = int(np.flatnonzero(again)[0])
            eid = table["event_id"].iloc[row]
            raise row_problem(path, int(table.index[row]), "event_id", f"'{eid}' is also an event of {seen[eid]}: "
                              "each event once (the same file twice, or two versions of it, in the record folder?)")
        seen |= dict.fromkeys(table["event_id"], path)
    violent = pd.concat(events, ignore_index=True).query("kind != 'strike'")
    if len(violent) and not violent["dyad"].isin(DYADS).any():
        actors = sorted(set(violent["side_a"]) | set(violent["side_b"]))
        raise UserError(f"{mapping.source or files[0]}:{mapping.lines.get('actors', 1)}: actors: no event of the "
                        f"record is between the factions the patterns score ({', '.join(DYADS)}); its sides are "
                        f"{', '.join(actors[:8])}{' …' if len(actors) > 8 else ''}: map them under `actors`")


def read_record(folder: Path, corridor_map, window: Window | None = None, mapping_file: Path | None = None) -> Record:
    """Every CSV file of `folder` (by its header, see the module's table), with `mapping_file`
    (default: the folder's mapping.yaml if there is one). UserError for a missing folder, a
    folder with no events, a file of no known kind, or a `window` beyond the mapping's
    `event_dates`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"--record: no folder {folder}")
    if mapping_file is None and (folder / MAPPING_FILE).is_file():
        mapping_file = folder / MAPPING_FILE
    mapping = read_mapping(mapping_file)
    mapping.check_window(window)
    coverage = mapping.coverage(corridor_map)
    events, holders, holder_files, files = [], [], [], sorted(folder.glob("*.csv"))
    for path in files:
        header = set(read_csv(path, nrows=0).columns)
        if "type_of_violence" in header:
            events.append(read_ucdp(path, mapping))
        elif "event_id_cnty" in header:
            events.append(read_acled(path, mapping))
        elif set(EVENT_COLUMNS) <= header:
            events.append(read_events_table(path, mapping))
        elif set(HOLDER_COLUMNS) <= header:
            holders.append(read_holders(path, corridor_map, mapping))
            holder_files.append(path)
        else:
            semicolons = len(header) == 1 and ";" in next(iter(header))
            raise UserError(f"{path}:1: not a UCDP GED, ACLED, events-table or holders file (see docs/hindcast.md)"
                            + ("; its columns are separated by ';': save it with commas" if semicolons else ""))
    if not events:
        raise UserError(f"--record: {folder} has no events file (UCDP GED, ACLED or Corridor's events table)")
    _check_events(events, [p for p in files if p not in holder_files], mapping)
    table = clip_events(pd.concat(events, ignore_index=True), corridor_map, window)
    held = (pd.concat(holders, ignore_index=True) if holders
            else pd.DataFrame({"place": pd.Series(dtype=object), "date": pd.Series(dtype=object),
                               "holder": pd.Series(dtype=object)}))
    return Record(table.sort_values(["date", "event_id"], kind="stable").reset_index(drop=True), held, mapping, files,
                  list(corridor_map.places), coverage)
