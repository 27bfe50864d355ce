"""Small statistics for experiment reports, from SciPy: intervals for means and shares, and the
paired percentile bootstrap used by what-if comparisons."""

from __future__ import annotations

import numpy as np
from scipy import stats


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): Student-t interval for the mean; (mean, nan, nan) with one value."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return np.nan, np.nan, np.nan
    m = float(x.mean())
    if len(x) < 2:
        return m, np.nan, np.nan
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))
    return m, m - half, m + half


def wilson(successes: float, n: int, level: float = 0.95) -> tuple[float, float, float]:
    """(share, low, high): the Wilson interval for a share (sound near 0 and 1 and for small n),
    from `scipy.stats.binomtest(...).proportion_ci(method="wilson")`; `successes` is a count
    (a float count is rounded). (nan, nan, nan) when n is 0."""
    if n == 0:
        return np.nan, np.nan, np.nan
    k = int(round(float(successes)))
    ci = stats.binomtest(k, int(n)).proportion_ci(confidence_level=level, method="wilson")
    return k / n, float(ci.low), float(ci.high)


def paired_bootstrap(differences, rng: np.random.Generator, resamples: int = 10_000,
                     level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) of paired differences: percentile bootstrap over replicates, by
    `scipy.stats.bootstrap` (method "percentile"; with the same generator it draws the same
    resamples, and so gives the same interval, as the hand-written bootstrap it replaced).

    Replicates are resampled as pairs (the differences), which is what common random numbers
    make valid. Identical differences (or a single one) give a zero-width interval at their
    value — exactly [0, 0] for two identical arms — where SciPy would warn of degenerate data."""
    d = np.asarray(differences, dtype=float)
    if len(d) == 0:
        return np.nan, np.nan, np.nan
    mean = float(d.mean())
    if np.all(d == d[0]):
        return mean, mean, mean
    ci = stats.bootstrap((d,), np.mean, n_resamples=resamples, confidence_level=level,
                         method="percentile", rng=rng).confidence_interval
    return mean, float(ci.low), float(ci.high)


def excludes_zero(low: float, high: float) -> bool:
    return bool(low > 0 or high < 0)
