"""Sensitivity analysis over a sweep file's bounds: Morris screening or Sobol indices (SALib).

The design points run like any sweep (same engines, resumable, common random numbers: replicate
r has the same seed at every point, so an elementary effect measures the parameter, not the
luck); each point's outcome is the mean over its replicates. Morris gives mu* (mean absolute
elementary effect, in outcome units per full range of the parameter) and sigma (their spread:
interactions or non-linearity), with bootstrap 95 % intervals; Sobol gives first-order (S1) and
total (ST) indices with SALib's 95 % intervals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.experiments.design import (
    ANALYSIS_STREAM,
    SENSITIVITY_DESIGNS,
    derived_rng,
    derived_seed,
    salib_problem,
)
from sim.experiments.sweep import (
    SweepResult,
    factions_of,
    numeric_outcomes,
    run_sweep,
)
from sim.experiments.sweepfile import SweepPlan
from sim.figures import many_runs as ch
from sim.program.disclaimer import DISCLAIMER
from sim.program.output import write_atomic, write_text_atomic

RESAMPLES = 1000


@dataclass
class SensitivityResult:
    sweep: SweepResult
    table: pd.DataFrame  # one row per outcome × parameter
    charts: list[tuple[str, str]]


def run_sensitivity(path: str | Path, *, out: Path | None = None, workers: int | None = None,
                    dask: str | None = None, resume: bool = False, force: bool = False, progress: bool = True,
                    charts: bool = True, log: Callable[[str], None] | None = None,
                    add_replicates: int | None = None) -> SensitivityResult:
    """Run a Morris or Sobol sweep and write its sensitivity indices, table and charts (into the
    sweep's folder while it is still locked, before its manifest says complete);
    `add_replicates` N extends a finished one by N replicates per point and redoes the indices."""
    written: list[tuple[pd.DataFrame, list[tuple[str, str]]]] = []

    def analyse(sweep: SweepResult) -> list[str]:
        table, made, text = write_indices(sweep, charts)
        written.append((table, made))
        return ["## Sensitivity", "", text.split("\n", 2)[2]] + [f"![{c}]({n})\n" for n, c in made]

    sweep = run_sweep(path, out=out, workers=workers, dask=dask, resume=resume, force=force, progress=progress,
                      charts=charts, require=SENSITIVITY_DESIGNS, log=log, analyse=analyse, analysis="sensitivity",
                      add_replicates=add_replicates)
    (table, made), = written
    return SensitivityResult(sweep=sweep, table=table, charts=made)


def write_indices(sweep: SweepResult, charts: bool) -> tuple[pd.DataFrame, list[tuple[str, str]], str]:
    """Write sensitivity.csv, sensitivity.md and (with `charts`) a chart per outcome that
    varies into the sweep's folder; returns the table (one row per outcome × parameter), the
    charts made (file name, caption) and the Markdown text."""
    plan, folder = sweep.plan, sweep.folder
    runs = pd.read_parquet(folder / "runs.parquet")
    id_columns = {"run_id", "point", "replicate", "seed", *(p.key for p in plan.parameters)}
    outcomes = numeric_outcomes(runs, [c for c in runs.columns if c not in id_columns])
    table = indices(plan, runs, outcomes)
    write_atomic(folder / "sensitivity.csv", lambda tmp: table.to_csv(tmp, index=False))
    made: list[tuple[str, str]] = []
    if charts:
        f = factions_of(folder, runs["run_id"].iloc[0])
        for outcome, part in table.groupby("outcome", sort=False):
            if part["varies"].iloc[0]:
                name = f"sensitivity_{ch.slug(outcome)}.png"
                index_chart(folder / name, plan, part, ch.describe(outcome, f))
                made.append((name, f"sensitivity of {outcome}: {'mu* and sigma' if plan.design.kind == 'morris' else 'S1 and ST'} "
                                   "with 95 % intervals"))
    text = markdown(plan, table)
    write_text_atomic(folder / "sensitivity.md", text)
    return table, made, text


def point_means(runs: pd.DataFrame, outcome: str, n_points: int) -> np.ndarray:
    """The outcome at each design point: the mean over its replicates, in design order."""
    means = runs.assign(_y=runs[outcome].astype(float)).groupby("point")["_y"].mean()
    return means.reindex(range(n_points)).to_numpy()


def indices(plan: SweepPlan, runs: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    problem = salib_problem(plan.parameters)
    rows = []
    for outcome in outcomes:
        y = point_means(runs, outcome, len(plan.points))
        varies = bool(np.ptp(y) > 0)
        if plan.design.kind == "morris":
            found = morris_indices(plan, problem, y)
        else:
            found = sobol_indices(plan, problem, y) if varies else [
                {"S1": np.nan, "S1_low": np.nan, "S1_high": np.nan, "ST": np.nan, "ST_low": np.nan,
                 "ST_high": np.nan} for _ in plan.parameters]
        for p, values in zip(plan.parameters, found, strict=True):
            rows.append({"outcome": outcome, "parameter": p.key, "label": p.label, "varies": varies, **values})
    return pd.DataFrame(rows)


def elementary_effects(raw: np.ndarray, y: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """(parameter, trajectory) elementary effects in outcome units per full range, as SALib's
    Morris analysis defines them: each step of a trajectory moves one parameter by ±delta."""
    k = raw.shape[1]
    unit = (raw - bounds[:, 0]) / (bounds[:, 1] - bounds[:, 0])
    n_traj = len(y) // (k + 1)
    effects = np.zeros((k, n_traj))
    for t in range(n_traj):
        rows = slice(t * (k + 1), (t + 1) * (k + 1))
        du = np.diff(unit[rows], axis=0)
        dy = np.diff(y[rows])
        moved = np.argmax(np.abs(du), axis=1)
        effects[moved, t] = dy / du[np.arange(k), moved]
    return effects


def morris_indices(plan: SweepPlan, problem: dict, y: np.ndarray) -> list[dict]:
    from SALib.analyze import morris

    result = morris.analyze(problem, plan.raw, y, num_resamples=RESAMPLES, conf_level=0.95,
                            num_levels=plan.design.levels, seed=derived_seed(plan.seed, ANALYSIS_STREAM))
    effects = elementary_effects(plan.raw, y, np.array(problem["bounds"], dtype=float))
    rng = derived_rng(plan.seed, ANALYSIS_STREAM)
    picks = rng.integers(0, effects.shape[1], size=(RESAMPLES, effects.shape[1]))
    sigmas = effects[:, picks].std(axis=2, ddof=1)  # (parameter, resample)
    low, high = np.quantile(sigmas, [0.025, 0.975], axis=1)
    out = []
    for j in range(len(problem["names"])):
        half = float(result["mu_star_conf"][j])
        out.append({"mu": float(result["mu"][j]), "mu_star": float(result["mu_star"][j]),
                    "mu_star_low": max(0.0, float(result["mu_star"][j]) - half),
                    "mu_star_high": float(result["mu_star"][j]) + half,
                    "sigma": float(result["sigma"][j]), "sigma_low": float(low[j]), "sigma_high": float(high[j])})
    return out


def sobol_indices(plan: SweepPlan, problem: dict, y: np.ndarray) -> list[dict]:
    from SALib.analyze import sobol

    result = sobol.analyze(problem, y, calc_second_order=False, num_resamples=RESAMPLES, conf_level=0.95,
                           seed=derived_seed(plan.seed, ANALYSIS_STREAM))
    out = []
    for j in range(len(problem["names"])):
        s1, s1c, st, stc = (float(result[k][j]) for k in ("S1", "S1_conf", "ST", "ST_conf"))
        out.append({"S1": s1, "S1_low": s1 - s1c, "S1_high": s1 + s1c, "ST": st, "ST_low": st - stc,
                    "ST_high": st + stc})
    return out


def index_chart(path: Path, plan: SweepPlan, part: pd.DataFrame, what: str) -> Path:
    """Bars of the indices per parameter with their 95 % intervals."""
    if plan.design.kind == "morris":
        series = [("mu_star", "mu* (mean |elementary effect|)", "#37474f"), ("sigma", "sigma (spread of effects)", "#90a4ae")]
        xlabel = f"effect on the outcome per full range of the parameter\n({what})"
    else:
        series = [("S1", "S1 (first order)", "#37474f"), ("ST", "ST (total)", "#90a4ae")]
        xlabel = "share of the outcome's variance"
    fig = Figure(figsize=(8.5, 1.8 + 0.55 * len(part) * len(series) / 2), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    y = np.arange(len(part))
    height = 0.8 / len(series)
    for i, (key, label, color) in enumerate(series):
        values = part[key].to_numpy(dtype=float)
        err = np.abs(np.vstack([values - part[f"{key}_low"].to_numpy(dtype=float),
                                part[f"{key}_high"].to_numpy(dtype=float) - values]))
        ax.barh(y + (i - (len(series) - 1) / 2) * height, values, height=height, color=color, label=label,
                xerr=np.nan_to_num(err), capsize=3, error_kw={"lw": 1})
    ax.set_yticks(y, part["label"].tolist(), fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.6)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    ch.legend_below(fig, *ax.get_legend_handles_labels())
    kind = "Morris screening" if plan.design.kind == "morris" else "Sobol indices"
    return ch.save(fig, path, f"{plan.name}: {kind} for {what} (95 % intervals)")


def markdown(plan: SweepPlan, table: pd.DataFrame) -> str:
    def num(v):
        return "—" if pd.isna(v) else f"{v:.3g}"

    if plan.design.kind == "morris":
        head = ["outcome", "parameter", "mu*", "mu* 95 % CI", "sigma", "sigma 95 % CI"]
        cells = [[r.outcome, r.label, num(r.mu_star), f"[{num(r.mu_star_low)}, {num(r.mu_star_high)}]",
                  num(r.sigma), f"[{num(r.sigma_low)}, {num(r.sigma_high)}]"] for r in table.itertuples()]
        note = ("mu* is the mean absolute change in the outcome (mean over replicates) when the parameter moves "
                "across its whole range, one step at a time; sigma is the spread of those changes.")
    else:
        head = ["outcome", "parameter", "S1", "S1 95 % CI", "ST", "ST 95 % CI"]
        cells = [[r.outcome, r.label, num(r.S1), f"[{num(r.S1_low)}, {num(r.S1_high)}]", num(r.ST),
                  f"[{num(r.ST_low)}, {num(r.ST_high)}]"] for r in table.itertuples()]
        note = "S1: share of the outcome's variance due to the parameter alone; ST: including its interactions."
    lines = [f"> {DISCLAIMER}", "", note, "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(c) + " |" for c in cells]
    if not table["varies"].all():
        flat = sorted(set(table.loc[~table["varies"], "outcome"]))
        lines += ["", "Outcomes the same at every design point (indices zero or undefined): " + ", ".join(flat)]
    return "\n".join(lines) + "\n"
