"""The economy (sim/submodels/economy.py) and the time scales of the rates (docs/odd.md, parameter table).

Each test names the defect it exists to catch. The mechanism tests run a one-faction world at
4 km cells, at two step lengths (6 h and 24 h), against the closed-form path of the economy:
with funding F, pay w per fighter-day and recruit cost c, strength approaches F/w from below as
N(t) = F/w + (N0 − F/w)·exp(−w·t/c), and from above (desertion rate d) as
N(t) = F/w + (N0 − F/w)·exp(−d·t). The scenario tests use 2 km cells and 12 h steps."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from worlds import units_of
from worlds import world as small_world

from sim.model import CorridorModel
from sim.scenario import load_scenario
from sim.scenario.spec import EngagementSpec
from sim.submodels.engagement import square_law

from conftest import ROOT, SCENARIOS

pytestmark = pytest.mark.xdist_group("economy")

MAP = ROOT / "scenarios" / "maps" / "euphrates_corridor.geojson"
PAY_MONTH = 5.0 * 30.4  # US$ 5 per fighter-day
COST = 500.0


def world(tmp_path, *, funding, pool=1e6, refill=0.0, share=0.01, step_hours=24.0, days=30.0,
          extra_rules="", n0=100.0):
    path = tmp_path / f"w{step_hours:g}_{days:g}_{funding:g}_{pool:g}.yaml"
    path.write_text(f"""\
name: economy world
description: one funded faction, nothing else
map: {{file: {MAP}, cell_km: 4}}
time: {{step_hours: {step_hours}, duration_days: {days}}}
factions:
  a: {{label: A, color: "#2e7d32", funding_usd_per_day: {funding}, pay_usd_per_fighter_month: {PAY_MONTH},
      recruit_cost_usd: {COST}, manpower_pool: {pool}, manpower_refill_per_day: {refill},
      recruit_share_per_day: {share}, desertion_per_day: 0.03}}
forces:
  - {{kind: militia, faction: a, units: 4, strength: {n0 / 4}, deploy: {{near: Albu Kamal, radius_km: 6}}}}
