"""The control map drawn in layers, fast enough to redraw for every frame: the app's live map
(`sim.figures.live.LiveMap`, after every step) and a run's animated GIF
(`sim.figures.one_run.write_animation`, one frame per snapshot) both draw with `LayeredMap`.

Why not re-draw a matplotlib figure per frame: the basemap (terrain, river, roads, places and
their labels) takes ~150 ms to draw and encode (a run's GIF took ~12 s of CPU for 31 frames).
So the picture is split into layers drawn once — the map under the control colours (terrain,
axes, legend) and the map over them (river, roads, border, places, labels) — and per frame only
the control colours (numpy, straight onto pixels; contested cells hatched), the unit markers
and the title are drawn between them. A frame costs ~20–30 ms.

Sizes are for a 1280 × 720 projector: the map's picture is drawn about as large as the app
shows it (840 px wide), with every label at `LABEL_PT` (≥ 14 px on that screen).
"""

from __future__ import annotations

import io
from pathlib import Path

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
from sim.program.output import write_atomic

DPI = 100
MAP_SIZE_IN = (8.4, 5.0)
MAP_BOX = (0.075, 0.105, 0.58, 0.82)  # axes [left, bottom, width, height] in figure fractions
#: the map without its legend, for two runs side by side (`sim.figures.live.legend_png` draws the legend once)
COMPACT_MAP_SIZE_IN = (6.2, 5.0)
COMPACT_MAP_BOX = (0.1, 0.135, 0.88, 0.79)
#: points of every label on the live map and charts: 11 pt at 100 dpi is 15.3 px when the
#: picture is shown at its own size (14.5 px at the 800 px it gets on a 1280 × 720 screen)
LABEL_PT = 11.0
#: place kinds the map's legend shows (the others' labels say what they are: "… oil field")
LEGEND_PLACES = ("city", "town", "crossing", "bridge")
HATCH_PERIOD_PX, HATCH_WIDTH_PX = 7, 2
HATCH_RGB, HATCH_ALPHA, CONTESTED_WASH = np.array(to_rgb("#212121")), 0.75, 0.18
#: the units a frame shows, one row a unit (a run's snapshots, `Recorder.snapshot`, hold these fields and more)
UNIT_TABLE = np.dtype([("row", "i4"), ("col", "i4"), ("faction", "i2"), ("kind", "U16"), ("strength", "f8")])
#: how long an animated GIF holds its last picture, in ms
LAST_FRAME_MS = 3000

LEGEND_KW = dict(fontsize=LABEL_PT, title_fontsize=LABEL_PT, frameon=False, alignment="left", borderaxespad=0.0,
                 loc="upper left", handletextpad=0.4, columnspacing=0.8, labelspacing=0.25)


def picture(canvas: FigureCanvasAgg) -> Image.Image:
    """The canvas as an RGB image."""
    width, height = canvas.get_width_height()
    return Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")


def encode(canvas: FigureCanvasAgg, fmt: str) -> bytes:
    """The canvas as PNG (fast compression, for files) or JPEG (quality 92, for the screen: it
    encodes in ~5 ms where PNG takes 30–50 ms, and text stays sharp at that quality)."""
    out = io.BytesIO()
    if fmt == "jpeg":
        picture(canvas).save(out, format="JPEG", quality=92)
    else:
        picture(canvas).save(out, format="PNG", compress_level=1)
    return out.getvalue()


def write_gif(out: Path, frames: list[Image.Image], durations: list[int]) -> Path:
    """An animated GIF of `frames` (`LayeredMap.gif_frame`s), each shown its duration in ms, the last for
    `LAST_FRAME_MS`; played in a loop. Written atomically."""
    durations = [*durations[:-1], LAST_FRAME_MS]
    write_atomic(out, lambda tmp: frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:],
                                                 duration=durations, loop=0))
    return out


def unit_sizes(strength: np.ndarray) -> np.ndarray:
    """Marker areas (points²) of units of `strength` fighters: they grow with the square root."""
    return np.clip(np.sqrt(strength) * 4.0, 24, 140)


