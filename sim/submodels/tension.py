"""Tension between factions, and the escalation and de-escalation of their relations.

Each pair of factions carries a tension level T ≥ 0 (dimensionless "tension units"). Incidents
between the two add to it (a weight per kind of incident, `tension.weights` in the scenario);
without incidents it decays exponentially with half-life `half_life_days`:

    T(t + Δt) = T(t) · 2^(−Δt / half_life)  +  Σ weight(incident)

Clashes between a pair already escalated add nothing: the fighting is the hostile relation
itself, and it ends when the hostility has decayed (Richardson's "fatigue"), unless new
incidents of other kinds keep it up.

A pair whose scenario relation is *rival* turns **hostile** (their units fight, sim/submodels/engagement.py)
when T has stayed at or above `escalate_at` for `sustain_days` without a break, if at least one
side's planner will escalate that far (`planner.max_escalation: hostile`): escalation needs a
sustained crisis, not one bad day (a burst that decays below the threshold within the period
resets the clock). An escalated pair returns to rivalry when T falls below
`deescalate_below`. An agreement (sim/rules/agreement.py) removes `agreement_relief` of the
curtailed faction's tension with every faction when it takes effect; a deconfliction line
de-escalates the way it does in reality, by keeping forces apart so that fewer incidents occur.
Allied, neutral and scenario-hostile pairs never change. Every change of relation is logged with
the tension and the incidents behind it.

Escalation is not scripted: it follows from incidents, which follow from stochastic events
(whether a checkpoint stops a convoy, ambushes, strikes and whether they are intercepted) and
from the planners' answers to them, so the same scenario escalates in some runs and not others.

Sources for the mechanism: conflict-spiral and tit-for-tat escalation with decay of hostility,
e.g. Richardson's arms-race equations (grievance terms with a fatigue/decay coefficient) and
Goldstein-scale event accounting (docs/odd.md, "Interaction").
"""

from __future__ import annotations

from collections import deque

import numpy as np

from sim.outputs import Column, Outputs
from sim.world.factions import HOSTILE, RIVAL


class TensionLedger:
    """Tension levels `level` (F, F) symmetric float; `escalated` (F, F) bool: pairs made hostile."""

    def __init__(self, model):
        self.model = model
        self.spec = model.spec.tension
        n = len(model.factions)
        self.level = np.zeros((n, n))
        self.escalated = np.zeros((n, n), dtype=bool)
        self.base_relation = model.factions.relation.copy()
        planners = [model.spec.factions[f].planner for f in model.factions.ids]
        self.willing = np.array([bool(p) and p.max_escalation == "hostile" for p in planners])
        #: pairs (i < j) whose scenario relation is rival: the pairs whose tension is tracked
        self.rival_pairs = [(i, j) for i in range(n) for j in range(i + 1, n) if self.base_relation[i, j] == RIVAL]
        #: hours since which each pair's tension has stayed at or above escalate_at (NaN: below)
        self.above_since = np.full((n, n), np.nan)
        self._recent: dict[tuple[int, int], deque] = {}
        self.escalations = 0
        self.deescalations = 0

    def incident(self, kind: str, a: int | None, b: int | None, times: float = 1.0, *, where: str = "",
                 outcome_of: str | None = None) -> None:
        """Add the weight of one incident of `kind` (a field of `tension.weights`) between factions
        `a` and `b` (indices), `times` times. Pairs other than rivals are left alone.
        `outcome_of`: the kind of an incident already counted of which this one is the outcome
        (a convoy's withdrawal ends its standoff): one encounter, so only the difference of the two
        weights is added and the encounter weighs what its outcome does."""
        if a is None or b is None or a == b or self.base_relation[a, b] != RIVAL:
            return
        if kind == "clash" and self.escalated[a, b]:
            return  # fighting is the escalated relation itself; it ends as hostility decays
        amount = getattr(self.spec.weights, kind) * times
        if outcome_of is not None:
            amount -= getattr(self.spec.weights, outcome_of) * times
        if amount <= 0:
            return
        self.level[a, b] += amount
        self.level[b, a] = self.level[a, b]
        key = (min(a, b), max(a, b))
        self._recent.setdefault(key, deque(maxlen=3)).append(
            f"{kind.replace('_', ' ')}{' near ' + where if where else ''} ({self.model.clock()})")

    def relieve(self, faction: int, share: float) -> None:
        """An agreement: remove `share` of the faction's tension with everyone."""
        self.level[faction, :] *= 1.0 - share
        self.level[:, faction] = self.level[faction, :]

    def update(self) -> None:
        """One step: decay, then escalate or de-escalate the pairs past their thresholds."""
        spec, model = self.spec, self.model
        self.level *= 0.5 ** (model.step_hours / 24.0 / spec.half_life_days)
        for i, j in self.rival_pairs:
            t = self.level[i, j]
            if t < spec.escalate_at:
                self.above_since[i, j] = np.nan
                if not self.escalated[i, j]:
                    continue  # below the threshold and not hostile: nothing else can happen (most steps)
            elif np.isnan(self.above_since[i, j]):
                self.above_since[i, j] = model.hours
            sustained = model.hours - self.above_since[i, j] >= spec.sustain_days * 24.0 - 1e-9
            if not self.escalated[i, j] and sustained and (self.willing[i] or self.willing[j]):
                self._set(i, j, True, f"tension {t:.1f} stayed at or above {spec.escalate_at:g} for "
                          f"{(model.hours - self.above_since[i, j]) / 24.0:.0f} days")
            elif self.escalated[i, j] and t < spec.deescalate_below:
                self._set(i, j, False, f"tension {t:.1f} fell below {spec.deescalate_below:g}")

    def _set(self, i: int, j: int, hostile: bool, why: str) -> None:
        model = self.model
        self.escalated[i, j] = self.escalated[j, i] = hostile
        model.set_relation(i, j, HOSTILE if hostile else RIVAL)
        labels = model.factions.labels
        recent = self._recent.get((i, j))
        after = f" after {'; '.join(recent)}" if recent and hostile else ""
        if hostile:
            self.escalations += 1
            text = f"{labels[i]} and {labels[j]} turn hostile and will fight: {why}{after}"
        else:
            self.deescalations += 1
            text = f"{labels[i]} and {labels[j]} step back from fighting to rivalry: {why}"
        model.log.add(model.steps_done, model.hours, "relation", text,
                      factions=[model.factions.ids[i], model.factions.ids[j]])
        model.recorder.count("relation")



