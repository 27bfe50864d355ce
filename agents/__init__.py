"""The agent kinds, one module each; every one is a `sim.agents.base.Unit` (a Mesa `CellAgent` with a
faction, a strength in fighters and a grid cell, kept in step with the model's presence grids).

- `agents.standing.StandingUnit`: units that hold ground, patrol around home, or travel and return
  (`Posture` lives there too); its kinds are `agents.militia.Militia` (answers a checkpoint's
  call), `agents.local_militia.LocalMilitia` (a militia with a loyalty that co-optation erodes)
  and `agents.garrison.Garrison` (holds or patrols; answers no call).
- `agents.convoy.Convoy`: follows a route of named places; a checkpoint may stop it.
- `agents.insurgent.InsurgentCell`: hidden desert cells that relocate, ambush and are detected.
- `agents.movement.PathMover`: not an agent; the path-following helper that moving units use.
"""