rules:
  reinforcement: {{faction: a, at: Albu Kamal, unit_size: 5, max_per_day: 60}}
{extra_rules}""")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return load_scenario(path)


def strength_at_end(loaded, seed=1) -> float:
    return CorridorModel(loaded, seed).run().summary["strength_a"]


@pytest.mark.parametrize("step_hours", [6.0, 24.0])
def test_strength_approaches_funding_over_upkeep_at_the_recruitment_pace(tmp_path, step_hours):
    """Catches: upkeep ignored (no equilibrium), recruitment 100× faster, a rate per step."""
    target, rate = 1000.0 / 5.0, 5.0 / COST  # F/w = 200 fighters, w/c = 0.01 per day
    day30 = strength_at_end(world(tmp_path, funding=1000, step_hours=step_hours, days=30))
    expected = target - 100.0 * math.exp(-rate * 30)  # 126
    assert abs(day30 - expected) < 10, (
        f"{step_hours:g} h steps: strength at day 30 {day30:.1f}, expected about {expected:.0f} "
        "(recruits paid from funding above upkeep, at the recruit cost)")
    day365 = strength_at_end(world(tmp_path, funding=1000, step_hours=step_hours, days=365))
    assert 185 <= day365 <= 205, (
        f"{step_hours:g} h steps: strength at day 365 {day365:.1f}; the funding pays the upkeep of "
        f"{target:.0f} fighters, so strength must level off there")


@pytest.mark.parametrize("step_hours", [6.0, 24.0])
def test_unpaid_fighters_desert_toward_what_the_funding_pays(tmp_path, step_hours):
    """Catches: upkeep or desertion ignored, desertion per step rather than per day."""
    day30 = strength_at_end(world(tmp_path, funding=250, step_hours=step_hours, days=30))
    expected = 50.0 + 50.0 * math.exp(-0.03 * 30)  # 70
    assert abs(day30 - expected) < 4, (
        f"{step_hours:g} h steps: strength at day 30 {day30:.1f}, expected about {expected:.0f} "
        "(funding pays for 50 fighters; the unpaid share deserts at 0.03 a day)")


def test_recruitment_is_limited_by_the_manpower_pool(tmp_path):
    """Catches: recruitment that ignores the pool. Money is no object here; 60 men are."""
    end = strength_at_end(world(tmp_path, funding=1e6, pool=60, share=0.5, days=60))
    assert 150 <= end <= 160.5, f"strength {end:.1f}: 100 fighters plus a pool of 60, which never refills"
    slow = strength_at_end(world(tmp_path, funding=1e6, pool=60, share=0.01, days=60))
    expected = 100 + 60 * (1 - math.exp(-0.01 * 60))  # diminishing returns: ∝ what is left
    assert abs(slow - expected) < 6, f"strength {slow:.1f}, expected about {expected:.0f}"


@pytest.mark.slow  # many seeds of 30 days: `make verify`
@pytest.mark.parametrize("step_hours", [6.0, 24.0])
def test_airstrike_count_per_30_days_matches_the_scenario_rate(tmp_path, step_hours):
    """Catches: strikes per step instead of per day. Uses airstrike_campaign's own rate."""
    rate = load_scenario(SCENARIOS / "airstrike_campaign.yaml").rule("airstrikes").params.rate_per_day
    assert 1 / 30 <= rate <= 5 / 30, f"airstrike_campaign: {rate}/day; the sources say a few a month"
    rules = f"  airstrikes: {{by: Israel, against: a, rate_per_day: {rate}, loss_fraction: 0.0}}\n"
    loaded = world(tmp_path, funding=1000, step_hours=step_hours, days=365, extra_rules=rules)
    seeds = range(1, 5)
    strikes = sum(CorridorModel(loaded, s).run().summary["airstrikes.strikes"] for s in seeds)
    expected = rate * 365 * len(seeds)
    assert abs(strikes - expected) < 3.5 * math.sqrt(expected), (
        f"{step_hours:g} h steps: {strikes} strikes in {len(seeds)} years, expected {expected:.0f} "
        f"(Poisson, {rate * 30:.1f} per 30 days)")


def test_aimed_fire_costs_a_few_percent_a_day():
    """1,000 against 800 under the default kill rate loses a few percent a day (Dupuy: 1–3 % a day
    for divisions, more for small units), not 40 %."""
    k = EngagementSpec().kill_rate_per_day / 24.0
    a, b = square_law(1000.0, 800.0, k, k, 24.0)
    assert 0.01 <= 1 - a / 1000 <= 0.08, f"1,000 vs 800 lost {1 - a / 1000:.1%} in a day"


def _runs(scenario: str, seeds, **overrides):
    ov = {"map.cell_km": 2.0, "time.step_hours": 12.0, **overrides}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        loaded = load_scenario(SCENARIOS / scenario, overrides=ov)
        return [CorridorModel(loaded, s) for s in seeds]


@pytest.mark.slow  # 30 paired seeds: `make verify`
def test_agreement_funding_cut_lowers_militia_strength_and_area():
    """Catches: the agreement's funding cut ignored. 12 paired seeds, 30 days; the difference's
    95 % interval must exclude 0 for both strength and area (the effect is large: about −250
    fighters with a standard error near 1; `tests/verify_model.py` records it over 30 seeds)."""
    seeds = range(1, 13)
    base = [m.run().summary for m in _runs("baseline.yaml", seeds)]
    cut = [m.run().summary for m in _runs("agreement_curtails_iran.yaml", seeds)]
    for key in ("strength_iran_militia", "area_km2_iran_militia"):
        d = np.array([c[key] - b[key] for b, c in zip(base, cut, strict=True)])
        mean, half = d.mean(), 1.96 * d.std(ddof=1) / math.sqrt(len(d))
        assert mean + half < 0, f"{key}: paired difference {mean:+.1f} ± {half:.1f}; the cut must lower it"


