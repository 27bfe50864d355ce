"""The Python API (sim/api.py): scenarios by name, tidy tables with units, replicates with
common random numbers, out=None writes nothing; the README's "From Python" example and the
analyst notebook run."""

from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest

import sim
import sim.api as api
from sim.experiments.design import replicate_seeds
from sim.program.errors import UserError
from sim.results.tidy import TIDY_COLUMNS

from conftest import ROOT, SCENARIOS

QUICK = {"time.duration_days": 2, "time.step_hours": 6, "map.cell_km": 3}  # 8 steps on a coarse map

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def test_scenarios_by_library_name_or_path_and_a_clear_error():
    by_name = sim.load("open_road", QUICK)
    by_path = sim.load(SCENARIOS / "open_road.yaml", QUICK)
    assert by_name.digest == by_path.digest and by_name.overrides == QUICK
    assert sim.load(by_name) is by_name
    with pytest.raises(UserError, match="did you mean 'albu_kamal_blockade'"):
        sim.load("albu_kamal_blokade")


def test_one_run_tidy_table_has_units_for_every_value():
    one = sim.run("albu_kamal_blockade", seed=3, overrides=QUICK)
    assert one.folder is None
    tidy = one.tidy
    assert tuple(tidy.columns) == TIDY_COLUMNS
    assert (tidy["unit"] != "").all(), "every value has a unit"
    observed = [c for c in one.wide.columns if c not in ("step", "hours", "day", "date")]
    assert len(tidy) == len(one.wide) * len(observed), "one row per step × observation"
    assert tidy["date"].iloc[0] == "2017-11-19" and tidy["date"].iloc[-1] == one.wide["date"].iloc[-1], \
        "the tidy table dates each step as the wide table does (day 0 = time.start_date, 2017-11-19)"
    russia = tidy.query("faction == 'russia' and metric == 'share'")["value"].to_numpy()
    assert list(russia) == list(one.wide["share_russia"]), "tidy values are the wide table's"
    holder = tidy.query("metric == 'holder' and place == 'Albu Kamal'")
    assert holder["value"].isna().all() and list(holder["state"]) == list(one.wide["holder_Albu Kamal"])


def test_tidy_entities_are_columns_and_text_is_categorical():
    one = sim.run("albu_kamal_blockade", seed=3, overrides=QUICK)
    tidy, wide = one.tidy, one.wide
    assert not tidy["metric"].str.contains("Albu Kamal|russia|R1").any(), \
        "no place, faction or convoy packed into a metric's name"
    tension = tidy.query("metric == 'tension' and pair == 'iran_militia/russia'")["value"]
    assert list(tension) == list(wide["tension_iran_militia_russia"]), "a rival pair is the `pair` column"
    convoy = tidy.query("metric == 'convoy_outcome' and convoy == 'R1'")["state"]
    assert list(convoy) == list(wide["convoy_R1"]), "a convoy is the `convoy` column"
    whole = tidy.query("metric == 'contested_share'")
    assert whole[["faction", "place", "pair", "convoy"]].isna().all().all(), "a whole-map value has no entity"
    text = ["run", "faction", "place", "pair", "convoy", "metric", "unit", "state"]
    assert all(isinstance(tidy[c].dtype, pd.CategoricalDtype) for c in text), "text columns are categories"
    plain = tidy.astype({c: object for c in text})
    small, large = tidy.memory_usage(deep=True).sum(), plain.memory_usage(deep=True).sum()
    assert small <= large / 2, f"categories should at least halve the table: {small:,} vs {large:,} bytes"


