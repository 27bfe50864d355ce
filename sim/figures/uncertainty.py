"""Uncertainty on the map: one panel per faction (and one for contested cells) of the share of
replicates in which each cell is held, on a colour-blind-safe sequential scale (cividis)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.figures.basemap import draw_basemap
from sim.figures.many_runs import new_figure, save
from sim.figures.style import SMALL, FactionStyle

CMAP = "cividis"  # perceptually uniform and readable with colour-vision deficiencies


def probability_map(path: Path, corridor_map, probs: np.ndarray, f: FactionStyle, title: str,
                    replicates: int) -> Path:
    """Write the map of `probs` ((factions + 1, rows, cols), the last layer contested; values
    0…1) to `path` (PNG). Cells never held are left clear over faint terrain."""
    rows, cols = corridor_map.shape
    extent = (0.0, cols * corridor_map.cell_km, 0.0, rows * corridor_map.cell_km)
    names = [*f.labels, "contested"]
    fig, axes = new_figure(len(names), width=5.2, height=5.2 * rows / cols + 0.5, cols=min(3, len(names)))
    image = None
    for j, (ax, name) in enumerate(zip(axes, names, strict=True)):
        draw_basemap(ax, corridor_map, terrain_alpha=0.25, label_places=j == 0,
                     places_kinds=("city", "town", "crossing"))
        shown = np.ma.masked_where((probs[j] <= 0) | ~corridor_map.land, probs[j])
        image = ax.imshow(shown, cmap=CMAP, vmin=0.0, vmax=1.0, extent=extent, origin="upper",
                          interpolation="nearest", zorder=4, alpha=0.9)
        ax.set_title(f"{name}: probability of control" if j < len(f.labels) else
                     "contested: probability", fontsize=9)
    bar = fig.colorbar(image, ax=list(axes), shrink=0.6, location="right")
    bar.set_label(f"probability (share of {replicates} replicates; clear = never)", fontsize=SMALL)
    return save(fig, path, f"Who controls each cell: {title} ({replicates} replicates)")
