"""Score lists are added exactly as a loop over them would, by scipy's merge and by the sort."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from searchsvc.engine import sparse

N = 60  # documents


def _loop(pairs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[list, list, list]:
    """Each document's scores added in list order, and how many lists hold it (plain Python)."""
    sums: dict[int, float] = {}
    counts: dict[int, int] = {}
    for ids, values in pairs:
        for d, v in zip(ids.tolist(), values.tolist(), strict=True):
            sums[d] = sums[d] + v if d in counts else v
            counts[d] = counts.get(d, 0) + 1
    ids = sorted(sums)
    return ids, [sums[d] for d in ids], [counts[d] for d in ids]


score_lists = st.lists(
    st.dictionaries(
        st.integers(0, N - 1),
        st.floats(0.001, 50, allow_nan=False, allow_infinity=False),
        max_size=N,
    ),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(score_lists)
def test_both_ways_add_in_list_order_float_for_float(lists):
    pairs = [
        (np.array(sorted(d), dtype=np.int64), np.array([d[k] for k in sorted(d)])) for d in lists
    ]
    want_ids, want_sums, want_counts = _loop(pairs)
    for merge in (True, False):
        ids, sums, counts = sparse.add(pairs, N, count=True, merge=merge)
        assert ids.dtype == np.int64
        assert ids.tolist() == want_ids
        assert sums.tolist() == want_sums  # the same floats, not merely close ones
        assert counts.tolist() == want_counts
        assert sparse.add(pairs, N, merge=merge)[2] is None


def test_the_sizes_choose_the_way_and_one_list_is_returned_as_it_is():
    ids = np.arange(0, 2 * sparse.SCIPY_FROM, 2, dtype=np.int64)
    pairs = [(ids, np.full(len(ids), 0.1)), (ids + 1, np.full(len(ids), 0.2))]
    got = sparse.add(pairs, 2 * sparse.SCIPY_FROM + 1)
    assert len(got[0]) == 2 * len(ids) and got[1][:2].tolist() == [0.1, 0.2]
    alone = (np.array([3, 7]), np.array([1.5, 2.5]))
    ids_, sums, counts = sparse.add([alone, (np.zeros(0, np.int64), np.zeros(0))], 10, count=True)
    assert ids_ is alone[0] and sums is alone[1] and counts.tolist() == [1, 1]
    empty = sparse.add([], 10, count=True)
    assert [a.tolist() for a in empty] == [[], [], []]
