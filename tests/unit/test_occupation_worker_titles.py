"""A production worker's generic title is not coded as a manager's or an engineer's (issue 16)."""

from __future__ import annotations

import numpy as np
import pytest

from matching.occupation_coding import OccupationCoder, is_worker_title


@pytest.mark.parametrize(
    ("core", "worker"),
    [
        ("食品厂操作工", True),
        ("车间工人", True),
        ("塑料厂普工", True),
        ("工地杂工", True),
        ("食品工程师", False),
        ("社工", False),
        ("焊工", False),
        ("操作员", False),
    ],
)
def test_worker_titles(core: str, worker: bool) -> None:
    assert is_worker_title(core) is worker


def test_managers_and_professionals_follow_for_a_worker_title() -> None:
    coder = object.__new__(OccupationCoder)  # only the codes are read
    coder.entity_codes = ["2-02-24-00", "6-02-00-00", "1-06-01-02", "6-02-03-02"]
    coder._n_occupations = 4
    entities = np.arange(4)
    scores = np.array([0.9, 0.5, 0.8, 0.4])
    best_first = [e for e, _ in coder.order_candidates(entities, scores)]
    assert best_first == [0, 2, 1, 3]
    as_worker = [e for e, _ in coder.order_candidates(entities, scores, worker=True)]
    assert as_worker == [1, 3, 0, 2]