class TensionRecord(Outputs):
    """Per row, `tension` (n, pairs) and `hostile` (n, pairs) bool of each rival pair
    (`TensionLedger.rival_pairs`)."""

    columns = (
        Column("tension_<a>_<b>", "tension units (escalation at tension.escalate_at)",
               "tension between two rival factions `a` and `b` (sim/submodels/tension.py); one column per pair "
               "whose scenario relation is `rival`", "tension", "pair"),
        Column("hostile_<a>_<b>", "1 = hostile (fighting), 0 = rivals",
               "whether tension has turned the pair hostile", "hostile", "pair"),
    )

    def __init__(self, model):
        self.ledger = model.tension
        self.ids = model.factions.ids
        n, pairs = model.n_steps + 1, len(self.ledger.rival_pairs)
        self.tension = np.zeros((n, pairs))
        self.hostile = np.zeros((n, pairs), dtype=bool)
        # the pairs' flat indices into the ledger's (F, F) arrays (the rival pairs are fixed)
        rows, cols = np.array(self.ledger.rival_pairs, dtype=np.intp).reshape(-1, 2).T
        self._pairs = rows * len(model.factions) + cols

    def record(self, i: int, changed) -> None:
        """Row `i`: each pair's tension and hostility, gathered straight into the row."""
        if self.ledger.rival_pairs:
            self.ledger.level.take(self._pairs, out=self.tension[i])
            self.ledger.escalated.take(self._pairs, out=self.hostile[i])

    def _names(self) -> list[str]:
        return [f"{self.ids[a]}_{self.ids[b]}" for a, b in self.ledger.rival_pairs]

    def table(self, rows: slice) -> dict:
        out = {}
        for k, pair in enumerate(self._names()):
            out[f"tension_{pair}"] = self.tension[rows, k]
            out[f"hostile_{pair}"] = self.hostile[rows, k]
        return out

    def summary(self, rows: slice) -> dict:
        """Each pair's highest tension and share of rows hostile; escalations and
        de-escalations so far."""
        out = {}
        for k, pair in enumerate(self._names()):
            out[f"tension_{pair}_max"] = round(float(self.tension[rows, k].max()), 4)
            out[f"hostile_{pair}_share"] = round(float(self.hostile[rows, k].mean()), 6)
        out["tension.escalations"] = self.ledger.escalations
        out["tension.deescalations"] = self.ledger.deescalations
        return out
