"""The one sentence every output carries: the model is a stylised what-if model, not a forecast.

Printed by the commands, written into run folders, reports and manifests, stamped on every
figure and shown in the app's title bar. A module of its own (not part of `sim.results.result` or
`sim.program.folders`) so that anything can import it without importing anything else.
"""

DISCLAIMER = "Corridor is a stylised what-if model, not a forecast."
