"""The insurgents' operational tempo (sim/submodels/tempo.py, ODD *Operational tempo*): a
log-normal activity level of mean 1 whose log is an Ornstein-Uhlenbeck process of correlation
time `tempo_days`, multiplying every ambush rate of the faction's cells, so their monthly counts
are overdispersed; off (σ = 0) nothing changes and no random number is drawn.

Every expectation is computed here from the process's definition, with a tolerance of four
standard errors of the estimate (the standard errors from the process's own autocovariance)."""

from __future__ import annotations

import numpy as np
import pytest
from worlds import units_of, world

from sim.streams import RandomStreams
from sim.submodels.tempo import OperationalTempo

SD, DAYS = 0.8, 30.0


def series(step_days: float, n: int, sd=SD, days=DAYS, seed=7) -> np.ndarray:
    """The activity level of one faction every `step_days` for `n` steps."""
    tempo = OperationalTempo(sd, days, RandomStreams(seed), ["i"])
    one = np.zeros(1, dtype=np.intp)
    return np.array([tempo.levels(one, k * step_days)[0] for k in range(n)])


def var_of_sum(cov_at_lag: np.ndarray) -> float:
    """Var(Σ_k A_k) over n = len(cov_at_lag) samples of a stationary series with these
    autocovariances at lags 0 … n-1: Σ_i Σ_j cov(|i - j|)."""
    n = len(cov_at_lag)
    return float(n * cov_at_lag[0] + 2.0 * np.sum((n - np.arange(1, n)) * cov_at_lag[1:]))


def test_the_activity_level_has_mean_one():
    """E[A] = E[exp(x − σ²/2)] = 1 for x ~ N(0, σ²); A's autocovariance at lag s is
    exp(σ²·e^(−s/τ)) − 1 (log-normal), which gives the standard error of the mean of 60,000 days."""
    n = 60_000
    a = series(1.0, n)
    lags = np.arange(n)
    se = np.sqrt(var_of_sum(np.expm1(SD ** 2 * np.exp(-lags / DAYS)))) / n
    assert abs(a.mean() - 1.0) < 4 * se, (
        f"mean activity {a.mean():.3f}, expected 1 ± {4 * se:.3f} (without the −σ²/2 it would be "
        f"exp(σ²/2) = {np.exp(SD ** 2 / 2):.3f})")
    assert a.min() > 0.0, "an activity level is a rate multiplier: never negative"


@pytest.mark.parametrize("step_days", [1.0, 3.0])
def test_the_log_activity_decorrelates_over_tempo_days_at_any_step(step_days):
    """ln A is AR(1) with φ = exp(−Δt/τ) at a step Δt: its autocorrelation at lag τ is e^(−1)
    whatever the step, its variance σ²; Bartlett's formula gives the standard error of the
    sample autocorrelation at lag k = τ/Δt."""
    n = 60_000
    x = np.log(series(step_days, n))
    k = round(DAYS / step_days)
    phi = np.exp(-step_days / DAYS)
    r = np.corrcoef(x[:-k], x[k:])[0, 1]
    se = np.sqrt(((1 + phi ** 2) * (1 - phi ** (2 * k)) / (1 - phi ** 2) - 2 * k * phi ** (2 * k)) / n)
    assert abs(r - np.exp(-1.0)) < 4 * se, (
        f"autocorrelation of ln A after τ = {DAYS:g} days at {step_days:g}-day steps: {r:.3f}, expected "
        f"e^-1 = 0.368 ± {4 * se:.3f}")
    sd_se = SD * np.sqrt((1 + phi ** 2) / (1 - phi ** 2) / (2 * n))   # sd of an AR(1)'s sample sd
    assert abs(x.std() - SD) < 4 * sd_se, f"sd of ln A {x.std():.3f}, expected σ = {SD} ± {4 * sd_se:.3f}"


