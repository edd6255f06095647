"""Ranking metrics against numbers worked out by hand."""

from __future__ import annotations

import math

import pytest

from training.metrics import average_precision, dcg_at, ndcg_at, recall_at


def test_dcg_by_hand() -> None:
    # (2^3-1)/log2(2) + (2^0-1)/log2(3) + (2^1-1)/log2(4) = 7 + 0 + 0.5
    assert dcg_at([3, 0, 1], 3) == pytest.approx(7.5)
    assert dcg_at([3, 0, 1], 1) == pytest.approx(7.0)


def test_ndcg_by_hand() -> None:
    # ideal order [3, 1, 0]: 7 + 1/log2(3) = 7.6309...
    assert ndcg_at([3, 0, 1], 3) == pytest.approx(7.5 / (7 + 1 / math.log2(3)))
    assert ndcg_at([1, 3], 2) == pytest.approx((1 + 7 / math.log2(3)) / (7 + 1 / math.log2(3)))
    assert ndcg_at([0, 0], 2) == 0.0
    # A relevant item never retrieved still counts in the ideal.
    assert ndcg_at([1, 0], 2, all_relevance=[1, 1]) == pytest.approx(1 / (1 + 1 / math.log2(3)))


def test_recall_and_map_by_hand() -> None:
    assert recall_at([0, 1, 0, 1], 2) == 0.5
    assert recall_at([0, 1, 0, 1], 2, total_relevant=4) == 0.25
    # relevant at ranks 2 and 4: (1/2 + 2/4) / 2
    assert average_precision([0, 1, 0, 1]) == pytest.approx(0.5)
    assert average_precision([1, 1, 0, 0]) == 1.0
    assert average_precision([0, 0]) == 0.0
