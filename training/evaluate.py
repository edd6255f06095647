"""Offline evaluation of rankers on held-out referral outcomes.

A query is a person on a referral day (which jobs?) or a job on a referral day (which
people?). Every item open or active on that day is a candidate answer (or, with a
:class:`Retrieval`, only those serving would retrieve, which is what the weekly job measures:
the ranker is judged on the lists counselors would see); the relevant ones are those referred
in that query with a positive outcome, graded as in training. A method scores all items and
may refuse some (the feasibility filter); a relevant item it refuses, or that retrieval did
not bring, still counts in the ideal ranking, so filtering is never rewarded for hiding
answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from demo.worlds import Truth
from matching.catalog import Catalog
from matching.engine import most_similar_feasible
from matching.features import DAY_SPAN, HistoryIndex, feasible, vacant
from matching.ranker import Direction
from training.dataset import LABEL_OF_OUTCOME
from training.metrics import average_precision, ndcg_at, recall_at


@dataclass(frozen=True)
class Query:
    """One ranking question and its answers."""

    direction: Direction
    query: int  # candidate index (jobs for a person) or job index (people for a job)
    day: int
    items: np.ndarray  # the items to rank (see build_queries), then any answer not among them
    relevance: np.ndarray  # graded label of each item (0 = not relevant)
    retrieved: np.ndarray  # whether each item may be ranked at all (False: counted, unseen)

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(candidate indexes, job indexes) of every item of the query."""
        fixed = np.full(len(self.items), self.query, dtype=np.int64)
        if self.direction is Direction.JOBS_FOR_CANDIDATE:
            return fixed, self.items
        return self.items, fixed


@dataclass(frozen=True)
class Retrieval:
    """Rank what serving ranks: per query the ``pool`` nearest feasible items
    (:func:`matching.engine.most_similar_feasible`, the matcher's exact retrieval)."""

    job_vectors: np.ndarray
    candidate_vectors: np.ndarray
    pool: int


