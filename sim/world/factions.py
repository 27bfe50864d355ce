"""Factions and the relations between them, resolved once into an index and a matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.spec import Scenario

ALLIED, NEUTRAL, RIVAL, HOSTILE = range(4)
#: relation names as scenarios write them → the codes in `Factions.relation`
RELATION_CODES = {"allied": ALLIED, "neutral": NEUTRAL, "rival": RIVAL, "hostile": HOSTILE}


@dataclass
class Factions:
    """The scenario's factions in scenario order; a faction is referred to by its index."""

    ids: list[str]
    labels: list[str]
    colors: list[str]
    funding: np.ndarray              # (F,) current funding, US$ per day (agreements scale it)
    reinforcement_scale: np.ndarray  # (F,) factor on reinforcement rates (agreements scale it), from 1
    relation: np.ndarray             # (F, F) int8 relation codes, symmetric; ALLIED on the diagonal

    @classmethod
    def from_scenario(cls, spec: Scenario) -> Factions:
        ids = list(spec.factions)
        index = {f: i for i, f in enumerate(ids)}
        n = len(ids)
        relation = np.full((n, n), NEUTRAL, dtype=np.int8)
        np.fill_diagonal(relation, ALLIED)
        # '*' entries first, so that an explicit pair overrides a wildcard
        for key, value in sorted(spec.relations.items(), key=lambda kv: "*" not in kv[0]):
            a, b = key.split("/")
            rows = range(n) if a == "*" else [index[a]]
            cols = range(n) if b == "*" else [index[b]]
            for i in rows:
                for j in cols:
                    if i != j:
                        relation[i, j] = relation[j, i] = RELATION_CODES[value]
        return cls(
            ids=ids,
            labels=[spec.factions[f].label for f in ids],
            colors=[spec.factions[f].color for f in ids],
            funding=np.array([spec.factions[f].funding_usd_per_day or 0.0 for f in ids], dtype=float),
            reinforcement_scale=np.ones(n),
            relation=relation,
        )

    def index(self, faction_id: str) -> int:
        """The index of a faction id; ValueError if the scenario has no such faction."""
        return self.ids.index(faction_id)

    def __len__(self) -> int:
        return len(self.ids)

    def hostile_pairs(self) -> list[tuple[int, int]]:
        """Every hostile pair of faction indices once, as (i, j) with i < j."""
        n, relation = len(self.ids), self.relation.tolist()
        return [(i, j) for i in range(n) for j in range(i + 1, n) if relation[i][j] == HOSTILE]
