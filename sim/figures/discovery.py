"""The chart of a scenario discovery (`sim.experiments.discover`): PRIM's peeling trajectory
(coverage against density, coloured by the number of restricted parameters, the reported box
ringed) beside the reported box drawn over each parameter's range in the sweep."""

from __future__ import annotations

from pathlib import Path

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure

from sim.figures.style import SMALL, stamp
from sim.program.output import write_atomic

BOX_COLOR = "#0072b2"  # Okabe-Ito blue
RANGE_COLOR = "#d9d9d9"


def discovery_chart(path: Path, found) -> Path:
    """Write the two-panel chart of `found` (a `Discovery`) to `path` (PNG); parameters are
    named by their labels in the sweep file (`found.labels`), else by key path."""
    labels = found.labels
    t = found.trajectory
    fig = Figure(figsize=(11, 4.6))
    FigureCanvasAgg(fig)
    ax, bx = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.15]})
    top = int(max(t["res_dim"].max(), 1))
    cmap = matplotlib.colormaps["viridis"].resampled(top + 1)
    norm = BoundaryNorm([k - 0.5 for k in range(top + 2)], cmap.N)
    ax.plot(t["coverage"], t["density"], color="#9e9e9e", lw=0.8, zorder=1)
    points = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap=cmap, norm=norm, s=22,
                        edgecolor="black", linewidth=0.3, zorder=2)
    b = found.box
    ax.scatter([b["coverage"]], [b["density"]], s=160, facecolor="none", edgecolor="#d55e00", lw=2,
               zorder=3, label=f"reported box {found.chosen}: coverage {b['coverage']:.2f}, "
                                f"density {b['density']:.2f}")
    bar = fig.colorbar(points, ax=ax, ticks=range(top + 1))
    bar.set_label("restricted parameters (count)", fontsize=SMALL)
    ax.set_xlabel("coverage (share of the runs where it holds that are in the box)", fontsize=SMALL)
    ax.set_ylabel("density (share of the runs in the box where it holds)", fontsize=SMALL)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(min(0.0, float(t["density"].min())) - 0.02, 1.04)
    ax.set_title("PRIM peeling trajectory", fontsize=SMALL + 2)
    ax.legend(fontsize=SMALL, loc="lower left", frameon=False)
    ax.grid(alpha=0.3)

    params = list(found.ranges)
    for i, p in enumerate(params):
        lo, hi = found.ranges[p]
        span = (hi - lo) or 1.0
        bx.barh(i, 1.0, left=0.0, color=RANGE_COLOR, height=0.5,
                label="range in the sweep" if i == 0 else None)
        if p in found.limits.index:
            row = found.limits.loc[p]
            a, z = (row["min"] - lo) / span, (row["max"] - lo) / span
            bx.barh(i, z - a, left=a, color=BOX_COLOR, height=0.5,
                    label="the box" if p == found.limits.index[0] else None)
            text = f"{_fmt(row['min'])} to {_fmt(row['max'])}"
        else:
            text = "not restricted"
        bx.text(1.02, i, f"{text}  (of {_fmt(lo)} to {_fmt(hi)})", va="center", fontsize=SMALL)
    bx.set_yticks(range(len(params)), [labels.get(p, p) for p in params], fontsize=SMALL)
    bx.invert_yaxis()
    bx.set_xlim(0, 1.75)
    bx.set_xticks([0, 0.5, 1.0], ["min", "middle", "max"], fontsize=SMALL)
    bx.set_xlabel("position in the parameter's range in the sweep", fontsize=SMALL)
    bx.set_title(f"Where '{found.condition}' holds", fontsize=SMALL + 2)
    bx.legend(fontsize=SMALL, loc="upper left", bbox_to_anchor=(0.0, -0.14), ncol=2, frameon=False)
    for spine in ("top", "right"):
        bx.spines[spine].set_visible(False)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    stamp(fig, f"{found.n_true} of {found.n_runs} runs satisfy the condition.")
    return write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=120, format="png"))


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"
