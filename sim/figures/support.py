"""The population's support of one run: a map of the towns (a disc per town, its area the
inhabitants, its colour the faction most supported there, with that support in per cent) beside
the population-weighted support of each faction over time (`support_<faction>` in the step
table). Drawn only for scenarios with a `population` block."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.figures.basemap import draw_basemap
from sim.figures.style import SMALL, stamp
from sim.program.output import write_atomic

#: disc area (points²) per inhabitant on the support map
POINTS2_PER_PERSON = 2.5e-3


def draw_support(result, out: Path) -> Path | None:
    """Write the support figure to `out` (PNG); None (nothing written) without a population.

    `result.towns`: one dict per town with `name`, `cell` (row, col), `population` (people) and
    `support` ({faction id: 0–1}) at the end of the run."""
    if not result.towns:
        return None
    fig = Figure(figsize=(14, 6.2), dpi=100)
    ax_map, ax_line = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    draw_basemap(ax_map, result.map, terrain_alpha=0.35, label_places=False)
    colors = dict(zip(result.faction_ids, result.faction_colors, strict=True))
    labels = dict(zip(result.faction_ids, result.faction_labels, strict=True))
    for i, town in enumerate(sorted(result.towns, key=lambda t: t["cell"])):
        leader = max(town["support"], key=town["support"].get)
        x, y = result.map.xy_km(*town["cell"])
        ax_map.scatter([x], [y], s=town["population"] * POINTS2_PER_PERSON, color=colors[leader],
                       edgecolors="black", linewidths=0.8, alpha=0.85, zorder=7)
        ax_map.annotate(f"{town['name']}\n{labels[leader]} {town['support'][leader]:.0%}", (x, y),
                        xytext=(8, 6) if i % 2 == 0 else (-8, -6), ha="left" if i % 2 == 0 else "right",
                        va="bottom" if i % 2 == 0 else "top", textcoords="offset points", fontsize=SMALL, zorder=8,
                        bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.8))
    ax_map.set_title("Most supported faction in each town at the end (disc area: inhabitants)")
    handles = [Line2D([], [], marker="o", linestyle="", color=c, markeredgecolor="black", label=labels[f])
               for f, c in colors.items()]
    ax_map.legend(handles=handles, loc="lower left", fontsize=SMALL, title="most supported", framealpha=0.9)
    day = result.steps["day"].to_numpy()
    for f in result.faction_ids:
        ax_line.plot(day, 100 * result.steps[f"support_{f}"].to_numpy(), color=colors[f], label=labels[f], lw=1.8)
    ax_line.set_xlabel("time (days)")
    ax_line.set_ylabel("population-weighted support (% of inhabitants)")
    ax_line.set_ylim(0, max(5.0, float(np.nanmax([100 * result.steps[f"support_{f}"].max()
                                                     for f in result.faction_ids])) * 1.15))
    ax_line.set_title("Support over time")
    ax_line.legend(fontsize=SMALL, frameon=False)
    ax_line.grid(alpha=0.3)
    fig.suptitle(f"Population support — {result.scenario_name} (seed {result.seed})")
    stamp(fig, "Support follows control and falls with civilian harm (docs/odd.md).")
    fig.tight_layout(rect=(0, 0.03, 1, 0.96))
    write_atomic(out, lambda tmp: fig.savefig(tmp, format="png"))
    return out
