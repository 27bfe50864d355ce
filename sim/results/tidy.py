"""The step table in long ("tidy") form, with the unit of every value.

A run's step table (`RunResult.steps`) is wide: one row per recorded step, one column per
observation (`share_russia`, `holder_Albu Kamal`, …). The tidy table has one row per run × step
× observation:

========  =======================================================================
run       the run's id (text: "r000" for replicate 0; sweeps "p001-r000", comparisons "a1-r000")
seed      the run's seed (int)
step      steps completed (0 is the initial state)
day       simulated days since the start (float)
date      the calendar date of that step (ISO YYYY-MM-DD; day 0 is ``time.start_date``)
faction   the faction id the value belongs to; "" for whole-map values
metric    what is measured (the column name without the faction: "share", "strength", …)
value     the number (float); NaN for a category (then `state` holds it)
unit      the value's unit ("km²", "share of land (0–1)", "fighters", "1 = open", …)
state     for categories — who holds a place, a convoy's state — the text; "" otherwise
========  =======================================================================

`COLUMNS` below is the one list of the step table's columns, their metrics and units; the
documentation of every column is docs/outputs.md (the tests check they agree).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TIDY_COLUMNS = ("run", "seed", "step", "day", "date", "faction", "metric", "value", "unit", "state")
INDEX = ("step", "hours", "day", "date")

#: (column prefix, metric, unit, per faction?) — in the order the step table has them
COLUMNS: tuple[tuple[str, str, str, bool], ...] = (
    ("area_km2_", "area_km2", "km²", True),
    ("share_", "share", "share of land (0–1)", True),
    ("value_share_", "value_share", "share of strategic value (0–1)", True),
    ("strength_", "strength", "fighters", True),
    ("contested_share", "contested_share", "share of land (0–1)", False),
    ("ungoverned_share", "ungoverned_share", "share of land (0–1)", False),
    ("land_bridge_", "land_bridge_open", "1 = open, 0 = cut", True),
    ("tension_", "tension_", "tension units (escalation at tension.escalate_at)", False),
    ("hostile_", "hostile_", "1 = hostile (fighting), 0 = rivals", False),
    ("support_", "support", "share of inhabitants (0–1)", True),
    ("incidents_", "incidents_", "count in the step", False),
    ("holder_", "holder_", "category: faction id, contested or ungoverned", False),
    ("convoy_", "convoy_", "category: convoy outcome so far", False),
)


def describe_column(column: str, faction_ids: list[str]) -> tuple[str, str, str]:
    """(faction, metric, unit) of a step-table column; faction is "" for whole-map values.
    Per-faction columns end in a faction id; incidents, holders and convoys keep their name
    (`incidents_ambush`, `holder_Albu Kamal`, `convoy_R1`) as the metric. Raises KeyError
    for a column the table does not have."""
    for prefix, metric, unit, per_faction in COLUMNS:
        if per_faction and column.startswith(prefix) and column[len(prefix):] in faction_ids:
            return column[len(prefix):], metric, unit
        if not per_faction and (column == prefix or (prefix.endswith("_") and column.startswith(prefix))):
            return "", column, unit
    raise KeyError(f"{column}: not a step-table column (see docs/outputs.md)")


def tidy_steps(steps: pd.DataFrame, faction_ids: list[str], *, run: str, seed: int) -> pd.DataFrame:
    """The long form of one run's wide step table (every column but step, hours, day and date)."""
    observed = [c for c in steps.columns if c not in INDEX]
    n, k = len(steps), len(observed)
    described = [describe_column(c, faction_ids) for c in observed]
    category = np.array([unit.startswith("category") for _, _, unit in described], dtype=bool)
    values = np.full((k, n), np.nan)
    states = np.full((k, n), "", dtype=object)
    for i, column in enumerate(observed):
        if category[i]:
            states[i] = steps[column].astype(str).to_numpy()
        else:
            values[i] = steps[column].to_numpy(dtype=float)
    faction, metric, unit = (np.repeat(np.array([d[j] for d in described], dtype=object), n) for j in range(3))
    return pd.DataFrame({
        "run": run, "seed": int(seed),
        "step": np.tile(steps["step"].to_numpy(), k), "day": np.tile(steps["day"].to_numpy(), k),
        "date": np.tile(steps["date"].to_numpy(), k),
        "faction": faction, "metric": metric, "value": values.ravel(), "unit": unit, "state": states.ravel(),
    }, columns=list(TIDY_COLUMNS))
