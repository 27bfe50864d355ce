"""Where the project's files are: the shipped scenarios and map, the folder runs are written to,
and the checkout (if Corridor runs from one). Every module that needs a project path takes it
from here.

Two layouts, told apart by whether the scenario library sits inside the package:

* **a checkout** (`python run.py`, `pip install -e .`): the scenarios are the top-level
  `scenarios/` folder beside `sim/`, and runs are written to the checkout's `outputs/`;
* **an installed package** (`pip install .`): the scenarios and maps are package data, the
  folder `sim/library/` (pyproject.toml maps `scenarios/` there), found with
  `importlib.resources`; runs are written to `outputs/` in the current directory.

All are absolute `Path`s; the scenarios and map are read-only inputs, `OUTPUTS` is created on
demand by whatever writes into it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_PACKAGE = Path(str(resources.files("sim")))
#: True when Corridor runs from an installed package rather than from a checkout
INSTALLED = (_PACKAGE / "library").is_dir()
#: the repository checkout (holds run.py, scenarios/, outputs/); None when installed
CHECKOUT: Path | None = None if INSTALLED else _PACKAGE.resolve().parent
#: the shipped scenario files (*.yaml), with maps/ and sweeps/ under them
SCENARIOS = _PACKAGE / "library" if INSTALLED else CHECKOUT / "scenarios"
#: the scenario `python run.py` runs when given none, and the app opens
DEFAULT_SCENARIO = SCENARIOS / "albu_kamal_blockade.yaml"
#: the corridor's GeoJSON map
DEFAULT_MAP = SCENARIOS / "maps" / "euphrates_corridor.geojson"
#: default parent of run folders, sweeps, comparisons, exports and benchmarks
OUTPUTS = (Path.cwd() if INSTALLED else CHECKOUT) / "outputs"
#: where paths are shown relative to (the checkout, or the current directory when installed)
ROOT = CHECKOUT or Path.cwd()
