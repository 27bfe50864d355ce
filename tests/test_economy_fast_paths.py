"""The economy's fast path (sim/submodels/economy.py) against the computation it replaces,
byte for byte: the step's formulas in Python floats per faction, not numpy over (F,) arrays."""

from __future__ import annotations

import math

import numpy as np

from conftest import coarse_model


def array_update(economy, model) -> dict[str, np.ndarray]:
    """The former `Economy.update` over (F,) arrays, written out: the state it leaves (before the
    day's desertion is taken), from copies of the economy's state before the step."""
    a = {k: np.array(getattr(economy, k), dtype=float) for k in (
        "pay_per_day", "recruit_cost", "pool_size", "pool", "refill_per_day", "uptake_per_day", "desertion_per_day",
        "ready", "ready_max", "_owed", "recruited")}
    active = np.array(economy.active)
    dt = model.step_hours / 24.0
    strength = np.array([model.faction_strength(f) for f in range(len(active))])
    funding = model.factions.funding
    upkeep = strength * a["pay_per_day"]
    with np.errstate(divide="ignore", invalid="ignore"):
        paid = np.where(upkeep > 0, np.minimum(1.0, funding / np.maximum(upkeep, 1e-12)), 1.0)
    paid_share = np.where(active, paid, 1.0)
    affordable = np.maximum(funding - upkeep, 0.0) * dt / a["recruit_cost"]
    from_pool = a["uptake_per_day"] * a["pool"] * dt
    room = np.maximum(a["ready_max"] - a["ready"], 0.0)
    new = np.where(active, np.minimum(np.minimum(affordable, from_pool), room), 0.0)
    refill = a["refill_per_day"]
    if model.population is not None:
        refill = refill * model.population.refill_factor()
    rate = a["desertion_per_day"] * (1.0 - paid_share)
    return {"paid_share": paid_share, "pool": np.minimum(a["pool"] - new + refill * dt, a["pool_size"]),
            "ready": a["ready"] + new, "recruited": a["recruited"] + new,
            "_owed": a["_owed"] + np.where(active, strength * -np.expm1(-rate * dt), 0.0)}


def test_the_economy_in_python_floats_is_the_array_formulas_bit_for_bit():
    """At every step of 60 days of the campaign (2 km, 2 h, with its population: factions paid in
    full and in part, recruits bought, desertion taken), `Economy.update`'s state — paid share,
    pool, recruits waiting and recruited, desertion owed before the day's is taken — must be,
    byte for byte, the former formulas over numpy arrays (`np.expm1` among them)."""
    model = coarse_model("corridor_campaign.yaml", days=60.0)
    economy = model.economy
    update, desert, taken, seen = economy.update, economy._desert, [], {"partly paid": 0, "bought": 0, "deserters": 0}

    def desert_and_note():
        taken.append(list(economy._owed))
        units = [u for f, owed in enumerate(economy._owed) if owed >= 0.5 for u in economy.deserters_of(f)]
        desert()
        # a deserter's strength is a numpy float64 as it always was (a Python float would
        # round to float32 where it meets the influence field's float32 arrays: other bits)
        assert all(type(u.strength) is np.float64 for u in units if u.alive), [type(u.strength) for u in units]
        seen["deserters"] += len(units)

    def checked_update():
        expected = array_update(economy, model)
        before, recruited = len(taken), list(economy.recruited)
        update()
        got = {k: np.array(getattr(economy, k), dtype=float) for k in expected}
        if len(taken) > before:  # compared before the day's desertion was taken
            got["_owed"] = np.array(taken[-1])
        for k, value in expected.items():
            assert got[k].tobytes() == value.tobytes(), f"step {model.steps}: {k} {got[k]} != {value}"
        seen["partly paid"] += any(0.0 < p < 1.0 for p in economy.paid_share)
        seen["bought"] += economy.recruited != recruited
    economy._desert, economy.update = desert_and_note, checked_update
    model.run()
    assert seen["partly paid"] > 10 and seen["bought"] > 10 and seen["deserters"] > 10 and sum(economy.deserted) > 1.0, (seen, economy.deserted)
    assert len(taken) == 60 and math.isfinite(sum(economy.pool))
