"""Training sets (training/dataset.py): groups over a window of a person's (a job's) history,
each row's features as of its own day, random and retrieval-pool negatives."""

from __future__ import annotations

import datetime as dt

import numpy as np

from matching.domain import Referral
from matching.features import HistoryIndex, build_features, feasible, pair_similarity
from matching.ranker import Direction
from matching.settings import Settings
from tests.records import candidate, catalog_of, job
from training.config import TrainingSetSpec, shipped_config
from training.dataset import build_ranking_set

SPEC = shipped_config().dataset


def _world():
    jobs = [job(f"j{n}", title=f"岗位{n}") for n in range(12)]
    jobs.append(job("blind-only", demands={"vision": 3}))  # infeasible for the visual person
    people = [
        candidate("p0", disability_category="visual", disability_grade=1),
        candidate("p1"),
        candidate("p2"),
    ]
    # Weeks apart, one referral a day: p0 rejected twice, then hired; p1 only rejected.
    referrals = [
        Referral(
            id=f"r{n}",
            candidate_id=person,
            job_id=f"j{j}",
            referred_at=day,
            outcome=outcome,
            outcome_at=day + dt.timedelta(days=7),
        )
        for n, (person, j, day, outcome) in enumerate(
            [
                ("p0", 0, dt.date(2025, 2, 1), "rejected"),
                ("p0", 1, dt.date(2025, 3, 1), "declined"),
                ("p0", 2, dt.date(2025, 4, 1), "hired"),
                ("p1", 3, dt.date(2025, 2, 10), "rejected"),
                ("p2", 4, dt.date(2025, 3, 10), "interviewed"),
            ]
        )
    ]
    catalog = catalog_of(jobs, people, referrals)
    rng = np.random.default_rng(0)
    job_vectors = rng.normal(size=(len(jobs), 8)).astype(np.float32)
    job_vectors /= np.linalg.norm(job_vectors, axis=1, keepdims=True)
    people_vectors = rng.normal(size=(len(people), 8)).astype(np.float32)
    people_vectors /= np.linalg.norm(people_vectors, axis=1, keepdims=True)
    return catalog, HistoryIndex(catalog), job_vectors, people_vectors


def _build(spec: TrainingSetSpec, direction: Direction = Direction.JOBS_FOR_CANDIDATE):
    catalog, history, job_vectors, people_vectors = _world()
    data = build_ranking_set(
        catalog,
        history,
        job_vectors=job_vectors,
        candidate_vectors=people_vectors,
        settings=Settings(),
        direction=direction,
        rows=np.arange(len(catalog.history)),
        spec=spec,
        seed=0,
    )
    return catalog, history, job_vectors, people_vectors, data


def test_a_persons_hire_stands_beside_the_referrals_that_failed_weeks_earlier() -> None:
    catalog, *_, data = _build(
        SPEC.model_copy(update={"random_negatives": 0, "retrieval_negatives": 0})
    )
    # Whole history: p0's three referrals form one group; p1 (no positive) is left out.
    assert data.groups.tolist() == [3, 1]
    assert sorted(data.labels[:3].tolist()) == [0, 0, 3]
    referred = catalog.history.candidate == catalog.candidates.index["p0"]
    assert sorted(data.days[:3].tolist()) == sorted(catalog.history.referred[referred].tolist())


def test_one_day_groups_hold_a_single_referral_and_lose_the_contrast() -> None:
    """What training did before: a group per referral day keeps only the hire."""
    *_, data = _build(
        SPEC.model_copy(update={"window_days": 1, "random_negatives": 0, "retrieval_negatives": 0})
    )
    assert data.groups.tolist() == [1, 1]
    assert data.labels.tolist() == [3, 1]


def test_every_row_is_featurised_as_of_its_own_day() -> None:
    # With the history features kept, so that the as-of-day history is checked too.
    spec = SPEC.model_copy(update={"retrieval_negatives": 5, "history_features": True})
    catalog, history, job_vectors, people_vectors, data = _build(spec)
    similarity = pair_similarity(people_vectors, job_vectors, data.candidates, data.jobs)
    for row in range(len(data)):
        alone = build_features(
            catalog,
            history,
            data.candidates[row : row + 1],
            data.jobs[row : row + 1],
            data.days[row],
            similarity[row : row + 1],
            Settings(),
        )
        assert np.array_equal(alone[0], data.features[row], equal_nan=True)
    # p0's hire row sees the two failures before it, the first row sees none.
    prior = data.features[:, _feature("person_prior_referrals")]
    first_day = data.days[:3].min()
    assert prior[:3][data.days[:3] == first_day].tolist() == [0.0]
    assert prior[:3].max() == 2.0


def test_negatives_are_feasible_unreferred_and_retrieval_ones_come_from_the_nearest() -> None:
    spec = SPEC.model_copy(
        update={"random_negatives": 0, "retrieval_negatives": 3, "retrieval_depth": 4}
    )
    catalog, history, job_vectors, people_vectors, data = _build(spec)
    negatives = np.flatnonzero(data.labels == 0)
    assert feasible(catalog, data.candidates, data.jobs).all()
    p0 = catalog.candidates.index["p0"]
    mine = data.candidates == p0
    referred = set(catalog.history.job[catalog.history.candidate == p0].tolist())
    # p0's group: the three referrals, then three negatives, none of them a referred job.
    assert mine.sum() == 6
    drawn = np.setdiff1d(data.jobs[mine], list(referred))
    assert len(drawn) == 3
    # The nearest feasible unreferred jobs of p0 by embedding, four deep.
    open_jobs = np.array([j for j in range(len(catalog.jobs)) if j not in referred], dtype=np.int64)
    open_jobs = open_jobs[feasible(catalog, np.full(len(open_jobs), p0), open_jobs)]
    nearest = open_jobs[np.argsort(-(job_vectors[open_jobs] @ people_vectors[p0]))[:4]]
    assert set(drawn.tolist()) <= set(nearest.tolist())
    assert len(negatives) == 2 + 3 + 3  # p0's two failures, then three drawn per group
    assert catalog.jobs.index["blind-only"] not in data.jobs[mine].tolist()


def test_referred_labels_rank_a_failed_referral_above_an_unreferred_item() -> None:
    *_, data = _build(
        SPEC.model_copy(
            update={"labels": "referred", "random_negatives": 5, "retrieval_negatives": 0}
        )
    )
    first = data.labels[: data.groups[0]]
    assert sorted(set(first.tolist())) == [0, 1, 4]


def test_people_for_a_job_groups_by_job() -> None:
    catalog, *_, data = _build(
        SPEC.model_copy(update={"random_negatives": 2, "retrieval_negatives": 0}),
        Direction.CANDIDATES_FOR_JOB,
    )
    # Jobs j2 (hired) and j4 (interviewed) are the positive groups.
    assert len(data.groups) == 2
    assert set(data.jobs.tolist()) == {catalog.jobs.index["j2"], catalog.jobs.index["j4"]}


def test_history_features_are_left_out_by_default() -> None:
    from matching.features import FEATURES, HISTORY_FEATURES

    *_, data = _build(SPEC)
    for name in HISTORY_FEATURES:
        assert np.isnan(data.features[:, FEATURES.index(name)]).all(), name
    for name in ("embedding_similarity", "region_proximity", "capacity_min_slack"):
        assert not np.isnan(data.features[:, FEATURES.index(name)]).any(), name


def _feature(name: str) -> int:
    from matching.features import FEATURES

    return FEATURES.index(name)
