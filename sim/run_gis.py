"""A run's maps for GIS tools (QGIS, GDAL, …), written into the run folder's ``gis/``:

| file | contents |
|---|---|
| ``control.tif`` | (with the ``[gis]`` extra, rasterio) GeoTIFF, EPSG:4326, one uint8 band per faction (1 where it controls the cell at the end, else 0) then ``contested`` (1/0); river cells nodata 255 |
| ``places.geojson`` | the map's places (name, kind, strategic value, holder at the end) |
| ``units.geojson`` | every unit alive at the end at its cell centre (id, label, faction, kind, fighters, day, date) |
| ``tracks.geojson`` | each unit's path through the kept snapshots (daily in ``run``): a LineString with the day of each vertex in ``days`` and its date in ``dates`` |
| ``routes.geojson`` | each convoy of the scenario's forces: its planned route through its start and route places, and its outcome |
| ``events.geojson`` | every logged event that names a place, at that place (step, day, date, time, kind, text, factions) |
| ``violent_events.geojson`` | every violent event where it happened (its cell's centre), with the columns of ``violent_events.csv`` (`sim.hindcast.events`; written by ``RunResult.save``) |

Everything comes from what the run already kept (the snapshots and the event log), so
nothing is added to the model's step.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.extras import available
from sim.geography.gis_out import cell_lonlat, line, point, write_geojson, write_geotiff

NODATA_U8 = 255


def control_bands(controller: np.ndarray, faction_ids: list[str]) -> dict[str, np.ndarray]:
    """One 0/1 uint8 band per faction (does it control the cell?) and one for contested cells.
    `controller`: (rows, cols) codes, faction index, CONTESTED or UNGOVERNED."""
    from sim.influence import CONTESTED

    bands = {f: (controller == i).astype(np.uint8) for i, f in enumerate(faction_ids)}
    bands["contested"] = (controller == CONTESTED).astype(np.uint8)
    return bands


def write_run_gis(result, folder: Path) -> list[Path]:
    """Write the GIS layers of a finished run (`sim.results.RunResult`) into `folder`."""
    m, ids = result.map, result.faction_ids
    folder.mkdir(parents=True, exist_ok=True)
    last = result.frames[-1]
    end_date = result.calendar.date_at_hours(last["hours"]).isoformat()
    written = []
    if available("rasterio"):  # the [gis] extra; without it only the GeoJSON layers are written
        written.append(write_geotiff(folder / "control.tif", m, control_bands(last["controller"], ids),
                                     nodata=NODATA_U8, tags={"day": f"{last['hours'] / 24:g}", "date": end_date,
                                                             "scenario": result.scenario_name,
                                                             "seed": str(result.seed)}))
    places, final = [], result.steps.iloc[-1]
    for place in m.places.values():
        holder = final[f"holder_{place.name}"]
        places.append(point(place.lon, place.lat, {"name": place.name, "kind": place.kind,
                                                   "strategic_value": place.strategic_value,
                                                   "holder_at_end": holder}))
    written.append(write_geojson(folder / "places.geojson", places))

    def unit_props(u) -> dict:
        return {"id": int(u["uid"]), "label": str(u["label"]), "faction": ids[int(u["faction"])],
                "kind": str(u["kind"])}

    units = last["units"]
    lon, lat = cell_lonlat(m, units["row"], units["col"])
    written.append(write_geojson(folder / "units.geojson", [
        point(x, y, {**unit_props(u), "fighters": round(float(u["strength"]), 1),
                     "day": last["hours"] / 24, "date": end_date}) for x, y, u in zip(lon, lat, units, strict=True)]))

    paths: dict[int, list] = {}
    for frame in result.frames:
        for u in frame["units"]:
            paths.setdefault(int(u["uid"]), []).append((frame["hours"] / 24, u))
    tracks = []
    for visits in paths.values():
        if len(visits) < 2:
            continue
        rows = np.array([u["row"] for _, u in visits])
        cols = np.array([u["col"] for _, u in visits])
        lonlat = np.column_stack(cell_lonlat(m, rows, cols))
        tracks.append(line(lonlat, {**unit_props(visits[-1][1]), "days": [round(d, 4) for d, _ in visits],
                                    "dates": [result.calendar.date_at_hours(d * 24).isoformat() for d, _ in visits]}))
    written.append(write_geojson(folder / "tracks.geojson", tracks))

    routes = []
    for force in result.resolved.get("forces", []):
        if force.get("kind") != "convoy":
            continue
        stops = [m.find_place(name) for name in [force["start"], *force["route"]]]
        label = force.get("label") or force["faction"]
        routes.append(line(np.array([(p.lon, p.lat) for p in stops]), {
            "label": label, "faction": force["faction"], "places": [p.name for p in stops],
            "outcome": result.summary.get(f"convoy_{label}")}))
    written.append(write_geojson(folder / "routes.geojson", routes))

    events = []
    for e in result.log.entries:
        if e.place is None:
            continue
        try:
            place = m.find_place(e.place)
        except KeyError:
            continue
        events.append(point(place.lon, place.lat, {"step": e.step, "day": round(e.hours / 24, 4), "date": e.date,
                                                   "time": e.time,
                                                   "kind": e.kind, "text": e.text, "place": place.name,
                                                   "factions": e.factions, "fighters": e.fighters}))
    written.append(write_geojson(folder / "events.geojson", events))
    return written