def build_queries(
    catalog: Catalog,
    history: HistoryIndex,
    rows: np.ndarray,
    direction: Direction,
    *,
    retrieval: Retrieval | None = None,
    max_queries: int | None = None,
    seed: int = 0,
) -> list[Query]:
    """Queries from the history rows that hold at least one positive outcome.

    The items of a query are every job open (and not yet filled) or every person active on
    its day, or with ``retrieval`` only the ones serving would retrieve; answers retrieval
    missed are added unranked (``retrieved`` False) so that they still count in the ideal
    ranking, and answers not open or vacant by the records are added and ranked (see
    :func:`_query`). ``max_queries`` keeps a random sample of that many queries (``seed``
    fixes it).
    """
    h = catalog.history
    labels = LABEL_OF_OUTCOME[h.outcome[rows]]
    rows = rows[labels > 0]
    by_person = direction is Direction.JOBS_FOR_CANDIDATE
    owner = h.candidate[rows] if by_person else h.job[rows]
    keys = owner.astype(np.int64) * DAY_SPAN + h.referred[rows]
    order = np.argsort(keys, kind="stable")
    rows, keys = rows[order], keys[order]
    group_keys, starts = np.unique(keys, return_index=True)
    ends = np.r_[starts[1:], len(keys)]
    chosen = np.arange(len(group_keys))
    if max_queries is not None and len(chosen) > max_queries:
        chosen = np.sort(np.random.default_rng(seed).choice(chosen, max_queries, replace=False))

    pools: dict[int, np.ndarray] = {}  # the open or active items of a day, shared by queries
    queries = []
    for batch in np.array_split(chosen, max(1, -(-len(chosen) // _BATCH))):
        owners = (group_keys[batch] // DAY_SPAN).tolist()
        similarity = _similarities(retrieval, direction, owners) if retrieval else {}
        for g, query in zip(batch.tolist(), owners, strict=True):
            day = int(group_keys[g] % DAY_SPAN)
            if day not in pools:
                if by_person:
                    pool = catalog.jobs.open_on(day)
                    pools[day] = pool[vacant(catalog, history, pool, np.full(len(pool), day))]
                else:
                    people = catalog.candidates
                    pools[day] = np.flatnonzero(people.active & (people.registered <= day))
            eligible = items = pools[day]
            if retrieval is not None:
                items = _retrieve(catalog, direction, query, items, similarity[query], retrieval)
            mine = rows[starts[g] : ends[g]]
            queries.append(_query(catalog, direction, query, day, eligible, items, mine))
    return queries


# Queries whose similarities are computed together: one matrix product reads the catalog's
# vectors once per batch instead of once per query.
_BATCH = 128


def _similarities(
    retrieval: Retrieval, direction: Direction, owners: list[int]
) -> dict[int, np.ndarray]:
    """Each query owner's similarity to every item of the catalog."""
    if direction is Direction.JOBS_FOR_CANDIDATE:
        mine, theirs = retrieval.candidate_vectors, retrieval.job_vectors
    else:
        mine, theirs = retrieval.job_vectors, retrieval.candidate_vectors
    distinct = sorted(set(owners))
    product = theirs @ mine[distinct].T
    return {owner: product[:, n] for n, owner in enumerate(distinct)}


def _retrieve(
    catalog: Catalog,
    direction: Direction,
    query: int,
    eligible: np.ndarray,
    similarity: np.ndarray,
    retrieval: Retrieval,
) -> np.ndarray:
    """What serving retrieves for the query among ``eligible`` (matching.engine)."""

    def is_feasible(others: np.ndarray) -> np.ndarray:
        queried = np.full(len(others), query)
        if direction is Direction.JOBS_FOR_CANDIDATE:
            return feasible(catalog, queried, others)
        return feasible(catalog, others, queried)

    return most_similar_feasible(similarity[eligible], eligible, is_feasible, retrieval.pool)


def _query(
    catalog: Catalog,
    direction: Direction,
    query: int,
    day: int,
    eligible: np.ndarray,
    items: np.ndarray,
    rows: np.ndarray,
) -> Query:
    """The query over ``items`` (``eligible``, or what retrieval took of them) with its answers
    (the history ``rows``) graded. An answer retrieval missed is appended unranked; one not
    eligible at all (its job filled by the recorded hires, say) is appended and ranked: the
    referral itself shows the job was taking referrals that day."""
    h = catalog.history
    answers = h.job[rows] if direction is Direction.JOBS_FOR_CANDIDATE else h.candidate[rows]
    grades = LABEL_OF_OUTCOME[h.outcome[rows]]
    relevance = np.zeros(len(items), dtype=np.float64)
    position = {item: n for n, item in enumerate(items.tolist())}
    unretrieved: dict[int, float] = {}
    ineligible: dict[int, float] = {}
    # ``eligible`` is sorted (the day's open jobs or active people, by index).
    at = np.minimum(np.searchsorted(eligible, answers), max(len(eligible) - 1, 0))
    in_pool = (eligible[at] == answers) if len(eligible) else np.zeros(len(answers), dtype=bool)
    for answer, label, pooled in zip(
        answers.tolist(), grades.tolist(), in_pool.tolist(), strict=True
    ):
        if answer in position:
            relevance[position[answer]] = max(relevance[position[answer]], label)
        else:
            extra = unretrieved if pooled else ineligible
            extra[answer] = max(extra.get(answer, 0), label)
    retrieved = np.r_[
        np.ones(len(items) + len(ineligible), dtype=bool), np.zeros(len(unretrieved), dtype=bool)
    ]
    items = np.r_[items, np.array([*ineligible, *unretrieved], dtype=np.int64)]
    relevance = np.r_[
        relevance, np.array([*ineligible.values(), *unretrieved.values()], dtype=np.float64)
    ]
    return Query(direction, query, day, items, relevance, retrieved)


# A method: given a query, scores for every item and which items it is allowed to return.
Method = Callable[[Query], tuple[np.ndarray, np.ndarray]]


def evaluate(
    catalog: Catalog, queries: list[Query], method: Method, k: int = 10
) -> dict[str, float]:
    """Mean NDCG@5/@10, recall@10, MAP, coverage and infeasible share of top-k over queries."""
    ndcg5, ndcg10, recall, ap, infeasible, shown = [], [], [], [], 0, set()
    total_shown = 0
    for query in queries:
        scores, allowed = method(query)
        allowed = allowed & query.retrieved
        ranked = np.flatnonzero(allowed)[np.argsort(-scores[allowed], kind="stable")]
        relevance = query.relevance[ranked]
        everything = query.relevance[query.relevance > 0]
        ndcg5.append(ndcg_at(relevance, 5, everything))
        ndcg10.append(ndcg_at(relevance, k, everything))
        recall.append(recall_at(relevance, k, len(everything)))
        ap.append(average_precision(relevance, len(everything)))
        top = ranked[:k]
        candidates, jobs = query.pairs()
        infeasible += int((~feasible(catalog, candidates[top], jobs[top])).sum())
        total_shown += len(top)
        shown.update(query.items[top].tolist())
    universe = (
        len(catalog.jobs)
        if queries and queries[0].direction is (Direction.JOBS_FOR_CANDIDATE)
        else len(catalog.candidates)
    )
    return {
        "queries": len(queries),
        "ndcg@5": float(np.mean(ndcg5)) if queries else 0.0,
        f"ndcg@{k}": float(np.mean(ndcg10)) if queries else 0.0,
        f"recall@{k}": float(np.mean(recall)) if queries else 0.0,
        "map": float(np.mean(ap)) if queries else 0.0,
        "coverage": len(shown) / max(1, universe),
        "infeasible_in_top": infeasible / max(1, total_shown),
    }


def truth_queries(
    catalog: Catalog,
    history: HistoryIndex,
    truth: Truth,
    direction: Direction,
    *,
    retrieval: Retrieval | None = None,
) -> list[Query]:
    """The cold-start questions of an evaluation world (:mod:`demo.worlds`), graded by
    its truth over every pair.

    Items are every feasible job open and vacant (every feasible active person) on the
    truth's day; with ``retrieval`` only the ones serving would retrieve are ranked, and the
    graded items it missed still count in the ideal ranking.
    """
    day = truth.day.toordinal()
    by_person = direction is Direction.JOBS_FOR_CANDIDATE
    if by_person:
        open_jobs = catalog.jobs.open_on(day)
        eligible = open_jobs[vacant(catalog, history, open_jobs, np.full(len(open_jobs), day))]
        asked = [catalog.candidates.index[i] for i in truth.cold_candidates]
        columns = np.array([catalog.jobs.index[i] for i in truth.job_ids])
        grades = truth.jobs_for_candidate
    else:
        people = catalog.candidates
        eligible = np.flatnonzero(people.active & (people.registered <= day))
        asked = [catalog.jobs.index[i] for i in truth.cold_jobs]
        columns = np.array([catalog.candidates.index[i] for i in truth.candidate_ids])
        grades = truth.candidates_for_job
    # Truth columns are in file order; catalog positions may differ.
    universe = len(catalog.jobs) if by_person else len(catalog.candidates)
    graded = np.zeros((len(asked), universe), dtype=np.float64)
    graded[:, columns] = grades
    similarity = _similarities(retrieval, direction, asked) if retrieval else {}
    queries = []
    for row, query in enumerate(asked):
        fixed = np.full(len(eligible), query)
        pairs = (fixed, eligible) if by_person else (eligible, fixed)
        items = eligible[feasible(catalog, *pairs)]
        relevance = graded[row, items]
        retrieved = np.ones(len(items), dtype=bool)
        if retrieval is not None:
            pool = _retrieve(catalog, direction, query, items, similarity[query], retrieval)
            retrieved = np.isin(items, pool)
        if relevance.any():
            queries.append(Query(direction, query, day, items, relevance, retrieved))
    return queries
