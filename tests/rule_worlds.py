"""Small worlds for the control rules' tests (sim/rules/, ODD §3.3), on tests/worlds.py: a
co-optation pair a chosen distance apart, three targets of an airstrike on a desert row, and the rule of
a kind in a model."""

from __future__ import annotations

from worlds import east, open_row, units_of, world

PAY = {"a": {"pay_usd_per_fighter_month": 150}, "b": {"pay_usd_per_fighter_month": 300}}


def rule(model, kind: str):
    """The model's (first) rule of kind `kind`."""
    return next(r for r in model.rules if r.name == kind)


def co_opting(tmp_path, *, km: float, step_hours=1.0, loyalty=0.7, **params):
    """a's local militia and b's militia `km` apart on a desert row; b co-opts a's militias."""
    forces = [{"kind": "local_militia", "faction": "a", "units": 1, "strength": 25, "loyalty": loyalty,
               "deploy": {"near": "Albu Kamal", "radius_km": 10}},
              {"kind": "militia", "faction": "b", "units": 1, "strength": 50,
               "deploy": {"near": "Albu Kamal", "radius_km": 10}}]
    rules = {"co_optation": {"by": "b", "from": ["a"], "radius_km": 20, "erosion_per_day": 0.1,
                             "recovery_per_day": 0.05, "switch_below": 0.3, **params}}
    model = world(tmp_path, factions=PAY, relations={"a/b": "rival"}, forces=forces, rules=rules,
                  step_hours=step_hours)
    (local,), (buyer,) = units_of(model, "a"), units_of(model, "b")
    start = open_row(model, length_km=40.0)
    local.move_to(start)
    buyer.move_to(east(start, km, model))
    return model, local


def striking(tmp_path, **params):
    """Three a-units of 100 on a desert row at 0, 2 and 8 km; airstrikes by b against a."""
    forces = [{"kind": "militia", "faction": "a", "units": 3, "strength": 100,
               "deploy": {"near": "Albu Kamal", "radius_km": 10}},
              {"kind": "militia", "faction": "b", "units": 1, "strength": 10,
               "deploy": {"near": "Albu Kamal", "radius_km": 10}}]
    rules = {"airstrikes": {"by": "b", "against": "a", "loss_fraction": 0.3, "radius_km": 2.0, **params}}
    model = world(tmp_path, relations={"a/b": "rival"}, forces=forces, rules=rules)
    units = units_of(model, "a")
    start = open_row(model, length_km=40.0)
    for unit, km in zip(units, (0.0, 2.0, 8.0), strict=True):
        unit.move_to(east(start, km, model))
    return model, units
