"""The shared building blocks of the scenario language: the strict base model and the
constrained number types every block uses (probabilities, positive and non-negative floats,
faction ids, relations)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
PositiveFloat = Annotated[float, Field(gt=0.0)]
NonNegativeFloat = Annotated[float, Field(ge=0.0)]
FactionId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Relation = Literal["allied", "neutral", "rival", "hostile"]


class Strict(BaseModel):
    """Base for every scenario block: unknown keys are errors, values are not coerced silently,
    and numbers are finite (.nan and .inf are refused wherever a number is expected)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
