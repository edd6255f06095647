"""Exact retrieval (matching.engine.most_similar_feasible): the partitioned search returns what
sorting everything would, ties and all."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.engine import most_similar_feasible


def by_full_sort(
    similarity: np.ndarray, eligible: np.ndarray, feasible: np.ndarray, pool: int
) -> np.ndarray:
    ranked = eligible[np.argsort(-similarity, kind="stable")]
    return ranked[feasible[ranked]][:pool]


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(0, 400),
    pool=st.integers(1, 30),
    levels=st.integers(1, 50),  # few distinct values: many ties
    feasible_share=st.floats(0, 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_partitioned_search_equals_the_full_stable_sort(
    n: int, pool: int, levels: int, feasible_share: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    catalog = n + 10
    eligible = np.sort(rng.choice(catalog, size=n, replace=False))
    similarity = rng.integers(0, levels, size=n).astype(np.float32) / levels
    feasible = rng.random(catalog) < feasible_share
    checked: list[int] = []

    def is_feasible(items: np.ndarray) -> np.ndarray:
        checked.extend(items.tolist())
        return feasible[items]

    got = most_similar_feasible(similarity, eligible, is_feasible, pool)
    assert got.tolist() == by_full_sort(similarity, eligible, feasible, pool).tolist()
    assert len(checked) == len(set(checked))  # no item is checked twice
