"""The economy: what each faction's sponsor pays for, so that strengths stay bounded.

Each faction with `funding_usd_per_day` receives that much a day (an agreement may scale it).
It pays, in this order:

1. **Upkeep** of the fighters it has: N × pay per fighter-day. If the funding does not cover
   it, the unpaid share u = 1 − funding / upkeep makes fighters leave at `desertion_per_day`
   × u (applied to its units once a simulated day, in proportion to their strength).
2. **Recruits**, with what is left: at most surplus / `recruit_cost_usd` a day and at most
   `recruit_share_per_day` of the remaining manpower pool a day (diminishing returns: the
   pool drains as it is drawn on and refills by `manpower_refill_per_day`). Recruits wait,
   paid for, until a rule of the faction takes them (a reinforcement rule, up to its route
   capacity; insurgent recruitment); a faction recruits only if one of its rules asks
   (`enlist`), and stops while enough recruits are waiting for the largest batch a rule takes.

Without losses strength therefore approaches funding / pay per fighter-day from either side:
from below at rate ≈ pay / recruit cost per day (months), from above at `desertion_per_day`.
The update is a few Python floats per faction and step (a handful of factions: numpy's cost per
call would dominate); the only loop over units is the daily desertion, and only for factions
that cannot pay.
"""

from __future__ import annotations

import math

import numpy as np

from sim.outputs import Outputs

DAYS_PER_MONTH = 30.4


