"""Compiled (numba) loops of the bootstrap: a few passes over a resample's multiplicities per statistic, without
the temporaries a chain of numpy operations would make. Imported only when an interval is computed."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True, parallel=True)
def spearman_rows(
    resamples: np.ndarray,
    x_order: np.ndarray,
    x_starts: np.ndarray,
    y_order: np.ndarray,
    y_starts: np.ndarray,
    threads: int,
) -> np.ndarray:
    """Spearman correlation on each row of ``resamples`` (indices of items): the Pearson correlation of the
    average ranks (scipy's, ties included) of x and y weighted by how often each item was drawn; NaN where a
    side is constant. ``x_order`` lists the items (indices) in x's order; ``y_order`` lists, in y's order, each
    item's place in x's order; ``*_starts`` are the positions in each order where a group of equal values
    starts, ending with the number of items. A group's rank is the number drawn before it plus half of the
    group (plus one half), kept doubled and centred so that it is an exact integer. The draws are counted by
    index and then gathered into x's order: no random access waits on another."""
    rows, drawn = resamples.shape
    n_items = len(x_order)
    out = np.empty(rows)
    threads = max(1, min(threads, rows))
    centre = drawn + 1  # twice the mean rank
    for thread in numba.prange(threads):
        by_index = np.zeros(n_items, np.int32)
        counts = np.empty(n_items, np.int32)  # in x's order
        x_rank = np.empty(n_items, np.int32)
        for row in range(thread, rows, threads):
            for j in range(drawn):
                by_index[resamples[row, j]] += 1
            for position in range(n_items):
                counts[position] = by_index[x_order[position]]
                by_index[x_order[position]] = 0
            sxx = syy = sxy = 0.0
            before = 0
            for group in range(len(x_starts) - 1):
                first, last = x_starts[group], x_starts[group + 1]
                in_group = 0
                for item in range(first, last):
                    in_group += counts[item]
                rank = 2 * before + in_group + 1 - centre
                sxx += in_group * (float(rank) * float(rank))
                for item in range(first, last):  # a loop, not a slice: most groups are one item
                    x_rank[item] = rank
                before += in_group
            before = 0
            for group in range(len(y_starts) - 1):  # one pass: the group's draws and their x ranks together
                first, last = y_starts[group], y_starts[group + 1]
                in_group = 0
                x_ranks_drawn = 0.0
                for position in range(first, last):  # no branch on undrawn items: adding 0 is exact, and
                    item = y_order[position]  # a mispredicted branch costs more than the load it saves
                    in_group += counts[item]
                    x_ranks_drawn += counts[item] * float(x_rank[item])
                rank = 2 * before + in_group + 1 - centre
                syy += in_group * (float(rank) * float(rank))
                sxy += x_ranks_drawn * rank
                before += in_group
            out[row] = sxy / np.sqrt(sxx * syy) if sxx > 0 and syy > 0 else np.nan
    return out
