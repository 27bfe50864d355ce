"""The Dask engine when it fails after it started, while it closes, or (a real local cluster)
as it starts: one line naming --dask, the finished runs kept, the tables built when only the
close failed, Dask's own log lines kept quiet and its loggers put back.

The first tests replace the real `distributed.LocalCluster` and `Client` with stand-ins that
fail at one point each; the last starts a real local cluster that fails (a worker's memory
setting Dask cannot read, as `DASK_DISTRIBUTED__WORKER__MEMORY__TARGET=banana` gives)."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
from concurrent.futures import Future

import dask
import distributed
import pandas as pd
import pytest
from faults import NOWHERE, error_lines, folder_bytes, scheduler_out_of_reach

from sim.experiments import engine
from sim.experiments.engine import SerialExecutor
from sim.program.cli import main
from sim.program.errors import UserError

from conftest import ROOT


def sweep_file(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\nscenario: {ROOT / 'scenarios' / 'open_road.yaml'}\n"
                    "set: {time.duration_days: 2, time.step_hours: 12, map.cell_km: 4}\n"
                    "parameters:\n  control.kernel_km: {values: [4.0, 6.0]}\nreplicates: 2\nseed: 5\n")
    return path


class Losing(SerialExecutor):
    """Runs two runs, then loses the worker of every other (as Dask reports it)."""

    def __init__(self):
        self.submitted = 0

    def submit(self, fn, /, *args, **kwargs) -> Future:
        self.submitted += 1
        if self.submitted <= 2:
            return super().submit(fn, *args, **kwargs)
        future: Future = Future()
        future.set_exception(distributed.KilledWorker("run", "tcp://127.0.0.1:40000", 3))
        return future


def stand_in(monkeypatch, failing: str) -> None:
    """A local Dask cluster whose runs go through this process, failing at `failing`."""
    class Cluster:
        def __init__(self, **kwargs):
            pass

        def close(self):
            if failing == "the cluster's close":
                raise TimeoutError("the nanny's process did not join in time")

    class Client:
        def __init__(self, cluster):
            pass

        def nthreads(self):
            if failing == "asking for the workers":
                raise OSError("Timed out trying to connect to tcp://127.0.0.1:39999")
            return {"tcp://127.0.0.1:40000": 1}

        def get_executor(self, pure):
            return Losing() if failing == "a worker" else SerialExecutor()

        def close(self):
            if failing == "the client's close":
                raise RuntimeError("the client did not close")

    monkeypatch.setattr(distributed, "LocalCluster", Cluster)
    monkeypatch.setattr(distributed, "Client", Client)


def sweep(tmp_path, *more) -> list[str]:
    return ["sweep", str(sweep_file(tmp_path)), "--out", str(tmp_path / "out"), "--quiet", "--no-charts",
            "--dask", "local", "--workers", "1", *more]


@pytest.mark.parametrize("failing", ["the cluster's close", "the client's close"])
def test_a_dask_engine_that_fails_to_close_after_every_run_still_builds_the_tables(tmp_path, monkeypatch, capsys,
                                                                                  failing):
    """A close that times out under load (dask/distributed#9300) comes after every run finished:
    the tables are built, the folder is complete, and the close is one note naming --dask."""
    stand_in(monkeypatch, failing)
    assert main(sweep(tmp_path)) == 0
    out = tmp_path / "out"
    assert len(pd.read_csv(out / "runs.csv")) == 4, "the tables were not built"
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    err = capsys.readouterr().err
    notes = [line for line in err.splitlines() if "did not close cleanly" in line]
    assert len(notes) == 1 and notes[0].startswith("note: --dask local: the "), err
    assert "Traceback" not in err and not error_lines(err), err


def test_a_dask_cluster_lost_as_it_starts_is_one_line_naming_dask_not_the_disk(tmp_path, monkeypatch, capsys):
    """The scheduler lost as the client asks it for its workers (an OSError of Dask's) is the
    engine's failure, not the disk's: one line naming --dask, saying that nothing was run. The
    engine is started before the folder is created (`engine_and_folder`): no folder is left
    behind, and an empty folder the user made is left empty."""
    stand_in(monkeypatch, "asking for the workers")
    assert main(sweep(tmp_path)) == 2
    out = tmp_path / "out"
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith("--dask local: the local Dask cluster was lost as it started (OSError: Timed out"), line
    assert line.endswith("; nothing was run"), line
    assert "writing failed" not in line and "saved" not in line, line
    assert not out.exists(), "a folder of no runs was left behind"
    assert main(sweep(tmp_path, "--resume")) == 2  # no folder to resume: refused before any engine
    assert "nothing to resume" in capsys.readouterr().err
    out.mkdir()  # a folder the user made (empty: adopted) is not Corridor's to remove
    assert main(sweep(tmp_path)) == 2
    line = error_lines(capsys.readouterr().err)[0]
    assert line.endswith(f"; nothing was run, and {out} is left as it was"), line
    assert not any(out.iterdir()), "the empty folder is left as it was"


def test_an_extension_whose_engine_fails_leaves_the_finished_sweep_as_it_was_or_resumable(tmp_path, monkeypatch,
                                                                                         capsys):
    """`--add-replicates` to a complete folder whose Dask engine could not start left it "stopped",
    its manifest saying the new replicates and its session never ended, after a plan line that
    --quiet did not silence (session 12's fresh review). Now the folder is left as it was, its
    manifest byte for byte (complete, its replicates, no session that ran nothing), and the one
    line says so. An extension that stops part-way keeps its new runs and says stopped: a
    plain --resume runs the rest of it."""
    out = tmp_path / "out"
    assert main(sweep(tmp_path)[:-4] + ["--workers", "1"]) == 0  # complete: 2 points × 2 replicates
    capsys.readouterr()
    before = (out / "manifest.json").read_bytes()
    stand_in(monkeypatch, "asking for the workers")
    assert main(sweep(tmp_path, "--add-replicates", "1")) == 2
    said = capsys.readouterr()
    assert not said.out, f"--quiet: no plan line before the error: {said.out}"
    lines = error_lines(said.err)
    assert len(lines) == 1 and lines[0].endswith(f"; nothing was run, and {out} is left as it was (complete)"), lines
    assert (out / "manifest.json").read_bytes() == before, "the folder as it was"
    def failing(task):
        raise UserError("the scenario cannot be run")

    with monkeypatch.context() as patch:  # the engine starts, and every new run fails: nothing was run
        patch.setattr(engine, "run_one", failing)
        assert main(sweep(tmp_path)[:-4] + ["--workers", "1", "--add-replicates", "1"]) == 2
    said = capsys.readouterr()
    assert not said.out, f"--quiet: no plan line before the error: {said.out}"
    assert said.err.rstrip().endswith(f"; nothing was run, and {out} is left as it was (complete)"), said.err
    assert (out / "manifest.json").read_bytes() == before, "the folder as it was, after a run failed"

    stand_in(monkeypatch, "a worker")  # runs two of the four new runs, then loses its workers
    assert main(sweep(tmp_path, "--add-replicates", "2")) == 2
    lines = error_lines(capsys.readouterr().err)
    assert lines[0].endswith(f"the 6 finished runs are saved in {out}; --resume runs the rest"), lines
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"].startswith("stopped: ") and m["replicates"] == 4, "an extension begun is the folder's"
    assert m["sessions"][-1]["ended"] and m["sessions"][-1]["ran"] == 2, m["sessions"][-1]
    assert main(sweep(tmp_path, "--resume", "--dry-run")) == 0
    assert f"{out} holds 6 of them: 2 would run" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["sweep", "uncertainty"])
def test_force_with_a_scheduler_out_of_reach_leaves_the_earlier_results_as_they_were(tmp_path, monkeypatch, capsys,
                                                                                      command):
    """`--force --dask ADDRESS` on a finished folder of many runs, the scheduler out of reach: the
    folder was deleted first, then the line said it was one "which this command created, is
    removed" (session 14's fresh review, F12). The engine is started before the folder is
    replaced (`engine_and_folder`): exit 2, one line saying the folder is left as it was, and it
    is, byte for byte."""
    out = tmp_path / "out"
    quick = ["--out", str(out), "--quiet", "--no-charts"]
    args = ([command, str(sweep_file(tmp_path))] if command == "sweep" else
            [command, "open_road", "--replicates", "2", "--set",
             "time.duration_days=2", "--set", "time.step_hours=12", "--set", "map.cell_km=4"]) + quick
    assert main(args + ["--workers", "1"]) == 0
    capsys.readouterr()
    before = folder_bytes(out)
    asked = scheduler_out_of_reach(monkeypatch)
    assert main(args + ["--force", "--dask", NOWHERE]) == 2
    assert asked == [NOWHERE], "the scheduler was not asked for: the test tests nothing"
    lines = error_lines(capsys.readouterr().err)
    assert lines == [f"--dask {NOWHERE}: cannot reach the Dask scheduler (Timed out trying to connect to {NOWHERE} "
                     f"after 15 s); nothing was run, and {out} is left as it was (complete)"], lines
    assert folder_bytes(out) == before, "the earlier results were touched"


def test_a_dask_worker_lost_during_the_runs_is_one_line_naming_dask(tmp_path, monkeypatch, capsys):
    stand_in(monkeypatch, "a worker")
    assert main(sweep(tmp_path)) == 2
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1, lines
    assert lines[0].startswith("--dask local: the Dask scheduler or its workers were lost (KilledWorker); the 2 "
                               f"finished runs are saved in {tmp_path / 'out'}; --resume runs the rest"), lines


def test_an_empty_dask_address_is_refused(tmp_path, capsys):
    assert main(sweep(tmp_path)[:-4] + ["--dask", ""]) == 2
    lines = error_lines(capsys.readouterr().err)
    assert lines == ["--dask: expected 'local' or a scheduler address like tcp://host:8786, found an empty string"], lines
    assert not (tmp_path / "out").exists(), "refused after the folder was made"


def test_a_real_local_dask_cluster_that_fails_to_start_is_one_line_and_puts_dasks_loggers_back(tmp_path, capfd):
    """A real LocalCluster whose worker cannot start: the command's one line, none of Dask's
    log lines or tracebacks (from this process or the worker's), and the `distributed`
    logger and its handlers at the levels they had (1 s of CPU here, a few of wall time).
    Port 8787 is taken (by another cluster, say a notebook's): no note that the scheduler's
    HTTP server moved, for it asks for any free port."""
    logger = logging.getLogger("distributed")
    before = [logger.level, *(h.level for h in logger.handlers)]
    with socket.socket() as taken, dask.config.set({"distributed.worker.memory.target": "banana"}):
        with contextlib.suppress(OSError):  # already taken by someone else: as good
            taken.bind(("127.0.0.1", 8787))
            taken.listen()
        status = main(sweep(tmp_path))
    err = capfd.readouterr().err
    assert "8787" not in err, err
    assert status == 2, err
    lines = error_lines(err)
    assert len(lines) == 1 and lines[0].startswith("--dask local: the local Dask cluster did not start ("), err
    assert "Traceback" not in err and " - ERROR - " not in err, err
    assert [logger.level, *(h.level for h in logger.handlers)] == before, "the distributed loggers were left changed"


def test_a_real_local_dask_sweep_prints_none_of_dasks_own_lines(tmp_path, capfd):
    """A real local cluster that starts, runs the sweep and closes: the command's own lines only,
    not Dask's (its scheduler and nannies log every step of closing at INFO), and the
    `distributed` logger and its handlers at the levels they had."""
    logger = logging.getLogger("distributed")
    before = [logger.level, *(h.level for h in logger.handlers)]
    assert main(sweep(tmp_path)) == 0
    err = capfd.readouterr().err
    assert "distributed." not in err and "Traceback" not in err, err
    assert [logger.level, *(h.level for h in logger.handlers)] == before, "the distributed loggers were left changed"


def test_force_whose_engine_fails_puts_the_earlier_folder_back_as_it_was(tmp_path, monkeypatch, capsys):
    """`sweep --force --dask ADDRESS` on a finished sweep whose scheduler was out of reach deleted
    the earlier sweep, ran nothing, and said the folder "which this command created, is removed"
    (session 14's fresh tester, F12; compare, uncertainty, hindcast alike). The folder `--force`
    replaces is set aside, not deleted, until the command saves something
    (sim.experiments.earlier), and the engine is started before the folder is touched: an engine
    that fails leaves it as it was; Ctrl-C before the first run finished puts it back, in the
    one line's words, with nothing left beside it; a --force that runs replaces it, leaving
    nothing aside."""
    out = tmp_path / "out"
    assert main(sweep(tmp_path)[:-4] + ["--workers", "1"]) == 0  # complete: 2 points × 2 replicates
    capsys.readouterr()
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    beside = sorted(p.name for p in tmp_path.iterdir())
    stand_in(monkeypatch, "asking for the workers")
    assert main(sweep(tmp_path, "--force")) == 2
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1 and lines[0].endswith(f"; nothing was run, and {out} is left as it was (complete)"), \
        lines  # the engine is started before the folder is touched (sim.experiments.engine.engine_and_folder)
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before, "as it was"
    assert sorted(p.name for p in tmp_path.iterdir()) == beside, "nothing left aside"
    monkeypatch.undo()

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:  # Ctrl-C before the first run finished: the same
        patch.setattr("sim.experiments.engine.run_one", interrupt)
        assert main(sweep(tmp_path)[:-4] + ["--workers", "1", "--force"]) == 130
    assert error_lines(capsys.readouterr().err) == [
        f"interrupted: nothing was run, and {out} is left as it was: --force replaced nothing"]
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before, "as it was"
    assert main(sweep(tmp_path)[:-4] + ["--workers", "1", "--force"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == beside, "the earlier folder deleted once replaced"
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


@pytest.mark.xdist_group("calibrate")  # pyabc imported once, on the calibrations' worker
def test_a_forced_calibration_that_fails_after_its_engine_started_puts_the_earlier_back_and_says_so(
        tmp_path, monkeypatch, capsys):
    """`calibrate --force` on a finished calibration, failing after its engine started (a simulation
    that raises): the earlier folder was deleted and the error did not say so (session 14's note).
    It is put back byte for byte, as after Ctrl-C, and the error's line says so; a bug's traceback
    says so in its last line."""
    from test_calibrate import GOOD, earlier_calibration, write

    import sim.hindcast.calibrate as calibrate

    out = tmp_path / "out"
    before = earlier_calibration(out)
    back = f"{out} is left as it was: --force replaced nothing, and what this command wrote is not kept"
    command = ["calibrate", str(write(tmp_path, GOOD)), "--out", str(out), "--force", "--quiet", "--workers", "1"]

    def failed(plan, simulator, observed, db, *args, **kwargs):
        db.write_bytes(b"a generation of this calibration")
        raise UserError("run 3 (seed 7): the scenario cannot be run")

    monkeypatch.setattr(calibrate, "run_abc", failed)
    assert main(command) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1] == f"run 3 (seed 7): the scenario cannot be run; {back}"
    assert lines[0].startswith("calibrate t: 1 parameter, 2 generations of 6 → "), "not \"1 parameters\""
    assert folder_bytes(out) == before, "the earlier calibration was not put back as it was"

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(calibrate, "run_abc", broken)
    with pytest.raises(ZeroDivisionError) as raised:
        main(command)
    assert raised.value.__notes__ == [back]
    assert folder_bytes(out) == before, "the earlier calibration was not put back as it was"
