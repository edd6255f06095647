"""Validation queries as serving sees them: retrieval bounds what a ranker may rank, a missed
answer still counts in the ideal ranking, and a query sample is fixed by its seed."""

from __future__ import annotations

import numpy as np

from matching.catalog import Catalog
from matching.domain import Referral
from matching.features import HistoryIndex
from matching.ranker import Direction
from tests.records import candidate, catalog_of, job
from training.evaluate import Query, Retrieval, build_queries, evaluate
from training.metrics import ndcg_at

DAY = "2025-05-01"


def world(people: int = 1) -> tuple[Catalog, HistoryIndex]:
    """Six jobs any person can do; each person referred to j0 (interviewed) and j5 (hired)."""
    referrals = [
        Referral(id=f"r{n}-{j}", candidate_id=f"p{n}", job_id=j, referred_at=DAY, outcome=outcome)
        for n in range(people)
        for j, outcome in (("j0", "interviewed"), ("j5", "hired"))
    ]
    catalog = catalog_of(
        [job(f"j{n}") for n in range(6)], [candidate(f"p{n}") for n in range(people)], referrals
    )
    return catalog, HistoryIndex(catalog)


def vectors(catalog: Catalog) -> Retrieval:
    """Job j_n at angle n·15° from every person: j0 nearest, j5 farthest."""
    angles = np.radians(15 * np.array([int(i[1:]) for i in catalog.jobs.ids]))
    jobs = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    people = np.tile(np.array([[1.0, 0.0]], dtype=np.float32), (len(catalog.candidates), 1))
    return Retrieval(job_vectors=jobs, candidate_vectors=people, pool=3)


def by_job_number(catalog: Catalog, query: Query) -> tuple[np.ndarray, np.ndarray]:
    """A method preferring higher job numbers (j5 first), refusing nothing."""
    numbers = np.array([int(catalog.jobs.ids[j][1:]) for j in query.items], dtype=np.float64)
    return numbers, np.ones(len(query.items), dtype=bool)


def test_retrieval_limits_what_is_ranked_and_a_missed_answer_still_counts() -> None:
    catalog, history = world()
    rows = np.arange(len(catalog.history.candidate))
    everything = build_queries(catalog, history, rows, Direction.JOBS_FOR_CANDIDATE)
    served = build_queries(
        catalog, history, rows, Direction.JOBS_FOR_CANDIDATE, retrieval=vectors(catalog)
    )
    assert len(everything) == len(served) == 1
    query = served[0]
    ids = [catalog.jobs.ids[j] for j in query.items]
    # The 3 nearest feasible jobs are retrieved; the hired-at j5 was not, and is added unranked.
    assert ids == ["j0", "j1", "j2", "j5"]
    assert query.retrieved.tolist() == [True, True, True, False]
    assert query.relevance.tolist() == [1, 0, 0, 3]
    assert everything[0].retrieved.all() and len(everything[0].items) == 6

    def method(q: Query) -> tuple[np.ndarray, np.ndarray]:
        return by_job_number(catalog, q)

    # Without retrieval the method ranks j5 (grade 3) first and j0 last. With it, j5 cannot be
    # shown, and the ideal ranking still holds it: j0 ranks third of what was retrieved.
    unbounded = evaluate(catalog, everything, method)["ndcg@10"]
    assert unbounded == ndcg_at([3, 0, 0, 0, 0, 1], 10, [3, 1])
    served_ndcg = evaluate(catalog, served, method)["ndcg@10"]
    assert served_ndcg == ndcg_at([0, 0, 1], 10, [3, 1])
    assert 0 < served_ndcg < unbounded


def test_a_query_sample_is_bounded_and_fixed_by_its_seed() -> None:
    catalog, history = world(people=30)
    rows = np.arange(len(catalog.history.candidate))

    def sample(seed: int) -> list[int]:
        queries = build_queries(
            catalog, history, rows, Direction.JOBS_FOR_CANDIDATE, max_queries=8, seed=seed
        )
        return [q.query for q in queries]

    assert len(sample(0)) == 8
    assert sample(0) == sample(0)
    assert sample(0) != sample(1)
    assert len(build_queries(catalog, history, rows, Direction.JOBS_FOR_CANDIDATE)) == 30


def test_an_answer_whose_job_the_records_show_filled_is_still_ranked() -> None:
    # j0 has one opening, filled by an earlier hire; the person was still referred to it and
    # hired. Serving would not propose j0 (no vacancy by the records), but the referral shows
    # it was taking referrals: validation ranks it, it does not count it as a retrieval miss.
    referrals = [
        Referral(
            id="earlier",
            candidate_id="p1",
            job_id="j0",
            referred_at="2025-03-01",
            outcome="hired",
            outcome_at="2025-03-10",
        ),
        Referral(id="r", candidate_id="p0", job_id="j0", referred_at=DAY, outcome="hired"),
    ]
    jobs = [job("j0", openings=1)] + [job(f"j{n}") for n in range(1, 6)]
    catalog = catalog_of(jobs, [candidate("p0"), candidate("p1")], referrals)
    history = HistoryIndex(catalog)
    rows = np.array([1])
    (query,) = build_queries(
        catalog, history, rows, Direction.JOBS_FOR_CANDIDATE, retrieval=vectors(catalog)
    )
    ids = [catalog.jobs.ids[j] for j in query.items]
    assert ids == ["j1", "j2", "j3", "j0"]  # the 3 nearest vacant jobs, then the answer
    assert query.retrieved.tolist() == [True, True, True, True]
    assert query.relevance.tolist() == [0, 0, 0, 3]
