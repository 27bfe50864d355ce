"""The look every figure shares: how control, units, convoys and the map's lines are drawn,
colours for lines that have no faction colour, the small font size, and the disclaimer stamp.

Faction colours themselves come from the scenario (`Factions.colors`, `RunResult.faction_colors`);
`FactionStyle` carries them to charts drawn from saved runs. Colours are matplotlib colour
strings; line styles are keyword arguments for `Axes.plot` / `Line2D`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.agents.convoy import ConvoyState
from sim.program.disclaimer import DISCLAIMER

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
#: marker, size (points), face colour per place kind. No place shares a shape with a unit
#: (`UNIT_MARKERS`): settlements are hexagons, the crossing a star, bridges a bow tie, fords a
#: wave, oil and gas pentagons, bases a filled plus.
PLACE_STYLE = {
    "city": ("h", 9, "white"),
    "town": ("H", 6.5, "white"),
    "crossing": ("*", 13, "#d62728"),
    "bridge": ("$\\bowtie$", 9, "black"),
    "ford": ("$\\approx$", 9, "#3a7bd5"),
    "oilfield": ("p", 8, "black"),
    "gasfield": ("p", 8, "#555555"),
    "station": ("p", 8, "white"),
    "airbase": ("P", 8, "#555555"),
    "base": ("P", 8, "#555555"),
}
#: a bridge the map marks closed or destroyed: a bow tie struck through in red
CLOSED_BRIDGE_STYLE = ("$\\bowtie$", 9, "#9e9e9e")
CLOSED_MARK = dict(marker="x", ms=9, mew=2.2, color="#d62728", ls="none")
#: a checkpoint: a thick bar across the road, in a colour no faction uses, with a boxed label
CHECKPOINT_MARK = dict(marker="_", ms=16, mew=5, color="#d62728", ls="none")
#: legend text of the place kinds whose name is not already readable
PLACE_LABELS = {"oilfield": "oil field", "gasfield": "gas field", "airbase": "airbase / airstrip"}


def place_is_closed(place) -> bool:
    """Does the map mark this place (a bridge) closed or destroyed? Maps without such a mark
    have every bridge open."""
    status = str(getattr(place, "status", "") or "").lower()
    return status in ("closed", "destroyed", "down") or getattr(place, "open", True) is False

# ---------------------------------------------------------------------------- convoys
#: a convoy's state while it runs (the app's convoy strip), in the order of the strip's colour
#: scale: Okabe–Ito colours, so that moving, standoff and withdrawing differ for colour-blind eyes
CONVOY_STATE_COLORS = {
    ConvoyState.WAITING: "#e0e0e0", ConvoyState.MOVING: "#56B4E9", ConvoyState.STANDOFF: "#F0E442",
    ConvoyState.WITHDRAWING: "#E69F00", ConvoyState.ARRIVED: "#009E73", ConvoyState.WITHDRAWN: "#CC79A7",
    ConvoyState.DESTROYED: "#000000",
}
#: a convoy's outcome at the end of a run (the `convoys_<outcome>` columns), in stacking order
CONVOY_OUTCOME_COLORS = {"arrived": "#2e7d32", "halted": "#f9a825", "withdrew": "#ef6c00",
                         "destroyed": "#b71c1c", "en_route": "#90a4ae", "not_departed": "#cfd8dc"}

# ---------------------------------------------------------------------------- factions
#: Okabe & Ito's colour-blind-safe palette ("Color Universal Design", 2008); the shipped
#: scenarios take their faction colours from it (tests/test_palette.py checks them under
#: simulated colour-vision deficiency)
OKABE_ITO = {"orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7", "black": "#000000"}

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
