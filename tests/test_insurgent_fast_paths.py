"""The insurgent stage in Python floats (agents/insurgent.py, `Insurgency.update`) against the
plain numpy formulas over arrays of the cells that it replaced: the same draws, the same
ambushes and finds, bit for bit, at every step of a seeded run (ODD §3.3 *Insurgent cells*,
*Operational tempo*; the mechanism's own tests: test_insurgents.py, test_insurgent_detection.py)."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from worlds import world

from sim.agents.insurgent import InsurgentCell
from sim.streams import INSURGENT_AMBUSH, INSURGENT_DETECTION
from sim.submodels.influence import UNGOVERNED


def plain_stage(model) -> None:
    """The insurgent stage as arrays over all cells: ambush chance 1 − exp(−rate × tempo × days)
    with the ungoverned multiplier, then detection 1 − exp(−rate × patrols within range × days),
    the patrols counted by a KD-tree of each faction's hostile patrols."""
    cells = list(model.agents_by_type.get(InsurgentCell, ()))
    if not cells:
        return
    spec, ins = model.spec.insurgents, model.insurgency
    step_days = model.step_hours / 24.0
    rows, cols = np.array([c.rc for c in cells], dtype=np.intp).T
    factions = np.array([c.faction for c in cells], dtype=np.intp)
    ungoverned = model.influence.controller[rows, cols] == UNGOVERNED
    rate = spec.ambush_rate_per_day * np.where(ungoverned, spec.ungoverned_multiplier, 1.0)
    if model.tempo.on:
        rate = rate * model.tempo.levels(factions, model.hours / 24.0)
    strikes = model.streams[INSURGENT_AMBUSH].random(len(cells)) < -np.expm1(-rate * step_days)
    for i in np.flatnonzero(strikes):
        cells[i].ambush()
    km, reach = model.map.cell_km, spec.detection_range_km
    here = np.column_stack((rows, cols)).astype(float) * km
    n_near, watched = np.zeros(len(cells), dtype=np.intp), False
    for faction in sorted(set(factions.tolist())):
        patrols = ins._hostile_patrols(faction)
        if patrols:
            watched, mine = True, factions == faction
            tree = cKDTree(np.array([u.rc for u in patrols], dtype=float) * km)
            n_near[mine] = tree.query_ball_point(here[mine], reach, return_length=True)
    if not watched:
        return
    p_detect = -np.expm1(-spec.detection_rate_per_day * n_near * step_days)
    detected = model.streams[INSURGENT_DETECTION].random(len(cells)) < p_detect
    found = [cells[i] for i in np.flatnonzero(detected)]
    if found:
        ins.suppress(found)


def state(model) -> list:
    """Every unit's id, faction, cell, fighters and whether it is in the open; the incidents so
    far; the insurgent streams' states."""
    units = [(u.unique_id, u.faction, u.rc, u.strength.hex(), u.in_the_open) for u in model.agents]
    streams = [model.streams[name].bit_generator.state["state"] for name in (INSURGENT_AMBUSH, INSURGENT_DETECTION)]
    return [units, len(model.log.entries), streams]


def test_the_insurgent_stage_in_python_floats_is_the_array_formulas_bit_for_bit_at_every_step(tmp_path):
    """Two insurgent factions (one hunted by two patrolling factions, the other by one), the
    tempo on, cells in governed and ungoverned ground: the stage as the model runs it and the
    plain array formulas (`plain_stage`) keep two runs of one seed identical at every step, with
    many ambushes and finds (and cells in the open, dispersed, relocated) along the way."""
    forces = [{"kind": "insurgent", "faction": f, "units": 12, "strength": 30.0, "deploy": {"region": "badia"}}
              for f in ("i", "j")]
    forces += [{"kind": "militia", "faction": f, "units": 4, "strength": 100, "posture": "patrol",
                "deploy": {"near": near, "radius_km": 40}}
               for f, near in (("a", "Albu Kamal"), ("b", "Al-Mayadeen"))]
    runs = [world(tmp_path, factions=("i", "j", "a", "b"), forces=forces, days=4, step_hours=2.0,
                  relations={"i/a": "hostile", "i/b": "hostile", "j/a": "hostile"},
                  insurgents={"ambush_rate_per_day": 3.0, "ambush_range_km": 40, "detection_range_km": 30,
                              "detection_rate_per_day": 0.5, "ungoverned_multiplier": 1.7, "tempo_sd": 0.8,
                              "disperse_below": 8.0}) for _ in range(2)]
    runs[1].insurgency.update = lambda: plain_stage(runs[1])
    assert runs[0].tempo.on
    for step in range(runs[0].n_steps):
        for model in runs:
            model.step()
        assert state(runs[0]) == state(runs[1]), f"the runs part at step {step}"
    kinds = [e.kind for e in runs[0].log.entries]
    assert kinds.count("ambush") >= 10 and kinds.count("detection") >= 10, (
        f"the run needs many ambushes and finds to tell: {kinds.count('ambush')} and {kinds.count('detection')}")
