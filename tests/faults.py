"""A fault-injection shim (issue 21), in the manner of SQLite's I/O-error tests: the Nth call of
Corridor's atomic-write or publish functions fails with an OSError (ENOSPC, EROFS, EIO), as a
full disk, a file system remounted read-only or a failing device would make it fail.

Every module of `sim` that imported `write_atomic` or `publish_folder` by name gets the shim, so
every file Corridor writes passes through it. A failing atomic write first writes its bytes to
the temporary file (the disk fills part-way through), then fails; a failing publish fails while
its staging folder is being built. Only the engine's in-process worker (`--workers 1`) is seen.

A module first imported while a shim is installed binds the shim by name and keeps it after the
test: once undone, such a shim writes as the original does, and the next `install` puts the
original back in it before patching, so that every shim sees the same writes whatever the
earlier tests of the process imported.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field


@dataclass
class Shim:
    fail_at: int  # the call that fails (1 = the first); 0 never fails (counting only)
    code: int
    calls: int = 0
    failed: str | None = None  # the path whose write failed
    paths: list = field(default_factory=list)  # every path written through the shim, in order

    def tick(self, path) -> None:
        self.calls += 1
        self.paths.append(str(path))
        if self.calls == self.fail_at:
            self.failed = str(path)
            raise OSError(self.code, os.strerror(self.code), str(path))


def install(monkeypatch, fail_at: int, code: int) -> Shim:
    """Patch every `sim` module's `write_atomic` and `publish_folder`; returns the counter."""
    import sim.program.output as output

    shim = Shim(fail_at, code)
    original_write, original_publish = output.write_atomic, output.publish_folder

    def write_atomic(path, writer, replace=True):
        if output.write_atomic is not write_atomic:  # undone; kept by a module imported meanwhile
            return original_write(path, writer, replace)

        def failing(tmp):
            writer(tmp)
            shim.tick(path)
        return original_write(path, failing, replace)

    def publish_folder(build, final, **kwargs):
        if output.publish_folder is not publish_folder:
            return original_publish(build, final, **kwargs)

        def failing(staging):
            shim.tick(final)
            build(staging)
        return original_publish(failing, final, **kwargs)

    write_atomic.shim = publish_folder.shim = True
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "sim" or name.startswith("sim.")):
            continue
        for attr, new, old in (("write_atomic", write_atomic, original_write),
                               ("publish_folder", publish_folder, original_publish)):
            found = getattr(module, attr, None)
            if getattr(found, "shim", False):  # imported while an earlier shim was installed: it kept that one
                setattr(module, attr, old)
                found = old
            if found is old:
                monkeypatch.setattr(module, attr, new)
    return shim


def leftovers(folder) -> list[str]:
    """Hidden staging folders and temporary files Corridor would have left in `folder` (recursively)."""
    found = []
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            if name.startswith(".") and name != ".corridor-output":
                found.append(os.path.join(root, name))
    return found


_BAR = re.compile(r"\d+(?:/\d+)?[^\[]*\[\d\d:\d\d")  # a tqdm bar: '3/4 [00:01<…' or '4frame [00:16, …'


def error_lines(stderr: str) -> list[str]:
    """The lines of a command's stderr that are not progress bars (which redraw with \\r) or
    notes: what the command said."""
    lines = []
    for line in re.split(r"[\r\n]", stderr):
        if _BAR.search(line):
            line = line.rsplit("]", 1)[-1]  # what follows a bar on its line
        if line.strip(" \x1b[A") and not line.startswith("note:"):
            lines.append(line)
    return lines


#: the address a Dask scheduler is out of reach at (`scheduler_out_of_reach`)
NOWHERE = "tcp://127.0.0.1:1"


def scheduler_out_of_reach(monkeypatch) -> list[str]:
    """Make every `distributed.Client` fail at once as one out of reach does after its 15 s
    (an OSError of Dask's); returns the addresses it was asked for, in order."""
    import distributed

    asked = []

    def client(address, **kwargs):
        asked.append(address)
        raise OSError(f"Timed out trying to connect to {address} after 15 s")

    monkeypatch.setattr(distributed, "Client", client)
    return asked


def folder_bytes(folder) -> dict[str, bytes | None]:
    """Every file and folder under `folder` (its path inside it) with its bytes (None for a folder)."""
    return {str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes() for p in sorted(folder.rglob("*"))}
