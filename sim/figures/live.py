"""The app's live control map of a run, rendered to PNG fast enough to redraw after every step
(the charts beside it are `sim.figures.live_charts`): a `LayeredMap` (`sim.figures.layered`, the
layers drawn once, a frame in ~20–30 ms) of the model as it stands, with its convoys labelled.

A `LiveMap` built once is re-pointed at a new model of the same map and colours with `bind` (a
reset costs no redraw of the layers).
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.figures.layered import (
    DPI,
    LABEL_PT,
    LEGEND_KW,
    UNIT_TABLE,
    LayeredMap,
    encode,
    legend_groups,
    unit_sizes,
)

CHART_SIZE_IN = (4.5, 2.5)
#: convoy states that get their state written next to the convoy's label on the map
NOTED_STATES = {"standoff": "#F0E442", "withdrawing": "#E69F00"}


def legend_png(model, width_in: float, *, dpi: int = DPI, fmt: str = "png") -> bytes:
    """The live map's legends side by side in a strip `width_in` inches wide (under the maps
    when two runs share the screen and each map is drawn without its own)."""
    fig = Figure(figsize=(width_in, 1.8), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    groups = legend_groups(model.map, model.factions.labels, model.factions.colors)
    for x, (title, entries, ncols) in zip((0.01, 0.28, 0.46), groups, strict=True):
        fig.legend(handles=entries, bbox_to_anchor=(x, 0.98), title=title, ncols=ncols, **LEGEND_KW)
    canvas.draw()
    return encode(canvas, fmt)


def unit_table(units: list) -> np.ndarray:
    """`units` (agents) as the rows a `LayeredMap` frame draws (`sim.figures.layered.UNIT_TABLE`)."""
    return np.array([(u.rc[0], u.rc[1], u.faction, u.kind, u.strength) for u in units], dtype=UNIT_TABLE)


class LiveMap(LayeredMap):
    """The control map of one model, redrawn in place: `render()` returns the current PNG."""

    def __init__(self, model, *, dpi: int = DPI, legend: bool = True):
        super().__init__(model.map, model.factions.colors, model.factions.labels,
                         checkpoints=[cp.cell for cp in model.checkpoints], dpi=dpi, legend=legend)
        self.model = model
        self.frame_colors += NOTED_STATES.values()  # the labels of convoys stopped or withdrawing
        self.convoy_labels = []  # text artists, one per convoy, made as convoys appear
        self.key = self.key_of(model)

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

    def show(self, units: list | None = None) -> None:
        """Draw the map now on `canvas`, with `units` (default: every unit alive; a class team's
        map passes what its faction sees, `sim.app.fog`) and the convoys' labels."""
        model = self.model
        units = [u for u in model.agents if u.alive] if units is None else units
        self.draw(model.influence.controller, unit_table(units), f"{model.spec.name} — {model.clock()}")
        self._draw_convoy_labels(units)

    def render(self, fmt: str = "png", units: list | None = None) -> bytes:
        """The map now (`show`), as PNG (or `fmt="jpeg"`)."""
        self.show(units)
        return encode(self.canvas, fmt)

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
        radius = np.sqrt(unit_sizes(np.array([u.strength for u in units], dtype=float))) * self.fig.dpi / 72 / 2
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
