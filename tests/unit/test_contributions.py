"""The contribution table (matching.contributions) returns what LightGBM's pred_contrib
returns, on rows with missing values, zeros, negative and unseen categories."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from matching.contributions import ContributionTable


def _booster(rng: np.random.Generator, leaves: int) -> tuple[lgb.Booster, np.ndarray]:
    n = 6000
    x = rng.normal(size=(n, 8))
    x[rng.random(n) < 0.2, 1] = np.nan
    x[:, 4] = rng.integers(0, 6, n)
    x[:, 5] = rng.integers(0, 3, n)
    x[rng.random(n) < 0.3, 5] = np.nan
    x[rng.random(n) < 0.3, 6] = 0.0
    x[:, 7] = rng.integers(0, 9, n)
    y = (x[:, 0] + np.nan_to_num(x[:, 1]) + (x[:, 4] == 2) + rng.normal(size=n) > 1).astype(int)
    model = lgb.LGBMRanker(
        objective="lambdarank",
        n_estimators=120,
        num_leaves=leaves,
        min_child_samples=20,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.8,
        verbose=-1,
    )
    model.fit(x.astype(np.float32), y, group=np.full(n // 10, 10), categorical_feature=[4, 7])
    queries = rng.normal(size=(500, 8))
    queries[rng.random(500) < 0.3, 1] = np.nan
    queries[:, 4] = rng.integers(-1, 8, 500)  # a negative and unseen categories
    queries[rng.random(500) < 0.1, 4] = np.nan
    queries[:, 5] = rng.integers(0, 3, 500)
    queries[rng.random(500) < 0.3, 5] = np.nan
    queries[rng.random(500) < 0.3, 6] = 0.0
    queries[:, 7] = rng.integers(0, 12, 500)
    return model.booster_, queries.astype(np.float32)


@pytest.mark.parametrize("leaves", [2, 7])
def test_the_table_equals_pred_contrib(leaves: int) -> None:
    booster, queries = _booster(np.random.default_rng(leaves), leaves)
    table = ContributionTable.of(booster)
    assert table is not None
    expected = booster.predict(queries, pred_contrib=True)
    got = table.contributions(queries)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    # The order of the contributions, which picks the reasons, is the same.
    for mine, theirs in zip(got, expected, strict=True):
        assert np.argsort(-mine[:-1], kind="stable").tolist() == (
            np.argsort(-theirs[:-1], kind="stable").tolist()
        )


def test_trees_too_big_for_a_table_have_none() -> None:
    booster, _ = _booster(np.random.default_rng(1), 31)
    assert ContributionTable.of(booster) is None