def test_replicates_are_the_engine_runs_with_common_random_numbers_and_write_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    reps = sim.replicate("albu_kamal_blockade", 3, overrides=QUICK, workers=1, progress=False)
    assert reps.folder is None and not list(tmp_path.iterdir()), "out=None must write nothing"
    root = sim.load("albu_kamal_blockade").spec.seed
    assert reps.seeds == replicate_seeds(root, 3)
    assert list(reps.runs["seed"]) == reps.seeds and len(reps.runs) == 3
    assert set(reps.tidy["run"]) == {"r000", "r001", "r002"}
    first = sim.run("albu_kamal_blockade", seed=reps.seeds[1], overrides=QUICK).wide
    mine = reps.wide.query("run_id == 'r001'")
    assert list(mine["day"]) == [0.0, 1.0, 2.0], "many runs keep one step per simulated day by default"
    daily = first[first["day"].isin([0.0, 1.0, 2.0])]
    assert list(mine["share_russia"]) == list(daily["share_russia"]), "a replicate is the run with its seed"
    assert isinstance(reps.tidy["run"].dtype, pd.CategoricalDtype) and list(reps.tidy["run"].cat.categories) \
        == ["r000", "r001", "r002"], "the runs' tables join with their categories"
    saved = sim.replicate("albu_kamal_blockade", 3, overrides=QUICK, workers=2, progress=False,
                          out=tmp_path / "reps")
    assert pd.read_parquet(saved.folder / "tidy.parquet").equals(reps.tidy), \
        "2 workers and a written folder give the same tidy table as 1 worker in memory"


def test_compare_and_sweep_in_memory(tmp_path):
    cmp = sim.compare(["open_road", "albu_kamal_blockade"], replicates=2, overrides=QUICK, workers=1,
                      progress=False)
    assert cmp.arms == ["open_road", "albu_kamal_blockade"] and cmp.folder is None
    assert set(cmp.tidy["arm"]) == set(cmp.arms) and list(cmp.tidy.columns[:2]) == ["run", "arm"]
    row = cmp.table.query("outcome == 'share_russia' and arm == 'albu_kamal_blockade'").iloc[0]
    means = cmp.runs.groupby("arm")["share_russia"].mean()
    assert row["diff_vs_first"] == pytest.approx(means["albu_kamal_blockade"] - means["open_road"])
    sweep_file = tmp_path / "tiny.yaml"
    sweep_file.write_text(f"""name: tiny
description: two stop probabilities
scenario: {SCENARIOS / 'albu_kamal_blockade.yaml'}
set: {{time.duration_days: 2, time.step_hours: 6, map.cell_km: 3}}
parameters:
  rules.checkpoint_blockade.stop_probability: {{values: [0.0, 1.0]}}
design: grid
replicates: 2
outcomes: {{final: [convoys_*], series: {{every_hours: 24, columns: [share_russia]}}}}
""", encoding="utf-8")
    sw = sim.sweep(sweep_file, workers=1, progress=False)
    assert list(sw.design["rules.checkpoint_blockade.stop_probability"]) == [0.0, 1.0]
    assert len(sw.runs) == 4 and set(sw.tidy["point"]) == {0, 1}
    assert set(sw.tidy["metric"]) == {"share"}


