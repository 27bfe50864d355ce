"""What one faction's team sees in a class session (fog of war): its own and its allies' units,
and any other unit only within `SENSE_KM` of one of them. Places, the terrain and who holds the
ground stay on every team's map (in this stylised model control is public knowledge: flags,
checkpoints and who collects the tolls; where the fighters stand is not).

`SENSE_KM` is the planners' threat radius (`agents/planner.py`, `THREAT_KM`, 10 km): what a
command counts as rival fighters near one of its places; a unit seeing about that far is an
order-of-magnitude argument (a patrol's sight line across the open valley, docs/odd.md, "Sensing").
"""

from __future__ import annotations

import numpy as np

from sim.agents.planner_options import THREAT_KM
from sim.world.factions import ALLIED

SENSE_KM = THREAT_KM


def visible_units(model, faction: int | None) -> list:
    """The units alive that `faction` (an index; None: everyone, the teacher's view) sees now:
    its own and allies' (relation ALLIED, itself included), and the others within `SENSE_KM`
    (straight-line, cell centres) of one of those."""
    units = [u for u in model.agents if u.alive]
    if faction is None or not units:
        return units
    friendly = model.factions.relation[faction] == ALLIED
    mine = np.array([bool(friendly[u.faction]) for u in units])
    if not mine.any():
        return []
    rc = np.array([u.rc for u in units], dtype=float) * model.map.cell_km
    near = np.zeros(len(units), dtype=bool)
    others = np.flatnonzero(~mine)
    if others.size:
        d = np.linalg.norm(rc[others, None, :] - rc[None, mine, :], axis=2)
        near[others] = (d <= SENSE_KM).any(axis=1)
    return [u for u, keep in zip(units, mine | near, strict=True) if keep]