def test_russian_co_optation_first_defection_takes_a_month_or_more():
    """Co-optation took months: in at most half of the seeds does a unit switch in 30 days."""
    early = 0
    for model in _runs("russian_co_optation.yaml", range(1, 11), **{"time.duration_days": 30}):
        model.run()
        early += any(e.kind == "defection" for e in model.log.entries)
    assert early <= 5, f"{early} of 10 seeds had a defection within 30 days; the median must be later"


@pytest.mark.parametrize("step_hours", [1.0, 6.0, 24.0])
def test_the_manpower_pool_refills_per_day_at_any_step_length(tmp_path, step_hours):
    """An empty pool of 100 refilling 2 a day holds 2 × days, whatever the step, up to its size."""
    factions = {"a": {"funding_usd_per_day": 1000, "manpower_pool": 100, "manpower_refill_per_day": 2}}
    model = small_world(tmp_path, factions=factions, step_hours=step_hours)
    economy = model.economy
    economy.pool[:] = [0.0] * len(economy.pool)
    for _ in range(round(3 * 24 / step_hours)):
        economy.update()
    assert economy.pool[0] == pytest.approx(6.0, rel=1e-9), (
        f"3 days at 2 a day refill 6 men at {step_hours:g} h steps; got {economy.pool[0]:.3f}")
    for _ in range(round(100 * 24 / step_hours)):
        economy.update()
    assert economy.pool[0] == pytest.approx(100.0), "the pool refills up to manpower_pool, no further"


def test_desertion_spares_convoys_and_pay_is_what_the_funding_covers(tmp_path):
    """Funding 50 a day for 100 fighters at 1 a day each: half the upkeep is paid, so each fighter
    gets half his pay and the standing unit (not the convoy) loses fighters at 0.03 × ½ a day."""
    factions = {"a": {"funding_usd_per_day": 50, "pay_usd_per_fighter_month": 30.4, "manpower_pool": 0,
                      "desertion_per_day": 0.03}}
    forces = [{"kind": "militia", "faction": "a", "units": 1, "strength": 50,
               "deploy": {"near": "Albu Kamal", "radius_km": 5}},
              {"kind": "convoy", "faction": "a", "strength": 50, "start": "Al-Mayadeen",
               "route": ["Albu Kamal"], "depart_day": 1.5}]
    model = small_world(tmp_path, factions=factions, forces=forces, step_hours=24.0)
    unit, convoy = units_of(model, "a")
    model.economy.update()
    assert model.economy.paid_share[0] == pytest.approx(0.5)
    assert model.economy.effective_pay(0) == pytest.approx(0.5), "pay 1 US$/day × paid share ½"
    assert convoy.strength == 50.0, "convoys are spared desertion"
    owed = 100.0 * -math.expm1(-0.03 * 0.5)
    assert unit.strength == pytest.approx(50.0 - owed, rel=1e-9), (
        f"the day's desertion N·(1 − e^(−d·u)) = {owed:.4f} is taken from the standing unit")


def test_a_faction_without_an_economy_gets_what_its_rule_asks(tmp_path):
    model = small_world(tmp_path, factions={"a": {}, "b": {"funding_usd_per_day": 100}})
    assert model.economy.recruit(0, 12.5) == 12.5, "no economy: a rule's request is met in full"
    assert model.economy.recruit(1, 12.5) == 0.0, "with an economy, only recruits paid for and waiting"


def test_recruits_wait_up_to_two_batches_of_the_largest_rule_and_are_counted(tmp_path):
    """A reinforcement rule taking units of 10 enlists the faction: recruits are bought only while
    fewer than 2 × 10 wait. With 1,000 a day, pay 1 a day for 100 fighters and recruits at 100,
    a day buys min(900/100, 1% of the pool of 1e6) = 9; the 3rd day stops at 20 waiting."""
    factions = {"a": {"funding_usd_per_day": 1000, "pay_usd_per_fighter_month": 30.4, "recruit_cost_usd": 100,
                      "manpower_pool": 1e6, "manpower_refill_per_day": 0, "recruit_share_per_day": 0.01}}
    rules = {"reinforcement": {"faction": "a", "at": "Albu Kamal", "unit_size": 10, "max_per_day": 0}}
    model = small_world(tmp_path, factions=factions, rules=rules, step_hours=24.0)
    economy = model.economy
    waiting = []
    for day in range(3):
        model.hours = 24.0 * day
        economy.update()
        waiting.append(float(economy.ready[0]))
    assert waiting == pytest.approx([9.0, 18.0, 20.0]), f"9 a day up to 2 batches of 10: {waiting}"
    assert economy.summary(slice(None))["economy.a.recruited"] == pytest.approx(20.0), "the summary counts the recruits"
    economy.recruited[0] += 1 / 3
    assert economy.summary(slice(None))["economy.a.recruited"] == 20.333, "the summary keeps 3 decimals"
    assert economy.pool[0] == pytest.approx(1e6 - 20.0), "recruits come out of the manpower pool"


