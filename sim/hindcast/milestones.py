"""The hindcast's milestones, run by run: did the ISIS pocket stand until the offensive, when did
its first objective fall, did rivals turn hostile — read from each run's daily series (``date``,
``holder_<place>``, ``hostile_<a>_<b>``) and summarised over the replicates.

The pocket is the scenario's offensive (``rules.offensive``): its objectives, its launch
(``from_day`` after ``time.start_date``). A run's pocket **stood** if every objective's holder,
as the record names it (the mapping's ``model`` section), was ``isis`` on every kept day before
the launch. Its first objective (Hajin in ``corridor_2017_2019``) **fell** on the day the
offensive took it (the run's outcome ``offensive.day_taken.<place>``: the column close and no
defender left in reach; None: not within the run) — the record's date of a town's capture; and
ISIS **lost the hold** on it on the first kept day on or after the launch on which the holder
rule (the footprint, or the local force ratio around it) no longer gave it to ``isis``, which
can come well before the capture while the defenders still fight. A pair of rivals was
**hostile by** the window's end if its ``hostile_<a>_<b>`` flag was 1 on any kept day up to
then. A scenario without an offensive has no pocket figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.experiments.stats import wilson
from sim.hindcast.record import Mapping, Window

POCKET_HOLDER = "isis"  # the record's code of the pocket's defender


@dataclass(frozen=True)
class Pocket:
    """The offensive against the pocket: its objectives (place names, in order) and launch date."""

    objectives: tuple[str, ...]
    launch: dt.date
    start: dt.date  # the run's first day (time.start_date)

    @classmethod
    def of(cls, loaded) -> Pocket | None:
        """The pocket of a loaded scenario, None if it has no offensive."""
        rule = loaded.resolved.get("rules", {}).get("offensive")
        if not rule:
            return None
        start = loaded.spec.time.start_date
        start = start.date() if isinstance(start, dt.datetime) else start
        return cls(tuple(rule["objectives"]), start + dt.timedelta(days=float(rule["from_day"])), start)


def run_milestones(series: pd.DataFrame, pocket: Pocket | None, window: Window, mapping: Mapping,
                   outcomes: dict | None = None) -> dict:
    """One run's milestones from its kept rows (`series`: ``date`` ISO strings, ``holder_<place>``
    model faction ids, ``hostile_<a>_<b>`` 0/1) and its final `outcomes` (``offensive.day_taken.
    <place>``, days; NaN or missing: not taken): ``pocket_stood`` (bool, or None without a pocket
    or a day before the launch), ``fell`` and ``lost_hold`` (ISO dates or None) and
    ``hostile|<a>_<b>`` (0/1 by the window's end)."""
    dates = series["date"].astype(str).to_numpy()
    out: dict = {}
    if pocket is not None:
        launch = pocket.launch.isoformat()
        before = dates < launch
        held = {p: np.array([mapping.model_faction(str(h)) == POCKET_HOLDER for h in series[f"holder_{p}"]])
                for p in pocket.objectives if f"holder_{p}" in series.columns}
        out["pocket_stood"] = bool(all(h[before].all() for h in held.values())) if before.any() and held else None
        first = held.get(pocket.objectives[0])
        lost = np.flatnonzero(~before & ~first) if first is not None else np.array([], int)
        out["lost_hold"] = str(dates[lost[0]]) if len(lost) else None
        day = float((outcomes or {}).get(f"offensive.day_taken.{pocket.objectives[0]}", np.nan))
        out["fell"] = (pocket.start + dt.timedelta(days=int(day))).isoformat() if np.isfinite(day) else None
    upto = dates <= window.end.isoformat()
    for col in (c for c in series.columns if c.startswith("hostile_")):
        out[f"hostile|{col[len('hostile_'):]}"] = float(np.nanmax(series[col].to_numpy(float)[upto], initial=0.0))
    return out


def summarise_milestones(runs: list[dict], pocket: Pocket | None, window: Window) -> dict:
    """Over the replicates (`runs`: `run_milestones` dicts): the share of runs whose pocket stood,
    the fall dates and the dates ISIS lost the hold (sorted) and their medians over all runs, and per pair of
    rivals the share hostile by the end of `window` (cut to the days the runs simulate: `Window.within`)
    with its Wilson 95 % interval."""
    n = len(runs)
    out: dict = {}
    if pocket is not None and n:
        stood = [r["pocket_stood"] for r in runs if r.get("pocket_stood") is not None]
        falls = sorted(r["fell"] for r in runs if r.get("fell"))
        lost = sorted(r["lost_hold"] for r in runs if r.get("lost_hold"))
        out["pocket"] = {"objectives": list(pocket.objectives), "launch": pocket.launch.isoformat(),
                         "stood": sum(stood), "of": len(stood), "fell": falls, "not_fallen": n - len(falls),
                         "median_fall": _median_day(falls, n), "lost_hold": lost,
                         "median_lost_hold": _median_day(lost, n)}
    for key in sorted({k for r in runs for k in r if k.startswith("hostile|")}):
        k = int(sum(r.get(key, 0.0) for r in runs))
        p, lo, hi = wilson(float(k), n)
        out[key] = {"runs": k, "of": n, "share": p, "low": lo, "high": hi, "by": window.end.isoformat()}
    return out


def _median_day(days: list[str], n: int) -> str | None:
    """The median run's date: runs without one count as later than any (None if that is the median)."""
    return days[(n - 1) // 2] if (n - 1) // 2 < len(days) else None
