"""Fitting the LambdaRank rankers (both directions) on recorded referral outcomes.

Both engines fit with the same estimator settings (:meth:`TrainingConfig.lightgbm_settings`:
the ``[lightgbm]`` parameters, the seed and the monotone constraints) and from the same
starting scores (``baseline_prior`` times the baseline scorer's), so a ranker trained on a
Dask cluster is the same kind of model as one trained here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import lightgbm as lgb
import numpy as np

from matching.features import CATEGORICAL, FEATURES
from matching.ranker import Direction, Ranker, baseline_score, new_version
from training.config import TrainingConfig
from training.dataset import NotEnoughData, RankingSet

MIN_GROUPS = 20


def fit_booster(
    features: np.ndarray,
    labels: np.ndarray,
    group_sizes: np.ndarray,
    *,
    settings: dict[str, Any],
    init_score: np.ndarray | None = None,
) -> lgb.Booster:
    """Fit one LambdaRank model on grouped rows (groups contiguous, sizes in order) with the
    estimator ``settings`` (:meth:`TrainingConfig.lightgbm_settings`); ``init_score`` is each
    row's starting score (the trees learn corrections to it)."""
    model = lgb.LGBMRanker(**settings)
    model.fit(
        features,
        labels,
        group=group_sizes,
        init_score=init_score,
        feature_name=list(FEATURES),
        categorical_feature=[FEATURES.index(c) for c in CATEGORICAL],
    )
    return model.booster_


def starting_scores(config: TrainingConfig, features: np.ndarray) -> np.ndarray | None:
    """Each row's starting score: ``baseline_prior`` times the baseline score (``None`` when
    the prior is 0, i.e. the trees are fitted from scratch)."""
    prior = config.training.baseline_prior
    return prior * baseline_score(features) if prior else None


def fit_ranker(
    sets: dict[Direction, RankingSet], *, embedding_model_id: str, config: TrainingConfig
) -> Ranker:
    """Fit one booster per direction on the ranking sets (groups with a positive outcome).

    The trees learn corrections to ``baseline_prior`` times the baseline scorer's score,
    held to the declared feature directions when ``monotone``; ``engine`` ``"dask"`` fits
    them on the Dask cluster at ``scheduler`` (empty: a local two-worker cluster) through
    :mod:`training.distributed`. The result is the same kind of ranker either way.
    """
    for direction, ranking_set in sets.items():
        if len(ranking_set.groups) < MIN_GROUPS:
            raise NotEnoughData(
                f"only {len(ranking_set.groups)} {direction.value} groups with a positive "
                f"outcome (hired, left early or interviewed); at least {MIN_GROUPS} are needed"
            )
    settings = config.lightgbm_settings()
    if config.training.engine == "dask":
        from training.distributed import connect, fit_booster_dask

        with connect(config.scheduler) as client:
            boosters = {
                direction: fit_booster_dask(
                    data.features,
                    data.labels,
                    data.groups,
                    client=client,
                    settings=settings,
                    init_score=starting_scores(config, data.features),
                )
                for direction, data in sets.items()
            }
    else:
        boosters = {
            direction: fit_booster(
                data.features,
                data.labels,
                data.groups,
                settings=settings,
                init_score=starting_scores(config, data.features),
            )
            for direction, data in sets.items()
        }
    now = dt.datetime.now(dt.UTC)
    return Ranker(
        boosters=boosters,
        embedding_model_id=embedding_model_id,
        version=new_version(now),
        trained_at=now.isoformat(timespec="seconds"),
        params={
            **config.lightgbm.model_dump(),
            "seed": config.training.seed,
            "monotone": config.training.monotone,
        },
        baseline_prior=config.training.baseline_prior,
    )
