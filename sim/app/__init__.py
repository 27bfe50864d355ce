"""The classroom web app (`python run.py viz`).

Widgets (import Solara): `page` (the page: map, monitors, chart, log), `toolbar` (Play/Pause and
the play loop, Step, Reset, speed, timeline, Go to, jump to event), `presenter` (text size, full
screen, keyboard shortcuts; `keys.vue`), `drawer` (the controls, the lesson, the export),
`actions` (per-tab reactive state; every callback runs through `guard` or `background`, so an
error is a message, never a traceback, and slow actions queue instead of being lost).

Without widgets (tested without a browser): `state` (settings, runs, rewind), `controls` (the
sliders and what each scenario offers them),
`goto` (a day or date typed as a step), `interventions` (what a teacher may change mid-run),
`monitors` (numbers read from a model, generic over the step table's columns; the end-of-run
summary), `views` (those as HTML), `lessons` (docs/lessons.md per scenario; the worksheet),
`export` (files for slides), `network` (Host/Origin allow-list, the warning on a non-loopback
bind) and `command` (the `viz` and `export` subcommands). The pictures are drawn by
`sim.figures.live` (map) and `sim.figures.live_charts`, under the one drawing lock of `sim.figures.lock`.

The class session (`viz --class`): `session` (join code, teams, decision cycles; the model's
`chooser`), `fog` (what a team sees), `gate` (the join-code door in front of every request),
`class_views` (its text panels), `debrief` (against a planners-only run) without widgets, and
`class_page` (the teacher's console and the teams' views).

Nothing is imported here, so that `import sim.app.command` does not import Solara.
"""
