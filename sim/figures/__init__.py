"""Every figure the project draws, on matplotlib's Agg canvas:

* `style`: the shared look — unit markers, map line styles, convoy colours, faction colours
  and the disclaimer stamp;
* `basemap`: the rasterised map (terrain, river, roads, border, places, scale bar);
* `one_run`: a run's control map, control over time and animated GIF;
* `layered`: the control map drawn in layers once, a frame then in milliseconds (the run's GIF,
  the app's map);
* `many_runs`: charts of sweeps and comparisons (bands over time, outcomes against
  parameters, heatmaps, convoy outcomes);
* `live`: the app's map and charts, redrawn in place after every step.

Nothing is imported here: each caller imports the module it draws with.
"""
