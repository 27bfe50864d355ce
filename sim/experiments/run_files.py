"""What a folder of many runs holds: its manifest and its run files (`runs/<run id>.json`, whole,
or left cut short by a crash: `sim.program.written.run_file_state`) — what `--resume` counts as
done. It only reads, so `sweep --dry-run` asks it too. What `--force` may delete is
`sim.program.written`'s, for every kind of folder."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sim.program.written import RUN_ID, WRITTEN, is_run_file, is_temporary, run_file_state

MANIFEST = "manifest.json"


def read_run(path: Path) -> dict:
    """The record of one finished run file."""
    return json.loads(path.read_text(encoding="utf-8"))


def held_runs(runs: Path) -> set[str]:
    """The ids of the runs whose files in the folder `runs` hold a whole record: what `--resume`
    counts as done (a file left empty or cut short by a crash is run again; a file not named
    by a run id, or not a run's record nor a start of one, is not Corridor's, and neither
    counted nor touched)."""
    return {f.stem for f in Path(runs).glob("*.json") if run_file_state(f) == "whole"}


def clear_unfinished(folder: Path, kind: str) -> set[str]:
    """Delete what a command killed while it wrote into the folder of many runs `folder` (of
    output `kind`) left: the temporary files in its runs/ and maps/, and the run files left
    empty or cut short (run again); returns the ids of the runs it holds whole (`held_runs`)."""
    for stale in [*(folder / "runs").glob(".*"), *(folder / "maps").glob(".*")]:
        if is_temporary(f"{stale.parent.name}/{stale.name}", WRITTEN[kind]):
            stale.unlink(missing_ok=True)
    done = held_runs(folder / "runs")
    for f in (folder / "runs").glob("*.json"):
        if f.stem not in done and run_file_state(f) == "cut short":  # a crash, a full disk: run it again
            f.unlink(missing_ok=True)
    return done


def foreign_run_file(folder: Path) -> Path | None:
    """The first file in the runs/ or maps/ of the folder of many runs `folder` named like a run
    file but not one Corridor wrote (`sim.program.written.is_run_file`), which writing that
    run would replace; None if there is none."""
    for sub, suffix in (("runs", ".json"), ("maps", ".npy")):
        for f in sorted((folder / sub).glob(f"*{suffix}")):
            if re.fullmatch(RUN_ID, f.stem) and not is_run_file(f):
                return f
    return None
