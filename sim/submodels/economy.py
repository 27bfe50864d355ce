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
The update is one small array operation per step (one value per faction); the only loop over
units is the daily desertion, and only for factions that cannot pay.
"""

from __future__ import annotations

import math

import numpy as np

from sim.outputs import Outputs

DAYS_PER_MONTH = 30.4


class Economy(Outputs):
    def __init__(self, model):
        self.model = model
        factions = [model.spec.factions[f] for f in model.factions.ids]
        self.active = np.array([f.funding_usd_per_day is not None for f in factions])
        self.pay_per_day = np.array([f.pay_usd_per_fighter_month / DAYS_PER_MONTH for f in factions])
        self.recruit_cost = np.array([f.recruit_cost_usd for f in factions])
        self.pool_size = np.array([f.manpower_pool for f in factions])
        self.pool = self.pool_size.copy()
        self.refill_per_day = np.array([f.manpower_refill_per_day for f in factions])
        self.uptake_per_day = np.array([f.recruit_share_per_day for f in factions])
        self.desertion_per_day = np.array([f.desertion_per_day for f in factions])
        n = len(factions)
        self.paid_share = np.ones(n)
        self.ready = np.zeros(n)      # recruits paid for, waiting for a rule to take them (fighters)
        self.ready_max = np.zeros(n)  # largest batch a rule of the faction takes (0: no recruiting)
        self._owed = np.zeros(n)      # desertion accrued since it was last applied (fighters)
        self.recruited = np.zeros(n)
        self.deserted = np.zeros(n)

    def enlist(self, faction: int, batch: float) -> None:
        """A rule of `faction` will take recruits in batches of up to `batch` fighters."""
        self.ready_max[faction] = max(self.ready_max[faction], 2.0 * batch)

    def commit(self, faction: int, usd_per_day: float) -> None:
        """`faction` spends `usd_per_day` of its funding on something else from now on (a
        co-optation push, agents/planner.py): its funding falls by that much, not below 0."""
        funding = self.model.factions.funding
        funding[faction] = max(0.0, funding[faction] - usd_per_day)

    def update(self) -> None:
        """One step of income, upkeep, recruitment from the pool and accrued desertion."""
        model = self.model
        dt = model.step_hours / 24.0
        strength = np.array([model.faction_strength(f) for f in range(len(self.active))])
        funding = model.factions.funding
        upkeep = strength * self.pay_per_day
        paid = np.where(upkeep > 0, np.minimum(1.0, funding / np.maximum(upkeep, 1e-12)), 1.0)
        self.paid_share = np.where(self.active, paid, 1.0)
        affordable = np.maximum(funding - upkeep, 0.0) * dt / self.recruit_cost
        from_pool = self.uptake_per_day * self.pool * dt
        room = np.maximum(self.ready_max - self.ready, 0.0)
        new = np.where(self.active, np.minimum(np.minimum(affordable, from_pool), room), 0.0)
        refill = self.refill_per_day
        if model.population is not None:  # recruits come from supportive population (sim/submodels/population.py)
            refill = refill * model.population.refill_factor()
        self.pool = np.minimum(self.pool - new + refill * dt, self.pool_size)
        self.ready += new
        self.recruited += new
        rate = self.desertion_per_day * (1.0 - self.paid_share)
        self._owed += np.where(self.active, strength * -np.expm1(-rate * dt), 0.0)
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
            self.ready[faction] -= n
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
        owed = np.flatnonzero(self._owed >= 0.5)
        if len(owed) == 0:
            return
        for f in owed.tolist():
            units = self.deserters_of(f)
            total = sum(u.strength for u in units)
            if total <= 0:
                continue
            share = min(1.0, self._owed[f] / total)
            self.deserted[f] += sum(u.lose(u.strength * share) for u in units)
            self._owed[f] = 0.0

    def summary(self, rows: slice) -> dict:
        """Each paying faction's fighters recruited and deserted so far and the share of its
        bill paid (the outputs protocol, sim/outputs.py)."""
        ids = self.model.factions.ids
        out = {}
        for f in np.flatnonzero(self.active):
            out[f"economy.{ids[f]}.recruited"] = round(float(self.recruited[f]), 3)
            out[f"economy.{ids[f]}.deserted"] = round(float(self.deserted[f]), 3)
            out[f"economy.{ids[f]}.paid_share"] = round(float(self.paid_share[f]), 4)
        return out
