"""Where the project's files are: the repository root, the shipped scenarios and map, and the
folder runs are written to. Every module that needs a project path takes it from here.

All are absolute `Path`s; the scenarios and map are read-only inputs, `OUTPUTS` is created on
demand by whatever writes into it.
"""

from __future__ import annotations

from pathlib import Path

#: the repository checkout (holds run.py, scenarios/, outputs/)
ROOT = Path(__file__).resolve().parent.parent
#: the shipped scenario files (*.yaml), with maps/ and sweeps/ under them
SCENARIOS = ROOT / "scenarios"
#: the scenario `python run.py` runs when given none, and the app opens
DEFAULT_SCENARIO = SCENARIOS / "albu_kamal_blockade.yaml"
#: the corridor's GeoJSON map
DEFAULT_MAP = SCENARIOS / "maps" / "euphrates_corridor.geojson"
#: default parent of run folders, sweeps, comparisons, exports and benchmarks
OUTPUTS = ROOT / "outputs"
