"""The sweep file's language: the pydantic models a sweep file is validated into (its base
scenario, fixed overrides, the parameters to vary and how — values, a range, a distribution,
bounds — the design, replicates, root seed and outcomes). `sim.experiments.sweepfile` reads a
file into them and checks it against the base scenario; `sim.experiments.design_spec` reads
the design. Unknown keys are errors (``extra="forbid"``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.experiments.outcomes import DEFAULT_SERIES


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


Pair = list[float]


def _low_high(pair: list[float]) -> list[float]:
    if pair[0] >= pair[1]:
        raise ValueError(f"expected [low, high] with low < high, found [{pair[0]:g}, {pair[1]:g}]")
    return pair


class RangeSpec(_Strict):
    from_: float = Field(alias="from", description="First value.")
    to: float = Field(description="Last value.")
    steps: int = Field(ge=2, le=100_000, description="Number of evenly spaced values, ends included.")


class DistributionSpec(_Strict):
    uniform: Pair | None = Field(None, min_length=2, max_length=2)
    normal: Pair | None = Field(None, min_length=2, max_length=2)
    loguniform: Pair | None = Field(None, min_length=2, max_length=2)

    @field_validator("uniform")
    @classmethod
    def _uniform(cls, v: Pair | None) -> Pair | None:
        return v if v is None else _low_high(v)

    @field_validator("normal")
    @classmethod
    def _normal(cls, v: Pair | None) -> Pair | None:
        if v is not None and v[1] <= 0:
            raise ValueError(f"expected [mean, sd] with sd > 0, found sd {v[1]:g}")
        return v

    @field_validator("loguniform")
    @classmethod
    def _loguniform(cls, v: Pair | None) -> Pair | None:
        if v is not None and v[0] <= 0:
            raise ValueError(f"expected [low, high] with low > 0, found low {v[0]:g}")
        return v if v is None else _low_high(v)

    @model_validator(mode="after")
    def _one(self) -> DistributionSpec:
        given = [k for k in ("uniform", "normal", "loguniform") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'uniform: [low, high]', 'normal: [mean, sd]' or "
                             f"'loguniform: [low, high]' (found {', '.join(given) or 'none'})")
        return self


class ParameterSpec(_Strict):
    values: list[float | int | bool | str] | None = Field(None, min_length=1)
    range: RangeSpec | None = None
    distribution: DistributionSpec | None = None
    bounds: Pair | None = Field(None, min_length=2, max_length=2)
    integer: bool = Field(False, description="Round drawn values to whole numbers.")
    label: str | None = Field(None, description="Name of the parameter in charts.")

    @field_validator("bounds")
    @classmethod
    def _bounds(cls, v: Pair | None) -> Pair | None:
        return v if v is None else _low_high(v)

    @model_validator(mode="after")
    def _how(self) -> ParameterSpec:
        given = [k for k in ("values", "range", "distribution") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"give one of 'values', 'range' or 'distribution' (found {' and '.join(given)})")
        if not given and self.bounds is None:
            raise ValueError("say how to vary it: 'values: [...]', 'range: {from, to, steps}', "
                             "'distribution: {uniform: [low, high]}' or 'bounds: [low, high]'")
        return self


class SeriesSpec(_Strict):
    every_hours: float = Field(24.0, gt=0, description="Keep one row every this many simulated hours.")
    columns: list[str] = Field(default_factory=lambda: list(DEFAULT_SERIES), min_length=1)


class OutcomesSpec(_Strict):
    final: list[str] = Field(default_factory=lambda: ["*"], min_length=1)
    series: SeriesSpec | None = SeriesSpec()


class SweepSpec(_Strict):
    name: str
    description: str = ""
    scenario: str = Field(description="Base scenario, relative to the sweep file.")
    set: dict[str, Any] = Field(default_factory=dict, description="Fixed overrides for every run.")
    parameters: dict[str, ParameterSpec] = Field(min_length=1)
    design: Any = "grid"
    replicates: int = Field(10, ge=1, le=100_000)
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="Root seed (default: the base scenario's).")
    outcomes: OutcomesSpec = OutcomesSpec()
