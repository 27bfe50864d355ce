"""The step table in long ("tidy") form, with the unit of every value.

A run's step table (`RunResult.steps`) is wide: one row per recorded step, one column per
observation (`share_russia`, `holder_Albu Kamal`, `tension_iran_militia_russia`, …). The tidy
table has one row per run × step × observation, with what the observation is *about* in
columns of their own, never packed into the metric's name:

========  =======================================================================
run       the run's id ("r000" for replicate 0; sweeps "p001-r000", comparisons "a1-r000")
seed      the run's seed (int64)
step      steps completed (int64; 0 is the initial state)
day       simulated days since the start (float64)
date      the calendar date of that step (ISO YYYY-MM-DD, categorical; day 0 is ``time.start_date``)
faction   the faction the value belongs to; missing (NA) for anything else
place     the place a holder is recorded for ("Albu Kamal"); NA otherwise
pair      the rival pair of a tension or hostility ("iran_militia/russia"); NA otherwise
convoy    the convoy's label ("R1"); NA otherwise
metric    what is measured: "share", "holder", "tension", "contested_share", …
value     the number (float64); NaN for a category (then `state` holds it)
unit      the value's unit ("km²", "share of land (0–1)", "fighters", "1 = open", …)
state     for categories — who holds a place, a convoy's outcome — the text; NA otherwise
========  =======================================================================

Every text column is a pandas ``category`` (a small integer per row): the table is a quarter
of its size with text columns, and ``groupby``/``query`` work as on text. Whole-map values
(``contested_share``, ``ungoverned_share``, ``incidents_<kind>``) have every entity column NA.

Each column's metric, unit and entity column come from the mechanism that records it (its
`Outputs.columns`, sim/outputs.py, gathered by `sim.results.recorder.all_columns`), as
does its line in docs/outputs.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from sim.results.recorder import all_columns

ENTITIES = ("faction", "place", "pair", "convoy")
TIDY_COLUMNS = ("run", "seed", "step", "day", "date", *ENTITIES, "metric", "value", "unit", "state")
CATEGORICAL = ("run", "date", *ENTITIES, "metric", "unit", "state")
INDEX = ("step", "hours", "day", "date")


def _pair(rest: str, faction_ids: list[str]) -> str | None:
    """"a/b" for "<a>_<b>" where a and b are faction ids (ids may hold underscores)."""
    for a in faction_ids:
        if rest.startswith(a + "_") and rest[len(a) + 1:] in faction_ids:
            return f"{a}/{rest[len(a) + 1:]}"
    return None


def describe_column(column: str, faction_ids: list[str]) -> tuple[str, str | None, str, str]:
    """(entity column, entity, metric, unit) of a step-table column: ("faction", "russia",
    "share", …) for `share_russia`, ("place", "Albu Kamal", "holder", …), ("pair",
    "iran_militia/russia", "tension", …), ("convoy", "R1", "convoy_outcome", …), and ("", None,
    column, unit) for a whole-map value. Raises KeyError for a column the table does not have."""
    for c in all_columns():
        prefix, metric, unit, entity = c.prefix, c.metric, c.unit, c.entity
        rest = column[len(prefix):]
        if entity == "" and (column == prefix or (prefix.endswith("_") and column.startswith(prefix))):
            return "", None, column, unit
        if not (column.startswith(prefix) and rest):
            continue
        if entity == "faction" and rest in faction_ids:
            return entity, rest, metric, unit
        if entity == "pair" and (pair := _pair(rest, faction_ids)):
            return entity, pair, metric, unit
        if entity in ("place", "convoy"):
            return entity, rest, metric, unit
    raise KeyError(f"{column}: not a step-table column (see docs/outputs.md)")


def tidy_steps(steps: pd.DataFrame, faction_ids: list[str], *, run: str, seed: int) -> pd.DataFrame:
    """The long form of one run's wide step table (every column but step, hours, day and date):
    `TIDY_COLUMNS`, text as categories."""
    observed = [c for c in steps.columns if c not in INDEX]
    n, k = len(steps), len(observed)
    described = [describe_column(c, faction_ids) for c in observed]
    values = np.full((k, n), np.nan)
    state_codes = np.full((k, n), -1, dtype=np.int32)
    states: dict[str, int] = {}
    for i, column in enumerate(observed):
        if described[i][3].startswith("category"):
            codes, uniques = pd.factorize(steps[column].astype(str), sort=False)
            lookup = np.array([states.setdefault(u, len(states)) for u in uniques], dtype=np.int32)
            state_codes[i] = lookup[codes]
        else:
            values[i] = steps[column].to_numpy(dtype=float)

    def per_row(items: list) -> pd.Categorical:
        """One category per observed column, repeated over its n rows (None: missing)."""
        codes, uniques = pd.factorize(pd.Series(items, dtype=object), use_na_sentinel=True)
        return pd.Categorical.from_codes(np.repeat(codes, n), categories=pd.Index(list(uniques)))

    columns = {
        "run": pd.Categorical.from_codes(np.zeros(n * k, dtype=np.int8), categories=[run]),
        "seed": np.full(n * k, int(seed), dtype=np.int64),
        "step": np.tile(steps["step"].to_numpy(dtype=np.int64), k), "day": np.tile(steps["day"].to_numpy(), k),
        "date": pd.Categorical(np.tile(steps["date"].to_numpy(dtype=object), k)),
        **{e: per_row([d[1] if d[0] == e else None for d in described]) for e in ENTITIES},
        "metric": per_row([d[2] for d in described]), "value": values.ravel(),
        "unit": per_row([d[3] for d in described]),
        "state": pd.Categorical.from_codes(state_codes.ravel(), categories=pd.Index(list(states))),
    }
    return pd.DataFrame(columns, columns=list(TIDY_COLUMNS))


def concat_tidy(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Tidy tables of several runs as one, every categorical column kept categorical (its
    categories the union of the parts', in order of appearance)."""
    if len(parts) == 1:
        return parts[0]
    data = {c: (union_categoricals([p[c] for p in parts]) if isinstance(first.dtype, pd.CategoricalDtype)
                else np.concatenate([p[c].to_numpy() for p in parts]))
            for c, first in parts[0].items()}
    return pd.DataFrame(data, columns=list(parts[0].columns))
