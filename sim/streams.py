"""Independent random streams, one per subsystem, all derived from the scenario seed.

Each stream is keyed by a name, not by the order in which streams are asked for, so switching
a rule on (which creates its own stream) does not reshuffle the draws of any other subsystem:
the condition for sharp paired what-if comparisons (common random numbers).
"""

from __future__ import annotations

import zlib

import numpy as np


class RandomStreams:
    def __init__(self, seed: int):
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        stream = self._streams.get(name)
        if stream is None:
            key = zlib.crc32(name.encode("utf-8"))
            stream = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(key,)))
            self._streams[name] = stream
        return stream
