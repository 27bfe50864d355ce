"""Operational tempo: an insurgent faction's raids come in campaigns and lulls (issue 18).

An insurgency does not raid at a steady rate. It mounts named campaigns and waves (ISW counted
20 waves of simultaneous car bombs in the 12 months of AQI's "Breaking the Walls" campaign,
July 2012 - July 2013, twice a week at its height in spring 2013), then lies low, regroups and
hides its cells. Counts of conflict events are accordingly overdispersed: their variance exceeds
their mean, and the field's standard count model is the negative binomial, a Poisson count whose
rate is itself random (a gamma mixture). Here that random rate is a **doubly stochastic (Cox)
process** (Cox 1955): a latent activity level A(t) shared by all the cells of one faction
multiplies each cell's ambush rate (agents/insurgent.py), so ambushes are Poisson given A, and
the monthly counts are overdispersed, with clusters (campaigns) and empty months (lulls).

The log activity x = ln A + σ²/2 is an Ornstein-Uhlenbeck process of mean 0, stationary
standard deviation σ (`insurgents.tempo_sd`) and correlation time τ (`insurgents.tempo_days`,
days): Corr(x(t), x(t + s)) = exp(−s/τ). It is advanced exactly over any interval Δt (days), so
the process is the same at any step length:

    x(t + Δt) = a·x(t) + σ·sqrt(1 − a²)·ε,   a = exp(−Δt/τ),   ε ~ N(0, 1)
    A(t) = exp(x(t) − σ²/2)                  (log-normal, E[A] = 1)

so on average a cell raids as often as without the tempo, `ambush_rate_per_day`. A faction's
x starts from its stationary distribution, N(0, σ²), when its cells are first asked about. The
monthly count of a cell with rate r has variance r·T + (r·T)²·Var(mean of A over the month):
an index of dispersion (variance ÷ mean) 1 + r·T·Var(Ā) > 1, where a Poisson process has 1.

σ = 0 (the default) switches it off: A = 1 and no random number is drawn, so scenarios that do
not ask for it run exactly as before. Each faction draws from its own stream
(`insurgent:tempo:<faction>`, sim/streams.py).

Sources: Lewis, J. D., "Al Qaeda in Iraq's 'Breaking the Walls' Campaign Achieves Its Objectives
at Abu Ghraib", ISW Iraq Update #30, 28 Jul 2013 (https://www.iswresearch.org/2013/07/al-qaeda-in-iraq-walls-campaign.html);
Cafarella, J., Wallace, B. & Zhou, J., "ISIS's Second Comeback", ISW, June 2019 (the "Soldiers'
Harvest" campaign); Cox, D. R., "Some statistical methods connected with series of events",
J. R. Stat. Soc. B 17 (1955) 129-164; Cameron, A. C. & Trivedi, P. K., *Regression Analysis of
Count Data*, 2nd ed., CUP 2013 (negative binomial counts). The values and their argument:
docs/odd.md, "Operational tempo".
"""

from __future__ import annotations

import math

import numpy as np

from sim.streams import INSURGENT_TEMPO


class OperationalTempo:
    """The activity levels A of the insurgent factions (`model.tempo`, which the insurgent stage,
    agents/insurgent.py, asks each step).

    `sd` is σ, the standard deviation of ln A (dimensionless, ≥ 0; 0 switches the tempo off),
    `days` the correlation time τ of ln A (days, > 0); `streams` the model's `RandomStreams`,
    `faction_ids` the faction ids by index (for the streams' names)."""

    def __init__(self, sd: float, days: float, streams, faction_ids):
        self.sd = float(sd)
        self.days = float(days)
        self._streams = streams
        self._ids = faction_ids
        self._x: dict[int, float] = {}      # faction index -> log activity x (mean 0)
        self._at: dict[int, float] = {}     # faction index -> when x was last advanced (days)
        self._stream_of: dict[int, object] = {}  # faction index -> its stream (`insurgent:tempo:<faction>`)

    @property
    def on(self) -> bool:
        """Whether the tempo varies (σ > 0); off, every level is 1 and nothing is drawn."""
        return self.sd > 0.0

    def levels(self, factions: np.ndarray, day: float) -> np.ndarray:
        """The activity level A at `day` (days since the start, never earlier than a previous
        call's) of the faction of each entry of `factions` (int array of faction indices): a float
        array of the same shape, all 1.0 when the tempo is off. Advances each faction present
        exactly from when it was last asked (one normal draw per faction and call)."""
        if not self.on:
            return np.ones(len(factions))
        present = sorted(set(factions.tolist()))  # (a Python set: the few factions of a few dozen cells)
        by_faction = np.empty(present[-1] + 1 if present else 0)  # the level of each faction present
        by_faction[present] = self.levels_of(present, day)
        return by_faction[factions]

    def levels_of(self, present: list[int], day: float) -> list[float]:
        """The activity level A at `day` (as in `levels`) of each of the factions `present`
        (faction indices, ascending, each once; the tempo on), as Python floats: each faction
        advanced once, in that order (the insurgent stage asks this of its cells' factions)."""
        return [math.exp(self._advance(faction, day) - 0.5 * self.sd ** 2) for faction in present]

    def _advance(self, faction: int, day: float) -> float:
        stream = self._stream_of.get(faction)
        if stream is None:
            stream = self._stream_of[faction] = self._streams.named(INSURGENT_TEMPO, faction=self._ids[faction])
        if faction not in self._x:
            x = self.sd * float(stream.standard_normal())   # the stationary distribution
        else:
            a = math.exp(-(day - self._at[faction]) / self.days)
            x = a * self._x[faction] + self.sd * math.sqrt(1.0 - a * a) * float(stream.standard_normal())
        self._x[faction], self._at[faction] = x, day
        return x
