"""What a paired difference between two arms of a comparison may be called.

A percentile-bootstrap interval that excludes zero is evidence of a difference only when the
paired differences vary from replicate to replicate. Two cases must not be called
"significant":

- **no spread**: every pair differs by the same amount (0, or a fixed shift such as a convoy
  stopped in every replicate). That is not a statistical finding: the verdict says "identical
  in every pair" or "the same <d> in every pair", and `excludes_zero` is None.
- **a changed denominator**: shares of land (`share_*`, `contested_share`, `ungoverned_share`)
  are areas divided by the map's land. When the arms' maps differ in land (a bridge reopened
  adds its cell), a share can move although the area held is the same in every pair. When the
  paired difference in area (share × the arm's land, to the 6-decimal rounding of shares) is
  the same in every pair — 0, or the new land itself (the reopened bridge's cell is ungoverned
  in every pair) — the verdict says so and `excludes_zero` is None.

Verdicts (column `verdict` of the comparison table):

==========================================  ==================================================
"differs"                                   the differences vary and the 95 % interval excludes 0
"no clear difference"                       the differences vary and the interval includes 0
"identical in every pair"                   every paired difference is exactly 0
"the same <d> in every pair"                every paired difference is the same d ≠ 0
"same area in every pair (land differs)"    a share whose area is identical in every pair
"area <d> km² in every pair (land differs)" a share whose area differs by the same d in every pair
==========================================  ==================================================
"""

from __future__ import annotations

import fnmatch

import numpy as np

from sim.experiments.stats import excludes_zero

#: outcomes that are an area divided by the map's land (km² of land per arm)
SHARES_OF_LAND = ("share_*", "contested_share", "ungoverned_share")
SHARE_DECIMALS = 6  # the run summary rounds shares to 6 decimals (sim.results)
DIFFERS, UNCLEAR, IDENTICAL, SAME_AREA = ("differs", "no clear difference", "identical in every pair",
                                          "same area in every pair (land differs)")


def is_share_of_land(outcome: str) -> bool:
    return any(fnmatch.fnmatchcase(outcome, p) for p in SHARES_OF_LAND)


def verdict(differences: np.ndarray, low: float, high: float) -> tuple[str, bool | None]:
    """(verdict, excludes_zero) of paired differences (n,) with their interval [low, high];
    excludes_zero is None when the differences do not vary (no statistical claim)."""
    d = np.asarray(differences, dtype=float)
    if len(d) and np.all(d == d[0]):
        return (IDENTICAL if d[0] == 0 else f"the same {d[0]:.4g} in every pair"), None
    excluded = excludes_zero(low, high)
    return (DIFFERS if excluded else UNCLEAR), excluded


def area_verdict(outcome: str, reference: np.ndarray, other: np.ndarray, land_ref: float,
                 land_other: float) -> str | None:
    """The verdict on a share of land whose area differs by the same amount in every pair
    although the arms' land differs; None when the lands are equal, the outcome is not a share
    of land, or the area differences vary. `reference`, `other`: the share in each replicate
    (n,); lands in km²."""
    if land_ref == land_other or not is_share_of_land(outcome) or len(reference) == 0:
        return None
    tolerance = 10.0**-SHARE_DECIMALS * max(land_ref, land_other)  # two shares, each rounded ± 0.5e-6
    area_diff = np.asarray(other, float) * land_other - np.asarray(reference, float) * land_ref
    if np.ptp(area_diff) > 2 * tolerance:
        return None
    shift = float(np.mean(area_diff))
    return SAME_AREA if abs(shift) <= tolerance else f"area {shift:+.4g} km² in every pair (land differs)"


def land_note(arms: list[str], lands_km2: list[float]) -> str | None:
    """A note when the arms' maps have different land (the denominator of every share), else None."""
    if len(set(lands_km2)) == 1:
        return None
    listed = ", ".join(f"{a} {km2:,.1f} km²" for a, km2 in zip(arms, lands_km2, strict=True))
    return (f"the arms' maps differ in land ({listed}; e.g. map.closed_crossings): shares of land are "
            "divided by different totals, so compare the areas (area_km2_*) beside them")
