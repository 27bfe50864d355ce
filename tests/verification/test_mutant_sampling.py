"""Mutant sampling (tests/mutation/sampling.py): the stratified sample's size, seeding and
independence between strata, and the Wilson interval, against values computed by hand."""

from __future__ import annotations

import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "mutation"))
from sampling import (  # noqa: E402
    sample_size,
    stratified_sample,
    stratified_share,
    successive_samples,
    wilson_interval,
)


def test_the_sample_size_is_the_fraction_rounded_up_at_least_the_minimum_at_most_all():
    assert sample_size(463, 0.2, 30) == 93, "ceil(0.2 × 463) = ceil(92.6) = 93"
    assert sample_size(100, 0.2, 30) == 30, "0.2 × 100 = 20 is raised to the minimum 30"
    assert sample_size(12, 0.2, 30) == 12, "a module of 12 mutants is sampled whole"
    with pytest.raises(ValueError, match="fraction"):
        sample_size(10, 0.0, 30)
    with pytest.raises(ValueError, match="fraction"):
        sample_size(10, 1.5, 30)


def test_the_stratified_sample_is_seeded_without_replacement_and_each_stratum_on_its_own():
    strata = {"a": [f"a{i}" for i in range(200)], "b": [f"b{i}" for i in range(50)]}
    first = stratified_sample(strata, 0.25, seed=3, minimum=30)
    assert {k: len(v) for k, v in first.items()} == {"a": 50, "b": 30}, "ceil(0.25 × 200) = 50; 12.5 → 30"
    assert all(len(set(v)) == len(v) and set(v) <= set(strata[k]) for k, v in first.items()), (
        "drawn without replacement from the stratum's own names")
    assert stratified_sample(strata, 0.25, seed=3, minimum=30) == first, "the same seed gives the same sample"
    assert stratified_sample(strata, 0.25, seed=4, minimum=30)["a"] != first["a"], "another seed, another sample"
    shuffled = {"a": list(reversed(strata["a"])), "b": strata["b"] + ["b_new"]}
    assert stratified_sample(shuffled, 0.25, seed=3, minimum=30)["a"] == first["a"], (
        "a stratum's sample depends neither on the order of its names nor on another stratum's names")
    larger = stratified_sample(strata, 0.5, seed=3, minimum=30)
    assert set(first["a"]) < set(larger["a"]), "with one seed the 25 % sample lies inside the 50 % sample"


def test_successive_samples_each_draw_from_what_the_ones_before_left():
    names = {"a": [f"a{i:03d}" for i in range(100)], "b": [f"b{i}" for i in range(40)]}
    one, two, three = successive_samples(names, 0.1, [1, 2, 3], minimum=5)
    # a: ceil(0.1 × 100) = 10, then ceil(0.1 × 90) = 9 of the 90 left, then ceil(0.1 × 81) = 9 of the 81 left;
    # b: ceil(0.1 × 40) = 4 → the minimum 5, then 5 of the 35 left, then 5 of the 30 left
    assert [len(s["a"]) for s in (one, two, three)] == [10, 9, 9], "sizes from what each seed finds left"
    assert [len(s["b"]) for s in (one, two, three)] == [5, 5, 5], "the minimum holds in each draw"
    assert not set(one["a"]) & set(two["a"]) and not (set(one["a"]) | set(two["a"])) & set(three["a"]), "disjoint"
    assert two == stratified_sample({k: sorted(set(v) - set(one[k])) for k, v in names.items()}, 0.1, 2, 5), (
        "seed 2's sample is its own stratified sample of the names seed 1 left")
    # seed 1 pinned as drawn before a name was renamed (old_name is gone): its two names still present,
    # and seed 2 draws ceil(0.1 × 98) = 10 of the 98 others
    pinned = {1: {"a": ["a000", "a001", "old_name"], "b": []}}
    first, second = successive_samples(names, 0.1, [1, 2], minimum=5, pinned=pinned)
    assert first == {"a": ["a000", "a001"], "b": []}, "a pinned sample keeps the names still present, no more"
    assert len(second["a"]) == 10 and not {"a000", "a001"} & set(second["a"]), "seed 2 draws outside the pinned one"
    assert len(second["b"]) == 5, "ceil(0.1 × 40) = 4 → 5: nothing of b was pinned"


