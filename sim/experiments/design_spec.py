"""The `design:` block of a sweep file: its kinds (grid, Latin hypercube, Sobol, Morris, and
the given points of a DataFrame from `sim.sweep(design=...)`), each validated, and what each
needs of every parameter. `sim.experiments.sweepfile` reads the rest of the file."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim.experiments.design import DESIGNS, Design
from sim.program.errors import describe_found, did_you_mean
from sim.scenario import Report, pydantic_problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


class GridDesign(_Strict):
    kind: Literal["grid"]


class PointsDesign(_Strict):  # the rows of a DataFrame given to sim.sweep(design=...)
    kind: Literal["points"]
    rows: list[list[float | int | bool | str]] = Field(min_length=1, description="Each point's values, in the order of `parameters`.")


class LatinHypercubeDesign(_Strict):
    kind: Literal["latin_hypercube"]
    samples: int = Field(ge=2, le=1_000_000)


class SobolDesign(_Strict):
    kind: Literal["sobol"]
    samples: int = Field(ge=2, le=1_048_576)

    @field_validator("samples")
    @classmethod
    def _power_of_two(cls, v: int) -> int:
        if v & (v - 1):
            low = 1 << (v.bit_length() - 1)
            raise ValueError(f"the Sobol design needs a power of two (e.g. {low} or {low * 2}), found {v}")
        return v


class MorrisDesign(_Strict):
    kind: Literal["morris"]
    trajectories: int = Field(ge=2, le=100_000)
    levels: int = Field(4, ge=2, le=100)

    @field_validator("levels")
    @classmethod
    def _even(cls, v: int) -> int:
        if v % 2:
            raise ValueError(f"expected an even number of levels (e.g. 4), found {v}")
        return v


DESIGN_MODELS: dict[str, type[_Strict]] = {
    "grid": GridDesign, "latin_hypercube": LatinHypercubeDesign, "sobol": SobolDesign, "morris": MorrisDesign,
    "points": PointsDesign,
}
NEEDS = {  # what a design needs of each parameter
    "grid": ("values", "range"), "points": ("values",),
    "latin_hypercube": ("distribution", "bounds"),
    "sobol": ("bounds", "distribution", "range"),
    "morris": ("bounds", "distribution", "range"),
}


def read_design(value: Any, report: Report) -> Design | None:
    """`design: grid` or `design: {kind: latin_hypercube, samples: 20}`."""
    data = {"kind": value} if isinstance(value, str) else value
    if not isinstance(data, dict):
        report(("design",), f"expected a design name ({', '.join(DESIGNS)}) or a mapping like "
                            f"{{kind: morris, trajectories: 10}}, found {describe_found(value)}")
        return None
    kind = data.get("kind")
    where = ("design",) if isinstance(value, str) else ("design", "kind")
    if kind is None:
        report(("design",), f"missing required key 'kind' (one of {', '.join(DESIGNS)})")
        return None
    if not isinstance(kind, str):
        report(where, f"expected a design name ({', '.join(DESIGNS)}), found {describe_found(kind)}")
        return None
    if kind not in DESIGN_MODELS:
        hint = did_you_mean(kind, DESIGNS) or f"; expected one of {', '.join(DESIGNS)}"
        report(where, f"unknown design '{kind}'{hint}")
        return None
    if isinstance(value, str) and kind not in ("grid", "points"):
        size = "samples: 32" if kind != "morris" else "trajectories: 10"
        report(where, f"the {kind} design needs its size: write design: {{kind: {kind}, {size}}}")
        return None
    try:
        model = DESIGN_MODELS[kind].model_validate(data, strict=True)
    except ValidationError as exc:
        pydantic_problems(exc, DESIGN_MODELS[kind], ("design",), report)
        return None
    fields = model.model_dump()
    if "rows" in fields:
        fields["rows"] = tuple(tuple(row) for row in fields["rows"])
    return Design(**fields)  # the design's own keys; the rest keep Design's defaults
