"""The app's live charts beside the map — land held and fighters per faction, and the convoy
strip — blitted over a cached background fast enough to redraw after every step (the layered
approach of `sim.figures.live`, whose sizes, label points and encoder they share).
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from sim.agents.convoy import ENDED_STATES
from sim.figures.live import CHART_SIZE_IN, DPI, LABEL_PT, encode
from sim.figures.style import CONVOY_STATE_COLORS

STATE_INDEX = {s.value: i for i, s in enumerate(CONVOY_STATE_COLORS)}


#: the charts' time axis ends at the first of these (days) past now, so that early hours are
#: wide enough to see (a 2 h standoff on day 1) and the axis is not redrawn every frame
DAY_STOPS = (1, 2, 3, 5, 7, 10, 15, 20, 30, 45, 60, 90, 120, 180, 270, 365)


#: convoys the charts' strip shows at most (a readable row each at 1280 × 720)
STRIP_ROWS = 4


def strip_rows(model) -> list[int]:
    """Which convoys the strip shows, in the order they set off: every convoy still on the road
    and, while there is room, the latest whose journey is over (at most `STRIP_ROWS`; the
    latest on the road when more are)."""
    convoys = model.convoys
    current = [i for i, c in enumerate(convoys) if c.state.value not in ENDED_STATES]
    if len(current) >= STRIP_ROWS:
        return current[-STRIP_ROWS:]
    ended = [i for i, c in enumerate(convoys) if c.state.value in ENDED_STATES]
    return sorted(current + ended[len(ended) - (STRIP_ROWS - len(current)):] if ended else current)


def _nice_top(value: float) -> float:
    """The next of 1, 2, 2.5, 5 × 10^k at or above `value` × 1.15 (the y axis' top)."""
    value = max(value * 1.15, 1e-9)
    base = 10 ** np.floor(np.log10(value))
    return float(next(m * base for m in (1, 2, 2.5, 5, 10) if m * base >= value))


class LiveCharts:
    """Land held and fighters per faction and each convoy's state over time, compact for the
    side of the map. Axes fit the data: the time axis runs to the next of `DAY_STOPS` past now,
    the y axes to a round value above the largest so far; lines are blitted over a cached
    background, redrawn only when an axis grows. `render()` returns the current PNG."""

    def __init__(self, run, *, dpi: int = DPI):
        self.run = run
        model = run.model
        self.fig = Figure(figsize=CHART_SIZE_IN, dpi=dpi, layout="constrained")
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax_share, self.ax_strength, self.ax_convoy = self.fig.subplots(
            3, 1, sharex=True, height_ratios=[2, 2, 1.2])
        self.lines: dict[str, tuple] = {}
        for f, color in zip(model.factions.ids, model.factions.colors, strict=True):
            share, = self.ax_share.plot([], [], color=color, lw=2.2, animated=True)
            strength, = self.ax_strength.plot([], [], color=color, lw=2.2, animated=True)
            self.lines[f] = (share, strength)
        self.ax_share.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
        for ax, title in ((self.ax_share, "Land held"), (self.ax_strength, "Fighters")):
            ax.set_title(title, fontsize=LABEL_PT, fontweight="bold", loc="left", pad=2)
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=LABEL_PT, labelbottom=False)
            ax.yaxis.set_major_locator(MaxNLocator(3))
        self.key = self.key_of(run)
        self.bind(run)

    @staticmethod
    def key_of(run) -> tuple:
        """What the lines depend on: the factions' colours and the run's length."""
        return tuple(run.model.factions.colors), run.model.n_steps

    def bind(self, run) -> bool:
        """Draw `run` from now on (axes start again) if it has the factions and length these
        charts were made for; False (and nothing changed) otherwise."""
        if self.key_of(run) != self.key:
            return False
        self.run = run
        self.limits = (0.0, 0.0, 0.0)
        self.filled = 0  # recorded steps already copied into `states`
        self.states = np.full((0, run.model.n_steps + 1), np.nan)
        self.state_rows = -1
        self.shown: list[int] = []  # the convoys the strip shows (`strip_rows`)
        self.strip = None
        self._background = None
        return True

    def _layout(self, days: float, share_top: float, strength_top: float) -> None:
        """Redraw the static parts for these axis limits and the convoys there are now."""
        model = self.run.model
        self.limits = (days, share_top, strength_top)
        self.ax_share.set_ylim(0, share_top)
        self.ax_strength.set_ylim(0, strength_top)
        ax = self.ax_convoy
        ax.clear()
        n = len(model.convoys)
        if n != self.state_rows:
            grown = np.full((n, model.n_steps + 1), np.nan)
            grown[: min(n, self.states.shape[0])] = self.states[:n]
            self.states, self.state_rows, self.filled = grown, n, 0
        ax.set_xlabel("time (days)", fontsize=LABEL_PT)
        ax.tick_params(labelsize=LABEL_PT)
        shown = self.shown = strip_rows(model)
        hidden = n - len(shown)
        ax.set_title("Convoys (colour: state)" + (f", {hidden} earlier not shown" if hidden else ""),
                     fontsize=LABEL_PT, fontweight="bold", loc="left", pad=2)
        end = model.n_steps * model.step_hours / 24.0
        if n == 0:
            ax.set_yticks([])
            ax.text(0.5, 0.5, "no convoys yet", transform=ax.transAxes, ha="center", va="center",
                    fontsize=LABEL_PT, color="#616161")
            self.strip = None
        else:
            rows = len(shown)
            self.strip = ax.imshow(self.states[shown], aspect="auto", interpolation="nearest", origin="upper",
                                   cmap=ListedColormap(list(CONVOY_STATE_COLORS.values())), vmin=-0.5,
                                   vmax=len(CONVOY_STATE_COLORS) - 0.5, extent=(0, end, rows, 0), animated=True)
            ax.set_yticks(np.arange(rows) + 0.5, [model.convoys[i].label for i in shown], fontsize=LABEL_PT)
            ax.set_ylim(rows, 0)
        ax.set_xlim(0, days)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        self.canvas.draw()
        # the first layout is kept: later redraws (an axis grew, a convoy appeared) skip the
        # constrained-layout solver, which costs most of a redraw
        self.fig.set_layout_engine("none")
        self._background = self.canvas.copy_from_bbox(self.fig.bbox)

    def render(self, fmt: str = "png") -> bytes:
        """The charts now, as PNG (or `fmt="jpeg"`)."""
        run = self.run
        model = run.model
        rec = model.recorder
        n = rec.rows
        day = rec.hours[:n] / 24.0
        share = rec.area_km2[:n] / run.land_km2
        strength = rec.strength[:n]
        end = model.n_steps * model.step_hours / 24.0
        days = min(end, next((d for d in DAY_STOPS if d > day[-1] + 1e-9), end))
        wanted = (days, max(self.limits[1], _nice_top(share.max())), max(self.limits[2], _nice_top(strength.max())))
        if wanted != self.limits or len(model.convoys) != self.state_rows or strip_rows(model) != self.shown:
            self._layout(*wanted)
        for j, (share_line, strength_line) in enumerate(self.lines.values()):
            share_line.set_data(day, share[:, j])
            strength_line.set_data(day, strength[:, j])
        for i in range(self.filled, n):
            for c, state in enumerate(rec.convoy_states[i][: self.state_rows]):
                self.states[c, i] = STATE_INDEX[state]
        self.filled = n
        self.canvas.restore_region(self._background)
        for share_line, strength_line in self.lines.values():
            self.ax_share.draw_artist(share_line)
            self.ax_strength.draw_artist(strength_line)
        if self.strip is not None:
            self.strip.set_data(self.states[self.shown])
            self.ax_convoy.draw_artist(self.strip)
        return encode(self.canvas, fmt)
