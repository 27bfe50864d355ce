"""A pyabc sampler whose result depends only on the root seed, never on the number of workers.

pyabc's own parallel samplers keep whichever particles finish first and reseed workers from
the clock, so two runs of one calibration differ. This sampler gives every candidate particle
an index within its generation and evaluates it with numpy's global generator (which pyabc
uses to draw from the prior and perturb particles) seeded from ``SeedSequence([root, t + 2,
index])``; it evaluates indexes in batches on any ``concurrent.futures`` executor (in-process,
the local process pool or Dask: :func:`sim.experiments.engine.open_executor`) and keeps the
particles in index order up to the n-th accepted. The batch size only decides how much work
past the n-th acceptance is thrown away, so the population is the same with 1 worker or 20.
"""

from __future__ import annotations

import sys
from concurrent.futures import Executor

import cloudpickle
import numpy as np
from pyabc.sampler import Sampler

from sim.experiments.engine import _Bar  # a bar with no monitor thread: pool workers fork safely


def particle_seed(root: int, t: int, index: int) -> int:
    """The 32-bit seed of candidate `index` of generation `t` (numpy's legacy global generator)."""
    return int(np.random.SeedSequence([root, t + 2, index]).generate_state(1)[0])


def _evaluate(blob: bytes, root: int, t: int, index: int):
    """One candidate particle, in a worker: seed numpy's global generator, then simulate."""
    simulate_one = cloudpickle.loads(blob)
    np.random.seed(particle_seed(root, t, index))
    return simulate_one()


class SeededSampler(Sampler):
    """Evaluates candidates `batch` at a time on `executor`; results depend on `root` only."""

    def __init__(self, executor: Executor, root: int, batch: int, progress: bool = True):
        super().__init__()
        self.executor, self.root, self.batch, self.progress = executor, int(root), max(1, int(batch)), progress
        self.total_evaluations = 0  # over every generation this sampler ran

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False,
                                ana_vars=None):
        blob = cloudpickle.dumps(simulate_one)
        kept, accepted, start = [], 0, 0
        with _Bar(total=n, desc=f"generation {t}", unit="accepted", file=sys.stderr,
                  disable=not self.progress, leave=False) as bar:
            while accepted < n and start < max_eval:
                indexes = range(start, int(min(start + self.batch, max_eval)))
                futures = [self.executor.submit(_evaluate, blob, self.root, t, i) for i in indexes]
                for future in futures:
                    particle = future.result()
                    if accepted < n:
                        kept.append(particle)
                        if particle.accepted:
                            accepted += 1
                            bar.update(1)
                start = indexes.stop
        sample = self._create_empty_sample()
        for particle in kept:
            sample.append(particle)
        self.nr_evaluations_ = len(kept)
        self.total_evaluations += start
        if sample.n_accepted < n:
            sample.ok = False
        return sample
