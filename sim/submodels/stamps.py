"""The influence field's stamps (sim/submodels/influence.py): a batch of changes of presence added
to the factions' projection as one matrix product per faction and source bank.

The kernel is a sum of K separable Gaussians, so the n changes of one faction from one bank (river
and bridges, bank 1, bank 2) project onto U @ V: U (rows, K·n) the row kernels centred on their
rows times their amounts, V (K·n, cols) the column kernels centred on their columns; times the
river's weight from that bank. One product per faction and bank an update, whatever the number
of changes (a stamp per change cost three numpy calls over its window: ~8 µs at 2 km).

numpy's BLAS is held to one thread while it stamps (`one_blas_thread`): OpenBLAS splits a product
of a few hundred thousand multiplications over every core, whose threads then wait for one
another (a year at 1 km took 2.7 times the CPU it takes on one thread, on two busy cores).
"""

from __future__ import annotations

import itertools
import threading
from operator import itemgetter

import numpy as np
from threadpoolctl import ThreadpoolController

TRUNCATE = 3.0  # kernel radius in standard deviations


def radius(sigma_cells: float) -> int:
    """The half width in cells of the 1-D kernel of width `sigma_cells` (scipy's truncation)."""
    return int(TRUNCATE * sigma_cells + 0.5)


def gaussian_kernel(sigma_cells: float) -> np.ndarray:
    """The 1-D kernel scipy's gaussian_filter applies along each axis (same truncation and
    normalisation: it sums to one); the 2-D kernel is its outer product with itself."""
    x = np.arange(-radius(sigma_cells), radius(sigma_cells) + 1)
    k = np.exp(-0.5 * (x / sigma_cells) ** 2)
    return k / k.sum()


#: the BLAS libraries numpy uses, whose threads `one_blas_thread` holds to one; their controllers
#: directly: threadpoolctl's `limit` context costs ~3 times as much a call
BLAS = [lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas"]


class one_blas_thread:  # noqa: N801 (used as a function: `with one_blas_thread():`)
    """Context: numpy's BLAS on one thread inside it, the thread counts found given back when the
    outermost use ends. Nested uses (and uses from other Python threads meanwhile: the counts are
    the process's) cost a counter: a run holds it once for all its steps (`CorridorModel.run`),
    and its stamps' own uses then set nothing."""

    depth = 0
    found: list = []
    lock = threading.Lock()

    def __enter__(self):
        cls = one_blas_thread
        with cls.lock:
            if cls.depth == 0:
                cls.found = [lib.get_num_threads() for lib in BLAS]
                for lib in BLAS:
                    lib.set_num_threads(1)
            cls.depth += 1

    def __exit__(self, *exc):
        cls = one_blas_thread
        with cls.lock:
            cls.depth -= 1
            if cls.depth == 0:
                for lib, n in zip(BLAS, cls.found, strict=True):
                    lib.set_num_threads(n)


def kernel_columns(n: int, sigmas: list[float], gains: list[float]) -> np.ndarray:
    """(K, n, n) float32, K = len(sigmas): column s of component k is the 1-D kernel of width
    `sigmas`[k] cells (`gaussian_kernel`) times `gains`[k], centred on s and clipped to 0 … n−1.
    A unit mass at (r, c) of a layer projects onto Σ_k outer(rows_k[:, r], cols_k[:, c]), rows
    with the components' weights × the gain and columns with gains 1: the mixture's 2-D kernel,
    clipped to the map."""
    out = np.zeros((len(sigmas), n, n))
    for k, (sigma, gain) in enumerate(zip(sigmas, gains, strict=True)):
        kernel = gaussian_kernel(sigma) * gain
        h = len(kernel) // 2
        for s in range(n):
            lo, hi = max(s - h, 0), min(s + h + 1, n)
            out[k, lo:hi, s] = kernel[lo - s + h:hi - s + h]
    return out.astype(np.float32)


class Stamps:
    """The kernels of both layers laid out for stamping: `rows` (layers × rows, K·rows) and `cols`
    (layers × cols, K·cols), layer l's kernels centred on row r at l × rows + r (one contiguous
    block a change: its K components' 1-D kernels), rows with the gain × the components' weights;
    `weights` (3, rows, cols), the river's weight from each source bank."""

    def __init__(self, bank: np.ndarray, parts, gain: float, weights: np.ndarray):
        """`bank` (rows, cols): 0 river/bridge, 1 and 2 the banks; `parts`: per layer, (width in
        cells, weight) of each component; `gain`: fighters per km² of a unit mass."""
        self.shape = bank.shape
        self.bank_rows = bank.tolist()  # the bank of each cell, [row][col]: a stamp reads a few dozen
        self.weights = weights
        self.rows, self.cols = (np.ascontiguousarray(np.concatenate([
            kernel_columns(n, [s for s, _ in p], [gain * w if by_rows else 1.0 for _, w in p])
            .transpose(2, 0, 1).reshape(n, -1) for p in parts])) for n, by_rows in ((bank.shape[0], True), (bank.shape[1], False)))

    def add(self, target: np.ndarray, changes: list[tuple[int, int, int, int, float]]) -> None:
        """Add the changes' projection to `target` (F, rows, cols); a change is (faction, layer, r,
        c, amount), `amount` fighters at cell (r, c) of `layer`. Each (faction, bank) group, in
        ascending order, is one product of its changes' kernels in their order: the same sums as
        stamping each change's window in turn, added in another order (float32: ~1e-7 of the
        values)."""
        if not changes:
            return
        bank, (n_rows, n_cols) = self.bank_rows, self.shape
        # each change's (faction, source bank) group, and its row and column kernels' index,
        # sorted by group, each group's changes in their order
        group, row, col, amount = zip(*sorted([(f * 3 + bank[r][c], layer * n_rows + r, layer * n_cols + c, amount)
                                              for f, layer, r, c, amount in changes], key=itemgetter(0)), strict=True)
        rows = self.rows.take(row, axis=0)  # (n, K·rows)
        rows *= np.array(amount, dtype=rows.dtype)[:, None]
        cols = self.cols.take(col, axis=0)  # (n, K·cols)
        starts = [0, *(i for i in range(1, len(group)) if group[i] != group[i - 1]), len(group)]
        with one_blas_thread():
            for a, b in itertools.pairwise(starts):
                f, source = divmod(group[a], 3)
                projected = rows[a:b].reshape(-1, n_rows).T @ cols[a:b].reshape(-1, n_cols)
                if source:
                    projected *= self.weights[source]
                target[f] += projected
