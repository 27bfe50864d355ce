"""The lock a command holds on a folder of many runs while it writes into it (`sim.experiments.runfolder`):
an exclusive `flock` on the folder's marker file, held by this process until the folder's manifest says
complete or stopped, the command ends, this process ends, or it opens the same folder again. A
second command on the folder is refused in one line.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from sim.program.errors import UserError
from sim.program.written import MARKER

_HELD: dict[str, int] = {}  # folder → descriptor of its locked marker, held by this process


def lock(path: Path) -> None:
    """Hold an exclusive lock on the marker of the folder `path`; UserError if another command holds it."""
    unlock(path)
    fd = os.open(path / MARKER, os.O_RDONLY)
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except ImportError:  # pragma: no cover - no flock on this system: no lock
        pass
    except BlockingIOError:
        os.close(fd)
        raise UserError(f"{path}: another Corridor command is writing into this folder; wait "
                        "for it to finish, or choose another --out") from None
    _HELD[str(path.resolve())] = fd


def hold(path: Path, fd: int) -> None:
    """Lock the marker of a folder `path` this command is creating, through its new file `fd`, before
    the marker is written (`new_marked_folder`'s `claim`): another command that sees the marker
    whole finds it locked. It waits only for a command that is checking the lock."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no flock on this system: no lock
        return
    unlock(path)
    held = os.dup(fd)  # the lock stays with this descriptor when the marker's file is closed
    fcntl.flock(held, fcntl.LOCK_EX)
    _HELD[str(path.resolve())] = held


def unlock(path: Path) -> None:
    """Let go of the lock on the folder `path`, if this process holds it: another command (another
    process, e.g. `--resume` from a terminal while a notebook that ran the sweep is still open) may
    write into it now."""
    with contextlib.suppress(KeyError, OSError):
        os.close(_HELD.pop(str(path.resolve())))
