"""The same scenario at another cell size or step length gives statistically similar headline
outcomes: the difference of means stays within 3.5 standard errors of that difference."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from conftest import replicate_summaries

N = 8
BASE = (("time.duration_days", 8),)
KEYS = ("share_iran_militia", "share_coalition", "ungoverned_share", "strength_iran_militia",
        "strength_insurgents")
pytestmark = pytest.mark.xdist_group("resolution")


def runs(*overrides):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # places nudged off the river at 2 km
        return replicate_summaries("albu_kamal_blockade.yaml", N, BASE + overrides)


@pytest.mark.slow  # two scenarios at three resolutions: `make verify`
@pytest.mark.parametrize("change", [(("map.cell_km", 2.0),), (("time.step_hours", 2.0),)],
                         ids=["2 km cells", "2 h steps"])
def test_headline_outcomes_do_not_depend_on_resolution(change):
    reference, changed = runs(), runs(*change)
    for key in KEYS:
        a = np.array([r[key] for r in reference], dtype=float)
        b = np.array([r[key] for r in changed], dtype=float)
        se = np.sqrt(a.var(ddof=1) / N + b.var(ddof=1) / N)
        diff = b.mean() - a.mean()
        assert abs(diff) <= 3.5 * se + 1e-9, (
            f"{key}: {a.mean():.4g} at the reference resolution vs {b.mean():.4g} with {change[0][0]} = "
            f"{change[0][1]} (difference {diff:+.3g}, allowed ±{3.5 * se:.3g} = 3.5 s.e.)")
    withdrew = [sum(r["convoy_R1"] == "withdrew" for r in rs) for rs in (reference, changed)]
    assert abs(withdrew[0] - withdrew[1]) <= 3, f"convoy withdrawals {withdrew[0]}/{N} vs {withdrew[1]}/{N}"
