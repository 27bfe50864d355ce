"""What one command did on a folder of many runs: one entry of its manifest's "sessions", and
the phrase a command prints of it."""

from __future__ import annotations

from dataclasses import dataclass


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
