"""The hindcast's charts (`sim.hindcast.report`): the record against the replicates.

* events per month by region: the record's counts as black points, the replicates' median as a
  line and their 90 % band shaded, one panel per region, dated x axis;
* air strikes per month, the same way;
* event density: where events happened, the record beside the replicates' mean per run, on
  the same grid of 0.1° cells and the same colour scale;
* holders: per place (rows) and month (columns), the record's holder beside the model's most
  likely holder, shaded by its probability.

Colours: Okabe–Ito for the lines and the holders (sim.figures.style), cividis for densities.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm, to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.figures.many_runs import legend_below, new_figure, save
from sim.figures.style import OKABE_ITO, SMALL
from sim.hindcast.patterns import HOLDERS
from sim.hindcast.regions import REGION_GROUPS, REGION_LABELS, REGIONS

HOLDER_COLORS = {"government_russia": OKABE_ITO["blue"], "iran_militia": OKABE_ITO["bluish green"],
                 "isis": OKABE_ITO["black"], "sdf_coalition": OKABE_ITO["vermillion"],
                 "iraq_pmf": OKABE_ITO["reddish purple"], "contested": "#9e9e9e", "ungoverned": "#f5f5f5"}
MEDIAN = dict(color=OKABE_ITO["blue"], lw=1.6)
BAND_FILL = dict(color=OKABE_ITO["sky blue"], alpha=0.45, lw=0)
OBSERVED = dict(color="black", marker="o", ms=4, ls="none")
DENSITY_DEG = 0.1  # cell of the density maps (degrees)


def _rows(table: pd.DataFrame, prefix: str, suffix: str) -> pd.DataFrame:
    sel = table["key"].str.startswith(prefix) & table["key"].str.endswith(suffix)
    rows = table[sel].copy()
    rows["month"] = pd.to_datetime(rows["key"].str.split("|").str[1] + "-15")
    return rows


def _band_panel(ax, rows: pd.DataFrame, ylabel: str) -> None:
    ax.fill_between(rows["month"], rows["q05"], rows["q95"], **BAND_FILL)
    ax.plot(rows["month"], rows["median"], **MEDIAN)
    ax.plot(rows["month"], rows["observed"], **OBSERVED)
    ax.set_ylabel(ylabel, fontsize=SMALL)
    ax.set_ylim(bottom=0)
    few = len(rows) <= 8
    ax.xaxis.set_major_locator(mdates.MonthLocator() if few else mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.tick_params(labelsize=SMALL)


def _legend(fig) -> None:
    handles = [Line2D([], [], **OBSERVED), Line2D([], [], **MEDIAN), Patch(**BAND_FILL)]
    legend_below(fig, handles, ["record (UCDP GED and the history)", "simulated median",
                                "simulated 90 % band (5–95 % of replicates)"])


def draw_events_by_region(folder: Path, table: pd.DataFrame, window, replicates: int) -> list[str]:
    """events_<region>.png for each region and the whole map, and strikes.png; returns the names."""
    names = []
    for region in (*REGIONS, *REGION_GROUPS, "all"):
        rows = _rows(table, "events|", f"|{region}|all")
        fig, (ax,) = new_figure(1, width=8.5, height=3.4)
        _band_panel(ax, rows, "violent events per month")
        ax.set_xlabel("month (point at mid-month)", fontsize=SMALL)
        _legend(fig)
        name = f"events_{region}.png"
        unseen = bool(len(rows)) and rows["observed"].isna().all()  # outside the countries the record covers
        if unseen:  # nothing to draw (the runs' events there are left out too): the window on the axis, not 1970
            ax.set_xlim(pd.Timestamp(window.start), pd.Timestamp(window.end))
            ax.set_ylim(0, 1)
            ax.text(0.5, 0.5, "not observed: outside the countries the record covers", transform=ax.transAxes,
                    ha="center", va="center", fontsize=SMALL)
        save(fig, folder / name, f"Violent events per month, {REGION_LABELS[region]}: "
             + ("not observed (the record does not cover it), nothing to compare" if unseen else
                f"record against {replicates} replicates, {window.start} to {window.end} (air strikes apart)"))
        names.append(name)
    rows = _rows(table, "strikes|", "")
    fig, (ax,) = new_figure(1, width=8.5, height=3.2)
    _band_panel(ax, rows, "air strikes per month")
    ax.set_xlabel("month (point at mid-month)", fontsize=SMALL)
    _legend(fig)
    save(fig, folder / "strikes.png", f"Air strikes per month: record against {replicates} replicates")
    names.append("strikes.png")
    return names


def _density(lon, lat, edges) -> np.ndarray:
    counts, _, _ = np.histogram2d(np.asarray(lat, dtype=float), np.asarray(lon, dtype=float), bins=[edges[1], edges[0]])
    return counts[::-1]  # north up


def draw_event_density(path: Path, corridor_map, observed: pd.DataFrame, simulated: pd.DataFrame, replicates: int,
                       window) -> Path:
    """Two maps on one grid of DENSITY_DEG cells: the record's events (air strikes included)
    and the replicates' events per run; log colour scale, empty cells clear."""
    west, south, east, north = corridor_map.projection.extent
    edges = (np.arange(west, east + DENSITY_DEG, DENSITY_DEG), np.arange(south, north + DENSITY_DEG, DENSITY_DEG))
    obs = _density(observed["lon"], observed["lat"], edges)
    sim = _density(simulated["lon"], simulated["lat"], edges) / max(replicates, 1)
    top = max(obs.max(), sim.max(), 1.0)
    fig, axes = new_figure(2, width=5.4, height=3.8, cols=2)
    image = None
    for ax, grid, title in ((axes[0], obs, f"record: {len(observed)} events"),
                            (axes[1], sim, f"model: {len(simulated) / max(replicates, 1):.1f} events per run")):
        shown = np.ma.masked_where(grid <= 0, grid)
        image = ax.imshow(shown, extent=(edges[0][0], edges[0][-1], edges[1][0], edges[1][-1]), cmap="cividis",
                          norm=LogNorm(vmin=min(0.1, top), vmax=top), interpolation="nearest")
        for name in ("Deir ez-Zor", "Al-Mayadeen", "Hajin", "Albu Kamal", "Al-Qa'im"):
            try:
                p = corridor_map.find_place(name)
            except KeyError:
                continue
            ax.plot(p.lon, p.lat, marker="s", ms=3, color=OKABE_ITO["vermillion"])
            ax.annotate(p.name, (p.lon, p.lat), xytext=(3, 3), textcoords="offset points", fontsize=SMALL - 1)
        ax.set_xlim(west, east)
        ax.set_ylim(south, north)
        ax.set_aspect(1.0 / np.cos(np.radians((south + north) / 2.0)))  # km look like km
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("longitude (°E)", fontsize=SMALL)
        ax.set_ylabel("latitude (°N)", fontsize=SMALL)
        ax.tick_params(labelsize=SMALL)
    bar = fig.colorbar(image, ax=list(axes), shrink=0.8, location="right")
    bar.set_label(f"violent events per {DENSITY_DEG:g}° cell (model: per run; clear = none)", fontsize=SMALL)
    return save(fig, path, f"Where violent events happened, {window.start} to {window.end}: record against "
                f"the mean of {replicates} replicates")


