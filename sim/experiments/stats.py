"""Small statistics for experiment reports: intervals for means and shares, and the paired
percentile bootstrap used by what-if comparisons."""

from __future__ import annotations

import numpy as np
from scipy import stats

Z95 = 1.959963984540054


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


def wilson(successes: float, n: int) -> tuple[float, float, float]:
    """(share, low, high): Wilson 95 % interval for a share, sound near 0 and 1 and for small n."""
    if n == 0:
        return np.nan, np.nan, np.nan
    p = successes / n
    z2 = Z95 ** 2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return p, max(0.0, centre - half), min(1.0, centre + half)


def paired_bootstrap(differences, rng: np.random.Generator, resamples: int = 10_000,
                     level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) of paired differences: percentile bootstrap over replicates.

    Replicates are resampled as pairs (the differences), which is what common random numbers
    make valid. Identical differences give a zero-width interval at their value — exactly
    [0, 0] for two identical arms."""
    d = np.asarray(differences, dtype=float)
    if len(d) == 0:
        return np.nan, np.nan, np.nan
    mean = float(d.mean())
    if np.all(d == d[0]):
        return mean, mean, mean
    idx = rng.integers(0, len(d), size=(resamples, len(d)))
    means = d[idx].mean(axis=1)
    alpha = (1 - level) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return mean, float(low), float(high)


def excludes_zero(low: float, high: float) -> bool:
    return bool(low > 0 or high < 0)
