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

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.hindcast.events import EVENT_COLUMNS, dyad
from sim.hindcast.record_fields import (
    need_columns,
    parse_dates,
    parse_numbers,
    read_csv,
    row_problem,
)
from sim.hindcast.regions import Coverage, on_map, regions_at
from sim.program.errors import UserError
from sim.scenario.encoding import NotUTF8, decode_utf8

MAPPING_FILE = "mapping.yaml"
MAPPING_KEYS = ("actors", "model", "model_events", "places")
COVERAGE_KEY = "event_countries"  # the countries the events record covers (a list; absent: the whole map)
DATES_KEY = "event_dates"  # the dates the events record covers ({start, end}; absent: not declared, not checked)
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


@dataclass(frozen=True)
class Window:
    """A window of dates, both ends included (``START:END``, ISO dates)."""

    start: dt.date
    end: dt.date

    @classmethod
    def parse(cls, text: str, flag: str = "--window") -> Window:
        """``2017-11-19:2018-12-31`` → Window; a UserError naming `flag` otherwise."""
        parts = str(text).split(":")
        try:
            if len(parts) != 2:
                raise ValueError
            start, end = (dt.date.fromisoformat(p.strip()) for p in parts)
        except ValueError:
            raise UserError(f"{flag}: expected START:END as ISO dates (e.g. 2017-11-19:2018-12-31), "
                            f"found '{text}'") from None
        if end < start:
            raise UserError(f"{flag}: the window ends ({end}) before it starts ({start})")
        return cls(start, end)

    def months(self) -> list[str]:
        """The months the window touches, "YYYY-MM", in order."""
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    def firsts(self) -> list[dt.date]:
        """The first days of months inside the window (the dates holders are compared on)."""
        return [d for d in (dt.date.fromisoformat(f"{m}-01") for m in self.months()) if self.start <= d <= self.end]

    def __str__(self) -> str:
        return f"{self.start}:{self.end}"


@dataclass(frozen=True)
class Mapping:
    """Names to one vocabulary of factions: `actors` (record actor → faction), `model` (a
    scenario's faction id or striker → faction), `model_events` (overrides of `model` for events
    only), `places` (record place name → map place name). Names not listed map to themselves.
    `event_countries`: the countries the events record covers, as the map names them (UCDP GED's
    Syria country file: ``("Syria",)``); None for the whole map (`sim.hindcast.regions.Coverage`);
    `where` is where the file sets it (``file:line``), for error messages. `event_dates`: the
    dates the events record covers (a Window; None: not declared), `dates_where` where it is set."""

    actors: dict[str, str] = field(default_factory=dict)
    model: dict[str, str] = field(default_factory=dict)
    model_events: dict[str, str] = field(default_factory=dict)
    places: dict[str, str] = field(default_factory=dict)
    event_countries: tuple[str, ...] | None = None
    where: str = ""
    event_dates: Window | None = None
    dates_where: str = ""

    def check_window(self, window: Window | None) -> None:
        """UserError if `window` reaches outside `event_dates`: a month the record does not cover
        would be compared as a month without events (0), and every band holding 0 would "cover" it."""
        if window is None or self.event_dates is None:
            return
        if window.start < self.event_dates.start or window.end > self.event_dates.end:
            raise UserError(f"{self.dates_where}: {DATES_KEY}: the record's events cover {self.event_dates.start} to "
                            f"{self.event_dates.end} only, and the window {window} goes beyond them (a month it does not "
                            f"cover would count as a month without events); give a window inside them, or the record "
                            f"of that window (hindcast --record FOLDER)")

    def coverage(self, corridor_map) -> Coverage:
        """What the events record can see on `corridor_map`; UserError for a country the map lacks."""
        return Coverage(corridor_map, self.event_countries, f"{self.where}: {COVERAGE_KEY}")

    def model_faction(self, name: str, events: bool = False) -> str:
        if events and name in self.model_events:
            return self.model_events[name]
        return self.model.get(name, name)