def test_desertion_accrues_every_step_and_is_taken_once_a_day(tmp_path):
    """Funding 50 a day for 100 fighters at 1 a day: u = ½, d = 0.03 a day. At 6 h steps nothing
    leaves during the day; at the step that ends the day the day's N·(1 − e^(−d·u·¼)) × 4 leave."""
    factions = {"a": {"funding_usd_per_day": 50, "pay_usd_per_fighter_month": 30.4, "manpower_pool": 0,
                      "desertion_per_day": 0.03}}
    model = small_world(tmp_path, factions=factions, step_hours=6.0)
    (unit,) = units_of(model, "a")
    for step in range(3):
        model.hours = 6.0 * step
        model.economy.update()
        assert unit.strength == 100.0, f"at {6 * (step + 1)} h the day is not over: nobody has left yet"
    model.hours = 18.0
    model.economy.update()
    owed = 4 * 100.0 * -math.expm1(-0.03 * 0.5 * 0.25)
    assert unit.strength == pytest.approx(100.0 - owed, rel=1e-9), f"the day's {owed:.4f} deserters leave at 24 h"
    assert model.economy.summary(slice(None))["economy.a.deserted"] == pytest.approx(round(owed, 3))


def test_a_commitment_lowers_the_funding_by_its_amount_and_never_below_zero():
    # Economy.commit (a co-optation push): funding 100 and 50 a day; committing 30 of the first
    # leaves 70, committing 500 of the second leaves 0, not a negative budget nor a floor above 0
    from types import SimpleNamespace

    from sim.submodels.economy import Economy

    funding = np.array([100.0, 50.0])
    economy = SimpleNamespace(model=SimpleNamespace(factions=SimpleNamespace(funding=funding)))
    Economy.commit(economy, 0, 30.0)
    Economy.commit(economy, 1, 500.0)
    assert funding.tolist() == [70.0, 0.0], f"expected 100 − 30 = 70 and max(0, 50 − 500) = 0, got {funding.tolist()}"


@pytest.mark.parametrize("step_hours", [6.0, 24.0])
def test_recruits_come_from_the_pool_at_its_uptake_per_day_at_any_step_length(tmp_path, step_hours):
    """Money no object, a pool of 100 taken at 1 % a day: one step of Δt days buys 0.01 × 100 × Δt
    recruits (0.25 at 6 h steps, 1 at 24 h), out of the pool."""
    factions = {"a": {"funding_usd_per_day": 1e6, "pay_usd_per_fighter_month": 30.4, "recruit_cost_usd": 100,
                      "manpower_pool": 100, "manpower_refill_per_day": 0, "recruit_share_per_day": 0.01}}
    rules = {"reinforcement": {"faction": "a", "at": "Albu Kamal", "unit_size": 10, "max_per_day": 0}}
    model = small_world(tmp_path, factions=factions, rules=rules, step_hours=step_hours)
    model.economy.update()
    taken = 0.01 * 100 * step_hours / 24.0
    assert model.economy.ready[0] == pytest.approx(taken, rel=1e-12), (
        f"{step_hours:g} h: 1 % of 100 a day × {step_hours / 24:g} day = {taken:g} recruits, got {model.economy.ready[0]}")
    assert model.economy.pool[0] == pytest.approx(100.0 - taken, rel=1e-12)


