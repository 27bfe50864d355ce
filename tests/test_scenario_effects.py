"""Scientific tests: each what-if scenario moves its outcome in the expected direction,
measured as a paired mean difference against the baseline over seeded replicates (common
random numbers) and required to exceed three standard errors of that difference.

The runs use 2 km cells and 6 h steps to keep the suite fast; tests/test_resolution.py checks
that headline outcomes do not depend on the cell size, and the rates these what-ifs change are
per day at any step length (funding and recruitment, strikes per 30 days: tests/test_economy.py;
ambushes and co-optation: tests/test_mechanisms.py). At 6 h rather than 2 h steps (co-optation: 24 h
rather than 12 h) every effect keeps at least 2 × its 3-s.e. margin over the same 8 seeds
(docs/performance.md, session 6)."""

from __future__ import annotations

import warnings

import pytest

from conftest import paired_difference, replicate_summaries

N = 8
COARSE = (("map.cell_km", 2.0), ("time.step_hours", 6))  # coarse: see the module's docstring
pytestmark = pytest.mark.xdist_group("effects")


def values(scenario: str, key: str, extra: tuple = ()) -> list[float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # places nudged off the river at 2 km
        return [r[key] for r in replicate_summaries(scenario, N, COARSE + extra)]


def assert_effect(scenario: str, key: str, direction: int, what: str, extra: tuple = ()) -> None:
    base, arm = values("baseline.yaml", key, extra), values(scenario, key, extra)
    mean, se = paired_difference(base, arm)
    assert direction * mean > 3 * se and direction * mean > 0, (
        f"{scenario}: expected {what}; mean paired difference in {key} = {mean:+.4g} "
        f"(s.e. {se:.2g}, baseline mean {sum(base) / N:.4g})")


def test_agreement_curtails_iran_shrinks_militia_held_area():
    assert_effect("agreement_curtails_iran.yaml", "area_km2_iran_militia", -1, "less militia-held area")


def test_russian_co_optation_moves_local_militias_to_russia():
    # co-optation takes months (docs/odd.md): 120 days, both arms, at 24 h steps to stay quick
    # (it erodes loyalty per day at any step length: tests/test_mechanisms.py)
    assert_effect("russian_co_optation.yaml", "local_militia_units_russia", +1,
                  "local militia units on the Russian side",
                  extra=(("time.step_hours", 24.0), ("time.duration_days", 120.0)))


def test_airstrike_campaign_lowers_militia_strength():
    assert_effect("airstrike_campaign.yaml", "strength_iran_militia", -1, "lower militia strength")


def test_insurgent_resurgence_grows_insurgent_cells():
    assert_effect("insurgent_resurgence.yaml", "insurgent_cells", +1, "more insurgent cells")
    assert_effect("insurgent_resurgence.yaml", "strength_insurgents", +1, "more insurgent fighters")
