"""The classroom web app (`python run.py viz`): `page` (the Solara widgets), `state` (the runs
it drives and their controls, without any widget) and `command` (the `viz` and `export`
subcommands). The pictures it shows are drawn by `sim.figures.live`.

Nothing is imported here, so that `import sim.app.command` does not import Solara.
"""