def test_the_sample_is_a_simple_random_sample():
    # over 400 seeds each of 10 names is drawn into a sample of 3 with probability 3/10: 120 times
    # expected, binomial sd √(400 × 0.3 × 0.7) = 9.2, so every count lies within 120 ± 4 sd
    names = [f"m{i}" for i in range(10)]
    counts = dict.fromkeys(names, 0)
    for seed in range(400):
        for name in stratified_sample({"s": names}, 0.3, seed=seed, minimum=0)["s"]:
            counts[name] += 1
    assert all(abs(c - 120) <= 4 * 9.17 for c in counts.values()), f"inclusion counts not near 120: {counts}"


def test_the_wilson_interval_matches_hand_computation():
    # 9 of 10, z = 1.96: centre (0.9 + 0.19208) / 1.38416 = 0.78898;
    # half 1.96 × √(0.009 + 0.009604) / 1.38416 = 0.19314 → [0.5958, 0.9821]
    low, high = wilson_interval(9, 10)
    assert low == pytest.approx(0.5958, abs=2e-4) and high == pytest.approx(0.9821, abs=2e-4), (low, high)
    # 30 of 30: centre (1 + 0.06403) / 1.12805 = 0.94324, half 1.96 × √(0.0010671) / 1.12805 = 0.05676
    low, high = wilson_interval(30, 30)
    assert low == pytest.approx(0.8865, abs=2e-4) and high == pytest.approx(1.0), (low, high)
    assert wilson_interval(0, 0) == (0.0, 1.0), "no mutant judged: the interval is all of [0, 1]"
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_the_stratified_share_weights_each_stratum_by_its_population():
    # strata (N, n, k): (100, 10, 9) and (300, 30, 24): W = 1/4, 3/4; p̂ = 0.25·0.9 + 0.75·0.8 = 0.825;
    # Var = 0.0625·0.09/10·0.9 + 0.5625·0.16/30·0.9 = 0.00050625 + 0.0027 = 0.00320625, half 1.96·0.056624 = 0.11098
    share, low, high = stratified_share([(100, 10, 9), (300, 30, 24)])
    assert share == pytest.approx(0.825) and low == pytest.approx(0.825 - 0.11098, abs=1e-4), (share, low)
    assert high == pytest.approx(0.825 + 0.11098, abs=1e-4), high
    assert stratified_share([(50, 50, 45)])[1:] == pytest.approx((0.9, 0.9)), "a stratum sampled whole has no error"


def test_a_take_all_stratum_weighs_in_the_share_but_adds_no_variance():
    # sampled (90, 10, 8) beside a take-all (10, 10, 10): W = 0.9, 0.1; p̂ = 0.9·0.8 + 0.1·1 = 0.82;
    # Var = 0.81·0.16/10·(1 − 10/90) = 0.01152 from the sampled stratum only, half 1.96·0.10733 = 0.21037
    share, low, high = stratified_share([(90, 10, 8)], known=[(10, 10, 10)])
    assert share == pytest.approx(0.82) and low == pytest.approx(0.82 - 0.21037, abs=1e-4), (share, low)
    assert high == pytest.approx(min(1.0, 0.82 + 0.21037)), high
    # a take-all stratum with survivors, (10, 10, 5): p̂ = 0.72 + 0.05 = 0.77, the same half-width
    share, low, _ = stratified_share([(90, 10, 8)], known=[(10, 10, 5)])
    assert share == pytest.approx(0.77) and share - low == pytest.approx(0.21037, abs=1e-4), (
        "the stratum known whole adds nothing to the variance however many of it survive")