def draw_holders(path: Path, table: pd.DataFrame, window, replicates: int) -> Path:
    """Per place and month: the record's holder (left) and the model's most likely holder shaded
    by its probability (right); grey hatching where the record does not say. A window holding no
    1st of a month has no holder rows in `table`: the panels say so."""
    rows = table[table["key"].str.startswith("holder|")]
    parts = rows["key"].str.split("|", expand=True).reindex(columns=range(4))  # 4 columns even with no rows
    months = sorted(parts[1].unique())
    places = list(dict.fromkeys(parts[2]))
    known = [p for p in places if rows[parts[2] == p]["observed"].notna().any()]
    places = known or places
    rgb_obs = np.ones((len(places), len(months), 4))
    rgb_sim = np.ones((len(places), len(months), 4))

    for i, place in enumerate(places):
        for j, month in enumerate(months):
            cell = rows[(parts[1] == month).to_numpy() & (parts[2] == place).to_numpy()]
            holders = cell["key"].str.rsplit("|", n=1).str[1].to_numpy()
            obs = cell["observed"].to_numpy()
            if not np.isnan(obs).any():
                rgb_obs[i, j] = to_rgba(HOLDER_COLORS[holders[int(np.argmax(obs))]])
            else:
                rgb_obs[i, j] = (1, 1, 1, 0)
            mean = cell["mean"].to_numpy()
            if not np.isnan(mean).all():
                k = int(np.nanargmax(mean))
                rgb_sim[i, j] = to_rgba(HOLDER_COLORS[holders[k]], alpha=float(np.clip(mean[k], 0.15, 1.0)))
            else:
                rgb_sim[i, j] = (1, 1, 1, 0)
    fig, axes = new_figure(2, width=5.0, height=0.22 * len(places) + 1.6, cols=2)
    for ax, rgb, title in ((axes[0], rgb_obs, "record: holder on the 1st of the month"),
                           (axes[1], rgb_sim, "model: most likely holder (opacity = its probability)")):
        ax.set_facecolor("#e0e0e0")
        if not months:  # holders are compared on the 1st of each month, and the window holds none
            ax.text(0.5, 0.5, "no 1st of a month in the window:\nno holders to compare", transform=ax.transAxes,
                    ha="center", va="center", fontsize=SMALL)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(title, fontsize=9)
            continue
        ax.imshow(rgb, aspect="auto", interpolation="nearest")
        ax.set_yticks(range(len(places)), places if ax is axes[0] else [""] * len(places), fontsize=SMALL - 1)
        step = max(1, len(months) // 8)
        ax.set_xticks(range(0, len(months), step), [months[k] for k in range(0, len(months), step)],
                      fontsize=SMALL - 1, rotation=45, ha="right")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("month", fontsize=SMALL)
    handles = [Patch(color=HOLDER_COLORS[h]) for h in HOLDERS] + [Patch(color="#e0e0e0")]
    legend_below(fig, handles, [*HOLDERS, "unknown (record silent / run not reached)"])
    return save(fig, path, f"Who held each place, {window.start} to {window.end}: the record against the model's "
                f"probability ({replicates} replicates)")
