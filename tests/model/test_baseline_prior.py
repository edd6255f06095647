"""Rankers boosted from the baseline scorer (LightGBM init_score): what they score, how they
explain it, and that the bundle keeps the prior."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from matching.features import FEATURES
from matching.ranker import Direction, Ranker, baseline_score
from training.config import shipped_config
from training.dataset import RankingSet
from training.train import fit_ranker


def _sets(rng: np.random.Generator) -> dict[Direction, RankingSet]:
    groups = np.full(60, 10)
    features = rng.random((groups.sum(), len(FEATURES))).astype(np.float32)
    similarity = features[:, FEATURES.index("embedding_similarity")]
    labels = (similarity > 0.8).astype(np.int32) * 3
    empty = np.zeros(len(labels), dtype=np.int64)
    data = RankingSet(features, labels, groups, empty, empty, empty)
    return dict.fromkeys(Direction, data)


def test_a_prior_ranker_scores_baseline_plus_trees_and_explains_the_sum(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    sets = _sets(rng)
    small = shipped_config().with_changes(
        {"lightgbm": {"n_estimators": 15, "min_child_samples": 5}}
    )
    prior = fit_ranker(
        sets,
        embedding_model_id="m",
        config=small.with_changes({"training": {"baseline_prior": 5.0}}),
    )
    scratch = fit_ranker(
        sets,
        embedding_model_id="m",
        config=small.with_changes({"training": {"baseline_prior": 0.0}}),
    )
    rows = rng.random((40, len(FEATURES))).astype(np.float32)
    for direction in Direction:
        trees = prior.boosters[direction].predict(rows)
        expected = trees + 5.0 * baseline_score(rows)
        assert np.allclose(prior.score(rows, direction), expected)
        contributions = prior.contributions(rows, direction)
        assert np.allclose(contributions.sum(axis=1), prior.score(rows, direction), atol=1e-5)
        # From scratch the trees alone score.
        assert np.allclose(
            scratch.score(rows, direction), scratch.boosters[direction].predict(rows)
        )
    prior.save(tmp_path / "ranker")
    loaded = Ranker.load(tmp_path / "ranker")
    assert loaded.baseline_prior == 5.0
    for direction in Direction:
        assert np.allclose(loaded.score(rows, direction), prior.score(rows, direction))
