"""Mesa's conventions: `rng=`, `running`, stepping past the end, faction ids on agents, and
`mesa.batch_run` through the model's `datacollector`."""

import warnings

import mesa
import numpy as np
import pytest

from sim.model import CorridorModel
from sim.scenario import load_scenario

from conftest import SCENARIOS

SHORT = {"time.duration_days": 2, "time.step_hours": 6, "map.cell_km": 3}  # 8 steps on a coarse map


@pytest.fixture(scope="module")
def loaded():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_scenario(SCENARIOS / "albu_kamal_blockade.yaml", SHORT)


def test_rng_is_the_seed_and_seed_stays_an_alias(loaded):
    by_rng = CorridorModel(loaded, rng=7).run()
    by_seed = CorridorModel(loaded, seed=7).run()
    assert by_rng.seed == 7
    assert by_rng.steps.equals(by_seed.steps), "rng=7 and seed=7 must give the same run"
    assert CorridorModel(loaded).seed_value == loaded.spec.seed
    sequence = np.random.SeedSequence(5)
    assert CorridorModel(loaded, rng=sequence).seed_value == CorridorModel(loaded, rng=np.random.SeedSequence(5)).seed_value
    with pytest.raises(ValueError, match="not both"):
        CorridorModel(loaded, seed=1, rng=1)
    with pytest.raises(TypeError, match="rng"):
        CorridorModel(loaded, rng="seven")


def test_while_running_step_ends_at_the_scenario_end_and_extra_steps_do_nothing(loaded):
    model = CorridorModel(loaded, rng=3)
    assert model.running
    count = 0
    while model.running:
        model.step()
        count += 1
    assert count == model.n_steps == 8, f"ran {count} steps, expected the scenario's {model.n_steps}"
    before = model.recorder.result().steps
    model.step()
    model.step()
    assert model.steps == 8 and not model.running
    after = model.recorder.result().steps
    assert len(after) == 9 and after.equals(before), "a step past the end changed the record"
    assert after.equals(CorridorModel(loaded, rng=3).run().steps), "Mesa's loop differs from run()"
    table = model.datacollector.get_model_vars_dataframe()
    assert table.shape == after.shape and table["share_russia"].tolist() == after["share_russia"].tolist()


def test_agents_carry_their_faction_id(loaded):
    model = CorridorModel(loaded, rng=1)
    ids = {agent.faction_id for agent in model.agents}
    assert ids <= set(loaded.spec.factions) and {"iran_militia", "russia"} <= ids
    assert all(a.faction_id == model.factions.ids[a.faction] for a in model.agents)


def test_mesa_batch_run_drives_the_model(loaded):
    rows = mesa.batch_run(CorridorModel, parameters={"loaded": loaded}, rng=[1, 2], max_steps=100,
                          data_collection_period=1, display_progress=False)
    assert len(rows) == 2 * 9, "one row per recorded step (initial state + 8) per seed"
    last = [r for r in rows if r["Step"] == 8]
    assert len(last) == 2
    expected = CorridorModel(loaded, rng=2).run().steps.iloc[-1]
    got = next(r for r in last if r["RunId"] == 1)
    assert got["share_russia"] == pytest.approx(expected["share_russia"])
    assert got["convoy_R1"] == expected["convoy_R1"]
    import pandas as pd

    by_scenario = pd.DataFrame(rows).groupby("loaded")["share_russia"].size()
    assert by_scenario.to_dict() == {loaded: 18}, "the scenario column is hashable: rows group by it"
    assert "sha256" in repr(loaded) and len(repr(loaded)) < 120, "a short repr in a table"


def test_agent_level_data_in_the_datacollector_on_request(loaded):
    model = CorridorModel(loaded, rng=1, agent_data=True, frame_every_hours=loaded.spec.time.step_hours)
    while model.running:
        model.step()
    agents = model.datacollector.get_agent_vars_dataframe()
    assert list(agents.columns) == ["faction", "kind", "label", "fighters", "row", "col"]
    steps = agents.index.get_level_values("Step").unique().tolist()
    assert steps == list(range(model.n_steps + 1)), "a snapshot every step: agent rows at every step"
    end = agents.xs(model.n_steps, level="Step")
    alive = {u.unique_id: u for u in model.agents if u.alive}
    assert set(end.index) == set(alive), "the last step lists exactly the units alive at the end"
    for uid, row in end.iterrows():
        u = alive[uid]
        assert (row["faction"], row["kind"], (row["row"], row["col"])) == (u.faction_id, u.kind, tuple(u.rc))
        assert row["fighters"] == pytest.approx(u.strength, rel=1e-6)
    plain = CorridorModel(loaded, rng=1)
    assert not plain.datacollector.agent_reporters, "agent data only on request (batch_run rows stay one per step)"
