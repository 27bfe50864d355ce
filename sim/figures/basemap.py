"""Drawing the rasterised map: the terrain the model sees, with the source lines and places on top.

The raster is drawn as it is (one colour per cell), so what looks wrong on the map is wrong in
the model too; the vector lines are drawn thinly over it to show how far the raster departs
from them. Figures are built on the Agg canvas directly, never through a GUI backend.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.patheffects import Normal, Stroke
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from sim.figures.style import (
    BORDER_LINE,
    CLOSED_BRIDGE_STYLE,
    CLOSED_MARK,
    PLACE_LABELS,
    PLACE_STYLE,
    RIVER_LINE,
    ROAD_LINE,
    SMALL,
    TRACK_LINE,
    place_is_closed,
)
from sim.geography import TERRAIN_COLORS, TERRAIN_LABELS, CorridorMap, Terrain
from sim.program.output import PNG_SOFTWARE, write_atomic

IMPORTANT = 6.0  # places at least this strategically valuable get bold labels
# label offsets (points) tried in turn: away from the river first (right bank lies south-west)
_OFFSETS = [(6, 4), (6, -4), (-6, 4), (-6, -4), (0, 8), (0, -8), (8, 0), (-8, 0)] + [
    (r * dx, r * dy) for r in (14, 24, 36) for dx, dy in ((1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0), (-1, 0))
]
_CROWDED = 6  # places within one zoom window that earn the map an inset


def _annotate(ax, corridor_map: CorridorMap, p, dx: float, dy: float, fontsize: float | None = None):
    important = p.strategic_value >= IMPORTANT
    size = (8.5 if important else 7) if fontsize is None else fontsize
    return ax.annotate(
        p.name, corridor_map.xy_km(*p.cell), xytext=(dx, dy), textcoords="offset points",
        ha="left" if dx > 0 else "right" if dx < 0 else "center",
        va="bottom" if dy > 0 else "top" if dy < 0 else "center",
        fontsize=size, fontweight="bold" if important else "normal",
        fontstyle="italic" if p.kind in ("bridge", "ford") else "normal",
        arrowprops=dict(arrowstyle="-", lw=0.5, color="#333333") if np.hypot(dx, dy) > 12 else None,
        bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.65),
        zorder=6, in_layout=False,
    )


#: the labels' places chosen by `_label_places`, by everything the choice depends on (`_placement_key`):
#: the same map drawn at the same size again (the app's map for another scenario, a run's map and its
#: GIF) places its labels without trying the offsets again, which is most of drawing a map
_PLACEMENTS: dict[tuple, list[tuple[int, tuple[float, float]]]] = {}  # key -> [(index in places, offset)]
_PLACEMENTS_KEPT = 64


def _placement_key(corridor_map: CorridorMap, places, marks, occupied, frame, fontsize, dpi) -> tuple:
    """What the greedy placement reads: each place (name, value, bank, kind: the label's text, weight,
    style and offsets) and its marker in pixels, the insets' boxes, the axes' box, the size and dpi."""
    return (corridor_map.name, dpi, fontsize, tuple(frame.extents), tuple(occupied[len(places):]),
            tuple((p.name, p.strategic_value, p.bank, p.kind, float(x), float(y))
                  for p, (x, y) in zip(places, marks, strict=True)))


def _label_places(ax, corridor_map: CorridorMap, places, fontsize: float | None = None) -> None:
    """Greedy label placement, most valuable places first: each label goes to the first offset
    whose box overlaps no marker, label or inset already there (away from the river first,
    then further out on a leader line). A label that fits nowhere is still drawn for an
    important place and left out for the others (their marker and the legend still show them).
    `fontsize` (points) sets every label's size (default: 8.5 for important places, 7 others).
    The offsets chosen are kept (`_PLACEMENTS`): a placement made before for the same places,
    markers, boxes, size and dpi is drawn again without trying the offsets (the same labels).
    """
    fig = ax.figure
    canvas = fig.canvas if hasattr(fig.canvas, "get_renderer") else FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    locator = ax.get_axes_locator()  # inset axes are placed by their locator, as when drawn
    ax.apply_aspect(locator(ax, renderer) if locator else None)
    marks = ax.transData.transform([corridor_map.xy_km(*p.cell) for p in places]).reshape(-1, 2)
    occupied = [(x - 4, y - 4, x + 4, y + 4) for x, y in marks]
    occupied += [tuple(child.get_window_extent(renderer).extents) for child in ax.child_axes]
    frame = ax.get_window_extent(renderer)
    key = _placement_key(corridor_map, places, marks, occupied, frame, fontsize, fig.dpi)
    plan = _PLACEMENTS.get(key)
    if plan is not None:
        for i, (dx, dy) in plan:
            _annotate(ax, corridor_map, places[i], dx, dy, fontsize)
        return
    plan = []
    for i in sorted(range(len(places)), key=lambda i: (-places[i].strategic_value, places[i].name)):
        p = places[i]
        sign = -1 if p.bank == "right" else 1
        offsets = [(sign * dx, sign * dy) for dx, dy in _OFFSETS]
        for dx, dy in offsets:
            text = _annotate(ax, corridor_map, p, dx, dy, fontsize)
            b = text.get_window_extent(renderer).extents + [-2, -1, 2, 1]  # a little air around
            inside = frame.x0 <= b[0] and b[2] <= frame.x1 and frame.y0 <= b[1] and b[3] <= frame.y1
            if inside and not any(b[0] < o[2] and o[0] < b[2] and b[1] < o[3] and o[1] < b[3] for o in occupied):
                occupied.append(tuple(b))
                plan.append((i, (dx, dy)))
                break
            text.remove()
        else:
            if p.strategic_value >= IMPORTANT:
                _annotate(ax, corridor_map, p, *offsets[0], fontsize)
                plan.append((i, offsets[0]))
    if len(_PLACEMENTS) >= _PLACEMENTS_KEPT:
        _PLACEMENTS.clear()
    _PLACEMENTS[key] = plan


def draw_basemap(
    ax, corridor_map: CorridorMap, *, terrain_alpha=1.0, label_places=True, places_kinds=None, window=None,
    label_pt: float | None = None,
) -> None:
    """Terrain raster, river, roads (tracks dashed), border, places, scale bar; axes in km.

    `window` = (x0, x1, y0, y1) in km draws only that part of the map (a zoom); `label_pt` sets
    the place labels' size in points (default: 8.5 for important places, 7 for others). A
    bridge the map marks closed is drawn grey and struck through.
    """
    rows, cols = corridor_map.shape
    width, height = cols * corridor_map.cell_km, rows * corridor_map.cell_km
    x0, x1, y0, y1 = window or (0, width, 0, height)
    colours = ListedColormap([TERRAIN_COLORS[t] for t in Terrain])
    ax.imshow(
        corridor_map.terrain, cmap=colours, vmin=-0.5, vmax=len(Terrain) - 0.5, extent=(0, width, 0, height),
        origin="upper", interpolation="nearest", alpha=terrain_alpha, zorder=0,
    )
    for _, xy in corridor_map.lines["river"]:
        ax.plot(xy[:, 0], xy[:, 1], zorder=2, **RIVER_LINE)
    for name, xy in corridor_map.lines["road"]:
        style = TRACK_LINE if corridor_map.road_class.get(name) == "track" else ROAD_LINE
        ax.plot(xy[:, 0], xy[:, 1], zorder=2, **style)
    for _, xy in corridor_map.lines["border"]:
        ax.plot(xy[:, 0], xy[:, 1], zorder=3, **BORDER_LINE)
    places = []
    for p in corridor_map.places.values():
        x, y = corridor_map.xy_km(*p.cell)
        if (places_kinds is None or p.kind in places_kinds) and x0 <= x <= x1 and y0 <= y <= y1:
            places.append(p)
            closed = place_is_closed(p)
            marker, size, face = CLOSED_BRIDGE_STYLE if closed else PLACE_STYLE[p.kind]
            ax.plot(x, y, marker=marker, ms=size, mfc=face, mec="black", mew=0.7, ls="none", zorder=5)
            if closed:
                ax.plot(x, y, zorder=5, **CLOSED_MARK)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xlabel("km east")
    ax.set_ylabel("km north")
    bar = next((s for s in (100, 50, 25, 20, 10, 5, 2, 1) if s <= (x1 - x0) / 5), 1)
    ax.add_artist(AnchoredSizeBar(ax.transData, bar, f"{bar} km", loc="lower right", pad=0.6,
                                  sep=3, frameon=True, size_vertical=(y1 - y0) / 250,
                                  fontproperties=None if label_pt is None else {"size": label_pt}))
    if label_places and places:
        _label_places(ax, corridor_map, places, label_pt)


def _inset_plan(corridor_map: CorridorMap, zoom: float = 2.2, share: float = 0.36):
    """Where to zoom (the densest cluster of places) and which empty corner of the map to put
    the zoom in, as (window km, axes-fraction bounds); None when nothing is crowded."""
    rows, cols = corridor_map.shape
    width, height = cols * corridor_map.cell_km, rows * corridor_map.cell_km
    xy = np.array([corridor_map.xy_km(*p.cell) for p in corridor_map.places.values()])
    w, h = share * width / zoom, share * height / zoom
    near = (np.abs(xy[:, None, 0] - xy[None, :, 0]) < w / 2) & (np.abs(xy[:, None, 1] - xy[None, :, 1]) < h / 2)
    if near.sum(axis=1).max() < _CROWDED:
        return None
    cx, cy = xy[near[np.argmax(near.sum(axis=1))]].mean(axis=0)
    cx, cy = np.clip(cx, w / 2, width - w / 2), np.clip(cy, h / 2, height - h / 2)
    window = (cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2)
    for fx, fy in ((0.015, 0.02), (0.015, 0.62), (0.625, 0.62), (0.625, 0.02)):
        bx0, by0 = fx * width, fy * height
        covered = (xy[:, 0] >= bx0 - 1) & (xy[:, 0] <= bx0 + share * width + 1)
        covered &= (xy[:, 1] >= by0 - 1) & (xy[:, 1] <= by0 + share * height + 1)
        clash = bx0 < window[1] and window[0] < bx0 + share * width and by0 < window[3] and window[2] < by0 + share * height
        if not covered.any() and not clash:
            return window, (fx, fy, share, share)
    return None


def terrain_legend_handles(corridor_map: CorridorMap) -> list:
    """Legend entries: terrain classes present on the map, lines, and the place kinds present."""
    present = set(np.unique(corridor_map.terrain).tolist()) - {Terrain.ROAD}
    handles: list = [
        Patch(fc=TERRAIN_COLORS[t], ec="#555555", lw=0.3, label=TERRAIN_LABELS[t]) for t in Terrain if t in present
    ]
    on_road = [Stroke(linewidth=4, foreground=TERRAIN_COLORS[Terrain.ROAD]), Normal()]
    handles += [
        Line2D([], [], label="river centreline", **RIVER_LINE),
        Line2D([], [], label="road", path_effects=on_road, **ROAD_LINE),
        Line2D([], [], label="track", path_effects=on_road, **TRACK_LINE),
        Line2D([], [], label="border", **BORDER_LINE),
    ]
    for kind in dict.fromkeys(p.kind for p in corridor_map.places.values()):
        marker, size, face = PLACE_STYLE[kind]
        handles.append(Line2D([], [], marker=marker, ms=size, mfc=face, mec="black", mew=0.7,
                              ls="none", label=PLACE_LABELS.get(kind, kind)))
    if any(place_is_closed(p) for p in corridor_map.places.values()):
        marker, size, face = CLOSED_BRIDGE_STYLE
        handles.append(Line2D([], [], marker=marker, ms=size, mfc=face, mec="black", mew=0.7, ls="none",
                              label="bridge closed (red ×)"))
    return handles


def draw_map_png(corridor_map: CorridorMap, out: Path, title: str | None = None) -> Path:
    """The whole map with legend, title and (where places crowd) a zoomed inset, written to a
    PNG atomically. Labels are placed last, once the layout has settled."""
    rows, cols = corridor_map.shape
    fig = Figure(figsize=(14, 1.6 + 10.5 * rows / cols), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    plan = _inset_plan(corridor_map)
    draw_basemap(ax, corridor_map, label_places=False)
    ax.legend(handles=terrain_legend_handles(corridor_map), loc="upper left", bbox_to_anchor=(1.01, 1.0),
              fontsize=SMALL, frameon=False)
    ax.set_title(title or f"{corridor_map.name} — {cols} × {rows} cells at {corridor_map.cell_km:g} km")
    labelled = list(corridor_map.places.values())
    if plan is not None:
        inset = ax.inset_axes(plan[1])
        draw_basemap(inset, corridor_map, window=plan[0], label_places=False)
        inset.set(xticks=[], yticks=[], xlabel="", ylabel="")
        ax.indicate_inset_zoom(inset, edgecolor="black")
        x0, x1, y0, y1 = plan[0]
        zoomed = [p for p in labelled if x0 <= corridor_map.xy_km(*p.cell)[0] <= x1 and y0 <= corridor_map.xy_km(*p.cell)[1] <= y1]
        # minor places inside the zoom are labelled there only
        labelled = [p for p in labelled if p not in zoomed or p.strategic_value >= IMPORTANT]
    fig.draw_without_rendering()
    if plan is not None:
        _label_places(inset, corridor_map, zoomed)
    _label_places(ax, corridor_map, labelled)
    return write_atomic(Path(out), lambda tmp: fig.savefig(tmp, format="png", dpi=110,
                                                           metadata={"Software": PNG_SOFTWARE}))
