"""Population and support (sim/population.py, ODD §2 *Population and support*): support follows
control and harm; supportive population scales the manpower refill; grievance feeds insurgent
recruitment."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import coarse_model


def test_support_moves_toward_the_controlling_faction_at_its_rate():
    model = coarse_model("corridor_campaign.yaml")
    pop = model.population
    before = pop.support.copy()
    controlled = pop.controlled_share()
    model.hours = 24.0  # one simulated day later
    pop.update()
    rate = 1 - math.exp(-model.spec.population.control_rate_per_day)
    np.testing.assert_allclose(pop.support, before + rate * (controlled - before), atol=1e-12,
                               err_msg="support should move a share 1 − exp(−r) of the way to the controlled share")


def test_harm_lowers_support_for_the_faction_responsible_and_feeds_grievance():
    model = coarse_model("corridor_campaign.yaml")
    pop = model.population
    t = pop.names.index("Albu Kamal")
    russia = model.factions.index("russia")
    base = coarse_model("corridor_campaign.yaml").population
    for p in (pop, base):
        p.model.hours = 24.0
    pop.harm(pop.towns[t].cell, (russia,), 10.0)
    pop.update()
    base.update()
    lost = base.support[t, russia] - pop.support[t, russia]
    assert lost == pytest.approx(min(base.support[t, russia], 10 * model.spec.population.harm_per_fighter)), (
        "10 fighters killed near the town should cost the faction responsible 10 × harm_per_fighter of support")
    assert pop.grievance[t] > 0 and base.grievance[t] == 0


def test_supportive_population_scales_the_manpower_refill():
    model = coarse_model("corridor_campaign.yaml")
    pop = model.population
    russia = model.factions.index("russia")
    assert pop.refill_factor()[russia] == pytest.approx(1.0)
    pop.support[:, russia] *= 2.0
    assert pop.refill_factor()[russia] == pytest.approx(1.0 + model.spec.population.recruit_weight)


def test_grievance_in_weakly_controlled_towns_raises_insurgent_recruitment():
    model = coarse_model("corridor_campaign.yaml")
    pop = model.population
    assert pop.insurgent_factor() == pytest.approx(1.0)
    pop._controlled = np.zeros_like(pop.support)  # nobody controls any town
    pop.grievance[:] = 0.5
    assert pop.insurgent_factor() == pytest.approx(1.0 + 0.5 * model.spec.population.insurgent_grievance_weight)
