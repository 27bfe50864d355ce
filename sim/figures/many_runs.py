"""Charts of many runs: replicate bands over time, final outcomes against each parameter with
95 % intervals, heatmaps over two parameters, land-bridge and convoy-outcome shares, and maps
of where two arms of a comparison differ in final control.

Figures are drawn on the Agg canvas directly (no pyplot state, so nothing accumulates over a
long sweep) and every one carries the disclaimer (`sim.program.disclaimer`) under its title.
"""

from __future__ import annotations

import math
import re
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.experiments.stats import mean_ci, wilson
from sim.figures.basemap import draw_basemap
from sim.figures.style import CONVOY_OUTCOME_COLORS, SMALL, FactionStyle, fallback_color
from sim.program.disclaimer import DISCLAIMER
from sim.program.output import write_atomic

PANELS_PER_PAGE = 12
MAX_BANDS = 8  # design points drawn one band each; more are grouped by the first parameter
FAMILIES = ("value_share_", "share_", "area_km2_", "strength_", "land_bridge_", "local_militia_units_")


def describe(name: str, f: FactionStyle) -> str:
    """An outcome or series column in words, with its unit."""
    patterns = [  # the first that matches names the column; {} is the faction's label
        (r"land_bridge_(.+)_open_at_end", "{}: land bridge open at the end (share of runs)", True),
        (r"land_bridge_(.+)_open_share", "{}: share of time the land bridge is open", True),
        (r"value_share_(.+)", "{}: share of strategic value held (0–1)", True),
        (r"share_(.+)", "{}: share of land controlled (0–1)", True),
        (r"area_km2_(.+)", "{}: area controlled (km²)", True),
        (r"strength_(.+)", "{}: strength (fighters)", True),
        (r"land_bridge_(.+)", "{}: land bridge open (share of runs)", True),
        (r"local_militia_units_(.+)", "local militia units with {} (count)", True),
        (r"convoys_(.+)", "convoys {} (count per run)", False),
        (r"incidents_(.+)", "{} incidents (count per run)", False),
    ]
    for pattern, text, is_faction in patterns:
        m = re.fullmatch(pattern, name)
        if m:
            return text.format(f.label(m[1]) if is_faction else m[1].replace("_", " "))
    fixed = {"contested_share": "contested share of land (0–1)", "ungoverned_share": "ungoverned share of land (0–1)",
             "insurgent_cells": "insurgent cells (count)"}
    return fixed.get(name, name.replace("_", " "))


def short(name: str, f: FactionStyle) -> str:
    """A panel title: the faction's label when the family is already named in the figure title."""
    for family in FAMILIES:
        if name.startswith(family):
            rest = name[len(family):]
            return f.label(rest) if rest in f.ids else describe(name, f)
    return describe(name, f)


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()


def fmt(value) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:.3g}"
    return str(value)


def new_figure(panels: int, *, width: float = 4.2, height: float = 3.0, cols: int | None = None):
    cols = cols or min(panels, 3)
    rows = math.ceil(panels / cols)
    fig = Figure(figsize=(max(7.5, width * cols), height * rows + 0.6), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[panels:]:
        ax.set_visible(False)
    return fig, axes[:panels]


def save(fig: Figure, path: Path, title: str, dpi: int = 110) -> Path:
    """Title the figure, with the stamp as the title's second line (the layout keeps room for
    it wherever legends go), and write it atomically."""
    chars = int(fig.get_figwidth() * 12)  # about how many title characters fit across the figure
    fig.suptitle(f"{textwrap.fill(title, chars)}\n{DISCLAIMER}", fontsize=10.5)
    return write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi))


def legend_below(fig: Figure, handles: list, names: list[str]) -> None:
    """One legend for all panels, under them, with as many columns as the labels allow."""
    if not handles:
        return
    longest = max(len(n) for n in names) + 6  # the line sample and padding
    ncols = max(1, min(len(names), 4, int(fig.get_figwidth() * 14 / longest)))
    fig.legend(handles, names, loc="outside lower center", ncols=ncols, fontsize=SMALL, frameon=False)


