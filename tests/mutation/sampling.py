"""Mutant sampling: a seeded, stratified simple random sample of mutmut's mutants, and the
Wilson interval of the killed share it measures.

Random mutant selection estimates the mutation score of the full set without running every
mutant: Wong & Mathur, "Reducing the cost of mutation testing: an empirical study", J. Systems
and Software 31(3):185–196, 1995; Zhang, Hou, Hu, Xie & Mei, "Is operator-based mutant selection
superior to random mutant selection?", ICSE 2010, pp. 435–444 (random selection predicts the full
score as well as operator-based selection); Zhang, Gligoric, Marinov & Khurshid, "Operator-based
and random mutant selection: better together", ASE 2013; Gopinath, Alipour, Ahmed, Jensen &
Groce, "How hard does mutation analysis have to be, anyway?", ISSRE 2015 (about a thousand mutants drawn
at random estimate the full score closely whatever the program's size, as binomial sampling
predicts). The sample is stratified by module (a row of the table): each module's
mutants are sampled on their own, so every module gets its own estimate. Successive samples
(`successive_samples`) each draw from what the samples before them left, so that a sample whose
mutants were seen (and given tests) can be taken whole beside a fresh one of the rest.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

Z95 = 1.959963984540054  # the standard normal's 97.5 % quantile


def sample_size(population: int, fraction: float, minimum: int) -> int:
    """How many of a module's `population` mutants to draw: `fraction` of them rounded up, at
    least `minimum`, at most all. ValueError unless 0 < fraction ≤ 1 and minimum ≥ 0."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"the sampled fraction must be in (0, 1], not {fraction}")
    if minimum < 0:
        raise ValueError(f"the minimum sample must be ≥ 0, not {minimum}")
    return min(population, max(minimum, math.ceil(fraction * population)))


def stratified_sample(names_by_stratum: Mapping[str, Sequence[str]], fraction: float, seed: int,
                      minimum: int = 30, strata: Sequence[str] | None = None) -> dict[str, list[str]]:
    """{stratum: sorted sampled names}: a simple random sample without replacement of
    `sample_size(len(names), fraction, minimum)` names from each stratum: the first k of a random
    permutation of its names sorted, drawn from the stratum's own generator, seeded by (seed, i)
    for stratum i of `strata` (default: the mapping's keys, sorted). So the same seed, fraction and
    names give the same sample; a stratum's sample does not depend on the other strata's names;
    and with one seed a smaller fraction's sample lies inside a larger one's, so a sample can be
    enlarged, keeping the verdicts of the mutants already run."""
    order = list(strata) if strata is not None else sorted(names_by_stratum)
    sample = {}
    for i, stratum in enumerate(order):
        names = sorted(names_by_stratum.get(stratum, ()))
        k = sample_size(len(names), fraction, minimum)
        order = np.random.default_rng([seed, i]).permutation(len(names))
        sample[stratum] = sorted(names[j] for j in order[:k])
    return sample


def successive_samples(names_by_stratum: Mapping[str, Sequence[str]], fraction: float, seeds: Sequence[int],
                       minimum: int = 30, strata: Sequence[str] | None = None,
                       pinned: Mapping[int, Mapping[str, Sequence[str]]] | None = None) -> list[dict[str, list[str]]]:
    """The samples of `seeds`, in order, each {stratum: sorted names}: seed i's sample is
    `stratified_sample` of each stratum's names outside the samples of seeds 0 … i − 1 (so they
    are disjoint). A seed in `pinned` ({seed: {stratum: names}}, a sample recorded when it was
    drawn) takes instead its pinned names that are still in the stratum: a stratum's sample is
    a permutation of its sorted names, so a draw made again after one name was added or removed
    picks other names; the pinned ones are the names that were drawn (and seen)."""
    pinned = pinned or {}
    taken: dict[str, set[str]] = {}
    samples = []
    for seed in seeds:
        if seed in pinned:
            sample = {s: sorted(set(pinned[seed].get(s, ())) & set(names) - taken.get(s, set()))
                      for s, names in names_by_stratum.items()}
        else:
            sample = stratified_sample({s: sorted(set(names) - taken.get(s, set())) for s, names in names_by_stratum.items()},
                                       fraction, seed, minimum, strata)
        for s, chosen in sample.items():
            taken.setdefault(s, set()).update(chosen)
        samples.append(sample)
    return samples


def wilson_interval(killed: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval (Wilson 1927) of a binomial share killed/n, as fractions in [0, 1]:
    (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n). (0, 1) when n = 0; ValueError unless
    0 ≤ killed ≤ n."""
    if not 0 <= killed <= n:
        raise ValueError(f"killed must be between 0 and n = {n}, not {killed}")
    if n == 0:
        return 0.0, 1.0
    p = killed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def stratified_share(strata: Sequence[tuple[int, int, int]], z: float = Z95,
                     known: Sequence[tuple[int, int, int]] = ()) -> tuple[float, float, float]:
    """The population share estimated from a stratified sample, and its normal-approximation
    interval, as fractions: strata of (population N_h, judged n_h, killed k_h); weights
    W_h = N_h / ΣN, p̂ = Σ W_h·k_h/n_h, Var = Σ W_h²·p̂_h(1 − p̂_h)/n_h·(1 − n_h/N_h) (Cochran,
    Sampling Techniques, 3rd ed., 1977, §5.3). `known` are take-all strata (N_h, n_h, k_h): every
    mutant of them was judged (N_h − n_h are equivalent or not run), so they weigh in p̂ and in
    ΣN but add no variance (Cochran §5A.13, strata enumerated completely). Strata with n_h = 0
    are left out of both sums."""
    used = [(N, n, k, False) for N, n, k in strata if n > 0] + [(N, n, k, True) for N, n, k in known if n > 0]
    total = sum(N for N, _, _, _ in used)
    if not total:
        return 0.0, 0.0, 1.0
    share = sum(N / total * k / n for N, n, k, _ in used)
    var = sum((N / total) ** 2 * (k / n) * (1 - k / n) / n * max(0.0, 1 - n / N)
              for N, n, k, whole in used if not whole)
    half = z * math.sqrt(var)
    return share, max(0.0, share - half), min(1.0, share + half)