def test_each_faction_has_its_own_tempo_and_off_draws_nothing():
    streams = RandomStreams(3)
    tempo = OperationalTempo(SD, DAYS, streams, ["a", "b"])
    levels = tempo.levels(np.array([1, 0, 1, 0]), 0.0)
    assert levels[0] == levels[2] and levels[1] == levels[3], "cells of one faction share its level"
    assert levels[0] != levels[1], "two factions draw their levels from their own streams"
    assert sorted(streams.names) == ["insurgent:tempo:a", "insurgent:tempo:b"]
    off_streams = RandomStreams(3)
    off = OperationalTempo(0.0, DAYS, off_streams, ["a", "b"])
    assert off.levels(np.array([1, 0]), 5.0).tolist() == [1.0, 1.0], "σ = 0: every level is 1"
    assert off_streams.names == [], "σ = 0 draws no random number"


def monthly_ambushes(tmp_path, sd: float, seed: int, *, cells: int, rate: float, days: int, tempo_days: float):
    """Ambushes per 30-day month of `cells` cells with a target always in reach (range 500 km),
    the same rate everywhere (ungoverned_multiplier 1), no losses, no patrols, daily steps."""
    forces = [{"kind": "insurgent", "faction": "i", "units": cells, "strength": 20, "deploy": {"region": "badia"}},
              {"kind": "militia", "faction": "a", "units": 1, "strength": 40, "posture": "hold",
               "deploy": {"near": "Albu Kamal", "radius_km": 5}}]
    model = world(tmp_path, factions=("i", "a"), relations={"i/a": "hostile"}, forces=forces, step_hours=24.0,
                  days=days, seed=seed,
                  insurgents={"ambush_rate_per_day": rate, "ungoverned_multiplier": 1.0, "ambush_range_km": 500,
                              "ambush_loss_fraction": 0.0, "detection_rate_per_day": 0.0,
                              "tempo_sd": sd, "tempo_days": tempo_days})
    assert len(units_of(model, "i")) == cells
    for _ in range(days):
        model.step()
    hours = np.array([e.hours for e in model.log.entries if e.kind == "ambush"])
    return np.bincount((hours // (24 * 30)).astype(int), minlength=days // 30)[: days // 30]


@pytest.mark.slow
def test_the_tempo_keeps_the_mean_rate_and_makes_monthly_counts_overdispersed(tmp_path):
    """4 seeded runs of 20 cells over 600 days (20 months each), τ = 3 days (short, so that a
    few runs pin the mean down). Off, a cell ambushes with p = 1 − exp(−r·Δt) a step: monthly
    counts are binomial, index of dispersion 1 − p. On, the mean per cell-day is
    E[1 − exp(−r·A·Δt)] (A log-normal, by Gauss-Hermite quadrature), the same as off up to
    Jensen's (r·Δt)² term, and a month's variance gains (20·p)² × Var(Σ A) over its 30 days
    (from A's autocovariance exp(σ²·e^(−s/τ)) − 1): an index of dispersion far above 1."""
    cells, rate, runs, days, tau = 20, 0.05, 4, 600, 3.0
    kw = {"cells": cells, "rate": rate, "days": days, "tempo_days": tau}
    off = np.concatenate([monthly_ambushes(tmp_path, 0.0, s, **kw) for s in range(runs)])
    on = np.concatenate([monthly_ambushes(tmp_path, SD, s, **kw) for s in range(runs)])
    p_off = -np.expm1(-rate)
    z, w = np.polynomial.hermite_e.hermegauss(60)                    # x = σ·z, z ~ N(0, 1)
    p_on = float(np.sum(w * -np.expm1(-rate * np.exp(SD * z - SD ** 2 / 2))) / np.sqrt(2 * np.pi))

    def var_count(n_days: int) -> float:    # a count's variance over n_days of the cells' ambushes
        return n_days * cells * p_on + (cells * p_on) ** 2 * var_of_sum(
            np.expm1(SD ** 2 * np.exp(-np.arange(n_days) / tau)))

    months = len(on)
    se_on = np.sqrt(runs * var_count(days)) / (months * 30 * cells)
    se_off = np.sqrt(p_off * (1 - p_off) / (months * 30 * cells))
    assert abs(off.mean() / (30 * cells) - p_off) < 4 * se_off, (
        f"off: {off.mean() / (30 * cells):.4f} ambushes per cell-day, expected {p_off:.4f} ± {4 * se_off:.4f}")
    assert abs(on.mean() / (30 * cells) - p_on) < 4 * se_on, (
        f"on: {on.mean() / (30 * cells):.4f} ambushes per cell-day, expected {p_on:.4f} ± {4 * se_on:.4f} "
        f"(off: {p_off:.4f}; a mean activity of exp(σ²/2) would give {p_off * np.exp(SD ** 2 / 2):.4f})")
    d_off, d_on = off.var(ddof=1) / off.mean(), on.var(ddof=1) / on.mean()
    se_d = np.sqrt(2.0 / (months - 1))                                # a Poisson index of dispersion's
    assert abs(d_off - (1 - p_off)) < 4 * se_d, f"off: index of dispersion {d_off:.2f}, expected {1 - p_off:.2f}"
    expected_on = var_count(30) / (30 * cells * p_on)
    assert d_on > 1 + 8 * se_d and d_on > expected_on / 2, (
        f"on: index of dispersion {d_on:.1f}, expected about {expected_on:.1f} (a Poisson process: 1)")


@pytest.mark.parametrize(("level", "expected"), [(0.0, 0), (1e9, 5)])
def test_the_tempo_multiplies_every_cells_ambush_rate(tmp_path, monkeypatch, level, expected):
    """A level of 0 (a lull at its deepest) stops every ambush; a huge level makes each of the 5
    cells with a target in reach ambush this step (rate 0.05 a day × 1e9 × 1 h)."""
    forces = [{"kind": "insurgent", "faction": "i", "units": 5, "strength": 20, "deploy": {"region": "badia"}},
              {"kind": "militia", "faction": "a", "units": 1, "strength": 40, "posture": "hold",
               "deploy": {"near": "Albu Kamal", "radius_km": 5}}]
    model = world(tmp_path, factions=("i", "a"), relations={"i/a": "hostile"}, forces=forces,
                  insurgents={"ambush_rate_per_day": 0.05, "ambush_range_km": 500, "ambush_loss_fraction": 0.0,
                              "detection_rate_per_day": 0.0, "tempo_sd": SD})
    asked = []

    def levels_of(factions, day):
        asked.append((list(factions), day))
        return [level] * len(factions)

    monkeypatch.setattr(model.tempo, "levels_of", levels_of)
    model.insurgency.update()
    ambushes = [e for e in model.log.entries if e.kind == "ambush"]
    assert len(ambushes) == expected, f"activity {level:g}: {expected} ambushes expected, {len(ambushes)} logged"
    assert asked == [([0], 0.0)], f"the tempo is asked once, for faction 0 (the 5 cells') at day 0: {asked}"


def test_each_level_is_the_documented_update_of_the_factions_own_normal_draws():
    """The first level of a faction is exp(x₀ − σ²/2) with x₀ = σ·z₀ (the stationary start); Δt =
    3 days later x₁ = a·x₀ + σ·√(1 − a²)·z₁ with a = exp(−Δt/τ); z₀, z₁ the first two standard
    normal draws of the faction's stream (`insurgent:tempo:<faction>`), taken here from a stream
    seeded alike."""
    from sim.streams import INSURGENT_TEMPO

    tempo = OperationalTempo(SD, DAYS, RandomStreams(5), ["i"])
    reference = RandomStreams(5).named(INSURGENT_TEMPO, faction="i")
    z0, z1 = float(reference.standard_normal()), float(reference.standard_normal())
    one = np.zeros(1, dtype=np.intp)
    x0 = SD * z0
    assert tempo.levels(one, 0.0)[0] == pytest.approx(np.exp(x0 - SD ** 2 / 2), rel=1e-12), (
        f"the first level: exp(σ·z₀ − σ²/2) with z₀ = {z0:.4f}")
    a = np.exp(-3.0 / DAYS)
    x1 = a * x0 + SD * np.sqrt(1.0 - a * a) * z1
    assert tempo.levels(one, 3.0)[0] == pytest.approx(np.exp(x1 - SD ** 2 / 2), rel=1e-12), (
        f"3 days on: exp(a·x₀ + σ·√(1 − a²)·z₁ − σ²/2) with a = e^(−3/{DAYS:g}), z₁ = {z1:.4f}")
