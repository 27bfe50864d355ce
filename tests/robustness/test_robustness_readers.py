"""Issue 21, item 5 — readers that never escape: loops of links, deep nesting, non-regular files
and other encodings are one line each and `validate` goes on to the next file; control characters
are refused in names and --set keys; a lost pool or scheduler ends with the saved-runs line, and
the folder's label says what happened."""

from __future__ import annotations

import codecs
import json
from concurrent.futures import CancelledError, Future
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

import pytest

from sim.experiments import dask_cluster, engine
from sim.experiments.runfolder import MANIFEST, RunFolder
from sim.program.cli import main
from sim.program.errors import UserError

from conftest import ROOT

OPEN_ROAD = ROOT / "scenarios" / "open_road.yaml"

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def lines_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.startswith("note:")]


def child(tmp_path, extends: str, name: str = "child.yaml", extra: str = ""):
    path = tmp_path / name
    path.write_text(f"name: c\ndescription: d\nextends: {extends}\n{extra}")
    return path


def test_a_loop_of_links_is_one_line_and_validate_goes_on(tmp_path, capsys):
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    looped = child(tmp_path, "a.yaml")
    assert main(["validate", str(looped), str(tmp_path / "a.yaml"), str(OPEN_ROAD)]) == 2
    out, err = capsys.readouterr()
    err = lines_of(err)
    assert len(err) == 2 and "extends: 'a.yaml' is a loop of symbolic links" in err[0], err
    assert "a.yaml" in err[1] and "symbolic links" in err[1], err
    assert "ok  " in out and "open_road.yaml" in out, f"validate checked the next file: {out}"


def test_a_device_as_extends_is_not_a_regular_file(tmp_path):
    from sim.scenario import load_scenario

    with pytest.raises(UserError, match=r"extends: '/dev/zero' is not a regular file"):
        load_scenario(child(tmp_path, "/dev/zero"))


@pytest.mark.parametrize("encoding,expected", [
    ("utf-16", "the file is UTF-16 (its byte-order mark says so); save it as UTF-8"),
    ("utf-32", "the file is UTF-32 (its byte-order mark says so); save it as UTF-8"),
    ("utf-16-le", "looks like UTF-16 (every other byte is zero); save it as UTF-8"),
])
def test_a_file_in_another_unicode_encoding_is_named(tmp_path, encoding, expected):
    from sim.scenario import load_scenario

    path = tmp_path / "s.yaml"
    path.write_bytes(f"name: s\ndescription: d\nextends: {OPEN_ROAD}\n".encode(encoding))
    with pytest.raises(UserError) as err:
        load_scenario(path)
    assert expected in str(err.value) and "\n" not in str(err.value), str(err.value)


def test_a_latin_1_file_is_named_with_its_line(tmp_path):
    from sim.scenario import load_scenario

    path = tmp_path / "s.yaml"
    path.write_bytes(f"name: s\ndescription: café\nextends: {OPEN_ROAD}\n".encode("latin-1"))
    with pytest.raises(UserError) as err:
        load_scenario(path)
    message = str(err.value)
    assert message.startswith(f"{path}:2: ") and "0xe9 is not UTF-8" in message and "'é'" in message \
        and "save it as UTF-8" in message, message
    assert codecs.BOM_UTF8 not in path.read_bytes()


def test_a_map_nested_a_hundred_thousand_arrays_deep_is_one_line(tmp_path, capsys):
    deep = tmp_path / "deep.geojson"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert main(["map", "--map", str(deep), "--out", str(tmp_path / "m.png")]) == 2
    err = lines_of(capsys.readouterr().err)
    assert len(err) == 1 and "nested thousands of levels deep" in err[0], err


def test_control_characters_are_refused_in_names_and_set_keys(tmp_path, capsys):
    from sim.scenario import load_scenario

    with pytest.raises(UserError, match=r"name: holds the control character '\\x1b'; write plain text"):
        load_scenario(_named(tmp_path, '"red\\x1b[31m"'))
    with pytest.raises(UserError, match=r"name: holds the control character '\\x00'"):
        load_scenario(_named(tmp_path, '"nul\\0"'))
    assert main(["run", str(OPEN_ROAD), "--set", "time.dura\ntion_days=2"]) == 2
    err = lines_of(capsys.readouterr().err)
    assert len(err) == 1 and "'time.dura\\ntion_days' holds a control character" in err[0], err


def _named(tmp_path, name: str):
    path = tmp_path / "named.yaml"
    path.write_text(f"name: {name}\ndescription: d\nextends: {OPEN_ROAD}\n")
    return path


def test_a_float_seed_is_shown_as_typed(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["run", "--seed", "1e3"])
    assert stop.value.code == 2
    assert "expected a whole number, found 1e3 " in capsys.readouterr().err


