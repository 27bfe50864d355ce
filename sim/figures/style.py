"""The look every figure shares: how control, units, convoys and the map's lines are drawn,
colours for lines that have no faction colour, the small font size, and the disclaimer stamp.

Faction colours themselves come from the scenario (`Factions.colors`, `RunResult.faction_colors`);
`FactionStyle` carries them to charts drawn from saved runs. Colours are matplotlib colour
strings; line styles are keyword arguments for `Axes.plot` / `Line2D`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.agents.convoy import ConvoyState
from sim.disclaimer import DISCLAIMER

#: opacity of a faction's colour over the terrain on control maps
CONTROL_ALPHA = 0.55
#: font size (points) of legends, axis labels and the stamp on saved figures
SMALL = 8
STAMP_COLOR = "dimgray"

# ---------------------------------------------------------------------------- units
UNIT_MARKERS = {"militia": "o", "local_militia": "D", "garrison": "s", "convoy": ">", "insurgent": "X"}
UNIT_LABELS = {"militia": "militia unit", "local_militia": "local militia", "garrison": "garrison",
               "convoy": "convoy", "insurgent": "insurgent cell"}

# ---------------------------------------------------------------------------- the map
RIVER_LINE = dict(color="#1f4e9c", lw=0.8)
ROAD_LINE = dict(color="#fff3d6", lw=0.8)  # drawn over the brown road cells
TRACK_LINE = dict(ROAD_LINE, ls=(0, (3, 2)))
BORDER_LINE = dict(color="#6a1b9a", lw=1.4, ls=(0, (6, 2, 1, 2)))
#: marker, size (points), face colour per place kind
PLACE_STYLE = {
    "city": ("s", 7, "white"),
    "town": ("o", 4.5, "white"),
    "crossing": ("*", 13, "#d62728"),
    "bridge": ("D", 4, "black"),
    "ford": ("D", 4, "#3a7bd5"),
    "oilfield": ("^", 7, "black"),
    "gasfield": ("^", 7, "#555555"),
    "station": ("p", 7, "#555555"),
    "airbase": ("P", 8, "#555555"),
    "base": ("P", 8, "#555555"),
}
#: legend text of the place kinds whose name is not already readable
PLACE_LABELS = {"oilfield": "oil field", "gasfield": "gas field", "airbase": "airbase / airstrip"}

# ---------------------------------------------------------------------------- convoys
#: a convoy's state while it runs (the app's convoy strip), in the order of the strip's colour scale
CONVOY_STATE_COLORS = {
    ConvoyState.WAITING: "#e0e0e0", ConvoyState.MOVING: "#64b5f6", ConvoyState.STANDOFF: "#ffb300",
    ConvoyState.WITHDRAWING: "#ef6c00", ConvoyState.ARRIVED: "#2e7d32", ConvoyState.WITHDRAWN: "#8d6e63",
    ConvoyState.DESTROYED: "#212121",
}
#: a convoy's outcome at the end of a run (the `convoys_<outcome>` columns), in stacking order
CONVOY_OUTCOME_COLORS = {"arrived": "#2e7d32", "halted": "#f9a825", "withdrew": "#ef6c00",
                         "destroyed": "#b71c1c", "en_route": "#90a4ae", "not_departed": "#cfd8dc"}

# ---------------------------------------------------------------------------- other lines
FALLBACK_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")


def fallback_color(i: int) -> str:
    """The i-th colour for lines with no colour of their own (arms, design points), cycling."""
    return FALLBACK_COLORS[i % len(FALLBACK_COLORS)]


@dataclass
class FactionStyle:
    """Faction ids with their labels and colours, as saved with each run, for titles and lines
    of charts drawn from many runs. Unknown ids are shown as themselves, in a fallback colour."""

    ids: list[str]
    labels: list[str]
    colors: list[str]

    def label(self, fid: str) -> str:
        return self.labels[self.ids.index(fid)] if fid in self.ids else fid

    def color(self, fid: str, i: int = 0) -> str:
        return self.colors[self.ids.index(fid)] if fid in self.ids else fallback_color(i)


def stamp(fig, note: str = "", *, y: float = 0.01, fontsize: float = SMALL):
    """Write the disclaimer (then `note`) in the figure's lower-left corner; returns the `Text`.

    `y` is in figure fractions; `fontsize` in points (larger for the app's screen)."""
    text = f"{DISCLAIMER} {note}".strip()
    return fig.text(0.01, y, text, fontsize=fontsize, color=STAMP_COLOR)