def pages(items: list, size: int = PANELS_PER_PAGE) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]


def page_name(stem: str, page: int) -> str:
    return f"{stem}.png" if page == 0 else f"{stem}_{page + 1}.png"


def families(columns: list[str], f: FactionStyle) -> list[tuple[str, list[str]]]:
    """Group per-faction columns (share_russia, share_coalition, …) into one figure each."""
    groups: dict[str, list[str]] = {}
    for c in columns:
        family = next((fam for fam in FAMILIES if c.startswith(fam) and c[len(fam):] in f.ids), None)
        groups.setdefault(family or c, []).append(c)
    return list(groups.items())


# ============================================================================ grouping runs


def parameter_groups(values: pd.Series, bins: int = 6, max_distinct: int = 12) -> tuple[pd.Series, pd.DataFrame]:
    """(group key per run, table of groups with x position and label), in order of x.

    Few distinct values: one group each. Many (sampled designs): quantile bins, placed at the
    mean of their values. Text values: one group each, at positions 0, 1, …"""
    distinct = pd.unique(values)
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if not numeric:
        order = sorted(distinct, key=str)
        keys = values.map({v: i for i, v in enumerate(order)})
        return keys, pd.DataFrame({"x": range(len(order)), "label": [str(v) for v in order]})
    if len(distinct) <= max_distinct:
        order = sorted(distinct)
        return values, pd.DataFrame({"x": order, "label": [fmt(v) for v in order]}, index=order)
    codes = pd.qcut(values, bins, labels=False, duplicates="drop")
    table = values.groupby(codes).agg(["mean", "min", "max"])
    labels = [f"{fmt(lo)}–{fmt(hi)}" for lo, hi in zip(table["min"], table["max"], strict=True)]
    return codes, pd.DataFrame({"x": table["mean"].to_numpy(), "label": labels}, index=table.index)


# ============================================================================ bands over time


def band_chart(path: Path, series: pd.DataFrame, columns: list[str], group: pd.Series, labels: dict,
               title: str, f: FactionStyle, colors: dict | None = None) -> Path:
    """Median and 5–95 % band across replicates over time, one line per group, a panel per
    column; yes/no columns (land bridge open) show the share of runs instead, with a 95 % band."""
    fig, axes = new_figure(len(columns))
    data = series.assign(_group=group.to_numpy())
    for ax, col in zip(axes, columns, strict=True):
        is_bool = pd.api.types.is_bool_dtype(data[col])
        for i, (key, label) in enumerate(labels.items()):
            rows = data[data["_group"] == key]
            if rows.empty:
                continue
            color = (colors or {}).get(key, fallback_color(i))
            by_day = rows.groupby("day")[col]
            if is_bool:
                stats = by_day.agg(["sum", "count"])
                w = np.array([wilson(s, n) for s, n in zip(stats["sum"], stats["count"], strict=True)])
                mid, lo, hi = w[:, 0], w[:, 1], w[:, 2]
            else:
                q = by_day.quantile([0.05, 0.5, 0.95]).unstack()
                mid, lo, hi = q[0.5].to_numpy(), q[0.05].to_numpy(), q[0.95].to_numpy()
            days = by_day.size().index.to_numpy()
            ax.plot(days, mid, color=color, lw=1.6, label=label)
            ax.fill_between(days, lo, hi, color=color, alpha=0.18, lw=0)
        ax.set_title(short(col, f), fontsize=9)
        ax.set_xlabel("day")
        ax.set_ylabel("share of runs" if is_bool else describe(col, f).split(": ")[-1], fontsize=SMALL)
        ax.grid(alpha=0.3)
    legend_below(fig, *axes[0].get_legend_handles_labels())
    return save(fig, path, title)


# ============================================================================ final outcomes