def test_a_manifest_that_is_a_list_is_not_a_manifest(tmp_path, capsys):
    folder = tmp_path / "sweep"
    folder.mkdir()
    (folder / MANIFEST).write_text("[1, 2]")
    assert RunFolder(folder, "sweep", "x").manifest() is None
    assert main(["discover", str(folder), "--where", "share_russia > 0"]) == 2
    err = lines_of(capsys.readouterr().err)
    assert len(err) == 1 and ("not a manifest" in err[0] or "corridor[discovery]" in err[0]), err


# ------------------------------------------------------------------- the engine lost mid-way

class Task:
    def __init__(self, i):
        self.run_id, self.seed, self.overrides = f"r{i}", i, "{}"


@pytest.mark.parametrize("failure,words", [
    (BrokenProcessPool("A process in the process pool was terminated abruptly"), "a worker process died"),
    (CancelledError(), "the Dask scheduler or its workers were lost"),
])
def test_a_lost_pool_or_scheduler_ends_with_the_saved_runs_line(tmp_path, monkeypatch, failure, words):
    folder = RunFolder(tmp_path / "sweep", "sweep", "identity")
    folder.open(resume=False, force=False)
    folder.write_manifest({})

    class Failing:
        calls = 0

        def submit(self, fn, task):
            future: Future = Future()
            Failing.calls += 1
            if Failing.calls <= 2:
                future.set_result({"seconds": 0.0, "load_seconds": 0.0, "outcomes": {}, "series": {}})
            else:
                future.set_exception(failure)
            return future

    @contextmanager
    def fake_executor(workers, dask):
        yield Failing(), "local process pool (2 workers)", 1

    monkeypatch.setattr(engine, "open_executor", fake_executor)
    with pytest.raises(UserError) as err:
        engine.execute([Task(i) for i in range(5)], folder, set(), lambda t: {}, engine=engine.Engine(2, None, folder),
                       progress=False, desc="t")
    message = str(err.value)
    assert words in message and f"the 2 finished runs are saved in {folder.path}; --resume runs the rest" in message, \
        message
    assert "\n" not in message
    status = json.loads((folder.path / MANIFEST).read_text())["status"]
    assert status.startswith("stopped: ") and words in status, f"the folder says what happened: {status}"


def test_a_scheduler_out_of_reach_leaves_a_resumed_folder_as_it_was(tmp_path, monkeypatch):
    """The engine is started before the folder is opened (`engine_and_folder`): a folder to resume
    whose engine cannot start is left as it was, byte for byte, and the line says so (with its
    status: here "running", left by a command that was killed)."""
    RunFolder(tmp_path / "sweep", "sweep", "identity").open(resume=False, force=False)
    RunFolder(tmp_path / "sweep", "sweep", "identity").write_manifest({})
    before = (tmp_path / "sweep" / MANIFEST).read_bytes()
    folder = RunFolder(tmp_path / "sweep", "sweep", "identity")

    @contextmanager
    def unreachable(workers, dask):
        raise UserError("--dask tcp://nowhere:8786: cannot reach the Dask scheduler")
        yield

    monkeypatch.setattr(engine, "open_executor", unreachable)
    with pytest.raises(UserError) as err, engine.engine_and_folder(folder, [Task(0)], workers=1,
                                                                   dask="tcp://nowhere:8786", resume=True, force=False):
        pytest.fail("the folder was opened")
    assert str(err.value) == ("--dask tcp://nowhere:8786: cannot reach the Dask scheduler; nothing was run, and "
                              f"{folder.path} is left as it was (running)"), err.value
    assert (folder.path / MANIFEST).read_bytes() == before, "the folder as it was"


def test_a_sweep_whose_first_run_fails_leaves_no_folder_of_nothing_behind(tmp_path, monkeypatch, capsys):
    """Every run fails (here: the first, in this process): nothing was run, so the folder the
    command created is removed and the one line says so, not that its 0 runs are saved."""
    from test_sweep import sweep_file

    def failing(task):
        raise UserError("the scenario cannot be run")

    monkeypatch.setattr(engine, "run_one", failing)
    path, out = sweep_file(tmp_path, stop=(0.0,), strength=(60,), replicates=2), tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet", "--no-charts"]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line and not line.startswith("note:")]
    assert len(err) == 1 and err[0].startswith(("run p000-r000 (seed ", "run p000-r001 (seed ")), err  # either in flight
    assert err[0].endswith(f"): the scenario cannot be run; nothing was run, and {out}, which this command "
                           "created, is removed"), err
    assert not out.exists()
    out.mkdir()  # a folder the user made (empty: adopted) is not Corridor's to remove
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet", "--no-charts"]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line and not line.startswith("note:")]
    assert err[0].endswith(f"no run had finished, none is saved in {out}; --resume runs them"), err
    assert json.loads((out / MANIFEST).read_text())["status"].startswith("stopped: run p000-r00"), "kept, and says so"


