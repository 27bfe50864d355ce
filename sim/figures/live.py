"""The app's live control map of a run, rendered to PNG fast enough to redraw after every step
(the charts beside it are `sim.figures.live_charts`).

Why not re-draw a matplotlib figure per frame: the basemap (terrain, river, roads, places and
their labels) takes ~150 ms to draw and encode. So each picture is split into layers drawn
once — the map under the control colours (terrain, axes, legend) and the map over them (river,
roads, border, places, labels) — and per frame only the control colours (numpy, straight onto
pixels; contested cells hatched), the unit markers and the title are drawn between them. A
frame costs ~20–30 ms.

Sizes are for a 1280 × 720 projector: the map's picture is drawn about as large as the app
shows it (840 px wide), with every label at `LABEL_PT` (≥ 14 px on that screen). A `LiveMap`
built once is re-pointed at a new model of the same map and colours with `bind` (a reset costs
no redraw of the layers).
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from PIL import Image

from sim.figures.basemap import draw_basemap
from sim.figures.style import (
    BORDER_LINE,
    CHECKPOINT_MARK,
    CONTROL_ALPHA,
    PLACE_LABELS,
    PLACE_STYLE,
    RIVER_LINE,
    UNIT_LABELS,
    UNIT_MARKERS,
    stamp,
)
from sim.geography import TERRAIN_COLORS, Terrain

DPI = 100
MAP_SIZE_IN = (8.4, 5.0)
MAP_BOX = (0.075, 0.105, 0.58, 0.82)  # axes [left, bottom, width, height] in figure fractions
#: the map without its legend, for two runs side by side (`legend_png` draws the legend once)
COMPACT_MAP_SIZE_IN = (6.2, 5.0)
COMPACT_MAP_BOX = (0.1, 0.135, 0.88, 0.79)
CHART_SIZE_IN = (4.5, 2.5)
#: points of every label on the live map and charts: 11 pt at 100 dpi is 15.3 px when the
#: picture is shown at its own size (14.5 px at the 800 px it gets on a 1280 × 720 screen)
LABEL_PT = 11.0
#: convoy states that get their state written next to the convoy's label on the map
NOTED_STATES = {"standoff": "#F0E442", "withdrawing": "#E69F00"}
#: place kinds the live map's legend shows (the others' labels say what they are: "… oil field")
LEGEND_PLACES = ("city", "town", "crossing", "bridge")
HATCH_PERIOD_PX, HATCH_WIDTH_PX = 7, 2
HATCH_RGB, HATCH_ALPHA, CONTESTED_WASH = np.array(to_rgb("#212121")), 0.75, 0.18


def encode(canvas: FigureCanvasAgg, fmt: str) -> bytes:
    """The canvas as PNG (fast compression, for files) or JPEG (quality 92, for the screen: it
    encodes in ~5 ms where PNG takes 30–50 ms, and text stays sharp at that quality)."""
    width, height = canvas.get_width_height()
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    out = io.BytesIO()
    if fmt == "jpeg":
        image.save(out, format="JPEG", quality=92)
    else:
        image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def _unit_sizes(strength: np.ndarray) -> np.ndarray:
    return np.clip(np.sqrt(strength) * 4.0, 24, 140)


LEGEND_KW = dict(fontsize=LABEL_PT, title_fontsize=LABEL_PT, frameon=False, alignment="left", borderaxespad=0.0,
                 loc="upper left", handletextpad=0.4, columnspacing=0.8, labelspacing=0.25)


def legend_groups(model) -> list[tuple[str, list, int]]:
    """(title, handles, columns) of the live map's legends: who holds the ground, units, map."""
    holders = [Patch(facecolor=(*to_rgb(c), CONTROL_ALPHA), edgecolor="none", label=label)
               for label, c in zip(model.factions.labels, model.factions.colors, strict=True)]
    holders.append(Patch(facecolor=(0.8, 0.8, 0.8), edgecolor="#212121", hatch="////", label="contested"))
    holders.append(Patch(facecolor=TERRAIN_COLORS[Terrain.DESERT], edgecolor="#9e9e9e",
                         label="ungoverned (no colour)"))
    units = [Line2D([], [], marker=m, linestyle="", markersize=9, color="#9e9e9e", markeredgecolor="black",
                    label=UNIT_LABELS[k]) for k, m in UNIT_MARKERS.items()]
    kinds = dict.fromkeys(p.kind for p in model.map.places.values() if p.kind in LEGEND_PLACES)
    places = []
    for kind in kinds:
        marker, size, face = PLACE_STYLE[kind]
        places.append(Line2D([], [], marker=marker, ms=size + 1, mfc=face, mec="black", ls="none",
                             label=PLACE_LABELS.get(kind, kind)))
    lines = [Line2D([], [], label=river_label(model.map), **{**RIVER_LINE, "lw": 2}),
             Line2D([], [], label="border", **BORDER_LINE),
             Patch(facecolor=TERRAIN_COLORS[Terrain.ROAD], label="road"),
             Line2D([], [], label="checkpoint", **{**CHECKPOINT_MARK, "ms": 12, "mew": 4})]
    return [("Who holds the ground", holders, 1), ("Units (faction colour)", units, 1), ("Map", places + lines, 2)]


