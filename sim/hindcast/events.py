"""Violent events as one table, the same for the record and for a run, so that both go through
the same pattern functions (`sim.hindcast.patterns`).

A row is one event in the sense of the UCDP GED codebook: one dyad, one place, one day, with
its deaths. The columns (`EVENT_COLUMNS`):

==================  ==================================================================
``event_id``        text: the source's id (UCDP ``id``, ACLED ``event_id_cnty``) or ``m<k>``
``date``            ISO date YYYY-MM-DD (UCDP ``date_start``; a run: the calendar date)
``time``            HH:MM of the first incident (runs); empty for the record (days only)
``kind``            ``clash``, ``ambush``, ``engagement`` (patrols on insurgents), ``strike``
                    (air), ``one_sided`` (against civilians: the record only)
``side_a``          faction id (or the actor's name where the mapping has none)
``side_b``          faction id, ``civilians``, or the actor's name
``dyad``            the two sides sorted and joined by "-": ``isis-sdf_coalition``
``lon``, ``lat``    degrees (WGS 84) where it happened: a run's cell centre, the record's
                    coordinates (their precision is the source's, UCDP ``where_prec``)
``region``          pattern region (`sim.hindcast.regions`), "" outside the map
``deaths_a``        side A's dead (float; a run's are fighters lost, Lanchester fractions)
``deaths_b``        side B's dead
``deaths_civilians``  civilians killed (the model has none: 0)
``deaths``          all dead: UCDP ``best``; a run's sum of the above
``source``          ``ucdp_ged``, ``acled`` or ``model``
==================  ==================================================================

A run's events: every clash (`sim.submodels.engagement.Engagements.report`), ambush, patrol engagement with an
insurgent cell and air strike is noted as it happens (`ViolenceLog`, one append per
incident, no scan of the map); `events_table` groups them as UCDP codes events, one row per
calendar day, cell, kind and dyad with the fighters lost summed, keeps the rows with at least
`MIN_DEATHS` fighters lost (an incident that hit someone: UCDP's events have at least one death
in the dyad's year, and a tenth of the record's have a best estimate of 0), and counts as deaths
the share `engagement.killed_share` of the fighters lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

EVENT_COLUMNS = ("event_id", "date", "time", "kind", "side_a", "side_b", "dyad", "lon", "lat", "region",
                 "deaths_a", "deaths_b", "deaths_civilians", "deaths", "source")
EVENT_KINDS = ("clash", "ambush", "engagement", "strike", "one_sided")
#: the fewest fighters lost (killed, wounded, captured) for a run's grouped incident to count as an event
MIN_DEATHS = 1.0


def dyad(a: str, b: str) -> str:
    """The dyad key of two sides: sorted, joined by "-" ("isis-sdf_coalition")."""
    return "-".join(sorted((a, b)))


def empty_events() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=float if c.startswith(("deaths", "lon", "lat")) else object)
                         for c in EVENT_COLUMNS})


@dataclass
class ViolenceLog:
    """The violent incidents of a run as they happen: hours since the start, cell (row, col),
    kind (one of EVENT_KINDS), the two sides (faction ids, or a striker's name) and each side's
    fighters lost."""

    hours: list[float] = field(default_factory=list)
    cells: list[tuple[int, int]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    sides: list[tuple[str, str]] = field(default_factory=list)
    deaths: list[tuple[float, float]] = field(default_factory=list)

    def add(self, hours: float, cell, kind: str, side_a: str, side_b: str, deaths_a: float, deaths_b: float) -> None:
        self.hours.append(float(hours))
        self.cells.append((int(cell[0]), int(cell[1])))
        self.kinds.append(kind)
        self.sides.append((side_a, side_b))
        self.deaths.append((float(deaths_a), float(deaths_b)))

    def __len__(self) -> int:
        return len(self.hours)


def _kahan_add(sums: list, at: int, value: float) -> None:
    """Add `value` to the compensated sum kept in `sums[at]` (the sum) and `sums[at + 1]` (its
    compensation), exactly as pandas' grouped sum does (`pandas/_libs/groupby.pyx`, `group_sum`:
    Kahan summation), so that the sums are the bits a `groupby(...).sum()` gives."""
    total, compensation = sums[at], sums[at + 1]
    y = value - compensation
    t = total + y
    compensation = t - total - y
    sums[at], sums[at + 1] = t, 0.0 if compensation != compensation else compensation


def events_table(log: ViolenceLog, calendar, corridor_map, killed_share: float) -> pd.DataFrame:
    """A run's violent events (EVENT_COLUMNS): the incidents of `log` grouped by calendar day,
    cell, kind and dyad (sides in the order of the first incident), fighters lost summed, the
    time of the first; rows with fewer than MIN_DEATHS fighters lost dropped; sorted by date and
    time. The deaths are the fighters lost (killed, wounded and captured: the attrition rates'
    casualties) times `killed_share` (`engagement.killed_share`, the share of them killed).

    Grouped in a dict, not by pandas' `groupby`, whose fixed cost (~8 ms a call for a run with
    any incident) was a third of a short run's CPU (20–30 ms for 2 days at 2–10 km, as tests and
    sweeps run); the sums are pandas' to the bit (`_kahan_add`), and so is the table
    (docs/performance.md, session 14)."""
    from sim.geography.gis_out import cell_lonlat
    from sim.hindcast.regions import region_grid

    if not len(log):
        return empty_events()
    minutes = np.round(np.asarray(log.hours) * 60.0).astype(np.int64).astype("timedelta64[m]")
    stamps = np.datetime_as_string(np.datetime64(calendar.start, "m") + minutes, unit="m").tolist()  # YYYY-MM-DDTHH:MM
    groups: dict[tuple, list] = {}  # (date, row, col, kind, dyad) -> [time, side_a, side_b, lost_a, its compensation, lost_b, its]
    for stamp, (row, col), kind, (side_a, side_b), (lost_a, lost_b) in zip(
            stamps, log.cells, log.kinds, log.sides, log.deaths, strict=True):
        key = (stamp[:10], row, col, kind, dyad(side_a, side_b))
        sums = groups.get(key)
        if sums is None:
            sums = groups[key] = [stamp[11:], side_a, side_b, 0.0, 0.0, 0.0, 0.0]
        _kahan_add(sums, 3, lost_a)
        _kahan_add(sums, 5, lost_b)
    kept = sorted(((key, sums) for key, sums in groups.items() if sums[3] + sums[5] >= MIN_DEATHS),
                  key=lambda item: (item[0][0], item[1][0]))  # stable: by date and time, then as first seen
    rows = np.array([key[1] for key, _ in kept], dtype=np.int64)
    cols = np.array([key[2] for key, _ in kept], dtype=np.int64)
    deaths_a = np.array([sums[3] for _, sums in kept], dtype=float) * killed_share
    deaths_b = np.array([sums[5] for _, sums in kept], dtype=float) * killed_share
    lon, lat = cell_lonlat(corridor_map, rows, cols)
    regions, names = region_grid(corridor_map)

    def text(values: list) -> pd.api.extensions.ExtensionArray:  # pandas' text dtype even when no row is kept
        return pd.array(values, dtype="str")

    return pd.DataFrame({
        "event_id": [f"m{k}" for k in range(len(kept))], "date": text([key[0] for key, _ in kept]),
        "time": text([sums[0] for _, sums in kept]), "kind": text([key[3] for key, _ in kept]),
        "side_a": text([sums[1] for _, sums in kept]), "side_b": text([sums[2] for _, sums in kept]),
        "dyad": text([key[4] for key, _ in kept]), "lon": np.round(lon, 5), "lat": np.round(lat, 5),
        "region": names[regions[rows, cols]], "deaths_a": np.round(deaths_a, 2), "deaths_b": np.round(deaths_b, 2),
        "deaths_civilians": np.zeros(len(kept)), "deaths": np.round(deaths_a + deaths_b, 2), "source": "model"},
        columns=list(EVENT_COLUMNS))


def write_events(events: pd.DataFrame, folder: Path) -> Path:
    """Write `events` (EVENT_COLUMNS) as ``violent_events.csv`` in `folder` (its point layer
    ``gis/violent_events.geojson`` is one of a run's GIS layers, `sim.results.gis_layers`)."""
    from sim.program.output import write_atomic

    return write_atomic(folder / "violent_events.csv", lambda tmp: events.to_csv(tmp, index=False))