def test_a_forced_sweep_whose_first_run_fails_puts_the_earlier_results_back(tmp_path, monkeypatch, capsys):
    """With --force, when every run fails the earlier folder is put back as it was and the line says
    so, not that the command created (and removed) it (session 14's fresh review, F12;
    sim.experiments.earlier); when a run finished before one failed, the earlier results are gone
    and the line says so beside where the new run is saved."""
    from test_sweep import sweep_file

    path, out = sweep_file(tmp_path, stop=(0.0,), strength=(60,), replicates=2), tmp_path / "out"
    command = ["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet", "--no-charts"]
    run_one = engine.run_one
    for first, ends in [("fails", f"nothing was run, and {out} is left as it was: --force replaced nothing"),
                        ("runs", f"the 1 finished run is saved in {out}; --resume runs the rest (the earlier "
                                 f"results in {out} were removed by --force)")]:
        monkeypatch.setattr(engine, "run_one", run_one)
        assert main([*command, "--force"] if out.exists() else command) == 0  # a finished sweep (again)
        capsys.readouterr()

        def failing(task, first=first):
            if first == "runs" and task.run_id == "p000-r000":
                return run_one(task)
            raise UserError("the scenario cannot be run")

        monkeypatch.setattr(engine, "run_one", failing)
        before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        assert main([*command, "--force"]) == 2
        err = [line for line in capsys.readouterr().err.splitlines() if line and not line.startswith("note:")]
        assert len(err) == 1 and err[0].endswith(f"): the scenario cannot be run; {ends}"), (first, err)
        after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        assert (after == before) == (first == "fails"), "put back as it was only when nothing was saved"


@pytest.mark.parametrize("failing", ["a worker", "the client"])
def test_a_local_dask_cluster_that_fails_to_start_leaves_the_environment_as_it_was(monkeypatch, failing):
    """A local cluster's nanny sets its workers' variables (OMP_NUM_THREADS=1, ...) in this
    process before it starts them; when a worker or the client cannot start (or Ctrl-C comes
    while they start) the variables are undone all the same, and a cluster that started is
    closed. A stand-in for distributed: the cluster sets a variable as the nanny does."""
    import os
    import sys
    import types

    closed = []

    class Cluster:
        def __init__(self, **kwargs):
            os.environ["OMP_NUM_THREADS"] = "1"
            if failing == "a worker":
                raise RuntimeError("a worker failed to start")

        def close(self):
            closed.append("cluster")

    def client(cluster):
        raise OSError("the client cannot connect")

    monkeypatch.setitem(sys.modules, "distributed", types.SimpleNamespace(LocalCluster=Cluster, Client=client))
    monkeypatch.setenv("OMP_NUM_THREADS", "4")  # the caller's
    with pytest.raises(UserError) as refused, dask_cluster.dask_executor("local", 2):
        pass
    line = str(refused.value)
    assert line.startswith("--dask local: the local Dask cluster did not start (") and "\n" not in line, line
    assert ("a worker failed to start" if failing == "a worker" else "the client cannot connect") in line, line
    assert os.environ["OMP_NUM_THREADS"] == "4", f"{failing} failed to start: the cluster's variables were left"
    assert closed == ([] if failing == "a worker" else ["cluster"]), f"{failing} failed to start: closed {closed}"

def test_a_link_to_a_folder_is_named_a_link_not_a_non_folder(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(UserError, match=r"link: is a symbolic link \(to .*real\); give the folder itself"):
        RunFolder(tmp_path / "link", "sweep", "x").open(resume=True, force=False)


def test_a_forced_sweep_interrupted_after_a_run_says_the_earlier_results_were_removed(tmp_path, monkeypatch, capsys):
    """Ctrl-C during `sweep --force` over a finished folder, after a run of its own finished, said
    "the 1 finished runs are saved in OUT; --resume runs the rest": the earlier 20 runs and report were
    gone and the line did not say so (session 15's fresh tester, F3). It now says they were removed
    (the singular, "the 1 finished run is", in the test above)."""
    from test_sweep import sweep_file

    path, out = sweep_file(tmp_path, stop=(0.0,), strength=(60,), replicates=3), tmp_path / "out"
    command = ["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet", "--no-charts"]
    assert main(command) == 0  # a finished sweep
    capsys.readouterr()
    run_one = engine.run_one

    def interrupted(task):  # (one worker runs each task as it is handed out, two ahead: r000 and r001 are saved)
        if task.run_id == "p000-r002":
            raise KeyboardInterrupt
        return run_one(task)

    monkeypatch.setattr(engine, "run_one", interrupted)
    assert main([*command, "--force"]) == 130
    err = [line for line in capsys.readouterr().err.splitlines() if line and not line.startswith("note:")]
    assert len(err) == 1 and err[0].endswith(
        f"after 2 of 3 runs: the 2 finished runs are saved in {out}; --resume runs the rest (the earlier results in "
        f"{out} were removed by --force)"), err
