"""A run's maps for GIS tools (QGIS, GDAL, …), written into the run folder's ``gis/``:

| file | contents |
|---|---|
| ``control.tif`` | (with the ``[gis]`` extra, rasterio) GeoTIFF, EPSG:4326, at the end: one band ``controller``, the category code of who controls each cell (`controller_classes`: 0 ungoverned, 1 … F the factions, F + 1 contested) with a colour table; river cells nodata 255, except the cells of places (bridges) |
| ``control.qml`` | the QGIS style of ``control.tif`` (paletted, one labelled colour per class): QGIS applies it on opening |
| ``control_factions.tif`` | the same cells as one uint8 band per faction (1 where it controls the cell, else 0) and ``contested`` (1/0) |
| ``control_over_time.tif`` / ``.qml`` | the ``controller`` codes of every kept snapshot (daily in ``run``), one band per day, named by its ISO 8601 date-time, with ``datetime`` and ``day`` in each band's metadata (GDAL keeps colour tables in one-band files only: the ``.qml`` colours it) |
| ``places.geojson`` | the map's places at the cell the model puts them on (name, kind, strategic value, holder at the end, where the map file put them and how far they moved) |
| ``units.geojson`` | every unit alive at the end at its cell centre (id, label, faction, kind, fighters, datetime) |
| ``tracks.geojson`` | each unit's legs between kept snapshots: a LineString where it moved, a Point where it stayed, with ``datetime`` and ``datetime_end`` (QGIS's Temporal Controller animates it) |
| ``routes.geojson`` | each convoy of the scenario's forces: its planned route through its start and route places (their cells' centres), and its outcome |
| ``events.geojson`` | every logged event at the cell where it happened (else at the place it names), with ``datetime``, ``date`` and ``time`` |
| ``violent_events.geojson`` | every violent event where it happened (its cell's centre), with ``datetime`` and the columns of ``violent_events.csv`` (`sim.hindcast.events`) |

Every GeoTIFF carries ``scenario``, ``scenario_sha256``, ``seed`` and ``code_version`` in its
metadata, every GeoJSON the same in a top-level ``metadata`` member. Dates come from the
scenario's calendar (``time.start_date``): ISO 8601 without a time zone. Everything comes from
what the run already kept (the snapshots and the event log): nothing is added to the model's step.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from pathlib import Path

import numpy as np

from sim.geography.gis_out import cell_lonlat, line, point, write_geojson, write_geotiff, write_qml
from sim.program.extras import available

NODATA_U8 = 255
UNGOVERNED_CODE = 0  # the controller band: 0 ungoverned, 1 … F the factions in order, F + 1 contested
#: ungoverned light grey as on the control maps; contested Okabe–Ito reddish purple, which no
#: scenario faction uses (the maps hatch contested cells, a raster cannot)
UNGOVERNED_COLOR, CONTESTED_COLOR = "#e0e0e0", "#cc79a7"
RIVER_COLOR = "#9ecae1"  # nodata (the river) in the colour table: QGIS shows nodata transparent


def controller_classes(faction_ids: list[str], colors: list[str]) -> list[tuple[int, str, str]]:
    """(code, colour, label) of every class of the controller band."""
    return ([(UNGOVERNED_CODE, UNGOVERNED_COLOR, "ungoverned")]
            + [(i + 1, c, f) for i, (f, c) in enumerate(zip(faction_ids, colors, strict=True))]
            + [(len(faction_ids) + 1, CONTESTED_COLOR, "contested")])


def controller_codes(controller: np.ndarray, n_factions: int) -> np.ndarray:
    """The controller band (uint8, (rows, cols)) from the model's codes (faction index,
    CONTESTED or UNGOVERNED)."""
    from sim.submodels.influence import CONTESTED

    codes = np.where(controller >= 0, controller + 1, UNGOVERNED_CODE)
    return np.where(controller == CONTESTED, n_factions + 1, codes).astype(np.uint8)


def iso(when: dt.datetime) -> str:
    return when.isoformat(timespec="seconds")


def write_run_gis(result, folder: Path, code_version: str) -> list[Path]:
    """Write the GIS layers of a finished run (`sim.results.result.RunResult`) into `folder`;
    `code_version` goes into every file's metadata."""
    m, ids = result.map, result.faction_ids

    def when(hours: float) -> str:
        return iso(result.calendar.datetime_at_hours(hours))

    meta = {"scenario": result.scenario_name, "scenario_sha256": result.digest, "seed": str(result.seed),
            "code_version": code_version}
    folder.mkdir(parents=True, exist_ok=True)
    last = result.frames[-1]
    places_mask = np.zeros(m.shape, dtype=bool)
    for place in m.places.values():
        places_mask[place.cell] = True
    written = []
    if available("rasterio"):  # the [gis] extra; without it only the GeoJSON layers are written
        classes = controller_classes(ids, result.faction_colors)
        colormap = {v: c for v, c, _ in classes} | {NODATA_U8: RIVER_COLOR}
        end = {**meta, "datetime": when(last["hours"]), "day": f"{last['hours'] / 24:g}"}
        legend = "; ".join(f"{v}={lab}" for v, _, lab in classes)
        code = {label: value for value, _, label in classes}
        hours = result.steps["hours"].to_numpy()

        def band(frame) -> np.ndarray:
            """The controller codes of a kept snapshot; a place's cell carries its holder then
            (its recorded holder, the tenure of sim/submodels/holding.py, as the places layer says), so that sampling the
            raster at a place or bridge gives the same answer."""
            codes = controller_codes(frame["controller"], len(ids))
            row = result.steps.iloc[min(int(np.searchsorted(hours, frame["hours"] - 1e-9)), len(hours) - 1)]
            for place in m.places.values():
                codes[place.cell] = code[str(row[f"holder_{place.name}"])]
            return codes

        final_band = band(last)
        written.append(write_geotiff(folder / "control.tif", m, {"controller": final_band},
                                     nodata=NODATA_U8, keep=places_mask, colormap=colormap,
                                     tags={**end, "classes": legend}))
        written.append(write_qml(folder / "control.qml", classes))
        written.append(write_geotiff(folder / "control_factions.tif", m, {**{f: (final_band == i + 1).astype(np.uint8) for i, f in enumerate(ids)},
                                          "contested": (final_band == len(ids) + 1).astype(np.uint8)},
                                     nodata=NODATA_U8, keep=places_mask, tags=end))
        days = {when(f["hours"]): band(f) for f in result.frames}
        written.append(write_geotiff(
            folder / "control_over_time.tif", m, days, nodata=NODATA_U8, keep=places_mask,
            band_tags=[{"datetime": when(f["hours"]), "day": f"{f['hours'] / 24:g}"} for f in result.frames],
            tags={**meta, "classes": legend}))
        written.append(write_qml(folder / "control_over_time.qml", classes))

    places, final = [], result.steps.iloc[-1]
    for place in m.places.values():
        lon, lat = cell_lonlat(m, np.array(place.cell[0]), np.array(place.cell[1]))
        places.append(point(lon, lat, {
            "name": place.name, "kind": place.kind, "strategic_value": place.strategic_value,
            "holder_at_end": final[f"holder_{place.name}"], "datetime": when(last["hours"]),
            "map_lon": place.lon, "map_lat": place.lat,
            "moved_km": round(m.moved_km(place), 2)}))
    written.append(write_geojson(folder / "places.geojson", places, meta))

    def unit_props(u) -> dict:
        return {"unit_id": int(u["uid"]), "label": str(u["label"]), "faction": ids[int(u["faction"])],
                "kind": str(u["kind"])}

    units = last["units"]
    lon, lat = cell_lonlat(m, units["row"], units["col"])
    written.append(write_geojson(folder / "units.geojson", [
        point(x, y, {**unit_props(u), "fighters": round(float(u["strength"]), 1), "day": last["hours"] / 24,
                     "datetime": when(last["hours"])}) for x, y, u in zip(lon, lat, units, strict=True)], meta))
    written.append(write_geojson(folder / "tracks.geojson", _legs(result, when), meta))

    routes = []
    for force in result.resolved.get("forces", []):
        if force.get("kind") != "convoy":
            continue
        stops = [m.find_place(name) for name in [force["start"], *force["route"]]]
        label = force.get("label") or force["faction"]
        cells = np.array([p.cell for p in stops])
        routes.append(line(np.column_stack(cell_lonlat(m, cells[:, 0], cells[:, 1])), {
            "label": label, "faction": force["faction"], "places": ", ".join(p.name for p in stops),
            "outcome": result.summary.get(f"convoy_{label}")}))
    written.append(write_geojson(folder / "routes.geojson", routes, meta))
    written.append(write_geojson(folder / "events.geojson", _events(result, when), meta))
    written.append(write_geojson(folder / "violent_events.geojson", _violent_events(result.events), meta))
    return written


