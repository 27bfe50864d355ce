"""`python run.py discover`: PRIM finds a known box in a synthetic sweep, and bad conditions or
folders are refused in one line with exit status 2."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pandas as pd
import pytest

from sim.experiments.discover import evaluate, expand_phrase
from sim.program.errors import UserError

# found, not imported: EMA Workbench takes ~2 s of CPU to import, which only the worker that runs
# these tests (one group) should pay, not every worker at collection
pytestmark = [pytest.mark.skipif(importlib.util.find_spec("ema_workbench") is None,
                                 reason="the [discovery] extra is not installed"),
              pytest.mark.xdist_group("discover")]

STOP, STRENGTH, NOISE = "rules.checkpoint_blockade.stop_probability", "forces[7].strength", "noise"


def synthetic_sweep(folder, n=300, seed=3):
    """Runs where the convoy fails exactly when stop probability >= 0.3 and strength <= 500."""
    rng = np.random.default_rng(seed)
    runs = pd.DataFrame({"run_id": [f"r{i}" for i in range(n)], STOP: rng.uniform(0, 1, n),
                         STRENGTH: rng.integers(30, 1001, n), NOISE: rng.uniform(0, 1, n)})
    runs["convoys_arrived"] = (~((runs[STOP] >= 0.3) & (runs[STRENGTH] <= 500))).astype(int)
    runs["share_russia"] = rng.uniform(0, 1, n)
    folder.mkdir()
    runs.to_parquet(folder / "runs.parquet")
    (folder / "manifest.json").write_text(json.dumps({"kind": "sweep", "name": "synthetic",
                                                      "parameters": [STOP, STRENGTH, NOISE]}))
    (folder / "sweep.yaml").write_text(f"parameters:\n  {STOP}: {{bounds: [0, 1], label: stop probability}}\n")
    return runs


def discover_main(capsys, *args):
    """`run.py discover ARGS` in this process: (exit status, stderr lines)."""
    from sim.program.cli import main

    status = main(["discover", *map(str, args)])
    return status, capsys.readouterr().err.strip().splitlines()


def test_prim_finds_the_known_box(tmp_path):
    from sim.experiments.discover import discover

    synthetic_sweep(tmp_path / "sweep")
    found = discover(tmp_path / "sweep", "convoy did not arrive")
    assert found.condition == "convoys_arrived == 0"
    assert set(found.limits.index) == {STOP, STRENGTH}, found.limits  # the noise is not restricted
    assert found.limits.loc[STOP, "min"] == pytest.approx(0.3, abs=0.05)
    assert found.limits.loc[STRENGTH, "max"] == pytest.approx(500, abs=50)
    assert found.box["density"] >= 0.95 and found.box["coverage"] >= 0.85
    assert "stop probability" in found.text() and found.labels[STOP] == "stop probability"


def test_cli_writes_the_chart_and_summary(tmp_path, capsys):
    from sim.program.cli import main

    synthetic_sweep(tmp_path / "sweep")
    out = tmp_path / "found"
    status = main(["discover", str(tmp_path / "sweep"), "--where", "convoys_arrived == 0 and share_russia >= 0",
                   "--out", str(out)])
    printed = capsys.readouterr().out
    assert status == 0 and "coverage" in printed and "density" in printed
    summary = json.loads((out / "discover.json").read_text())
    assert set(summary["box"]["restricted_dimensions"]) == {STOP, STRENGTH}
    assert (out / "discover.png").stat().st_size > 20_000
    assert len(pd.read_csv(out / "trajectory.csv")) > 3


@pytest.mark.parametrize("where, needle", [
    ("convoys_arived == 0", "no column 'convoys_arived' in runs.parquet; did you mean 'convoys_arrived'?"),
    ("share_russia >", "cannot read"),
    ("__import__('os').system('true')", "is not allowed"),
    ("share_russia", "is not a condition"),
    ("share_russia > 2", "holds in none of the 300 runs"),
])
def test_bad_conditions_are_one_line_exit_2(tmp_path, capsys, where, needle):
    synthetic_sweep(tmp_path / "sweep")
    status, lines = discover_main(capsys, tmp_path / "sweep", "--where", where)
    assert status == 2
    assert len(lines) == 1 and needle in lines[0] and lines[0].count("--where") == 1, lines
    assert not [p for p in (tmp_path / "sweep").iterdir() if p.name.startswith(("discover", "."))]


def test_not_a_sweep_folder(tmp_path, capsys):
    status, lines = discover_main(capsys, tmp_path, "--where", "convoy arrived")
    assert status == 2 and len(lines) == 1 and "not a sweep folder" in lines[0]


def test_conditions_over_columns_with_dots_and_phrases():
    runs = pd.DataFrame({STOP: [0.1, 0.5, 0.9], "convoys_arrived": [1, 0, 0], "convoys_withdrew": [0, 1, 0]})
    assert evaluate(f"{STOP} > 0.3 and not convoys_withdrew == 1", runs)[1].tolist() == [False, False, True]
    assert evaluate(f"`{STOP}` * 2 >= 1", runs)[1].tolist() == [False, True, True]
    assert expand_phrase("convoy arrived") == "convoys_arrived > 0"
    assert expand_phrase("no convoy withdrew") == "convoys_withdrew == 0"
    with pytest.raises(UserError, match="not allowed"):
        evaluate("convoys_arrived.real == 0", runs)


def test_a_limit_between_design_levels_is_warned_and_other_boxes_can_be_chosen():
    """Four levels per parameter (as a Morris design has): the condition holds where a > 0.5,
    so PRIM's lower limit on `a` lies between the levels 1/3 and 2/3, which no run tests."""
    import numpy as np
    import pandas as pd

    from sim.experiments.discover import discover_table
    from sim.program.errors import UserError

    rng = np.random.default_rng(1)
    levels = np.array([0, 1 / 3, 2 / 3, 1.0])
    a, b = rng.choice(levels, 400), rng.choice(levels, 400)
    runs = pd.DataFrame({"a": a, "b": b, "convoys_arrived": ((a < 0.5) | (rng.random(400) < 0.1)).astype(int)})
    found = discover_table(runs, ["a", "b"], "convoys_arrived == 0")
    low = found.limits.loc["a", "min"]
    assert 1 / 3 < low < 2 / 3, f"premise: the limit {low} lies between two levels"
    assert found.notes == [f"a: the lower limit {low:g} falls between the design levels 0.333333 and 0.666667; "
                           "no run tests the values between, so the edge could be anywhere there"]
    assert "warning: a: the lower limit" in found.text()
    n = len(found.trajectory)  # trajectory.csv numbers its boxes 0 … n − 1, as the text does
    assert f"PRIM box {found.chosen} of boxes 0–{n - 1} on the peeling trajectory" in found.text(), \
        "the text numbers the boxes as trajectory.csv's `box` column does"
    candidates = found.candidates
    assert found.chosen in candidates.index and len(candidates) >= 1
    t = found.trajectory
    for i, r in candidates.iterrows():
        assert not ((t["coverage"] > r["coverage"]) & (t["density"] > r["density"])).any(), \
            f"box {i} is a candidate although another box beats it on coverage and density"
    first = discover_table(runs, ["a", "b"], "convoys_arrived == 0", box=0)
    assert first.chosen == 0 and first.limits.empty, "box 0 is the whole sweep: nothing restricted"
    with pytest.raises(UserError, match="--box: expected a box of the peeling trajectory, 0 to"):
        discover_table(runs, ["a", "b"], "convoys_arrived == 0", box=99)


