"""The classroom web app (`python run.py viz`).

Widgets (import Solara): `page` (the page: toolbar, map, monitors, chart, log), `drawer` (the
controls, the lesson, the export), `actions` (per-tab reactive state; every callback runs
through `guard` or `background`, so an error is a message, never a traceback).

Without widgets (tested without a browser): `state` (scenarios, settings, runs, rewind),
`interventions` (what a teacher may change mid-run), `monitors` (numbers read from a model,
generic over the step table's columns; the end-of-run summary), `views` (those as HTML),
`lessons` (docs/lessons.md per scenario; the worksheet), `export` (files for slides), and
`command` (the `viz` and `export` subcommands). The pictures are drawn by `sim.figures.live`.

Nothing is imported here, so that `import sim.app.command` does not import Solara.
"""
