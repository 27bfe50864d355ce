"""What a folder of many runs holds: its run files (`runs/<run id>.json`, whole or left empty or cut
short by a crash) and the files its commands write — what `--resume` counts as done, and what
`--force` may delete (Corridor never deletes what it did not write). It only reads, so
`sweep --dry-run` asks it too."""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path

from sim.program.output import MARKER, is_corridor_folder

MANIFEST = "manifest.json"
#: what the commands of a folder of many runs (sweep, sensitivity, compare, uncertainty) write at its
#: top, their charts included, besides its runs/ and maps/ folders (`foreign_file`)
WRITTEN = (MARKER, MANIFEST, "runs.csv", "runs.parquet", "series.parquet", "report.md", "sweep.yaml",
           "design.csv", "series_*.png", "final_vs_*.png", "heatmap_*.png", "land_bridge_open.png",
           "convoy_outcomes.png", "sensitivity.csv", "sensitivity.md", "sensitivity_*.png", "compare.csv",
           "compare.md", "compare_*.png", "control_difference_*.png", "control_probability*.tif",
           "control_probability*.png")
#: the kinds of folder whose commands' files `WRITTEN` lists (a hindcast's or calibration's is not checked)
LISTED_KINDS = ("sweep", "compare", "uncertainty")
#: a run's file name in runs/ (`<run id>.json`) and maps/ (`<run id>.npy`): p000-r000 (sweep), a0-r00 (compare), r00
RUN_FILE = re.compile(r"^(p\d+-|a\d+-)?r\d+\.(json|npy)$")


def read_run(path: Path) -> dict:
    """The record of one finished run file."""
    return json.loads(path.read_text(encoding="utf-8"))


def foreign_file(folder: Path, kind: str) -> Path | None:
    """The first file or folder (in name order, top first) in the folder of many runs `folder`
    that none of its commands writes (`WRITTEN`, run files named by their run
    id in runs/ and maps/, the temporary files of a write cut short, a folder Corridor marked
    inside it such as `discover`'s); None when everything in it is Corridor's: what `--force`
    may delete. Corridor never deletes what it did not write. None for a `kind` not in `LISTED_KINDS`."""
    if kind not in LISTED_KINDS:
        return None
    for entry in sorted(folder.iterdir()):
        name = entry.name
        if entry.is_symlink():
            return entry
        if entry.is_dir():
            if name in ("runs", "maps"):
                stray = next((f for f in sorted(entry.iterdir()) if f.is_symlink() or not f.is_file()
                              or not (RUN_FILE.match(f.name) or is_temporary(f.name))), None)
                if stray is not None:
                    return stray
            elif not is_corridor_folder(entry):
                return entry
        elif not (any(fnmatch.fnmatchcase(name, p) for p in WRITTEN) or is_temporary(name)):
            return entry
    return None


def is_temporary(name: str) -> bool:
    """Whether `name` is a temporary file through which Corridor writes one of its files
    (`.<its name>.<random><suffix>`), or a write probe, left by a write cut short."""
    written = ".".join(name[1:].split(".")[:2])  # `.runs.csv.k2j4.csv` → runs.csv
    return name.startswith(".") and (name.startswith(".corridor-probe-") or RUN_FILE.match(written) is not None
                                     or any(fnmatch.fnmatchcase(written, p) for p in WRITTEN))


def held_runs(runs: Path) -> set[str]:
    """The ids of the runs whose files in the folder `runs` hold a whole record: what `--resume`
    counts as done (a file left empty or cut short by a crash is run again; a file not named
    by a run id is not Corridor's, and neither counted nor touched)."""
    return {f.stem for f in Path(runs).glob("*.json") if RUN_FILE.match(f.name) and _readable_run(f)}


def _readable_run(path: Path) -> bool:
    """Whether a run file holds a whole record (not empty, not cut short by a crash)."""
    try:
        record = read_run(path)
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and {"columns", "outcomes", "series"} <= record.keys()
