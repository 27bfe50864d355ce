"""Issue 21, item 6 — the two field reports: a whole-number parameter sampled over [a, b] takes
every whole number with equal weight, and an incident has the same step in events.jsonl as the
row of steps.csv that counts it."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from sim.experiments.design import Design, Parameter, design_points

from conftest import SCENARIOS


@pytest.mark.parametrize("design,n", [(Design("latin_hypercube", samples=3000), 3000),
                                      (Design("sobol", samples=1024), 1024 * (2 + 2))])
def test_whole_number_parameters_take_every_value_with_equal_weight(design, n):
    units = Parameter(key="forces[0].units", label="units", bounds=(1.0, 3.0), integer=True)
    other = Parameter(key="x", label="x", bounds=(0.0, 1.0))
    points, _ = design_points(design, [units, other], root=11)
    counts = Counter(p["forces[0].units"] for p in points)
    assert set(counts) == {1, 2, 3} and len(points) == n
    # each value 1/3 of the draws; 4 binomial standard deviations (LHS and Sobol are closer still)
    tolerance = 4 * math.sqrt(n / 3 * 2 / 3)
    for value in (1, 2, 3):
        assert abs(counts[value] - n / 3) < tolerance, \
            f"expected about {n / 3:.0f} draws of {value} (rounding gives the ends half: 25/50/25 %), got {dict(counts)}"


def test_a_uniform_distribution_with_integer_draws_equally_and_normal_is_rounded():
    uniform = Parameter(key="k", label="k", distribution=("uniform", 0.5, 3.5), integer=True)
    assert [uniform.cast_sampled(v) for v in (0.5, 1.49, 1.51, 2.49, 2.51, 3.5)] == [1, 1, 2, 2, 3, 3]
    normal = Parameter(key="k", label="k", distribution=("normal", 2.0, 1.0), integer=True)
    assert normal.cast_sampled(2.6) == 3 and normal.cast_sampled(1.4) == 1


def test_incidents_have_the_same_step_in_the_event_log_and_the_step_table():
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    loaded = load_scenario(SCENARIOS / "albu_kamal_blockade.yaml",
                           {"time.duration_days": 6, "time.step_hours": 3, "map.cell_km": 3})
    result = CorridorModel(loaded, 5).run()
    steps = result.steps.set_index("step")
    checked = 0
    for entry in result.log.entries:
        column = f"incidents_{entry.kind}"
        if entry.kind == "clash" or column not in steps.columns:
            continue  # the log keeps at most one clash per place and pair every 6 h (docs/outputs.md)
        assert entry.step >= 1, f"no incident before the first step: {entry}"
        assert steps.loc[entry.step, column] >= 1, \
            f"{entry.kind} logged at step {entry.step} but steps.csv counts none in that row"
        assert steps.loc[entry.step, "hours"] == pytest.approx(entry.hours + loaded.spec.time.step_hours), \
            "the row that counts it is the end of the step that started at the incident's hours"
        checked += 1
    assert checked >= 3, f"the scenario logged too few incidents to check ({checked})"
