"""Figures of one run: the control map (factions' colours, contested hatched, units on top of
the terrain, river, roads and places), control over time, and an animated GIF of the map."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter
from tqdm import tqdm

from sim.figures.basemap import draw_basemap
from sim.figures.layered import LayeredMap, write_gif
from sim.figures.style import CONTROL_ALPHA, SMALL, UNIT_LABELS, UNIT_MARKERS, stamp
from sim.program.output import write_atomic
from sim.results.event_log import clock_text


def control_rgba(controller: np.ndarray, colors: list[str]) -> np.ndarray:
    """An RGBA image: each controlled cell in its faction's colour, contested cells striped
    black and white (a hatch drawn as pixels), ungoverned cells clear so the terrain shows."""
    palette = np.array([to_rgba(c, CONTROL_ALPHA) for c in colors]
                       + [(0, 0, 0, 0.75), (1, 1, 1, 0.6), (0, 0, 0, 0)])
    stripes = (np.add.outer(np.arange(controller.shape[0]), np.arange(controller.shape[1])) % 4) < 2
    contested = np.where(stripes, len(colors), len(colors) + 1)
    index = np.where(controller >= 0, controller, np.where(controller == -1, contested, len(colors) + 2))
    return palette[index]


def _extent(corridor_map) -> tuple[float, float, float, float]:
    rows, cols = corridor_map.shape
    return (0.0, cols * corridor_map.cell_km, 0.0, rows * corridor_map.cell_km)


def _unit_xy(corridor_map, units) -> tuple[np.ndarray, np.ndarray]:
    rows = corridor_map.shape[0]
    return (units["col"] + 0.5) * corridor_map.cell_km, (rows - units["row"] - 0.5) * corridor_map.cell_km


class MapLayers:
    """The changing layers of the control map's picture (`draw_control_map`): control colours, units, title."""

    def __init__(self, ax, result, frame):
        corridor_map = result.map
        self.result, self.ax, self.corridor_map = result, ax, corridor_map
        draw_basemap(ax, corridor_map, terrain_alpha=0.45)
        self.image = ax.imshow(control_rgba(frame["controller"], result.faction_colors), extent=_extent(corridor_map),
                               origin="upper", interpolation="nearest", zorder=2)
        self.scatters = {}
        for kind, marker in UNIT_MARKERS.items():
            self.scatters[kind] = ax.scatter([], [], marker=marker, s=[], edgecolors="black", linewidths=0.4,
                                             zorder=6)
        self.title = ax.set_title("")
        self.update(frame)

    def update(self, frame) -> None:
        corridor_map, result = self.corridor_map, self.result
        self.image.set_data(control_rgba(frame["controller"], result.faction_colors))
        units = frame["units"]
        for kind, sc in self.scatters.items():
            mine = units[units["kind"] == kind]
            ux, uy = _unit_xy(corridor_map, mine)
            sc.set_offsets(np.column_stack((ux, uy)) if len(mine) else np.empty((0, 2)))
            sc.set_sizes(np.clip(np.sqrt(mine["strength"]) * 3.0, 6, 80))
            sc.set_facecolors([result.faction_colors[f] for f in mine["faction"]] or "none")
        self.title.set_text(f"{result.scenario_name} — {clock_text(frame['hours'], result.calendar)} (seed {result.seed})")


def _legend(ax, result) -> None:
    handles = [Patch(facecolor=to_rgba(c, CONTROL_ALPHA), edgecolor="none", label=f"held by {label}")
               for label, c in zip(result.faction_labels, result.faction_colors, strict=True)]
    handles.append(Patch(facecolor="white", edgecolor="black", hatch="////", label="contested (striped)"))
    handles.append(Patch(facecolor="white", edgecolor="grey", label="ungoverned (terrain shows)"))
    handles += [Line2D([], [], marker=m, linestyle="", color="grey", markeredgecolor="black",
                       label=UNIT_LABELS[k]) for k, m in UNIT_MARKERS.items()]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=SMALL, frameon=False,
              title="Control (colour) and units (shape)")


def _map_figure(result, frame):
    fig = Figure(figsize=(11, 7.2), dpi=100)
    ax = fig.subplots()
    layers = MapLayers(ax, result, frame)
    _legend(ax, result)
    stamp(fig, "Marker size grows with fighters.")
    fig.subplots_adjust(left=0.06, right=0.74, top=0.94, bottom=0.08)
    return fig, layers


def draw_control_map(result, frame, out: Path) -> Path:
    fig, _ = _map_figure(result, frame)
    write_atomic(out, lambda tmp: fig.savefig(tmp, format="png"))
    return out


def draw_control_chart(result, out: Path) -> Path:
    steps = result.steps
    day = steps["day"].to_numpy()
    fig = Figure(figsize=(10, 7.5), dpi=100)
    ax1, ax2 = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    shares = [steps[f"share_{f}"].to_numpy() for f in result.faction_ids]
    ax1.stackplot(day, *shares, steps["contested_share"], steps["ungoverned_share"],
                  colors=[*result.faction_colors, "#bdbdbd", "#f5f5f5"],
                  labels=[*result.faction_labels, "contested", "ungoverned"], alpha=0.9, edgecolor="white",
                  linewidth=0.3)
    ax1.set_ylabel("share of the land area")
    ax1.set_ylim(0, 1)
    ax1.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax1.set_title(f"Control over time — {result.scenario_name} (seed {result.seed})")
    for entry in result.log.entries:
        if entry.kind in ("standoff", "withdrawal", "arrival", "defection"):
            ax1.axvline(entry.hours / 24.0, color="black", linewidth=0.6, linestyle=":")
    ax1.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=SMALL, frameon=False,
               title="Dotted: convoy/defection events")
    for f, label, color in zip(result.faction_ids, result.faction_labels, result.faction_colors, strict=True):
        ax2.plot(day, steps[f"strength_{f}"], color=color, label=label)
    ax2.set_ylabel("strength (fighters)")
    ax2.set_xlabel("time (days)")
    ax2.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=SMALL, frameon=False)
    stamp(fig, y=0.005)
    fig.tight_layout()
    write_atomic(out, lambda tmp: fig.savefig(tmp, format="png"))
    return out


def write_animation(result, out: Path, *, fps: int = 4, progress: bool = False) -> Path:
    """An animated GIF of the control map, one frame per snapshot at `fps` frames a second
    (the last held `LAST_FRAME_MS`), drawn by the layered renderer (`sim.figures.layered`):
    the control colours (contested hatched), the units by kind sized by fighters, the title
    with scenario, clock and seed, and the legends; 840 × 500 px."""
    layered = LayeredMap(result.map, result.faction_colors, result.faction_labels, checkpoints=None)
    images = []
    for frame in tqdm(result.frames, desc="animation", unit="frame", disable=not progress, leave=False):
        clock = clock_text(frame["hours"], result.calendar)
        layered.draw(frame["controller"], frame["units"], f"{result.scenario_name} — {clock} (seed {result.seed})")
        images.append(layered.gif_frame())
    return write_gif(out, images, [round(1000 / fps)] * len(images))