def legend_groups(corridor_map, labels: list[str], colors: list[str], *,
                  checkpoints: bool = True) -> list[tuple[str, list, int]]:
    """(title, handles, columns) of the map's legends: who holds the ground (the factions'
    `labels` in their `colors`), units, map (with the checkpoint's mark if `checkpoints`)."""
    holders = [Patch(facecolor=(*to_rgb(c), CONTROL_ALPHA), edgecolor="none", label=label)
               for label, c in zip(labels, colors, strict=True)]
    holders.append(Patch(facecolor=(0.8, 0.8, 0.8), edgecolor="#212121", hatch="////", label="contested"))
    holders.append(Patch(facecolor=TERRAIN_COLORS[Terrain.DESERT], edgecolor="#9e9e9e",
                         label="ungoverned (no colour)"))
    units = [Line2D([], [], marker=m, linestyle="", markersize=9, color="#9e9e9e", markeredgecolor="black",
                    label=UNIT_LABELS[k]) for k, m in UNIT_MARKERS.items()]
    kinds = dict.fromkeys(p.kind for p in corridor_map.places.values() if p.kind in LEGEND_PLACES)
    places = []
    for kind in kinds:
        marker, size, face = PLACE_STYLE[kind]
        places.append(Line2D([], [], marker=marker, ms=size + 1, mfc=face, mec="black", ls="none",
                             label=PLACE_LABELS.get(kind, kind)))
    lines = [Line2D([], [], label=river_label(corridor_map), **{**RIVER_LINE, "lw": 2}),
             Line2D([], [], label="border", **BORDER_LINE),
             Patch(facecolor=TERRAIN_COLORS[Terrain.ROAD], label="road")]
    if checkpoints:
        lines.append(Line2D([], [], label="checkpoint", **{**CHECKPOINT_MARK, "ms": 12, "mew": 4}))
    return [("Who holds the ground", holders, 1), ("Units (faction colour)", units, 1), ("Map", places + lines, 2)]


def river_label(corridor_map) -> str:
    """The legend's name for the map's river: its first named river line, else 'river'."""
    rivers = corridor_map.lines.get("river") or []
    return next((name.split(" (")[0] for name, _ in rivers if name), "river")