def final_vs_parameter(path: Path, runs: pd.DataFrame, param: str, plabel: str, outcomes: list[str],
                       f: FactionStyle, title: str) -> Path:
    """Mean final outcome against one parameter, with 95 % intervals over the runs at each value
    (pooled over the other parameters)."""
    keys, groups = parameter_groups(runs[param])
    fig, axes = new_figure(len(outcomes))
    for ax, outcome in zip(axes, outcomes, strict=True):
        values = runs[outcome].astype(float)
        cis = np.array([mean_ci(values[keys == k]) for k in groups.index])
        x = groups["x"].to_numpy(dtype=float)
        err = np.abs(np.vstack([cis[:, 0] - cis[:, 1], cis[:, 2] - cis[:, 0]]))
        ax.errorbar(x, cis[:, 0], yerr=np.nan_to_num(err), marker="o", ms=4, capsize=3, lw=1.2, color="#37474f")
        ax.set_title(describe(outcome, f), fontsize=8.5)
        ax.set_xlabel(plabel, fontsize=SMALL)
        ax.set_ylabel("mean over runs (95 % CI)", fontsize=SMALL)
        if not pd.api.types.is_numeric_dtype(runs[param]) or pd.api.types.is_bool_dtype(runs[param]):
            ax.set_xticks(x, groups["label"])
        ax.grid(alpha=0.3)
    return save(fig, path, title)


def heatmap(path: Path, runs: pd.DataFrame, px: str, py: str, xlabel: str, ylabel: str, outcomes: list[str],
            f: FactionStyle, title: str) -> Path:
    """Mean final outcome over a grid of two parameters, one panel per outcome."""
    fig, axes = new_figure(len(outcomes), width=4.6, height=3.6)
    for ax, outcome in zip(axes, outcomes, strict=True):
        table = runs.assign(_v=runs[outcome].astype(float)).pivot_table(index=py, columns=px, values="_v",
                                                                         aggfunc="mean")
        image = ax.imshow(table.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(table.shape[1]), [fmt(v) for v in table.columns], fontsize=7, rotation=45)
        ax.set_yticks(range(table.shape[0]), [fmt(v) for v in table.index], fontsize=7)
        values = table.to_numpy()
        if values.size <= 64:
            finite = values[np.isfinite(values)]
            middle = (finite.min() + finite.max()) / 2 if finite.size else 0
            for (r, c), v in np.ndenumerate(values):
                if np.isfinite(v):
                    ax.text(c, r, f"{v:.3g}", ha="center", va="center", fontsize=6.5,
                            color="white" if v < middle else "black")
        ax.set_xlabel(xlabel, fontsize=SMALL)
        ax.set_ylabel(ylabel, fontsize=SMALL)
        ax.set_title(describe(outcome, f), fontsize=8.5)
        fig.colorbar(image, ax=ax, shrink=0.85).set_label("mean over replicates", fontsize=7)
    return save(fig, path, title)


def land_bridge_chart(path: Path, runs: pd.DataFrame, params: list[tuple[str, str]], f: FactionStyle,
                      title: str) -> Path | None:
    """Share of runs with each faction's land bridge open at the end, against each parameter."""
    columns = [c for c in runs.columns if re.fullmatch(r"land_bridge_.+_open_at_end", c)]
    if not columns or not params:
        return None
    fig, axes = new_figure(len(params))
    for ax, (param, plabel) in zip(axes, params, strict=True):
        keys, groups = parameter_groups(runs[param])
        x = groups["x"].to_numpy(dtype=float)
        for i, col in enumerate(columns):
            fid = col[len("land_bridge_"):-len("_open_at_end")]
            opened = runs[col].astype(bool)
            w = np.array([wilson(opened[keys == k].sum(), int((keys == k).sum())) for k in groups.index])
            ax.errorbar(x + (i - (len(columns) - 1) / 2) * _jitter(x), w[:, 0],
                        yerr=np.abs(np.vstack([w[:, 0] - w[:, 1], w[:, 2] - w[:, 0]])), marker="o", ms=4,
                        capsize=3, lw=1.2, color=f.color(fid, i), label=f.label(fid))
        if not pd.api.types.is_numeric_dtype(runs[param]) or pd.api.types.is_bool_dtype(runs[param]):
            ax.set_xticks(x, groups["label"])
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel(plabel, fontsize=SMALL)
        ax.set_ylabel("share of runs open at the end (95 % CI)", fontsize=SMALL)
        ax.grid(alpha=0.3)
    legend_below(fig, *axes[0].get_legend_handles_labels())
    return save(fig, path, title)