def legend_png(model, width_in: float, *, dpi: int = DPI, fmt: str = "png") -> bytes:
    """The live map's legends side by side in a strip `width_in` inches wide (under the maps
    when two runs share the screen and each map is drawn without its own)."""
    fig = Figure(figsize=(width_in, 1.8), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    for x, (title, entries, ncols) in zip((0.01, 0.28, 0.46), legend_groups(model), strict=True):
        fig.legend(handles=entries, bbox_to_anchor=(x, 0.98), title=title, ncols=ncols, **LEGEND_KW)
    canvas.draw()
    return encode(canvas, fmt)


class LiveMap:
    """The control map of one model, redrawn in place: `render()` returns the current PNG."""

    def __init__(self, model, *, dpi: int = DPI, legend: bool = True):
        self.model = model
        corridor_map = model.map
        self.fig = Figure(figsize=MAP_SIZE_IN if legend else COMPACT_MAP_SIZE_IN, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        box = MAP_BOX if legend else COMPACT_MAP_BOX
        ax = self.ax = self.fig.add_axes(box)
        before = set(ax.get_children())
        draw_basemap(ax, corridor_map, terrain_alpha=0.45, label_pt=LABEL_PT)
        ax.set_xlabel("km east", fontsize=LABEL_PT)
        ax.set_ylabel("km north", fontsize=LABEL_PT)
        ax.tick_params(labelsize=LABEL_PT)
        self._checkpoints(model)
        terrain = ax.images[0]
        over = [a for a in ax.get_children() if a not in before and a is not terrain]
        self.scatters = {}
        for kind, marker in UNIT_MARKERS.items():
            self.scatters[kind] = ax.scatter([], [], marker=marker, s=[], edgecolors="black", linewidths=0.6,
                                             zorder=7)
        self.title = self.fig.text(box[0], 0.95, " ", fontsize=LABEL_PT + 1.5, fontweight="bold")
        self.convoy_labels = []  # text artists, one per convoy, made as convoys appear
        if legend:
            self._legend(model)
        stamp(self.fig, "Marker size grows with fighters." if legend else "", y=0.012, fontsize=LABEL_PT)
        dynamic = [*self.scatters.values(), self.title]

        # layer 1: everything under the control colours
        for a in over + dynamic:
            a.set_visible(False)
        self.canvas.draw()
        under = np.asarray(self.canvas.buffer_rgba())[..., :3].astype(np.float32)
        # layer 2: river, roads, border, places and labels alone, on a clear background
        hidden = [terrain, ax.patch, ax.xaxis, ax.yaxis, *ax.spines.values(), *self.fig.legends,
                  *self.fig.texts]
        for a in hidden:
            a.set_visible(False)
        for a in over:
            a.set_visible(True)
        self.fig.patch.set_alpha(0.0)
        self.canvas.draw()
        rgba = np.asarray(self.canvas.buffer_rgba())
        over_a = rgba[..., 3:].astype(np.float32) / 255.0
        over_rgb = rgba[..., :3].astype(np.float32)
        for a in hidden + dynamic:
            a.set_visible(True)
        self.fig.patch.set_alpha(1.0)

        # which map cell each pixel of the map area shows
        rows, cols = corridor_map.shape
        height_px = self.canvas.get_width_height()[1]
        (x0, y0), (x1, y1) = ax.transData.transform([(0, 0), (cols * corridor_map.cell_km, rows * corridor_map.cell_km)])
        px0, px1 = int(np.ceil(x0)), int(np.floor(x1))
        py0, py1 = int(np.ceil(height_px - y1)), int(np.floor(height_px - y0))
        self.region = (slice(py0, py1), slice(px0, px1))
        self.cell_col = np.clip(((np.arange(px0, px1) + 0.5 - x0) / (x1 - x0) * cols).astype(int), 0, cols - 1)
        self.cell_row = np.clip(((np.arange(py0, py1) + 0.5 - (height_px - y1)) / (y1 - y0) * rows).astype(int),
                                0, rows - 1)
        self.stripes = (np.add.outer(np.arange(py0, py1), np.arange(px0, px1)) % HATCH_PERIOD_PX) < HATCH_WIDTH_PX

        # the static picture, and each pixel of the map area as it looks under each kind of
        # control (each faction, contested, ungoverned) with the river, roads and labels on top:
        # a frame is then one lookup per pixel
        self.base = (under * (1.0 - over_a) + over_rgb * over_a).astype(np.uint8)
        under, over_a, over_rgb = under[self.region], over_a[self.region], over_rgb[self.region]
        looks = [under * (1.0 - CONTROL_ALPHA) + np.array(to_rgb(c), dtype=np.float32) * 255.0 * CONTROL_ALPHA
                 for c in model.factions.colors]
        contested = under * (1.0 - CONTESTED_WASH) + 255.0 * CONTESTED_WASH
        contested[self.stripes] = contested[self.stripes] * (1.0 - HATCH_ALPHA) + HATCH_RGB * 255.0 * HATCH_ALPHA
        looks += [contested, under]
        self.looks = np.stack([(look * (1.0 - over_a) + over_rgb * over_a).astype(np.uint8).reshape(-1, 3)
                               for look in looks]).reshape(-1, 3)
        self.pixels = np.arange(under.shape[0] * under.shape[1])
        self.flat_cell = (self.cell_row[:, None] * cols + self.cell_col[None, :]).ravel()  # pixel -> cell
        self.n_factions = len(model.factions)
        self.key = self.key_of(model)
        np.asarray(self.canvas.buffer_rgba())[..., 3] = 255

    @staticmethod
    def key_of(model) -> tuple:
        """What the cached layers depend on: the map, the faction colours and labels, the checkpoints."""
        checkpoints = tuple(cp.cell for cp in model.checkpoints)
        corridor_map = model.map
        return (corridor_map.name, corridor_map.shape, corridor_map.cell_km, tuple(model.factions.colors),
                tuple(model.factions.labels), checkpoints)

    def bind(self, model) -> bool:
        """Draw `model` from now on, if its map, colours and checkpoints are the ones the layers
        were drawn for; False (and nothing changed) otherwise."""
        if self.key_of(model) != self.key:
            return False
        self.model = model
        return True

    def release(self) -> None:
        """Forget the model (until the next `bind`), so that a map kept for reuse keeps no run alive."""
        self.model = None

    def _checkpoints(self, model) -> None:
        """A thick red bar at each checkpoint (drawn with the static layers; the legend names it)."""
        for cp in model.checkpoints:
            x, y = model.map.xy_km(*cp.cell)
            self.ax.plot(x, y, zorder=6, **CHECKPOINT_MARK)

    def _legend(self, model) -> None:
        """The three legends in a column right of the map."""
        renderer = self.canvas.get_renderer()
        top = 0.95
        for title, entries, ncols in legend_groups(model):
            legend = self.fig.legend(handles=entries, bbox_to_anchor=(MAP_BOX[0] + MAP_BOX[2] + 0.02, top),
                                     title=title, ncols=ncols, **LEGEND_KW)
            box = legend.get_window_extent(renderer).transformed(self.fig.transFigure.inverted())
            top = box.y0 - 0.02

    def render(self, fmt: str = "png", units: list | None = None) -> bytes:
        """The map now, as PNG (or `fmt="jpeg"`), with `units` (default: every unit alive; a
        class team's map passes what its faction sees, `sim.app.fog`)."""
        model = self.model
        codes = model.influence.controller.ravel().take(self.flat_cell).astype(np.intp)
        # factions 0..n-1 keep their index; contested (-1) -> n, ungoverned (-2) -> n+1
        look = np.where(codes >= 0, codes, self.n_factions - 1 - codes)
        region = self.looks.take(look * self.pixels.size + self.pixels, axis=0)
        buffer = np.asarray(self.canvas.buffer_rgba())
        buffer[..., :3] = self.base
        buffer[self.region + (slice(0, 3),)] = region.reshape(self.cell_row.size, self.cell_col.size, 3)
        units = [u for u in model.agents if u.alive] if units is None else units
        self._draw_units(units)
        self._draw_convoy_labels(units)
        self.title.set_text(f"{model.spec.name} — {model.clock()}")
        self.fig.draw_artist(self.title)
        return encode(self.canvas, fmt)

    def _draw_units(self, shown: list) -> None:
        corridor_map, model = self.model.map, self.model
        rows = corridor_map.shape[0]
        by_kind: dict[str, list] = {kind: [] for kind in self.scatters}
        for unit in shown:
            by_kind[unit.kind].append(unit)
        colors = model.factions.colors
        for kind, sc in self.scatters.items():
            units = by_kind[kind]
            if not units:
                continue
            rc = np.array([u.rc for u in units], dtype=float)
            xy = np.column_stack(((rc[:, 1] + 0.5) * corridor_map.cell_km, (rows - rc[:, 0] - 0.5) * corridor_map.cell_km))
            sc.set_offsets(xy)
            sc.set_sizes(_unit_sizes(np.array([u.strength for u in units], dtype=float)))
            sc.set_facecolors([colors[u.faction] for u in units])
            self.ax.draw_artist(sc)

    def unit_marks(self, units: list | None = None) -> list[tuple[float, float, float, str]]:
        """(x, y, radius, text) in the picture's pixels (y down) of `units` (default: every unit
        alive), for hover labels over the picture: "tribal militia 6 (Iran-backed militias), 25 fighters"."""
        model = self.model
        units = [u for u in model.agents if u.alive] if units is None else units
        if not units:
            return []
        rows, km = model.map.shape[0], model.map.cell_km
        rc = np.array([u.rc for u in units], dtype=float)
        xy = self.ax.transData.transform(np.column_stack(((rc[:, 1] + 0.5) * km, (rows - rc[:, 0] - 0.5) * km)))
        height = self.canvas.get_width_height()[1]
        radius = np.sqrt(_unit_sizes(np.array([u.strength for u in units], dtype=float))) * self.fig.dpi / 72 / 2
        labels = model.factions.labels
        return [(float(x), float(height - y), float(max(r, 5.0)),
                 f"{u.label} ({labels[u.faction]}), {u.strength:,.0f} fighters")
                for (x, y), r, u in zip(xy, radius, units, strict=True)]

    def _draw_convoy_labels(self, shown: list) -> None:
        """Each convoy's label by its marker (of the convoys `shown`); in a standoff or
        withdrawing, its state too."""
        shown_ids = {id(u) for u in shown}
        model = self.model
        rows = model.map.shape[0]
        while len(self.convoy_labels) < len(model.convoys):
            self.convoy_labels.append(self.ax.annotate(
                "", (0, 0), xytext=(7, 7), textcoords="offset points", fontsize=LABEL_PT, fontweight="bold",
                zorder=8, bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="black", lw=0.8)))
        for text, convoy in zip(self.convoy_labels, model.convoys, strict=False):
            if not convoy.alive or id(convoy) not in shown_ids:
                continue
            r, c = convoy.rc
            text.xy = ((c + 0.5) * model.map.cell_km, (rows - r - 0.5) * model.map.cell_km)
            state = convoy.state.value
            text.set_text(f"{convoy.label}: {state}" if state in NOTED_STATES else convoy.label)
            text.get_bbox_patch().set_facecolor(NOTED_STATES.get(state, "white"))
            self.ax.draw_artist(text)


def river_label(corridor_map) -> str:
    """The legend's name for the map's river: its first named river line, else 'river'."""
    rivers = corridor_map.lines.get("river") or []
    return next((name.split(" (")[0] for name, _ in rivers if name), "river")
