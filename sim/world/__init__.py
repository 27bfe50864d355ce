"""The world the units live in: factions and their relations, the grid the units stand on,
routing (least-time paths over the map), the spatial service and the calendar."""
