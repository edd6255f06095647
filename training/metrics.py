"""Ranking metrics: pure functions over one ranked list, checked against hand-worked numbers.

``relevance`` is the graded label of each item in ranked order (best first); metrics of a
query set are the mean over queries that have at least one relevant item.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def dcg_at(relevance: Sequence[float] | np.ndarray, k: int) -> float:
    """Discounted cumulative gain with exponential gain: sum (2^rel - 1) / log2(rank + 1)."""
    rel = np.asarray(relevance, dtype=np.float64)[:k]
    return float(((2**rel - 1) / np.log2(np.arange(2, len(rel) + 2))).sum())


def ndcg_at(
    relevance: Sequence[float] | np.ndarray,
    k: int,
    all_relevance: Sequence[float] | np.ndarray | None = None,
) -> float:
    """DCG@k over the ideal DCG@k; ``all_relevance`` holds every relevant item's grade,
    including ones ranked below the cut or never retrieved (default: ``relevance``)."""
    ideal = sorted(all_relevance if all_relevance is not None else relevance, reverse=True)
    best = dcg_at(ideal, k)
    return dcg_at(relevance, k) / best if best > 0 else 0.0


def recall_at(
    relevance: Sequence[float] | np.ndarray, k: int, total_relevant: int | None = None
) -> float:
    """Share of the relevant items that appear in the top k."""
    rel = np.asarray(relevance) > 0
    total = int(rel.sum()) if total_relevant is None else total_relevant
    return float(rel[:k].sum() / total) if total else 0.0


def average_precision(
    relevance: Sequence[float] | np.ndarray, total_relevant: int | None = None
) -> float:
    """Mean of precision@i over the ranks i of relevant items (binary relevance)."""
    rel = np.asarray(relevance) > 0
    total = int(rel.sum()) if total_relevant is None else total_relevant
    if not total:
        return 0.0
    hits = np.cumsum(rel)
    return float((hits[rel] / (np.flatnonzero(rel) + 1)).sum() / total)
