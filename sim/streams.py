"""Independent random streams, one per subsystem and kind of decision, all derived from the
scenario seed.

Each stream is keyed by a name, not by the order in which streams are asked for, so switching
a rule on (which creates its own stream) does not reshuffle the draws of any other subsystem:
the condition for sharp paired what-if comparisons (common random numbers). For the same
reason no two kinds of decision share a stream, and a faction's own decisions are drawn from
that faction's streams: a scenario that adds patrols to one faction changes nothing about
where another faction's patrols go, or where the insurgent cells relocate, until the units
actually meet.

The streams (``<faction>`` is the faction id from the scenario, e.g. ``iran_militia``; the
same table is in docs/odd.md, "Stochasticity"):

==================================  =========================================================
name                                decides
==================================  =========================================================
``deploy:<faction>``                where the faction's forces are placed in their deployment
                                    area, at the start or when an event spawns them
``patrol:legs:<faction>``           when each of the faction's patrols first moves (the
                                    offset into its cycle) and the destination of every leg
``insurgent:relocation:<faction>``  when each of the faction's insurgent cells first
                                    relocates, and the desert cell it moves to each time
``insurgent:ambush``                whether each insurgent cell ambushes this step (one draw
                                    per cell, all cells at once)
``insurgent:detection``             whether patrols find each insurgent cell this step (one
                                    draw per cell, all cells at once)
``insurgent:tempo:<faction>``       the faction's operational tempo: the activity level that
                                    multiplies its cells' ambush rates (one draw per step with
                                    cells; none when the tempo is off; sim/submodels/tempo.py)
``front:contact``                   how many contacts each front has this step, and the cell
                                    of each (sim/submodels/front.py)
``rule:<key>``                      everything a rule decides (``rule:airstrikes``,
                                    ``rule:reinforcement/russia``, ...), one stream per rule
==================================  =========================================================

Ask for a stream by its template: ``streams.named(PATROL_LEGS, faction="iran_militia")``.
Engagements, standoffs, influence and the economy draw no random numbers.
"""

from __future__ import annotations

import zlib

import numpy as np

DEPLOY = "deploy:{faction}"
PATROL_LEGS = "patrol:legs:{faction}"
INSURGENT_RELOCATION = "insurgent:relocation:{faction}"
INSURGENT_AMBUSH = "insurgent:ambush"
INSURGENT_DETECTION = "insurgent:detection"
INSURGENT_TEMPO = "insurgent:tempo:{faction}"
FRONT_CONTACT = "front:contact"
RULE = "rule:{key}"

# every stream template, with what it decides (the table above)
STREAMS: dict[str, str] = {
    DEPLOY: "where the faction's forces are placed in their deployment area",
    PATROL_LEGS: "first-leg timing and destination of every patrol leg of the faction",
    INSURGENT_RELOCATION: "first-relocation timing and destination of the faction's insurgent cells",
    INSURGENT_AMBUSH: "whether each insurgent cell ambushes this step",
    INSURGENT_DETECTION: "whether patrols find each insurgent cell this step",
    INSURGENT_TEMPO: "the faction's operational tempo, which multiplies its cells' ambush rates",
    FRONT_CONTACT: "how many contacts each front has this step, and the cell of each",
    RULE: "everything the rule decides",
}


def stream_key(name: str) -> int:
    """The spawn key of a stream: a CRC of its name."""
    return zlib.crc32(name.encode("utf-8"))


class RandomStreams:
    def __init__(self, seed: int):
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}
        self._names: dict[int, str] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        stream = self._streams.get(name)
        if stream is None:
            key = stream_key(name)
            other = self._names.setdefault(key, name)
            if other != name:  # two names with one CRC would draw the same numbers
                raise ValueError(f"random streams {other!r} and {name!r} would be seeded alike")
            stream = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(key,)))
            self._streams[name] = stream
        return stream

    def named(self, template: str, **fields) -> np.random.Generator:
        """The stream of a template from the table, e.g. `named(PATROL_LEGS, faction="russia")`."""
        return self[template.format(**fields)]

    @property
    def names(self) -> list[str]:
        """The streams asked for so far."""
        return list(self._streams)


#: indexes an `IndexBatches` draws at once from a stream
INDEX_BATCH = 256


class IndexBatches:
    """Random indexes below n from a stream, drawn `INDEX_BATCH` at a time per stream and n and
    handed out four at a time, in order: a patrol leg's or a relocation's four tries (several a
    step) then cost no numpy call of their own (~4 µs each). The indexes are the stream's own
    draws, so runs stay reproducible; the stream's next draw for anything else comes after the
    whole batch."""

    def __init__(self):
        # per (stream, n): [the stream, its batch of indexes, the next one to take]
        self._batches: dict[tuple[int, int], list] = {}

    def take(self, rng: np.random.Generator, n: int) -> list[int]:
        """The next four random indexes below `n` from `rng`'s batch (a new batch when it is spent)."""
        key = (id(rng), n)
        batch = self._batches.get(key)
        if batch is None or batch[0] is not rng or batch[2] + 4 > INDEX_BATCH:
            batch = self._batches[key] = [rng, rng.integers(n, size=INDEX_BATCH).tolist(), 0]
        i = batch[2]
        batch[2] = i + 4
        return batch[1][i:i + 4]
