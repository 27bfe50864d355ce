"""What one command did on a folder of many runs: one entry of its manifest's "sessions", the
phrase a command prints of it, and the status it leaves the folder in when it is stopped."""

from __future__ import annotations

from dataclasses import dataclass

from sim.program.errors import UserError
from sim.program.signals import interrupt_behind


@dataclass
class ExecutionReport:
    """What one call of `execute` did on a run folder — one entry of the manifest's "sessions"
    (a sweep started, interrupted and resumed twice has three): the engine's description, the
    runs it ran and those it found already done, and seconds of wall time, of the runs' own
    model time and of their scenario loading (summed over runs)."""

    engine: str
    ran: int
    skipped: int
    wall_seconds: float
    run_seconds: float
    load_seconds: float

    def text(self) -> str:
        """What the session did, in one phrase: "6 runs on local process pool (2 workers) in 3.1 s;
        4 were already done", or, when every run was done before it, "nothing to run: all 10 runs
        are done"."""
        if not self.ran and self.skipped:
            return f"nothing to run: all {self.skipped} runs are done"
        return (f"{self.ran} runs on {self.engine} in {self.wall_seconds:.1f} s"
                + (f"; {self.skipped} were already done" if self.skipped else ""))


def stopped_status(err: BaseException) -> str:
    """The manifest's status of a folder whose command `err` ended: "interrupted" (Ctrl-C, SIGTERM,
    or an error raised while handling one), else "stopped: " and what happened, in one line."""
    if interrupt_behind(err) is not None:
        return "interrupted"
    what = str(err) if isinstance(err, UserError) else f"{type(err).__name__}: {err}"
    return "stopped: " + " ".join(what.split())[:300]