def test_discover_holds_the_sweep_folder_while_it_writes_into_it(tmp_path, capsys, monkeypatch):
    """discover writes its box into the sweep's folder: while another command writes into the
    folder, discover is refused in one line and writes nothing; while discover writes, a
    command that would replace the folder (--force) is refused. A lock is seen from another
    open file of the marker, as another process would see it."""
    import fcntl
    import os

    import sim.program.output as output
    from sim.experiments.runfolder import RunFolder

    folder = tmp_path / "sweep"
    synthetic_sweep(folder)
    output.mark_folder(folder, "sweep")
    fd = os.open(folder / output.MARKER, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # a sweep being resumed into it
        status, err = discover_main(capsys, folder, "--where", "convoy did not arrive")
    finally:
        os.close(fd)
    assert status == 2 and err == [f"{folder}: another Corridor command is writing into this folder; wait for it "
                                   "to finish"], err
    assert not list(folder.glob("discover_*")), "discover wrote into a folder another command is writing"

    refused, publish = [], output.publish_folder

    def replaced_meanwhile(build, out, **kwargs):
        with pytest.raises(UserError, match="another Corridor command is writing into this folder"):
            RunFolder(folder, "sweep", "x").open(resume=False, force=True)
        refused.append(out.name)
        return publish(build, out, **kwargs)

    monkeypatch.setattr(output, "publish_folder", replaced_meanwhile)
    status, _ = discover_main(capsys, folder, "--where", "convoy did not arrive")
    assert status == 0 and len(refused) == 1 and (folder / refused[0] / "discover.json").is_file()
