"""The agent kinds, one module each, imported as `sim.agents` (see sim/__init__.py); every one
is a `sim.agents.base.Unit` (a Mesa `CellAgent` with a faction, a strength in fighters and a
grid cell, kept in step with the model's presence grids, and the one place that keeps the model's
registries: `moving`, `on_patrol`, `in_the_open`, and the spatial service's faction rosters).

- `sim.agents.standing.StandingUnit`: units that hold ground, patrol around home, or travel and return
  (`Posture` lives there too); its kinds are `sim.agents.militia.Militia` (answers a checkpoint's
  call), `sim.agents.local_militia.LocalMilitia` (a militia with a loyalty that co-optation erodes)
  and `sim.agents.garrison.Garrison` (holds or patrols; answers no call).
- `sim.agents.convoy.Convoy`: follows a route of named places; a checkpoint may stop it.
- `sim.agents.insurgent.InsurgentCell`: hidden desert cells that relocate, ambush and are detected;
  `sim.agents.insurgent.Insurgency` is the model's stage that draws all cells' ambushes and
  detections each step (`model.insurgency`).
- `sim.agents.movement.PathMover`: not an agent; the path-following helper that moving units use.
"""