def test_the_summary_gives_the_share_of_the_bill_paid(tmp_path):
    """Funding 50 a day for 100 fighters at 1 a day: half the bill is paid, the summary says 0.5;
    fully funded, 1."""
    factions = {"a": {"funding_usd_per_day": 50, "pay_usd_per_fighter_month": 30.4, "manpower_pool": 0},
                "b": {"funding_usd_per_day": 500, "pay_usd_per_fighter_month": 30.4, "manpower_pool": 0}}
    model = small_world(tmp_path, factions=factions, step_hours=24.0)
    model.economy.update()
    summary = model.economy.summary(slice(None))
    assert summary["economy.a.paid_share"] == 0.5 and summary["economy.b.paid_share"] == 1.0, summary


def test_a_paying_faction_without_fighters_owes_nothing_and_its_share_paid_is_1(tmp_path):
    """Funding 0 and no fighter: no upkeep, so the share of the bill paid is 1 (not 0 / 0)."""
    forces = [{"kind": "militia", "faction": "b", "units": 1, "strength": 50,
               "deploy": {"near": "Albu Kamal", "radius_km": 5}}]
    model = small_world(tmp_path, factions={"a": {"funding_usd_per_day": 0}, "b": {}}, forces=forces, step_hours=24.0)
    model.economy.update()
    assert model.economy.paid_share[0] == 1.0, f"nothing owed, all of it paid: got {model.economy.paid_share[0]}"


def test_deserters_leave_once_half_a_fighter_is_owed(tmp_path):
    """Desertion owed is taken once it reaches ½ fighter: exactly 0.5 owed takes 0.5 fighters."""
    factions = {"a": {"funding_usd_per_day": 50, "pay_usd_per_fighter_month": 30.4, "manpower_pool": 0}}
    model = small_world(tmp_path, factions=factions, step_hours=24.0)
    (unit,) = units_of(model, "a")
    model.economy._owed[0] = 0.5
    model.economy._desert()
    assert unit.strength == pytest.approx(99.5) and model.economy.deserted[0] == pytest.approx(0.5), unit.strength


def test_the_step_that_starts_a_day_takes_no_deserters(tmp_path):
    """6 h steps, u = ½, d = 0.3 a day: each step accrues 100·(1 − e^(−0.3·½·¼)) ≈ 3.7 owed; the
    step from 24 h to 30 h starts the second day and does not end it, so nobody leaves then."""
    factions = {"a": {"funding_usd_per_day": 50, "pay_usd_per_fighter_month": 30.4, "manpower_pool": 0,
                      "desertion_per_day": 0.3}}
    model = small_world(tmp_path, factions=factions, step_hours=6.0)
    (unit,) = units_of(model, "a")
    model.hours = 24.0
    model.economy.update()
    assert unit.strength == 100.0, f"at 30 h the second day is not over: nobody leaves, got {unit.strength}"
    assert model.economy._owed[0] == pytest.approx(100.0 * -math.expm1(-0.3 * 0.5 * 0.25)), "the step's owed accrues"


def test_the_deserters_of_a_faction_are_its_alive_paid_units_in_the_order_of_the_models_agents():
    """`Economy.deserters_of` (the faction's roster) lists the units a scan of `model.agents`
    finds, in the same order (losses are taken in that order), for every faction at every step
    of 10 days of the campaign (units destroyed, convoys off the payroll), and after units change
    sides and a unit is made with no fighters."""
    from conftest import coarse_model

    model = coarse_model("corridor_campaign.yaml", days=10.0)

    def check(when):
        for f in range(len(model.factions)):
            scan = [u for u in model.agents if u.faction == f and u.alive and u.on_payroll]
            assert model.economy.deserters_of(f) == scan, f"faction {model.factions.ids[f]} {when}"

    for step in range(model.n_steps):
        model.step()
        check(f"after step {step + 1}")
    first, last = list(model.agents)[0], list(model.agents)[-1]
    last.switch_faction(first.faction)
    first.switch_faction((first.faction + 1) % len(model.factions))
    check("after two units changed sides")
    last.gain(-last.strength)
    check("with a unit of no fighters left on the map")
