"""Fitting the LambdaRank rankers (both directions) on recorded referral outcomes."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import numpy as np

from matching.catalog import Catalog
from matching.features import HistoryIndex
from matching.ranker import (
    DEFAULT_PARAMS,
    Direction,
    Ranker,
    baseline_score,
    fit_booster,
    new_version,
)
from matching.settings import Settings
from training.dataset import RankingSet, TrainingSetSpec, build_ranking_set
from training.distributed import Engine


class NotEnoughData(ValueError):
    """The recorded referrals cannot support training a ranker."""


MIN_GROUPS = 20
# The learned rankers start from this multiple of the baseline score (README, Ranking
# quality: chosen by ablation on both synthetic worlds' cold-start slices).
BASELINE_PRIOR = 50.0
# The trees are held to the declared direction of each feature (matching.features.Effect;
# README, Ranking quality: chosen by the same ablation).
MONOTONE = True


def ranking_sets(
    catalog: Catalog,
    history: HistoryIndex,
    *,
    job_vectors: np.ndarray,
    candidate_vectors: np.ndarray,
    settings: Settings,
    rows: np.ndarray,
    spec: TrainingSetSpec | None = None,
    negatives: int | None = None,
    seed: int = 0,
) -> dict[Direction, RankingSet]:
    """The person-grouped and the job-grouped ranking set of the given history rows.

    ``negatives``, when given, replaces the spec's number of random negatives per group.
    """
    spec = spec or TrainingSetSpec()
    if negatives is not None:
        spec = replace(spec, random_negatives=negatives)
    return {
        direction: build_ranking_set(
            catalog,
            history,
            job_vectors=job_vectors,
            candidate_vectors=candidate_vectors,
            settings=settings,
            direction=direction,
            rows=rows,
            spec=spec,
            seed=seed,
        )
        for direction in Direction
    }


def fit_ranker(
    sets: dict[Direction, RankingSet],
    *,
    embedding_model_id: str,
    params: dict[str, Any] | None = None,
    seed: int = 0,
    engine: Engine = "local",
    scheduler: str | None = None,
    baseline_prior: float = BASELINE_PRIOR,
    monotone: bool = MONOTONE,
) -> Ranker:
    """Fit one booster per direction on the ranking sets (groups with a positive outcome).

    The trees learn corrections to ``baseline_prior`` times the baseline scorer's score
    (0: from scratch), held to the declared feature directions when ``monotone``.
    ``engine="dask"`` fits them on the Dask cluster at ``scheduler``
    (``None``: a local two-worker cluster) through :mod:`training.distributed`, from scratch;
    the result is the same kind of ranker either way.
    """
    if engine not in ("local", "dask"):
        raise ValueError(f"unknown training engine {engine!r}: 'local' or 'dask'")
    for direction, ranking_set in sets.items():
        if len(ranking_set.groups) < MIN_GROUPS:
            raise NotEnoughData(
                f"only {len(ranking_set.groups)} {direction.value} groups with a positive "
                f"outcome (hired, left early or interviewed); at least {MIN_GROUPS} are needed"
            )
    if engine == "dask":
        from training.distributed import connect, fit_booster_dask

        # The Dask fit takes no starting scores and is left unconstrained (as before).
        baseline_prior, monotone = 0.0, False
        with connect(scheduler) as client:
            boosters = {
                direction: fit_booster_dask(
                    data.features, data.labels, data.groups, client=client, params=params, seed=seed
                )
                for direction, data in sets.items()
            }
    else:
        boosters = {
            direction: fit_booster(
                data.features,
                data.labels,
                data.groups,
                params=params,
                seed=seed,
                init_score=baseline_prior * baseline_score(data.features)
                if baseline_prior
                else None,
                monotone=monotone,
            )
            for direction, data in sets.items()
        }
    now = dt.datetime.now(dt.UTC)
    return Ranker(
        boosters=boosters,
        embedding_model_id=embedding_model_id,
        version=new_version(now),
        trained_at=now.isoformat(timespec="seconds"),
        params={**DEFAULT_PARAMS, **(params or {}), "seed": seed, "monotone": monotone},
        baseline_prior=baseline_prior,
    )
