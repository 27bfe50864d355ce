"""The submodels of one step (ODD §3.3 *Submodels*), each one concept: influence and zones of
control, Lanchester engagements, the economy, tension between rivals, the population's support,
and the timeline of scheduled events. ``sim.model`` calls them in the order of the schedule."""