def test_readme_from_python_example_runs(monkeypatch):
    """The README's example, run as written but with short runs (QUICK) and 4 replicates."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## From Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 3 and "sim.replicate(\"albu_kamal_blockade\", 20)" in blocks[0]
    load, replicate = api.load, api.replicate
    monkeypatch.setattr(api, "load", lambda scenario, overrides=None: load(scenario, {**QUICK, **(overrides or {})}))
    monkeypatch.setattr(api, "replicate", lambda scenario, n=20, **kw: replicate(scenario, min(n, 4), **kw))
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(blocks[0], namespace)
        exec("import sim\n" + blocks[1], namespace)
        exec(blocks[2], namespace)
    assert not namespace["shares"].empty and set(namespace["shares"]["unit"]) == {"share of land (0–1)"}
    rows = namespace["rows"]
    assert {r["seed"] for r in rows} == {1, 2, 3}, "batch_run passes its seeds as the model's seed"
    assert all("share_russia" in r for r in rows), "batch_run reads the model's datacollector"
    assert set(namespace["observed"]) == set(namespace["simulated"]), "the record's patterns and the run's: same keys"


@pytest.mark.xdist_group("notebook")
def test_analyst_notebook_runs(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(ROOT / "docs" / "analyst.ipynb", as_version=4)
    setup = notebook.cells[1]
    quick = 'QUICK = {"time.duration_days": 3, "time.step_hours": 6, "map.cell_km": 2}'
    assert quick in setup.source, "the notebook's first code cell sets QUICK"
    setup.source = setup.source.replace(quick, f"QUICK = {QUICK!r}")  # shorter still, for the tests
    assert "WORKERS = 2" in setup.source, "the notebook's first code cell sets WORKERS"
    # its runs in the kernel: a pool in a kernel (which has threads) starts a fork server that
    # imports the model again (24.4 → 22.3 s of CPU for this test); pools: test_sweep.py, and above
    setup.source = setup.source.replace("WORKERS = 2", "WORKERS = 1")
    fewer = {"replicates=5, sets=HINDCAST": "replicates=2, sets=HINDCAST",  # the hindcast: 2 runs of 6 weeks
             '"time.duration_days": 102': '"time.duration_days": 43', '"2017-11-19:2018-02-28"': '"2017-11-19:2017-12-31"',
             "WHATIF_DAYS = 14": "WHATIF_DAYS = 3", "replicates=8,": "replicates=2,",
             '"albu_kamal_blockade", 20,': '"albu_kamal_blockade", 4,', "replicates=6,": "replicates=2,",
             "replicates=3,": "replicates=2,", "replicates=5,": "replicates=3,",
             # the sweep's charts (~8 s of CPU each time; test_sweep.py checks them), not the hindcast's
             "out=folder,": "out=folder, charts=False,"}
    assert sum("out=folder," in c.source for c in notebook.cells) == 2, "the notebook writes its sweep twice"
    for cell in notebook.cells:
        for many, few in fewer.items():
            cell.source = cell.source.replace(many, few)
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    assert any("sim.sweep(scenario=" in c.source and "resume=True" in c.source for c in notebook.cells), \
        "the notebook extends a sweep defined in Python with more replicates (its cell asserts two sessions)"
    printed = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs)
    real = (ROOT / "docs" / "calibration" / "corridor_2017_2018" / "posterior.csv").is_file()
    expected = "posterior: the calibration against the record" if real else "posterior: a tiny posterior made here"
    assert expected in printed, f"the notebook says which posterior its what-if used: expected '{expected}'"
    hindcast = next(c for c in notebook.cells if "run_hindcast(" in c.source)
    scores = hindcast.outputs[0]["data"]["text/plain"]
    assert "coverage_90|all" in scores and "holder_agreement" in scores, "the hindcast cell shows its scores"
    whatif = next(c for c in notebook.cells if "posterior=posterior" in c.source)
    table = next(o for o in whatif.outputs if o.output_type == "execute_result")["data"]["text/plain"]
    assert "incidents_airstrike" in table and "strength_iran_militia" in table, \
        f"the what-if under the posterior shows its arm's differences, got {table[:200]}"


def test_a_sweep_defined_in_python_ranges_a_dataframe_or_a_file_with_overrides():
    key, strength = "rules.checkpoint_blockade.stop_probability", "forces[7].strength"
    lhs = sim.sweep(scenario="albu_kamal_blockade", parameters={key: (0.0, 1.0), strength: (20, 80)}, design="lhs",
                    samples=3, replicates=2, overrides=QUICK, workers=1, progress=False)
    assert len(lhs.design) == 3 and len(lhs.runs) == 6
    assert lhs.design[key].between(0, 1).all() and lhs.design[strength].between(20, 80).all(), \
        "a (low, high) tuple is the bounds a Latin hypercube draws from"
    assert len(set(lhs.design[key].round(6))) == 3, "three distinct samples"
    points = pd.DataFrame({key: [0.0, 1.0, 1.0], strength: [20, 20, 90]})
    given = sim.sweep(scenario="albu_kamal_blockade", design=points, replicates=1, overrides=QUICK, workers=1,
                      progress=False)
    assert given.design[[key, strength]].values.tolist() == points.values.tolist(), "a DataFrame's rows are the points"
    assert list(given.runs.sort_values("point")[strength]) == [20, 20, 90]
    with pytest.raises(UserError, match="did you mean 'stop_probability'") as err:
        sim.sweep(scenario="albu_kamal_blockade", parameters={key[:-1]: [0.0]}, overrides=QUICK, workers=1,
                  progress=False)
    assert str(err.value).startswith("sim.sweep: parameters") and "corridor_sweep_" not in str(err.value), \
        "a problem names the call and the key, not a temporary file"
    with pytest.raises(UserError, match="needs samples="):
        sim.sweep(scenario="albu_kamal_blockade", parameters={key: (0.0, 1.0)}, design="lhs", workers=1)
    from_file = sim.sweep("airstrike_rate", replicates=1, overrides=QUICK, workers=1, progress=False)
    assert len(from_file.runs) == 5 and (from_file.wide["day"].max() == 2.0), "overrides reach a sweep file's `set`"


def test_charts_false_writes_the_folder_without_its_charts(tmp_path):
    """`charts=False` is the command line's `--no-charts`: the tables and the report, no PNG."""
    stop = {"rules.checkpoint_blockade.stop_probability": [0.0, 1.0]}
    sw = sim.sweep(scenario="albu_kamal_blockade", parameters=stop, replicates=1, overrides=QUICK, workers=1,
                   progress=False, out=tmp_path / "sweep", charts=False)
    cmp = sim.compare(["open_road", "albu_kamal_blockade"], replicates=2, overrides=QUICK, workers=1,
                      progress=False, out=tmp_path / "compare", charts=False)
    for folder in (sw.folder, cmp.folder):
        assert (folder / "report.md").is_file() and (folder / "runs.parquet").is_file(), f"{folder.name}: tables"
        assert not list(folder.rglob("*.png")), f"{folder.name}: charts=False drew {list(folder.rglob('*.png'))}"
    with pytest.raises(UserError, match="charts: expected True or False"):
        sim.sweep(scenario="albu_kamal_blockade", parameters=stop, overrides=QUICK, charts="no")