def read_mapping(path: Path | None) -> Mapping:
    """The mapping file (YAML: `MAPPING_KEYS`, each a mapping of names to names, `COVERAGE_KEY`,
    a list of country names, and `DATES_KEY`, {start, end}); an empty Mapping for None. Errors:
    UserError ``file:line: key: message``."""
    if path is None:
        return Mapping()
    path = Path(path)
    try:
        text = decode_utf8(path.read_bytes())
        data = yaml.safe_load(text) or {}
    except OSError as exc:
        raise UserError(f"{path}: cannot read the mapping file ({exc.strerror})") from None
    except NotUTF8 as exc:
        raise UserError(f"{path}:{exc.line or 1}: {exc}") from None
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise UserError(f"{path}:{'' if line is None else line + 1}: not valid YAML") from None
    except ValueError as exc:  # PyYAML's timestamp constructor on a date that does not exist (2018-02-30)
        raise UserError(f"{path}: not valid YAML: {exc} (a date that does not exist?)") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}:1: expected a mapping with keys {', '.join((*MAPPING_KEYS, COVERAGE_KEY))}")
    lines = text.splitlines()
    coverage_line, dates, dates_line = 1, None, 1
    for key, value in data.items():
        line = next((i + 1 for i, s in enumerate(lines) if s.startswith(f"{key}:")), 1)
        if key == DATES_KEY:
            dates, dates_line = _event_dates(path, line, value), line
            continue
        if key == COVERAGE_KEY:
            coverage_line = line
            if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
                raise UserError(f"{path}:{line}: {key}: expected a list of the map's country names (e.g. [Syria])")
            continue
        if key not in MAPPING_KEYS:
            raise UserError(f"{path}:{line}: {key}: unknown key (expected one of "
                            f"{', '.join((*MAPPING_KEYS, COVERAGE_KEY, DATES_KEY))})")
        if value is not None and (not isinstance(value, dict)
                                  or not all(isinstance(v, str) for v in value.values())):
            raise UserError(f"{path}:{line}: {key}: expected a mapping of names to names (name: faction)")
    countries = data.get(COVERAGE_KEY)
    return Mapping(**{k: {str(a): b for a, b in (data.get(k) or {}).items()} for k in MAPPING_KEYS},
                   event_countries=None if countries is None else tuple(countries), where=f"{path}:{coverage_line}",
                   event_dates=dates, dates_where=f"{path}:{dates_line}")


def _event_dates(path: Path, line: int, value) -> Window:
    """The mapping file's `event_dates` ({start: DATE, end: DATE}) as a Window; UserError otherwise."""
    where = f"{path}:{line}: {DATES_KEY}"
    if not isinstance(value, dict) or set(value) != {"start", "end"}:
        raise UserError(f"{where}: expected {{start: YYYY-MM-DD, end: YYYY-MM-DD}}, the dates the events files cover")
    return Window.parse(f"{value['start']}:{value['end']}", where)


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
        "deaths": deaths, "source": "acled"}, columns=list(EVENT_COLUMNS))


def read_events_table(path: Path, mapping: Mapping) -> pd.DataFrame:
    """A CSV file already in Corridor's events table (EVENT_COLUMNS), e.g. a run's
    violent_events.csv or the record's strikes; sides go through `mapping.actors`."""
    frame = read_csv(path, dtype={"event_id": str, "time": str, "side_a": str, "side_b": str},
                        keep_default_na=False, na_values=[""])
    need_columns(path, frame, EVENT_COLUMNS)
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
    out = pd.DataFrame({"place": places, "date": dates, "holder": frame["holder_after"].str.strip()})
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
    events, holders, files = [], [], sorted(folder.glob("*.csv"))
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
        else:
            semicolons = len(header) == 1 and ";" in next(iter(header))
            raise UserError(f"{path}:1: not a UCDP GED, ACLED, events-table or holders file (see docs/hindcast.md)"
                            + ("; its columns are separated by ';': save it with commas" if semicolons else ""))
    if not events:
        raise UserError(f"--record: {folder} has no events file (UCDP GED, ACLED or Corridor's events table)")
    table = clip_events(pd.concat(events, ignore_index=True), corridor_map, window)
    held = (pd.concat(holders, ignore_index=True) if holders
            else pd.DataFrame({"place": pd.Series(dtype=object), "date": pd.Series(dtype=object),
                               "holder": pd.Series(dtype=object)}))
    return Record(table.sort_values(["date", "event_id"], kind="stable").reset_index(drop=True), held, mapping, files,
                  list(corridor_map.places), coverage)
