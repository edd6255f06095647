"""Offline evaluation of rankers on held-out referral outcomes.

A query is a person on a referral day (which jobs?) or a job on a referral day (which
people?). Every item open or active on that day is a candidate answer; the relevant ones are
those referred in that query with a positive outcome, graded as in training. A method scores
all items and may refuse some (the feasibility filter); a relevant item it refuses still
counts in the ideal ranking, so filtering is never rewarded for hiding answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from matching.catalog import Catalog
from matching.features import HistoryIndex, feasible, vacant
from matching.ranker import Direction
from training.dataset import LABEL_OF_OUTCOME
from training.metrics import average_precision, ndcg_at, recall_at


@dataclass(frozen=True)
class Query:
    """One ranking question and its answers."""

    direction: Direction
    query: int  # candidate index (jobs for a person) or job index (people for a job)
    day: int
    items: np.ndarray  # every open job / active person on the day
    relevance: np.ndarray  # graded label of each item (0 = not relevant)

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(candidate indexes, job indexes) of every item of the query."""
        fixed = np.full(len(self.items), self.query, dtype=np.int64)
        if self.direction is Direction.JOBS_FOR_CANDIDATE:
            return fixed, self.items
        return self.items, fixed


def build_queries(
    catalog: Catalog, history: HistoryIndex, rows: np.ndarray, direction: Direction
) -> list[Query]:
    """Queries from the history rows that hold at least one positive outcome."""
    h = catalog.history
    labels = LABEL_OF_OUTCOME[h.outcome[rows]]
    rows = rows[labels > 0]
    by_person = direction is Direction.JOBS_FOR_CANDIDATE
    owner = h.candidate[rows] if by_person else h.job[rows]
    queries = []
    for query, day in sorted(set(zip(owner.tolist(), h.referred[rows].tolist(), strict=True))):
        if by_person:
            pool = catalog.jobs.open_on(day)
            items = pool[vacant(catalog, history, pool, np.full(len(pool), day))]
        else:
            people = catalog.candidates
            items = np.flatnonzero(people.active & (people.registered <= day))
        mine = rows[(owner == query) & (h.referred[rows] == day)]
        answers = h.job[mine] if by_person else h.candidate[mine]
        relevance = np.zeros(len(items), dtype=np.float64)
        position = {item: n for n, item in enumerate(items.tolist())}
        missing = []
        for answer, label in zip(answers.tolist(), LABEL_OF_OUTCOME[h.outcome[mine]], strict=True):
            if answer in position:
                relevance[position[answer]] = max(relevance[position[answer]], label)
            else:
                missing.append(answer)
        if missing:  # an answer no longer vacant that day still belongs in the pool
            items = np.r_[items, missing]
            relevance = np.r_[
                relevance, LABEL_OF_OUTCOME[h.outcome[mine]][np.isin(answers, missing)]
            ]
        queries.append(Query(direction, query, day, items, relevance))
    return queries


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
