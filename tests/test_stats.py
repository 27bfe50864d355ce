"""The experiment statistics (sim/experiments/stats.py) give the textbook figures."""

import numpy as np
import pytest

from sim.experiments.stats import paired_bootstrap, wilson


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (3, 10, 0.10779, 0.60322),   # Wilson score interval, 95 %: Newcombe (1998), Agresti & Coull (1998)
    (0, 5, 0.0, 0.43448),
    (10, 10, 0.72247, 1.0),
])
def test_wilson_interval_matches_the_formula(k, n, low, high):
    share, lo, hi = wilson(k, n)
    assert share == k / n
    assert (lo, hi) == pytest.approx((low, high), abs=1e-5), f"Wilson interval of {k}/{n}"
    assert np.isnan(wilson(0, 0)[0])


def test_paired_bootstrap_is_the_percentile_interval_of_resampled_means():
    d = np.random.default_rng(5).normal(0.3, 1.0, 20)
    mean, low, high = paired_bootstrap(d, np.random.default_rng(7), resamples=4000)
    # the percentile bootstrap written out: resample replicates with replacement, take quantiles
    idx = np.random.default_rng(7).integers(0, len(d), size=(4000, len(d)))
    expected = np.quantile(d[idx].mean(axis=1), [0.025, 0.975])
    assert mean == pytest.approx(d.mean())
    assert (low, high) == pytest.approx(tuple(expected), rel=1e-12), \
        "scipy.stats.bootstrap should draw the same resamples as the written-out bootstrap"