class Economy(Outputs):
    """Each faction's economy, as lists of F Python floats indexed by faction (the model's
    order): `active` (bool) whether it has one; `pay_per_day` (US$ per fighter-day),
    `recruit_cost` (US$ per fighter), `pool_size`, `pool` (fighters), `refill_per_day`,
    `uptake_per_day`, `desertion_per_day` (per day); `paid_share` (0–1) of its upkeep paid at
    the last update; `ready` recruits paid for, waiting for a rule to take them, `ready_max`
    the most that may wait (0: nobody recruits), `recruited`, `deserted` (fighters) so far."""

    def __init__(self, model):
        self.model = model
        factions = [model.spec.factions[f] for f in model.factions.ids]
        self.active = [f.funding_usd_per_day is not None for f in factions]
        self.pay_per_day = [f.pay_usd_per_fighter_month / DAYS_PER_MONTH for f in factions]
        self.recruit_cost = [float(f.recruit_cost_usd) for f in factions]
        self.pool_size = [float(f.manpower_pool) for f in factions]
        self.pool = list(self.pool_size)
        self.refill_per_day = [float(f.manpower_refill_per_day) for f in factions]
        self.uptake_per_day = [float(f.recruit_share_per_day) for f in factions]
        self.desertion_per_day = [float(f.desertion_per_day) for f in factions]
        n = len(factions)
        self.paid_share = [1.0] * n
        self.ready = [0.0] * n      # recruits paid for, waiting for a rule to take them (fighters)
        self.ready_max = [0.0] * n  # largest batch a rule of the faction takes (0: no recruiting)
        self._owed = [0.0] * n      # desertion accrued since it was last applied (fighters)
        self.recruited = [0.0] * n
        self.deserted = [0.0] * n

    def enlist(self, faction: int, batch: float) -> None:
        """A rule of `faction` will take recruits in batches of up to `batch` fighters."""
        self.ready_max[faction] = max(self.ready_max[faction], 2.0 * batch)

    def commit(self, faction: int, usd_per_day: float) -> None:
        """`faction` spends `usd_per_day` of its funding on something else from now on (a
        co-optation push, agents/planner.py): its funding falls by that much, not below 0."""
        funding = self.model.factions.funding
        funding[faction] = max(0.0, funding[faction] - usd_per_day)

    def update(self) -> None:
        """One step of income, upkeep, recruitment from the pool and accrued desertion: per
        faction, the Python floats of the formulas above (a handful of factions: numpy's cost
        per call would dominate), the same operations in the same order as element by element
        over arrays; one `np.expm1` over every faction's rate, as before, and none while every
        faction is paid in full (then each term is 0: nothing accrues)."""
        model = self.model
        dt = model.step_hours / 24.0
        strength_of, active = model.influence.faction_strength, self.active
        # as Python floats (the same values): a faction's running total is a numpy float64 once a
        # desertion's share has reached it, and numpy scalars' arithmetic is ~10 times slower
        strength = [float(strength_of(f)) for f in range(len(active))]
        funding = model.factions.funding.tolist()
        refill = self.refill_per_day
        if model.population is not None:  # recruits come from supportive population (sim/submodels/population.py)
            refill = [r * k for r, k in zip(refill, model.population.refill_factor().tolist(), strict=True)]
        pay, paid_share, pool, ready, recruited = self.pay_per_day, self.paid_share, self.pool, self.ready, self.recruited
        cost, uptake, ready_max, pool_size = self.recruit_cost, self.uptake_per_day, self.ready_max, self.pool_size
        unpaid = False
        # min(a, b) and max(a, b) written out as CPython decides them (a, unless b is smaller,
        # resp. larger): the same floats, without a call each
        for f in range(len(active)):
            upkeep = strength[f] * pay[f]
            if active[f]:
                fund = funding[f]
                paid = 1.0  # min(1.0, fund / max(upkeep, 1e-12)) if upkeep > 0 else 1.0
                if upkeep > 0:
                    part = fund / (1e-12 if upkeep < 1e-12 else upkeep)
                    paid = part if part < 1.0 else 1.0
                spare = fund - upkeep
                affordable = (0.0 if spare < 0.0 else spare) * dt / cost[f]
                from_pool = uptake[f] * pool[f] * dt
                most = from_pool if from_pool < affordable else affordable
                room = ready_max[f] - ready[f]
                room = 0.0 if room < 0.0 else room
                new = room if room < most else most  # min(min(affordable, from_pool), max(room, 0.0))
                unpaid = unpaid or paid != 1.0
            else:
                paid, new = 1.0, 0.0
            paid_share[f] = paid
            refilled = pool[f] - new + refill[f] * dt
            pool[f] = pool_size[f] if pool_size[f] < refilled else refilled
            ready[f] += new
            recruited[f] += new
        if unpaid:  # desertion accrues where the pay falls short: rate d × (1 − paid share)
            left = np.expm1([-(d * (1.0 - paid)) * dt for d, paid in zip(self.desertion_per_day, paid_share,
                                                                          strict=True)]).tolist()
            owed = self._owed
            for f in range(len(active)):
                if active[f]:
                    owed[f] += strength[f] * -left[f]
        # desertion is applied once a simulated day (every step if steps are a day or longer)
        if math.floor((model.hours + model.step_hours) / 24.0 + 1e-9) > math.floor(model.hours / 24.0 + 1e-9):
            self._desert()

    def available(self, faction: int) -> float:
        """Recruits waiting to be taken (inf without an economy)."""
        return float(self.ready[faction]) if self.active[faction] else math.inf

    def recruit(self, faction: int, wanted: float) -> float:
        """Take up to `wanted` recruits (fighters); returns how many there are. A faction
        without an economy gets what its rule asks for."""
        n = max(0.0, min(wanted, self.available(faction)))
        if self.active[faction]:
            self.ready[faction] = float(self.ready[faction] - n)  # a Python float whatever `wanted` was
        return n

    def effective_pay(self, faction: int) -> float:
        """What a fighter of this faction is actually paid (US$ per day): pay × paid share."""
        return float(self.pay_per_day[faction] * self.paid_share[faction])

    def deserters_of(self, faction: int) -> list:
        """The units of `faction` whose fighters can desert (alive, on its payroll), in the
        order of the model's `agents` (the spatial service's roster of the faction: agents in
        the order they were created, so that the losses are taken in that order)."""
        return [u for u in self.model.space.members(faction) if u.alive and u.on_payroll]

    def _desert(self) -> None:
        for f in [f for f, owed in enumerate(self._owed) if owed >= 0.5]:
            units = self.deserters_of(f)
            total = sum(u.strength for u in units)
            if total <= 0:
                continue
            # a numpy float64, as when `_owed` was an array: numpy 2 keeps a float64 scalar's
            # precision where a Python float defers to a float32 array's (the influence field's),
            # so the deserters' strengths must stay of this type for the same bits downstream
            share = min(1.0, np.float64(self._owed[f]) / total)
            self.deserted[f] += sum(u.lose(u.strength * share) for u in units)
            self._owed[f] = 0.0

    def summary(self, rows: slice) -> dict:
        """Each paying faction's fighters recruited and deserted so far and the share of its
        bill paid (the outputs protocol, sim/outputs.py)."""
        ids = self.model.factions.ids
        out = {}
        for f in [f for f, active in enumerate(self.active) if active]:
            out[f"economy.{ids[f]}.recruited"] = round(float(self.recruited[f]), 3)
            out[f"economy.{ids[f]}.deserted"] = round(float(self.deserted[f]), 3)
            out[f"economy.{ids[f]}.paid_share"] = round(float(self.paid_share[f]), 4)
        return out