def _legs(result, when) -> list[dict]:
    """Each unit's move from one kept snapshot to the next: a LineString, or a Point when it
    stayed on its cell, with the start (`datetime`) and end (`datetime_end`) of the leg."""
    m, ids = result.map, result.faction_ids
    legs = []
    for before, after in pairwise(result.frames):
        now = {int(u["uid"]): u for u in after["units"]}
        for u in before["units"]:
            v = now.get(int(u["uid"]))
            if v is None:
                continue
            rows, cols = np.array([u["row"], v["row"]]), np.array([u["col"], v["col"]])
            legs.append(line(np.column_stack(cell_lonlat(m, rows, cols)), {
                "unit_id": int(u["uid"]), "label": str(u["label"]), "faction": ids[int(u["faction"])],
                "kind": str(u["kind"]), "day": round(before["hours"] / 24, 4),
                "datetime": when(before["hours"]), "datetime_end": when(after["hours"])}))
    return legs


def _events(result, when) -> list[dict]:
    """Every logged event at the cell where it happened, else at the place it names."""
    m = result.map
    events = []
    for e in result.log.entries:
        cell = e.cell
        if cell is None and e.place is not None:
            try:
                cell = m.find_place(e.place).cell
            except KeyError:
                cell = None
        if cell is None:
            continue
        lon, lat = cell_lonlat(m, np.array(cell[0]), np.array(cell[1]))
        events.append(point(lon, lat, {"step": e.step, "day": round(e.hours / 24, 4), "datetime": when(e.hours),
                                       "date": e.date, "time": e.time, "kind": e.kind, "text": e.text, "place": e.place or "",
                                       "factions": ", ".join(e.factions), "fighters": e.fighters}))
    return events


def _violent_events(events) -> list[dict]:
    """One point per row of the run's violent events (`sim.hindcast.events`, their date and time
    already on the scenario's calendar) with every column a property, and ``datetime`` (ISO 8601,
    to the minute as the table has it, seconds 00) for QGIS's Temporal Controller."""
    return [point(r["lon"], r["lat"], {"datetime": f"{r['date']}T{r['time']}:00",
                                       **{k: v for k, v in r.items() if k not in ("lon", "lat")}})
            for r in events.to_dict("records")]
