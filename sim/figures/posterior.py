"""Charts of a calibration: the posterior's marginals against the priors, the pair plot, and
the posterior-predictive check (observed statistics against the runs' 90 % intervals).

Colours are Okabe–Ito (colour-blind safe, `sim.figures.style.OKABE_ITO`); parameters are
labelled with their scenario key paths and the units their keys carry in docs/odd.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.figures.many_runs import legend_below, new_figure, save
from sim.figures.style import OKABE_ITO, SMALL

POSTERIOR_COLOR = OKABE_ITO["blue"]
PRIOR_COLOR = OKABE_ITO["orange"]
OBSERVED_COLOR = OKABE_ITO["vermillion"]
MAX_STATISTICS = 40  # statistics drawn in the predictive chart: those with the largest misfit first


def _bins(lo: float, hi: float) -> np.ndarray:
    return np.linspace(lo, hi, 21) if hi > lo else np.linspace(lo - 0.5, lo + 0.5, 21)


def marginals_chart(path: Path, posterior: pd.DataFrame, priors: list, intervals: pd.DataFrame, title: str) -> Path:
    """One panel per parameter: the weighted posterior histogram (density), the prior's density
    over its range, and the 90 % posterior interval."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from scipy import stats

    fig, axes = new_figure(len(priors))
    w = posterior["weight"].to_numpy()
    for ax, p, (_, q) in zip(axes, priors, intervals.iterrows(), strict=True):
        lo, hi = (p.a, p.b) if p.kind != "normal" else (p.a - 3 * p.b, p.a + 3 * p.b)
        x = posterior[p.key].to_numpy(float)
        ax.hist(x, bins=_bins(min(lo, x.min()), max(hi, x.max())), weights=w, density=True, color=POSTERIOR_COLOR,
                alpha=0.6)
        grid = np.linspace(lo, hi, 200)
        dist = {"uniform": stats.uniform(p.a, p.b - p.a), "loguniform": stats.loguniform(p.a, p.b),
                "normal": stats.norm(p.a, p.b)}[p.kind]
        ax.plot(grid, dist.pdf(grid), color=PRIOR_COLOR, lw=1.5)
        ax.axvspan(q["q05"], q["q95"], color=POSTERIOR_COLOR, alpha=0.12)
        ax.set_xlabel(p.key, fontsize=SMALL)
        ax.set_ylabel("density (1 / parameter unit)", fontsize=SMALL)
        ax.tick_params(labelsize=SMALL)
    legend_below(fig, [Patch(color=POSTERIOR_COLOR, alpha=0.6), Line2D([], [], color=PRIOR_COLOR),
                       Patch(color=POSTERIOR_COLOR, alpha=0.12)],
                 ["posterior (weighted particles)", "prior", "90 % posterior interval"])
    return save(fig, path, title)


def pair_plot(path: Path, posterior: pd.DataFrame, priors: list, title: str) -> Path:
    """Every pair of parameters: the particles, sized by weight (the diagonal: histograms)."""
    n = len(priors)
    fig, axes = new_figure(n * n, width=2.6, height=2.4, cols=n)
    w = posterior["weight"].to_numpy()
    size = 6 + 60 * w / w.max()
    for i, pi in enumerate(priors):
        for j, pj in enumerate(priors):
            ax = axes[i * n + j]
            if i == j:
                ax.hist(posterior[pi.key], bins=15, weights=w, color=POSTERIOR_COLOR, alpha=0.7)
                ax.set_ylabel("weight", fontsize=SMALL)
            else:
                ax.scatter(posterior[pj.key], posterior[pi.key], s=size, color=POSTERIOR_COLOR, alpha=0.5,
                           edgecolors="none")
                ax.set_ylabel(pi.key, fontsize=SMALL - 1)
            ax.set_xlabel(pj.key, fontsize=SMALL - 1)
            ax.tick_params(labelsize=SMALL - 1)
    return save(fig, path, title)


def predictive_chart(path: Path, predictive: pd.DataFrame, replicates: int, title: str) -> Path:
    """Observed statistics (points) against the posterior-predictive median and 90 % interval
    of `replicates` runs (bars), the worst-fitting MAX_STATISTICS first."""
    from matplotlib.lines import Line2D

    spread = (predictive["q95"] - predictive["q05"]).clip(lower=1e-9)
    misfit = (predictive["observed"] - predictive["median"]).abs() / spread
    shown = predictive.assign(misfit=misfit).sort_values("misfit", ascending=False).head(MAX_STATISTICS)
    fig, axes = new_figure(1, width=9.0, height=max(2.5, 0.22 * len(shown) + 1.0), cols=1)
    ax = axes[0]
    y = np.arange(len(shown))
    ax.hlines(y, shown["q05"], shown["q95"], color=POSTERIOR_COLOR, lw=4, alpha=0.5)
    ax.plot(shown["median"], y, "|", color=POSTERIOR_COLOR, ms=10)
    ax.plot(shown["observed"], y, "o", color=OBSERVED_COLOR, ms=4)
    ax.set_yticks(y, shown["statistic"], fontsize=SMALL - 1)
    ax.invert_yaxis()
    ax.set_xlabel("value of the statistic (its own unit: events, deaths, share, count)", fontsize=SMALL)
    ax.tick_params(labelsize=SMALL)
    legend_below(fig, [Line2D([], [], color=POSTERIOR_COLOR, lw=4, alpha=0.5),
                       Line2D([], [], color=POSTERIOR_COLOR, marker="|", ls="none", ms=10),
                       Line2D([], [], color=OBSERVED_COLOR, marker="o", ls="none")],
                 [f"90 % interval of {replicates} runs at posterior draws", "their median", "observed"])
    return save(fig, path, title)
