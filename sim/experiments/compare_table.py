"""The comparison table: for each headline outcome, every arm's mean and its paired difference
from the first arm with a percentile-bootstrap 95 % interval and a verdict
(`sim.experiments.verdict`), and the table as text and Markdown. `sim.experiments.compare`
runs the arms and writes the table with its report.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.experiments.design import BOOTSTRAP_STREAM, derived_rng
from sim.experiments.outcomes import select
from sim.experiments.stats import paired_bootstrap
from sim.experiments.verdict import area_verdict, verdict
from sim.program.disclaimer import DISCLAIMER
from sim.program.errors import UserError

HEADLINE = ("share_*", "area_km2_*", "contested_share", "ungoverned_share", "land_bridge_*_open_share",
            "land_bridge_*_open_at_end", "convoys_arrived", "convoys_halted", "convoys_withdrew",
            "convoys_destroyed", "convoys_en_route", "convoys_not_departed", "strength_*")
RESAMPLES = 10_000


def check_outcome_patterns(names: Sequence[str], patterns: Sequence[str]) -> None:
    """Raise UserError for the first of `patterns` (names or globs) that matches none of the
    outcome `names`, listing them."""
    for p in patterns:
        if not select(list(names), [p]):
            raise UserError(f"--outcomes '{p}' matches no outcome; outcomes are: " + ", ".join(names))


def headline_outcomes(runs: pd.DataFrame, arms: list[str], patterns: Sequence[str] | None = None) -> list[str]:
    """The numeric outcomes every arm has that match `patterns` (names or globs; default
    `HEADLINE`), in the patterns' order, each area (`area_km2_<f>`) right after its share.
    Raises UserError naming a pattern that matches no numeric outcome (`check_outcome_patterns`)."""
    numeric = [c for c in runs.columns
               if (pd.api.types.is_numeric_dtype(runs[c]) or pd.api.types.is_bool_dtype(runs[c]))
               and c not in {"point", "replicate", "seed"}
               and all(runs[c][runs["arm"] == a].notna().all() for a in arms)]
    if patterns is not None:
        check_outcome_patterns(numeric, patterns)
    chosen = select(numeric, list(patterns if patterns is not None else HEADLINE))
    ordered: list[str] = []
    for name in chosen:
        if name.startswith("area_km2_") and f"share_{name[9:]}" in chosen:
            continue  # placed beside its share
        ordered.append(name)
        if name.startswith("share_") and f"area_km2_{name[6:]}" in chosen:
            ordered.append(f"area_km2_{name[6:]}")
    return ordered


def compare_table(runs: pd.DataFrame, arms: list[str], root: int, *, outcomes: Sequence[str] | None = None,
                  lands_km2: Sequence[float] | None = None) -> pd.DataFrame:
    """Per outcome (`headline_outcomes`) and arm: n, mean, sd, and the paired difference from
    the first arm with a percentile-bootstrap 95 % interval (each interval from a fresh generator
    derived from the root seed, so it does not depend on which other outcomes are listed), its
    `verdict` and `excludes_zero` (None where the differences do not vary, or a share's area is
    the same in every pair although the arms' land — `lands_km2`, one per arm — differs:
    `sim.experiments.verdict`)."""
    lands = list(lands_km2) if lands_km2 is not None else [np.nan] * len(arms)
    rows = []
    for outcome in headline_outcomes(runs, arms, outcomes):
        wide = runs.pivot(index="replicate", columns="arm", values=outcome).astype(float)
        reference = wide[arms[0]]
        for k, arm in enumerate(arms):
            values = wide[arm]
            row = {"outcome": outcome, "arm": arm, "n": int(values.notna().sum()), "mean": float(values.mean()),
                   "sd": float(values.std(ddof=1)), "diff_vs_first": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                   "excludes_zero": None, "verdict": "reference"}
            if k:
                differences = (values - reference).to_numpy()
                diff, low, high = paired_bootstrap(differences, derived_rng(root, BOOTSTRAP_STREAM), RESAMPLES)
                said, excluded = verdict(differences, low, high)
                if by_area := area_verdict(outcome, reference.to_numpy(), values.to_numpy(), lands[0], lands[k]):
                    said, excluded = by_area, None
                row.update(diff_vs_first=diff, ci_low=low, ci_high=high, excludes_zero=excluded, verdict=said)
            rows.append(row)
    return pd.DataFrame(rows)


def _num(v: float) -> str:
    return "—" if pd.isna(v) else f"{v:.4g}"


def wide_rows(table: pd.DataFrame, arms: list[str]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the comparison as one line per outcome."""
    header = ["outcome"] + [f"mean {a}" for a in arms]
    for a in arms[1:]:
        header += [f"{a} − {arms[0]} [95 % CI]", "verdict"]
    rows = []
    for outcome, part in table.groupby("outcome", sort=False):
        part = part.set_index("arm")
        row = [outcome] + [_num(part.loc[a, "mean"]) for a in arms]
        for a in arms[1:]:
            r = part.loc[a]
            row += [f"{_num(r['diff_vs_first'])} [{_num(r['ci_low'])}, {_num(r['ci_high'])}]", r["verdict"]]
        rows.append(row)
    return header, rows


def text_table(table: pd.DataFrame, arms: list[str]) -> str:
    header, rows = wide_rows(table, arms)
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    def line(cells):
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def markdown_table(table: pd.DataFrame, arms: list[str]) -> str:
    header, rows = wide_rows(table, arms)
    lines = [f"> {DISCLAIMER}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"