def _jitter(x: np.ndarray) -> float:
    """A small horizontal offset so that lines at the same x do not hide each other."""
    span = float(np.ptp(x)) if len(x) > 1 else 1.0
    return 0.006 * (span or 1.0)


def convoy_chart(path: Path, runs: pd.DataFrame, group: pd.Series, labels: dict, ylabel: str,
                 title: str) -> Path | None:
    """Stacked shares of convoy outcomes (arrived, halted, withdrew, …) per group of runs, one
    horizontal bar per group so that long design-point labels stay readable."""
    columns = [f"convoys_{o}" for o in CONVOY_OUTCOME_COLORS if f"convoys_{o}" in runs.columns]
    if not columns:
        return None
    counts = runs[columns].astype(float).groupby(group.to_numpy()).sum().reindex(list(labels))
    totals = counts.sum(axis=1).replace(0, np.nan)
    shares = counts.div(totals, axis=0).fillna(0.0)
    fig = Figure(figsize=(9.0, 1.9 + 0.32 * len(labels)), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    left = np.zeros(len(shares))
    y = np.arange(len(shares))
    for col in columns:
        outcome = col[len("convoys_"):]
        ax.barh(y, shares[col].to_numpy(), left=left, color=CONVOY_OUTCOME_COLORS[outcome], edgecolor="white",
                lw=0.5, label=outcome.replace("_", " "))
        left += shares[col].to_numpy()
    ax.set_yticks(y, list(labels.values()), fontsize=7.5)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of convoys at the end of the run", fontsize=SMALL)
    ax.set_ylabel(ylabel, fontsize=SMALL)
    legend_below(fig, *ax.get_legend_handles_labels())
    return save(fig, path, title)


def control_difference_map(path: Path, corridor_map, diff: np.ndarray, f: FactionStyle, reference: str, other: str,
                           replicates: int) -> Path:
    """One panel per faction over the map `corridor_map`: `diff` (faction, row, col) is the share of
    replicates in which the faction holds each cell at the end in arm `other` minus that in arm
    `reference` (−1…1), drawn purple (more often in the reference) to orange."""
    rows, cols = corridor_map.shape
    extent = (0.0, cols * corridor_map.cell_km, 0.0, rows * corridor_map.cell_km)
    panels = len(f.ids)
    fig, axes = new_figure(panels, width=6.4, height=6.4 * rows / cols + 0.5, cols=2)
    image = None
    for ax, j in zip(axes, range(panels), strict=True):
        # faint terrain, places named on the first panel only; purple/orange stay clear of the river's blue
        draw_basemap(ax, corridor_map, terrain_alpha=0.25, label_places=j == 0, places_kinds=("city", "town", "crossing"))
        shown = np.ma.masked_where(np.abs(diff[j]) < 1e-12, diff[j])
        image = ax.imshow(shown, cmap="PuOr_r", vmin=-1, vmax=1, extent=extent, origin="upper",
                          interpolation="nearest", zorder=4, alpha=0.9)
        ax.set_title(f"{f.labels[j]}: mean control change", fontsize=9)
    bar = fig.colorbar(image, ax=list(axes), shrink=0.6, location="right")
    bar.set_label(f"share of replicates controlling the cell: {other} − {reference}\n"
                  f"(orange: more often in {other}, purple: more often in {reference})", fontsize=SMALL)
    return save(fig, path, f"Where control differs at the end: {other} − {reference} "
                              f"({replicates} paired replicates)")
