"""Derive the simulation map scenarios/maps/euphrates_corridor.geojson from the reference anchors.

    .venv/bin/python docs/derive_map.py [REFERENCE.geojson] [OUT.geojson]

The reference file (docs/data/euphrates_corridor.reference.geojson, a copy of
shared/data/euphrates_corridor.reference.geojson) holds coordinates with
their sources; this script decides how they become a map for the model (format: docs/map.md).
Every feature keeps its reference ``source``, ``note`` and ``approximate``; whatever this script
moved is said in an ``adjusted`` property. The choices, all of them:

1. Extent [39.35, 34.20, 41.30, 35.42] (lon/lat): from the desert road 70 km west of Deir ez-Zor
   to 15 km past Al-Qa'im, and from above Deir ez-Zor down to T-2 in the Badia — about
   178 × 136 km. Places outside it (Al-Sukhnah, Palmyra, Al-Tanf) are dropped: the map has no
   room for them and the loader rejects places off the map.
2. Names: a reference name's text in parentheses becomes an alias ("Albu Kamal (Abu Kamal)" →
   "Albu Kamal" + "Abu Kamal") unless it only describes the place (``DESCRIPTIVE``); a few
   long names get a short canonical name (``RENAME``; the crossing becomes "Albu Kamal
   crossing"); common spellings are added as aliases (``EXTRA_ALIASES``).
3. Bank (``BANK``): from the reference notes and the brief. Right = west/south-west bank
   (Shamiyah, Badia side; in Iraq the south bank), left = east/north-east (Jazira). Disputed:
   Al-Quriyah is put on the right bank (its coordinate and one source say east, but the west-
   bank road runs through it and it was held with the west bank 2017-2024); Al-Susah on the
   left bank (fotoartbook's left-bank tour; two news sites say right). T-2 and the bridges
   have no bank.
4. Banks are enforced: the 1:50m river line is generalised by 1-3 km, so a place on the wrong
   side of it, or closer than ``NUDGE_KM`` = 1.5 km, is moved perpendicular to the centreline
   to 1.5 km on its documented bank (so its cell is land at 1-2 km cells).
5. Bridges are snapped to the nearest point of the river centreline; the border crossing to
   the nearest point of the border line. No fords (the format allows kind ``ford``).
6. ``radius_km`` (urban footprint): city 2.5, town 1.2, facilities 0 (their own cell only).
7. ``strategic_value`` (``KIND_VALUE``, ``NAME_VALUE``; relative, dimensionless): the border
   crossing 10 (the gate of the land bridge); Albu Kamal 8 (border city astride the crossing
   road) and Deir ez-Zor 8 (provincial capital, airbase, bridges); other cities 6 (Al-Mayadeen,
   Al-Qa'im); Al-Omar oil field 6 (Syria's largest); Conoco gas plant 5; bases, airbases and
   the T-2 station 4; bridges 3 (the only ways across the river); towns 2.
8. River: the reference centreline runs from the Deir ez-Zor suspension bridge to just past
   Al-Qa'im; it is prolonged at both ends along its end segments to the map edge (upstream
   toward the north-west, downstream east) and marked approximate. ``width_km`` 0.4 (the
   Euphrates here is 200-500 m wide); ``farmland_km`` 3 (the irrigated strip each side).
9. Roads: ``class`` "track" for the Al-Mayadeen - T-2 desert track, "road" for the rest. Every
   reference road runs on the right bank, so road vertices are treated like right-bank places
   (point 4); a vertex at a place's reference position follows that place. The Palmyra desert
   road is clipped to the extent (its vertex labels beyond it dropped). ``length_km`` is
   dropped from all lines (it changes with the clipping and prolonging and is easily measured).
10. Border: the Natural Earth Syria-Iraq segment, prolonged along its end segments to the map
   edge (north toward the Jazira, south-west into the Badia), marked approximate.
11. Countries: the extent split by the prolonged border; Syria is the part holding Deir ez-Zor.
12. Regions tile the land: "east_bank" = Syria left of the river; "west_bank" = Syria right of
   the river within ``VALLEY_KM`` = 10 km of it; "badia" = the rest of Syria right of the
   river; "anbar" = the Iraqi part (both banks).
13. Geometry is computed in the map's own projection (sim.geography.Projection, km) and
   written in lon/lat rounded to 5 decimals (about 1 m).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import LineString, Point, box, mapping, shape
from shapely.ops import split

from sim.geography import Projection, extend_line, line_frame
from sim.program.output import write_text_atomic

ROOT = Path(__file__).resolve().parents[1]
# a copy of shared/data/euphrates_corridor.reference.geojson, kept in the repository so the
# derivation can be re-run (and tested) from a fresh clone
REFERENCE = ROOT / "docs" / "data" / "euphrates_corridor.reference.geojson"
OUT = ROOT / "scenarios" / "maps" / "euphrates_corridor.geojson"

EXTENT = (39.35, 34.20, 41.30, 35.42)
NUDGE_KM = 1.5
VALLEY_KM = 10.0
RIVER_WIDTH_KM = 0.4
FARMLAND_KM = 3.0
RADIUS_KM = {"city": 2.5, "town": 1.2}

DESCRIPTIVE = {"agricultural airstrip", "Deir ez-Zor", "2019 prefab", "to al-Shuhayl/Diban"}
RENAME = {
    "Al-Bukamal / Al-Qaim border crossing": "Albu Kamal crossing",
    "Conoco gas field/plant": "Conoco gas plant",
    "T-2 pumping station": "T-2 station",
    "'Imam Ali' base area": "Imam Ali base",
}
EXTRA_ALIASES = {
    "Deir ez-Zor": ["Deir Ezzor", "Dayr az-Zawr", "Deir al-Zour"],
    "Al-Mayadeen": ["Al-Mayadin", "Mayadeen"],
    "Albu Kamal": ["Al-Bukamal", "Albukamal", "Al-Bu Kamal"],
    "Al-Qa'im": ["Al-Qaim", "Qaim", "Al Qaim"],
    "Albu Kamal crossing": [
        "Al-Bukamal crossing",
        "Al-Qaim crossing",
        "Al-Bukamal / Al-Qaim border crossing",
        "border crossing",
    ],
    "Al-Baghuz Fawqani": ["Al-Baghuz", "Baghuz"],
    "Al-Omar oil field": ["Al-Omar", "Omar oil field"],
    "Conoco gas plant": ["Conoco gas field", "Conoco"],
    "T-2 station": ["T-2", "T-2 pumping station"],
    "Imam Ali base": ["Imam Ali base area", "Imam Ali military base"],
    "Hamdan airport": ["Hamdan airstrip"],
    "Deir ez-Zor airbase": ["Deir ez-Zor airport"],
    "Al-Mayadeen bridge": ["Mayadin bridge"],
    "Al-Merayiah - Hatla bridge": ["Hatla bridge"],
    "Albu Kamal - Al-Baghuz bridge": ["Al-Baghuz bridge"],
}
R, L = "right", "left"
BANK = {
    "Deir ez-Zor": R, "Al-Mayadeen": R, "Al-Quriyah": R, "Al-Asharah": R, "Al-Susah": L,
    "Hajin": L, "Al-Baghuz Fawqani": L, "Albu Kamal": R, "Al-Hari": R, "Al-Qa'im": R,
    "Husaybah": R, "Al-Salihiyah": R, "Muhassan": R, "Albu Kamal crossing": R, "Diban": L,
    "Al-Shaafah": L, "Subaykhan": R, "Al-Karabilah": R, "Al-Omar oil field": L,
    "Conoco gas plant": L, "T-2 station": None, "Hamdan airport": R, "Imam Ali base": R,
    "Deir ez-Zor airbase": R,
}  # fmt: skip
KIND_VALUE = {
    "city": 6, "town": 2, "crossing": 10, "bridge": 3, "ford": 2, "oilfield": 6,
    "gasfield": 5, "station": 4, "airbase": 4, "base": 4,
}  # fmt: skip
NAME_VALUE = {"Albu Kamal": 8, "Deir ez-Zor": 8}
DEIR_EZ_ZOR = (40.15, 35.333)  # reference coordinate; the part of the extent holding it is Syria
ROAD_CLASS = {"Desert track Al-Mayadeen - T-2 station": "track"}
KEPT = ("source", "note", "approximate")


def names(reference_name: str) -> tuple[str, list[str]]:
    """Canonical name and aliases of a reference point (see choice 2)."""
    m = re.fullmatch(r"(.*?)\s*\((.*)\)", reference_name)
    base, paren = (m.group(1), m.group(2).strip('"')) if m else (reference_name, None)
    name = RENAME.get(base, base)
    aliases = [paren] if paren and paren not in DESCRIPTIVE else []
    aliases += [a for a in EXTRA_ALIASES.get(name, []) if a not in aliases]
    return name, aliases


def nudge(xy, bank: str, river: LineString) -> tuple[np.ndarray, str | None]:
    """`xy` moved onto its documented bank at least NUDGE_KM from the river (choice 4)."""
    dist, side, q, normal = line_frame(river, [xy[0]], [xy[1]])
    want = 1 if bank == R else -1
    if side[0] == want and dist[0] >= NUDGE_KM:
        return np.asarray(xy, dtype=float), None
    new = q[0] + want * NUDGE_KM * normal[0]
    for _ in range(10):  # near a bend another stretch of the line may still be too close
        d, _, _, n = line_frame(river, [new[0]], [new[1]])
        if d[0] >= NUDGE_KM - 1e-6:
            break
        new = new + want * (NUDGE_KM - d[0] + 1e-3) * n[0]
    moved = float(np.hypot(*(new - xy)))
    if side[0] == -want:
        other = L if bank == R else R
        return new, f"moved {moved:.1f} km to the {bank} bank (the generalised river line put it on the {other})"
    return new, (
        f"moved {moved:.1f} km out to {NUDGE_KM} km on the {bank} bank "
        f"(was {dist[0]:.1f} km from the generalised river line)"
    )


def snap(xy, line: LineString, what: str) -> tuple[np.ndarray, str | None]:
    """`xy` moved to the nearest point of `line`; a note unless it was already there (< 5 m)."""
    q = line.interpolate(line.project(Point(xy)))
    d = q.distance(Point(xy))
    return np.array(q.coords[0]), f"snapped {d:.2f} km onto the {what}" if d > 0.005 else None


def clipped(line: LineString, frame) -> LineString:
    """`line` cut to the map frame, keeping its direction (it must cross the frame once)."""
    part = line.intersection(frame)
    if part.geom_type != "LineString":
        raise SystemExit(f"expected one line inside the extent, got {part.geom_type}")
    start = Point(line.coords[0])
    if start.distance(Point(part.coords[-1])) < start.distance(Point(part.coords[0])):
        part = part.reverse()
    return part


def feature(geom, props: dict, proj: Projection) -> dict:
    lonlat = shapely.transform(proj.geometry_to_lonlat(geom), lambda c: np.round(c, 5))
    return {"type": "Feature", "properties": props, "geometry": mapping(lonlat)}


def derive(reference: dict) -> dict:
    proj = Projection(EXTENT)
    w, h = (float(v) for v in proj.size_km)
    frame = box(0, 0, w, h)
    far = 2 * (w + h)
    kinds = {k: [f for f in reference["features"] if f["properties"]["kind"] == k] for k in
             ("river", "road", "border")}  # fmt: skip

    def xy(f) -> LineString | Point:
        return proj.geometry_to_xy(shape(f["geometry"]))

    def kept(f) -> dict:
        return {k: f["properties"][k] for k in KEPT if k in f["properties"]}

    (river_f,) = kinds["river"]
    river_far = extend_line(xy(river_f), far)
    river = clipped(river_far, frame)
    (border_f,) = kinds["border"]
    border_far = extend_line(xy(border_f), far)
    border = clipped(border_far, frame)

    points, moved = [], {}
    for f in reference["features"]:
        if f["geometry"]["type"] != "Point" or not frame.contains(xy(f)):
            continue
        p = f["properties"]
        name, aliases = names(p["name"])
        bank = BANK[name] if p["kind"] != "bridge" else None
        pos = np.array(xy(f).coords[0])
        if p["kind"] == "bridge":
            new, adjusted = snap(pos, river, "river centreline")
        elif p["kind"] == "crossing":
            new, adjusted = snap(pos, border, "border line")
        elif bank:
            new, adjusted = nudge(pos, bank, river)
        else:
            new, adjusted = pos, None
        if p["kind"] != "bridge":
            moved[tuple(f["geometry"]["coordinates"])] = new
        props = {
            "name": name,
            "aliases": aliases,
            "kind": p["kind"],
            "country": p["country"],
            "bank": bank,
            "radius_km": RADIUS_KM.get(p["kind"], 0.0),
            "strategic_value": NAME_VALUE.get(name, KIND_VALUE[p["kind"]]),
            **kept(f),
        }
        if adjusted:
            props["adjusted"] = adjusted
        points.append(feature(Point(new), props, proj))

    river_props = {"name": river_f["properties"]["name"], "kind": "river",
                   "width_km": RIVER_WIDTH_KM, "farmland_km": FARMLAND_KM, **kept(river_f)}  # fmt: skip
    river_props.update(approximate=True, adjusted="prolonged along its end segments to the map "
                       "edge: upstream of Deir ez-Zor toward the north-west, downstream of Al-Qa'im east")  # fmt: skip
    lines = [feature(river, river_props, proj)]
    for f in kinds["road"]:
        p = f["properties"]
        vertices, n_moved = [], 0
        for lonlat, v in zip(f["geometry"]["coordinates"], xy(f).coords, strict=True):
            new, adjusted = (moved[tuple(lonlat)], None) if tuple(lonlat) in moved else nudge(v, R, river)
            vertices.append(new)
            n_moved += adjusted is not None
        notes = [f"{n_moved} vertices moved onto the right bank"] if n_moved else []
        road = LineString(vertices)
        props = {"name": p["name"], "kind": "road", "class": ROAD_CLASS.get(p["name"], "road"), **kept(f)}
        labels = p.get("vertex_labels")
        if not frame.contains(road):
            inside = [frame.contains(Point(v)) for v in vertices]
            labels = [lab for lab, keep in zip(labels, inside, strict=True) if keep] + ["map edge"]
            road = clipped(road, frame)
            notes.append("clipped to the map extent")
        props["vertex_labels"] = labels
        if notes:
            props["adjusted"] = "; ".join(notes)
        lines.append(feature(road, props, proj))
    border_props = {"name": border_f["properties"]["name"], "kind": "border", **kept(border_f)}
    border_props.update(approximate=True, adjusted="prolonged along its end segments to the map edge")
    lines.append(feature(border, border_props, proj))

    deir = Point(next(v for k, v in moved.items() if k == tuple(DEIR_EZ_ZOR)))
    halves = list(split(frame, border_far).geoms)
    syria = next(g for g in halves if g.contains(deir))
    iraq = shapely.union_all([g for g in halves if g is not syria])
    sides = list(split(syria, river_far).geoms)
    side = line_frame(river_far, *np.array([g.representative_point().coords[0] for g in sides]).T)[1]
    east = shapely.union_all([g for g, s in zip(sides, side, strict=True) if s < 0])
    south_west = shapely.union_all([g for g, s in zip(sides, side, strict=True) if s > 0])
    valley = river.buffer(VALLEY_KM, quad_segs=4)
    source = {"source": "derived by docs/derive_map.py from the border and river lines above"}
    areas = [
        ("Syria", "country", syria),
        ("Iraq", "country", iraq),
        ("east_bank", "region", east),
        ("west_bank", "region", south_west.intersection(valley)),
        ("badia", "region", south_west.difference(valley)),
        ("anbar", "region", iraq),
    ]
    polygons = [feature(g, {"name": n, "kind": k, **source, "approximate": True}, proj) for n, k, g in areas]
    return {
        "type": "FeatureCollection",
        "name": "Euphrates corridor: Deir ez-Zor - Al-Mayadeen - Albu Kamal - Al-Qa'im",
        "extent": list(EXTENT),
        "sources_note": "Derived by docs/derive_map.py from shared/data/euphrates_corridor."
        "reference.geojson; every feature keeps its reference source, note and approximate, and "
        "says in 'adjusted' what the derivation moved. Coordinates are WGS84 lon/lat.",
        "features": points + lines + polygons,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", nargs="?", type=Path, default=REFERENCE)
    parser.add_argument("out", nargs="?", type=Path, default=OUT)
    args = parser.parse_args()
    derived = derive(json.loads(args.reference.read_text(encoding="utf-8")))
    write_text_atomic(args.out, json.dumps(derived, indent=1, ensure_ascii=False) + "\n")
    for f in derived["features"]:
        if "adjusted" in f["properties"]:
            print(f"{f['properties']['name']}: {f['properties']['adjusted']}")
    print(f"wrote {args.out} ({len(derived['features'])} features)")


if __name__ == "__main__":
    main()