def test_corridors_figures_leave_the_callers_matplotlib_backend():
    """A notebook plots inline and saves a run (`sim.run(..., out=...)` draws its map, charts and
    GIF): Corridor draws on figures of its own, never through pyplot, and leaves the caller's
    backend alone. Its run figures once switched the whole process to Agg on import, and the
    notebook's own plots stopped showing. A fresh process: every figure module imported."""
    import subprocess
    import sys

    code = ("import importlib, pkgutil, matplotlib; matplotlib.use('svg'); import matplotlib.pyplot as plt; "
            "import sim.api, sim.figures; "
            "[importlib.import_module(f'sim.figures.{m.name}') for m in pkgutil.iter_modules(sim.figures.__path__)]; "
            "print(matplotlib.get_backend())")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["svg"], f"importing Corridor's figures switched the caller's backend: {done.stdout}"


def test_ctrl_c_during_runs_in_memory_raises_keyboard_interrupt_and_says_where(monkeypatch, capsys):
    """Ctrl-C during `sim.replicate` (out=None) reached the engine's handler, which asked the
    in-memory store for `interrupted`, which it did not have: the caller got an AttributeError
    (session 14, helper f12). Now the caller gets the KeyboardInterrupt, and one line on stderr
    says how far it got and that nothing was written."""
    calls = []

    def stopped_at_the_third(task):
        calls.append(task.run_id)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return {"outcomes": {}, "series": {}, "seconds": 0.0, "load_seconds": 0.0,
                "factions": {"ids": [], "labels": [], "colors": []}}

    monkeypatch.setattr("sim.experiments.engine.run_one", stopped_at_the_third)
    with pytest.raises(KeyboardInterrupt) as raised:
        sim.replicate("open_road", 3, overrides=QUICK, workers=1, progress=False)
    assert type(raised.value) is KeyboardInterrupt and raised.value.__context__ is None, repr(raised.value)
    assert capsys.readouterr().err == "interrupted after 2 of 3 runs: 2 runs had finished; nothing was written (out=None)\n"
