"""Reading a folder of many runs (a sweep's) while no command writes into it: a shared lock on
its marker, which `sim.experiments.runfolder.RunFolder` (the writer's exclusive lock) respects."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from sim.program.errors import UserError
from sim.program.output import MARKER


@contextlib.contextmanager
def reading(path: Path) -> Iterator[None]:
    """Hold a shared lock on the folder of many runs `path` while a command reads it and writes
    beside its runs (`discover`): refused in one line (UserError) while another command writes
    into it, and a command that would write into it (`--resume`, `--force`) is refused meanwhile;
    several readers may hold it at once. A folder without Corridor's marker is read unlocked."""
    try:
        fd = os.open(Path(path) / MARKER, os.O_RDONLY)
    except OSError:  # no marker: a folder from before markers, or not Corridor's
        fd = None
    try:
        if fd is not None:
            _share(fd, path)
        yield
    finally:
        if fd is not None:
            os.close(fd)  # lets go of the shared lock


def _share(fd: int, path: Path) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no flock on this system: no lock
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        raise UserError(f"{path}: another Corridor command is writing into this folder; wait for it to "
                        "finish") from None
