"""The hindcast's null models (sim/hindcast/nulls.py) through the scores (sim/hindcast/report.py),
on records small enough to score by hand: persistence and the changed place-months of a
3-place × 4-month record of holders; the climatology's Poisson intervals of a 2-series record
of counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.hindcast.report import scores

FACTIONS = ("isis", "sdf_coalition", "government_russia")
MONTHS = ("2018-03", "2018-04", "2018-05", "2018-06")


def _holder_rows(place: str, record: list[str | None], likely: list[str]) -> list[dict]:
    """The holder keys of one place: observed 1 for the record's holder (NaN where the record
    does not speak), mean 1 for the model's most likely holder (0.6) and 0.2 for the others."""
    rows = []
    for month, held, model in zip(MONTHS, record, likely, strict=True):
        for f in FACTIONS:
            rows.append({"key": f"holder|{month}|{place}|{f}",
                         "observed": np.nan if held is None else float(f == held),
                         "median": np.nan, "q05": np.nan, "q95": np.nan, "mean": 0.6 if f == model else 0.2, "n": 30})
    return rows


def test_persistence_and_the_changed_place_months_by_hand():
    """Albu Kamal: the record ISIS, ISIS, SDF, SDF; the model ISIS, ISIS, ISIS, SDF.
    Hajin: the government all four months; the model wrong in May. Mayadin: the record silent in
    March, then ISIS, ISIS, government; the model right from April (SDF in March is not compared).
    Compared: 4 + 4 + 3 = 11 place-months; the model right in 3 + 3 + 3 = 9.
    Persistence keeps each place's first compared holder (Mayadin's April, not the silent March):
    right in 2 + 4 + 2 = 8 of 11. The changes: Albu Kamal's May and June and Mayadin's June, 3;
    the model gets Albu Kamal's June and Mayadin's June, 2 of 3; persistence none."""
    table = pd.DataFrame(
        _holder_rows("Albu Kamal", ["isis", "isis", "sdf_coalition", "sdf_coalition"],
                     ["isis", "isis", "isis", "sdf_coalition"])
        + _holder_rows("Hajin", ["government_russia"] * 4,
                       ["government_russia", "government_russia", "isis", "government_russia"])
        + _holder_rows("Mayadin", [None, "isis", "isis", "government_russia"],
                       ["sdf_coalition", "isis", "isis", "government_russia"]))
    s = scores(table)
    assert s["holder_agreement"] == {"share": pytest.approx(9 / 11), "of": 11}, "the model: 9 of 11 place-months"
    assert s["holder_persistence"] == {"share": pytest.approx(8 / 11), "of": 11}, \
        "persistence: each place's first compared holder kept is right in 8 of the same 11 place-months"
    assert s["holder_changes"] == {"share": pytest.approx(2 / 3), "of": 3, "persistence": 0.0}, \
        "3 place-months differ from their place's first compared holder; the model gets 2 of them"


def _count_rows(region: str, observed: list[float], q05: list[float], q95: list[float]) -> list[dict]:
    months = [*MONTHS, "2018-07"][:len(observed)]
    return [{"key": f"events|{m}|{region}|isis-sdf_coalition", "observed": o, "median": np.nan, "q05": lo,
             "q95": hi, "mean": np.nan, "n": 30} for m, o, lo, hi in zip(months, observed, q05, q95, strict=True)]


def test_the_climatology_null_is_a_poisson_at_each_series_own_mean_by_hand():
    """Two series of IS – SDF counts. The valley: 0, 0, 3, 1 (mean 1) and a fifth month the runs
    do not reach (no band: left out of both scores, and of the mean). Poisson(1): P(≤2) = 0.920,
    P(≤3) = 0.981, so the interval is [0, 3]: all 4 covered. The Badia: 0, 0, 2, 10 (mean 3).
    Poisson(3): P(0) = e^-3 = 0.0498 < 0.05, so the 5 % quantile is 1; P(≤5) = 0.916, P(≤6) = 0.966,
    so [1, 6]: only the 2 is covered. The null: 5 of 8 (one pooled mean of 2, [0, 5], would give
    7 of 8). The model's bands: [0, 2] in the valley (0, 0, 1 inside, 3 not), [0, 0] in the Badia's
    first three months and [0, 12] in its last (0, 0 and 10 inside, the 2 not): 6 of 8, 2 of them
    zero on both sides."""
    table = pd.DataFrame(
        _count_rows("valley", [0, 0, 3, 1, 20], [0, 0, 0, 0, np.nan], [2, 2, 2, 2, np.nan])
        + _count_rows("badia", [0, 0, 2, 10], [0, 0, 0, 0], [0, 0, 0, 12]))
    s = scores(table)
    assert s["coverage_90|isis-sdf_coalition"] == {"share": pytest.approx(6 / 8), "of": 8, "both_zero": 2}, \
        "the model's bands cover 6 of the 8 scored counts, 2 of them zeros inside bands of zeros"
    assert s["climatology_90|isis-sdf_coalition"] == {"share": pytest.approx(5 / 8), "of": 8, "both_zero": 0}, \
        "the climatology's Poisson intervals [0, 3] (valley, mean 1) and [1, 6] (Badia, mean 3) cover 5 of 8"


def test_a_folder_written_before_the_nulls_is_rescored_from_its_patterns_only_if_they_are_its_own():
    """tests/verify_hindcast.py re-scores an older folder from patterns.csv: the nulls are added,
    and a patterns.csv whose scores differ from the folder's scores.json is refused."""
    import verify_hindcast

    table = pd.DataFrame(_holder_rows("Hajin", ["isis", "isis", "sdf_coalition", "sdf_coalition"],
                                      ["isis", "isis", "isis", "sdf_coalition"]))
    saved = {"holder_agreement": {"share": 0.75, "of": 4}}
    new = verify_hindcast.rescored(saved, table)
    assert new["holder_persistence"] == {"share": 0.5, "of": 4} and new["holder_changes"]["of"] == 2, \
        "persistence keeps ISIS: right in March and April; May and June changed"
    with pytest.raises(ValueError, match="holder_agreement"):
        verify_hindcast.rescored({"holder_agreement": {"share": 1.0, "of": 4}}, table)
