"""The earlier folder `--force` replaces in a command of many runs (sweep, compare, uncertainty,
hindcast, calibrate): set aside, not deleted, when the command opens its folder, and deleted only
when the command ends having saved something; put back in place if it saves nothing (an engine
that cannot start, a first run that fails, Ctrl-C before any run finished). A command killed
outright leaves it aside, under a hidden name beside the folder, which the next command that
publishes there removes (`sim.program.output.sweep_stale`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sim.program.noreplace import rename_noreplace
from sim.program.output import remove_corridor_folder, set_aside


class EarlierFolder:
    """The folder a command's `--force` replaces, from `set_aside` until `discard` or `put_back`."""

    def __init__(self) -> None:
        self.aside: Path | None = None  # where it is set aside, while it is

    def set_aside(self, path: Path) -> None:
        """Move the earlier folder `path` aside (refused as `--force` refuses it: UserError)."""
        self.aside = set_aside(path)

    def put_back(self, path: Path) -> str:
        """Remove the folder `path` this command created and saved nothing in, and put the earlier
        folder back in its place, if there is one; returns what the command's message says.
        UserError or OSError if the new folder cannot be removed or the earlier put back."""
        remove_corridor_folder(path)
        if self.aside is None:
            return f"nothing was run, and {path}, which this command created, is removed"
        rename_noreplace(self.aside, path)
        self.aside = None
        return f"nothing was run, and {path} is left as it was: --force replaced nothing"

    def discard(self) -> None:
        """Delete the earlier folder, if it is still aside: the command saved what replaces it."""
        if self.aside is not None:
            shutil.rmtree(self.aside, ignore_errors=True)
            self.aside = None


def untouched(path: Path) -> str:
    """What a message says of the folder `path` when the command stopped before opening it (its
    engine could not start: `sim.experiments.engine.Engine`): nothing was run, and the folder, if
    there is one, is left as it was (with its manifest's status, if it has one)."""
    if not path.exists():
        return "nothing was run"
    try:
        status = json.loads((path / "manifest.json").read_text(encoding="utf-8")).get("status")
    except (OSError, ValueError, AttributeError):
        status = None
    return f"nothing was run, and {path} is left as it was" + (f" ({status})" if status else "")