class LayeredMap:
    """The control map of `corridor_map` for factions `labels` in `colors`, drawn in layers
    once; `draw(controller, units, title)` then puts one frame on `canvas`.

    `checkpoints`: the (row, col) cells whose checkpoint mark is drawn with the map (and named
    in the legend), or None for a map without them. `legend`: the legends in a column right
    of the map (else the compact map, for two runs side by side).
    """

    def __init__(self, corridor_map, colors: list[str], labels: list[str], *, checkpoints=(), dpi: int = DPI,
                 legend: bool = True):
        self.corridor_map, self.colors = corridor_map, list(colors)
        #: colours drawn over the layers in a frame (the markers' faces), kept exact in `gif_frame`
        self.frame_colors = list(colors)
        self._palette = None
        self.fig = Figure(figsize=MAP_SIZE_IN if legend else COMPACT_MAP_SIZE_IN, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        box = MAP_BOX if legend else COMPACT_MAP_BOX
        ax = self.ax = self.fig.add_axes(box)
        before = set(ax.get_children())
        draw_basemap(ax, corridor_map, terrain_alpha=0.45, label_pt=LABEL_PT)
        ax.set_xlabel("km east", fontsize=LABEL_PT)
        ax.set_ylabel("km north", fontsize=LABEL_PT)
        ax.tick_params(labelsize=LABEL_PT)
        for cell in checkpoints or ():  # a thick red bar at each checkpoint
            ax.plot(*corridor_map.xy_km(*cell), zorder=6, **CHECKPOINT_MARK)
        terrain = ax.images[0]
        over = [a for a in ax.get_children() if a not in before and a is not terrain]
        self.scatters = {}
        for kind, marker in UNIT_MARKERS.items():
            self.scatters[kind] = ax.scatter([], [], marker=marker, s=[], edgecolors="black", linewidths=0.6,
                                             zorder=7)
        self.title = self.fig.text(box[0], 0.95, " ", fontsize=LABEL_PT + 1.5, fontweight="bold")
        if legend:
            self._legend(labels, checkpoints is not None)
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
                 for c in self.colors]
        contested = under * (1.0 - CONTESTED_WASH) + 255.0 * CONTESTED_WASH
        contested[self.stripes] = contested[self.stripes] * (1.0 - HATCH_ALPHA) + HATCH_RGB * 255.0 * HATCH_ALPHA
        looks += [contested, under]
        self.looks = np.stack([(look * (1.0 - over_a) + over_rgb * over_a).astype(np.uint8).reshape(-1, 3)
                               for look in looks]).reshape(-1, 3)
        self.pixels = np.arange(under.shape[0] * under.shape[1])
        self.flat_cell = (self.cell_row[:, None] * cols + self.cell_col[None, :]).ravel()  # pixel -> cell
        self.n_factions = len(self.colors)
        np.asarray(self.canvas.buffer_rgba())[..., 3] = 255

    def _legend(self, labels: list[str], checkpoints: bool) -> None:
        """The three legends in a column right of the map."""
        renderer = self.canvas.get_renderer()
        top = 0.95
        for title, entries, ncols in legend_groups(self.corridor_map, labels, self.colors, checkpoints=checkpoints):
            legend = self.fig.legend(handles=entries, bbox_to_anchor=(MAP_BOX[0] + MAP_BOX[2] + 0.02, top),
                                     title=title, ncols=ncols, **LEGEND_KW)
            box = legend.get_window_extent(renderer).transformed(self.fig.transFigure.inverted())
            top = box.y0 - 0.02

    def draw(self, controller: np.ndarray, units: np.ndarray, title: str) -> None:
        """One frame on the canvas: the control colours of `controller` (rows × cols of faction
        indices, -1 contested, -2 ungoverned), `units` (an array with `UNIT_TABLE`'s fields,
        a marker each, in its faction's colour, its area by `unit_sizes`) and `title`."""
        codes = controller.ravel().take(self.flat_cell).astype(np.intp)
        # factions 0..n-1 keep their index; contested (-1) -> n, ungoverned (-2) -> n+1
        look = np.where(codes >= 0, codes, self.n_factions - 1 - codes)
        region = self.looks.take(look * self.pixels.size + self.pixels, axis=0)
        buffer = np.asarray(self.canvas.buffer_rgba())
        buffer[..., :3] = self.base
        buffer[self.region + (slice(0, 3),)] = region.reshape(self.cell_row.size, self.cell_col.size, 3)
        self._draw_units(units)
        self.title.set_text(title)
        self.fig.draw_artist(self.title)

    def gif_frame(self) -> Image.Image:
        """The canvas as a frame of an animated GIF, in one palette for every frame: 256 colours
        of the layers under each kind of control and `frame_colors` (an adaptive palette for
        each frame cost ~30–50 ms a frame, this ~1 ms, and the colours never flicker)."""
        if self._palette is None:
            marks = np.repeat(np.array([to_rgb(c) for c in self.frame_colors]) * 255.0, 4096, axis=0)
            swatch = np.concatenate([self.base.reshape(-1, 3), self.looks, marks.round()]).astype(np.uint8)
            self._palette = Image.fromarray(swatch.reshape(-1, 1, 3)).quantize(256, method=Image.Quantize.FASTOCTREE)
        return picture(self.canvas).quantize(palette=self._palette, dither=Image.Dither.NONE)

    def _draw_units(self, units: np.ndarray) -> None:
        rows, km = self.corridor_map.shape[0], self.corridor_map.cell_km
        for kind, sc in self.scatters.items():
            mine = units[units["kind"] == kind]
            if not len(mine):
                continue
            sc.set_offsets(np.column_stack(((mine["col"] + 0.5) * km, (rows - mine["row"] - 0.5) * km)))
            sc.set_sizes(unit_sizes(mine["strength"].astype(float)))
            sc.set_facecolors([self.colors[f] for f in mine["faction"]])
            self.ax.draw_artist(sc)
