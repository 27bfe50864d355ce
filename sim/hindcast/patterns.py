"""Pattern statistics (pattern-oriented validation, Grimm et al. 2005), computed by the same
functions from the record and from a run, as one flat ``dict[str, float]`` with the same keys:

=============================================  ===============================================
key                                            value
=============================================  ===============================================
``events|<YYYY-MM>|<region>|<dyad>``           violent events in the month (inside the window)
                                               and region between the dyad's sides; region and
                                               dyad may be ``all``; air strikes are not counted
                                               here (``strikes``); only events the record can
                                               see (``coverage``)
``deaths_per_event|<dyad>``                    mean deaths (``deaths``) per event in the window
``strikes|<YYYY-MM>``                          air strikes (kind ``strike``) in the month
``holder|<YYYY-MM>|<place>|<faction>``         1 if the faction held the place on the first of
                                               the month, else 0
=============================================  ===============================================

Regions: `sim.hindcast.regions.REGIONS` and its groups (`REGION_GROUPS`: ``valley``, both
banks); an event with no region (the record located it only by an area) counts in ``all``; dyads: `DYADS` (other dyads count in ``all``);
the events and deaths-per-event keys count only the events in the countries the record covers
(`sim.hindcast.regions.Coverage`, the mapping's ``event_countries``), on both sides, and a
region with no cell in them is NaN (not observed); air strikes come from their own record and
are counted on the whole map;
holders: `HOLDERS`; places: every named place of the map. A value is NaN where the source
does not speak: a month the run did not reach, a place-month before the record's first row for
the place, deaths per event where there was no event. The model's faction ids become the
record's factions through the mapping file (`sim.hindcast.mapping.Mapping`: ``model`` for
holders, ``model_events`` on top of it for events).

Averaging the simulated dicts of seeded replicates gives, for a holder key, the model's
probability that the faction holds the place.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pandas as pd

from sim.hindcast.events import dyad
from sim.hindcast.mapping import DYADS, HOLDERS, Mapping, read_mapping
from sim.hindcast.record import Record
from sim.hindcast.regions import REGION_GROUPS, REGIONS, Coverage
from sim.hindcast.window import Window

ALL = "all"


def _month_end(month: str) -> dt.date:
    y, m = (int(v) for v in month.split("-"))
    return (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1))


def event_patterns(events: pd.DataFrame, window: Window, covered_until: dt.date | None = None,
                   dyads=DYADS, coverage: Coverage | None = None) -> dict[str, float]:
    """The event keys (events, deaths_per_event, strikes) of an events table (EVENT_COLUMNS,
    regions filled in). `covered_until`: the last date the source covers (a run's end); months
    whose part inside the window goes beyond it are NaN. `coverage`: what the record sees
    (None: everything); events outside it are not counted, unseen regions' counts are NaN."""
    date = events["date"].astype(str)
    inside = events[((date >= window.start.isoformat()) & (date <= window.end.isoformat())).to_numpy()]
    month = inside["date"].astype(str).str[:7].to_numpy()
    strike = (inside["kind"] == "strike").to_numpy()
    violent = ~strike
    if coverage is not None:
        violent &= coverage.sees(inside["lon"].to_numpy(dtype=float), inside["lat"].to_numpy(dtype=float))
    unseen = frozenset() if coverage is None else coverage.unseen()
    region, pair = inside["region"].to_numpy(), inside["dyad"].to_numpy()
    out: dict[str, float] = {}
    for m in window.months():
        seen = covered_until is None or min(_month_end(m), window.end) <= covered_until
        here = (month == m) & violent
        for r in (*REGIONS, *REGION_GROUPS, ALL):
            in_region = here if r == ALL else here & np.isin(region, REGION_GROUPS.get(r, (r,)))
            for d in (*dyads, ALL):
                n = in_region.sum() if d == ALL else (in_region & (pair == d)).sum()
                out[f"events|{m}|{r}|{d}"] = float(n) if seen and r not in unseen else np.nan
        out[f"strikes|{m}"] = float(((month == m) & strike).sum()) if seen else np.nan
    deaths = inside["deaths"].to_numpy(dtype=float)
    for d in (*dyads, ALL):
        sel = violent if d == ALL else violent & (pair == d)
        out[f"deaths_per_event|{d}"] = float(np.nanmean(deaths[sel])) if sel.any() else np.nan
    return out


def holder_patterns(holder_on, places, window: Window) -> dict[str, float]:
    """The holder keys: `holder_on(place, date)` gives the faction holding the place on that
    date, or None where the source does not say."""
    out: dict[str, float] = {}
    for first in window.firsts():
        m = first.isoformat()[:7]
        for place in places:
            holder = holder_on(place, first)
            for f in HOLDERS:
                out[f"holder|{m}|{place}|{f}"] = np.nan if holder is None else float(holder == f)
    return out


def observed_patterns(record: Record, window: Window) -> dict[str, float]:
    """The patterns of the record (`sim.hindcast.record.read_record`) in `window`."""
    by_place = {p: g for p, g in record.holders.groupby("place")}

    def holder_on(place: str, when: dt.date):
        rows = by_place.get(place)
        if rows is None:
            return None
        before = rows[rows["date"] <= when.isoformat()]
        return None if before.empty else str(before["holder"].iloc[-1])

    return {**event_patterns(record.events, window, coverage=record.coverage),
            **holder_patterns(holder_on, record.places, window)}


def simulated_patterns(run_result, window: Window, mapping: Mapping | None = None) -> dict[str, float]:
    """The patterns of one run in `window`: `run_result` is a `sim.results.result.RunResult` (or any
    object with its ``events`` table, a ``steps`` table with ``date`` and ``holder_<place>``
    columns and the run's ``map``, e.g. `run_view`). `mapping`: default the shipped record's
    mapping.yaml; its ``event_countries`` decide which of the run's events the record could see
    (ValueError if it has them and the run has no map)."""
    if mapping is None:
        from sim.program.folders import SCENARIOS

        mapping = read_mapping(SCENARIOS / "record" / "mapping.yaml")
    steps = run_result.steps
    events = run_result.events.copy()
    events["side_a"] = [mapping.model_faction(s, events=True) for s in events["side_a"]]
    events["side_b"] = [mapping.model_faction(s, events=True) for s in events["side_b"]]
    events["dyad"] = [dyad(a, b) for a, b in zip(events["side_a"], events["side_b"], strict=True)]
    last = dt.date.fromisoformat(str(steps["date"].iloc[-1]))
    ended_at_midnight = float(steps["hours"].iloc[-1]) % 24.0 == 0.0
    covered = last - dt.timedelta(days=1) if ended_at_midnight else last
    places = [c[len("holder_"):] for c in steps.columns if c.startswith("holder_")]
    first_row = steps.drop_duplicates("date").set_index("date")

    def holder_on(place: str, when: dt.date):
        key = when.isoformat()
        if key not in first_row.index:
            return None
        return mapping.model_faction(str(first_row.at[key, f"holder_{place}"]))

    corridor_map = getattr(run_result, "map", None)
    if corridor_map is None and mapping.event_countries is not None:
        raise ValueError("simulated_patterns: the mapping's event_countries need the run's map (run_view(..., map))")
    coverage = None if corridor_map is None else mapping.coverage(corridor_map)
    return {**event_patterns(events, window, covered, coverage=coverage), **holder_patterns(holder_on, places, window)}


def run_view(events: pd.DataFrame, steps: pd.DataFrame, corridor_map=None) -> SimpleNamespace:
    """What `simulated_patterns` reads of a run, from its events table, (kept rows of) its step
    table and its map (`CorridorMap`; None: no coverage can be applied), e.g. as a sweep worker
    returns them."""
    return SimpleNamespace(events=events, steps=steps, map=corridor_map)
