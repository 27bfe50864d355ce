"""Null models of the hindcast's scores, computed from the record alone: what a model that knows
nothing of the corridor's mechanisms would score on the same place-months and the same counts
(pattern-oriented validation is only as strong as the nulls it beats: Grimm et al. 2005; skill
against persistence and climatology is the standard of forecast verification: Wilks 2011,
*Statistical Methods in the Atmospheric Sciences*, ch. 8).

**Persistence** (holders): each place keeps, over the whole window, the holder the record gives
it on its first compared place-month (the first of the window's months on which both the record
and the runs speak about the place). Its agreement is the share of place-months whose record
holder equals that first one. The **changes** are the place-months whose record holder differs
from it: persistence gets none of them right by construction, so the model's share there is the
only holder figure that tests a mechanism.

**Climatology** (monthly counts): each month × region × dyad count is drawn as Poisson with
the mean of its own series (the same region and dyad) over the window's scored months. This null
sees the window's totals, which the model does not. Its 90 % interval is the Poisson's 5 % and 95 %
quantiles (the smallest counts whose cumulative probability reaches 0.05 and 0.95: exact, no
draws, no seed); its coverage is counted as the model's (observed inside the interval, both ends
included, over the same rows). A series that is 0 in every month has the interval [0, 0]: covered
everywhere, as the model's band of zeros is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import poisson

NULL_BAND = (0.05, 0.95)  # the quantiles of the climatology's interval, as the model's BAND


def climatology_band(observed: pd.Series, series) -> tuple[np.ndarray, np.ndarray]:
    """(q05, q95) of the climatology null for each row: `observed` counts (one row per month ×
    region × dyad, NaN-free) and `series` (array-like: the label of each row's series, e.g. its region): the
    Poisson at the mean of the row's series, its quantiles NULL_BAND."""
    mean = observed.groupby(np.asarray(series)).transform("mean").to_numpy(dtype=float)
    return poisson.ppf(NULL_BAND[0], mean), poisson.ppf(NULL_BAND[1], mean)


def holder_baselines(compared: pd.DataFrame) -> dict:
    """The persistence null and the changed place-months. `compared`: one row per place-month
    the model's holder agreement counts, columns ``place``, ``month`` (YYYY-MM), ``observed``
    (the record's holder), ``likely`` (the model's most likely holder). Returns
    ``holder_persistence`` {share, of} over every row and ``holder_changes`` {of: the rows whose
    record holder differs from the place's first row's, share: the model's agreement on them
    (None if there is none), persistence: 0.0}."""
    if compared.empty:
        return {"holder_persistence": {"share": None, "of": 0},
                "holder_changes": {"share": None, "of": 0, "persistence": 0.0}}
    ordered = compared.sort_values(["place", "month"], kind="stable")
    first = ordered.groupby("place")["observed"].transform("first")
    changed = (ordered["observed"] != first).to_numpy()
    model_right = (ordered["likely"] == ordered["observed"]).to_numpy()
    n = int(changed.sum())
    return {"holder_persistence": {"share": float(1.0 - changed.mean()), "of": len(ordered)},
            "holder_changes": {"share": float(model_right[changed].mean()) if n else None, "of": n,
                               "persistence": 0.0}}
