"""The app's live pictures of a run — the control map and the charts — rendered to PNG fast
enough to redraw after every step.

Why not re-draw a matplotlib figure per frame: the basemap (terrain, river, roads, places and
their labels) takes ~150 ms to draw and encode. So each picture is split into layers drawn
once — the map under the control colours (terrain, axes, legend) and the map over them (river,
roads, border, places, labels) — and per frame only the control colours (numpy, straight onto
pixels; contested cells hatched), the unit markers and the title are drawn between them. The
charts blit their lines over a cached background. A frame costs ~20–30 ms.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter
from PIL import Image

from sim.figures.basemap import draw_basemap
from sim.figures.style import (
    BORDER_LINE,
    CONTROL_ALPHA,
    CONVOY_STATE_COLORS,
    PLACE_STYLE,
    RIVER_LINE,
    UNIT_LABELS,
    UNIT_MARKERS,
    stamp,
)
from sim.geography import TERRAIN_COLORS, Terrain

DPI = 104
MAP_SIZE_IN = (9.6, 5.8)
MAP_BOX = (0.065, 0.095, 0.62, 0.83)  # axes [left, bottom, width, height] in figure fractions
CHART_SIZE_IN = (5.8, 4.9)
HATCH_PERIOD_PX, HATCH_WIDTH_PX = 7, 2
HATCH_RGB, HATCH_ALPHA, CONTESTED_WASH = np.array(to_rgb("#212121")), 0.75, 0.18
STATE_INDEX = {s.value: i for i, s in enumerate(CONVOY_STATE_COLORS)}


def _png(canvas: FigureCanvasAgg) -> bytes:
    """The canvas as PNG, with fast compression (a few ms rather than tens)."""
    width, height = canvas.get_width_height()
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", compress_level=1)
    return out.getvalue()


def _unit_sizes(strength: np.ndarray) -> np.ndarray:
    return np.clip(np.sqrt(strength) * 4.0, 24, 140)


class LiveMap:
    """The control map of one model, redrawn in place: `render()` returns the current PNG."""

    def __init__(self, model, *, dpi: int = DPI):
        self.model = model
        corridor_map = model.map
        self.fig = Figure(figsize=MAP_SIZE_IN, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        ax = self.ax = self.fig.add_axes(MAP_BOX)
        before = set(ax.get_children())
        draw_basemap(ax, corridor_map, terrain_alpha=0.45)
        terrain = ax.images[0]
        over = [a for a in ax.get_children() if a not in before and a is not terrain]
        self.scatters = {}
        for kind, marker in UNIT_MARKERS.items():
            self.scatters[kind] = ax.scatter([], [], marker=marker, s=[], edgecolors="black", linewidths=0.6,
                                             zorder=7)
        self.title = self.fig.text(MAP_BOX[0], 0.95, " ", fontsize=14, fontweight="bold")
        self._legend(model)
        stamp(self.fig, "Marker size grows with fighters.", y=0.012, fontsize=10)
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
        self.n_factions = len(model.factions)
        np.asarray(self.canvas.buffer_rgba())[..., 3] = 255

    def _legend(self, model) -> None:
        handles = [Patch(facecolor=(*to_rgb(c), CONTROL_ALPHA), edgecolor="none", label=label)
                   for label, c in zip(model.factions.labels, model.factions.colors, strict=True)]
        handles.append(Patch(facecolor=(0.8, 0.8, 0.8), edgecolor="#212121", hatch="////", label="contested"))
        handles.append(Patch(facecolor=TERRAIN_COLORS[Terrain.DESERT], edgecolor="#9e9e9e",
                             label="ungoverned (no colour)"))
        units = [Line2D([], [], marker=m, linestyle="", markersize=9, color="#9e9e9e", markeredgecolor="black",
                        label=UNIT_LABELS[k]) for k, m in UNIT_MARKERS.items()]
        marker, size, face = PLACE_STYLE["town"]
        cross, csize, cface = PLACE_STYLE["crossing"]
        lines = [Line2D([], [], label=model.map.river_name, **{**RIVER_LINE, "lw": 2}),
                 Patch(facecolor=TERRAIN_COLORS[Terrain.ROAD], label="road"),
                 Line2D([], [], label="border", **BORDER_LINE),
                 Line2D([], [], marker=marker, ms=size + 2, mfc=face, mec="black", ls="none", label="town"),
                 Line2D([], [], marker=cross, ms=csize, mfc=cface, mec="black", ls="none", label="border crossing")]
        kw = dict(fontsize=10.5, title_fontsize=11, frameon=False, alignment="left", borderaxespad=0.0,
                  loc="upper left")
        renderer = self.canvas.get_renderer()
        top = 0.93
        for title, entries in (("Who holds the ground", handles),
                               ("Units, in their faction's colour", units), ("Map", lines)):
            legend = self.fig.legend(handles=entries, bbox_to_anchor=(0.705, top), title=title, **kw)
            box = legend.get_window_extent(renderer).transformed(self.fig.transFigure.inverted())
            top = box.y0 - 0.035

    def render(self) -> bytes:
        """The map now, as PNG."""
        model = self.model
        controller = model.influence.controller[self.cell_row[:, None], self.cell_col[None, :]].astype(np.intp)
        # factions 0..n-1 keep their index; contested (-1) -> n, ungoverned (-2) -> n+1
        look = np.where(controller >= 0, controller, self.n_factions - 1 - controller)
        region = self.looks[look.ravel() * self.pixels.size + self.pixels]
        buffer = np.asarray(self.canvas.buffer_rgba())
        buffer[..., :3] = self.base
        buffer[self.region + (slice(0, 3),)] = region.reshape(*look.shape, 3)
        self._draw_units()
        self.title.set_text(f"{model.spec.name} — {model.clock()}")
        self.fig.draw_artist(self.title)
        return _png(self.canvas)

    def _draw_units(self) -> None:
        corridor_map, model = self.model.map, self.model
        rows = corridor_map.shape[0]
        by_kind: dict[str, list] = {kind: [] for kind in self.scatters}
        for unit in model.agents:
            if unit.alive:
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


class LiveCharts:
    """Control share per faction and each convoy's state over time, blitted over a cached
    background: `render()` returns the current PNG."""

    def __init__(self, run, *, dpi: int = DPI):
        self.run = run
        model = run.model
        days = model.n_steps * model.step_hours / 24.0
        self.fig = Figure(figsize=CHART_SIZE_IN, dpi=dpi, layout="constrained")
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax_share, self.ax_convoy = self.fig.subplots(2, 1, sharex=True, height_ratios=[3, 1.3])
        ax = self.ax_share
        self.lines = {}
        ids, labels, colors = model.factions.ids, model.factions.labels, model.factions.colors
        for f, label, color in zip(ids, labels, colors, strict=True):
            self.lines[f], = ax.plot([], [], color=color, lw=2.4, label=label, animated=True)
        self.lines["contested"], = ax.plot([], [], color="#616161", lw=1.8, ls="--", label="contested",
                                           animated=True)
        self.lines["ungoverned"], = ax.plot([], [], color="#bdbdbd", lw=1.8, ls=":", label="ungoverned",
                                            animated=True)
        ax.set_xlim(0, days)
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylabel("share of the land", fontsize=11)
        ax.set_title("Control over time", fontsize=13, fontweight="bold", loc="left")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncols=3, fontsize=9.5, frameon=False)
        ax.tick_params(labelbottom=False)

        self.state_rows = 0
        self.filled = 0  # recorded steps already copied into `states`
        self.states = np.full((0, model.n_steps + 1), np.nan)
        self.strip = None
        self.n_steps_axis = days
        self._background = None
        self._layout_convoys()

    def _layout_convoys(self) -> None:
        """(Re)draw the convoy strip's static parts for the convoys there are now."""
        model = self.run.model
        ax = self.ax_convoy
        ax.clear()
        convoys = model.convoys
        n = len(convoys)
        grown = np.full((n, model.n_steps + 1), np.nan)
        grown[: self.states.shape[0]] = self.states
        self.states = grown
        self.state_rows = n
        self.filled = 0
        ax.set_xlim(0, self.n_steps_axis)
        ax.set_xlabel("time (days)", fontsize=11)
        ax.set_title("Convoys", fontsize=12, fontweight="bold", loc="left")
        handles = [Patch(facecolor=c, edgecolor="#757575", label=s.value) for s, c in CONVOY_STATE_COLORS.items()]
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.55), ncols=4, fontsize=9,
                  frameon=False)
        if n == 0:
            ax.set_yticks([])
            ax.text(0.5, 0.5, "no convoys in this run yet", transform=ax.transAxes, ha="center", va="center",
                    fontsize=10, color="#616161")
            self.strip = None
        else:
            from matplotlib.colors import ListedColormap

            self.strip = ax.imshow(self.states, aspect="auto", interpolation="nearest", origin="upper",
                                   cmap=ListedColormap(list(CONVOY_STATE_COLORS.values())), vmin=-0.5,
                                   vmax=len(CONVOY_STATE_COLORS) - 0.5, extent=(0, self.n_steps_axis, n, 0),
                                   animated=True)
            ax.set_yticks(np.arange(n) + 0.5, [c.label for c in convoys], fontsize=10)
            ax.set_ylim(n, 0)
        self.ax_share.set_xlim(0, self.n_steps_axis)
        self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(self.fig.bbox)

    def render(self) -> bytes:
        """The charts now, as PNG."""
        run = self.run
        model = run.model
        if len(model.convoys) != self.state_rows:
            self._layout_convoys()
        shares = run.shares()
        for key, line in self.lines.items():
            line.set_data(shares["day"], shares[key])
        rec = model.recorder
        for i in range(self.filled, rec.rows):
            for c, state in enumerate(rec.convoy_states[i]):
                self.states[c, i] = STATE_INDEX[state]
        self.filled = rec.rows
        self.canvas.restore_region(self._background)
        for line in self.lines.values():
            self.ax_share.draw_artist(line)
        if self.strip is not None:
            self.strip.set_data(self.states)
            self.ax_convoy.draw_artist(self.strip)
        return _png(self.canvas)
