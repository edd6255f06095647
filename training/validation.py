"""Validation: challenger, champion and the baseline scored on the same held-out queries.

The queries are the referrals of the most recent ``[validation] weeks`` weeks with a positive
outcome (:func:`training.evaluate.build_queries`), each ranked as serving ranks it: the
``JOBMATCH_RETRIEVAL_POOL`` nearest feasible items retrieved, then scored, in the order
serving shows (the rule-6 tiers first); at most ``max_queries`` per direction. The metrics
are NDCG@5/@10, recall@10, MAP, coverage for both directions, NDCG@10 of the cold-start slice
and per disability category (both directions), and exposure per category (people for a job).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from matching.catalog import Catalog
from matching.features import FEATURES, HistoryIndex, build_features, feasible, pair_similarity
from matching.policy import policy_tiers, served_scores
from matching.ranker import Direction, Ranker
from matching.settings import Settings
from matching.store import Store
from matching.vocabulary import DisabilityCategory
from training.config import ValidationSpec
from training.dataset import NotEnoughData, Split
from training.evaluate import Method, Query, Retrieval, build_queries, evaluate
from training.metrics import ndcg_at

NO_CATEGORY = "none"
PRIMARY = Direction.JOBS_FOR_CANDIDATE  # where the signal is; the promotion hinges on it
TOP_K = 10


@dataclass
class Validation:
    """What scoring needs: the snapshot, vectors, queries and the category of each person."""

    catalog: Catalog
    history: HistoryIndex
    settings: Settings
    job_vectors: np.ndarray
    candidate_vectors: np.ndarray
    queries: dict[Direction, list[Query]]
    categories: np.ndarray


def validation_queries(
    catalog: Catalog,
    history: HistoryIndex,
    split: Split,
    *,
    job_vectors: np.ndarray,
    candidate_vectors: np.ndarray,
    settings: Settings,
    spec: ValidationSpec,
    seed: int,
) -> dict[Direction, list[Query]]:
    """The validation queries of both directions, retrieved as serving retrieves;
    :class:`~training.dataset.NotEnoughData` if jobs-for-a-person has none."""
    retrieval = Retrieval(job_vectors, candidate_vectors, settings.retrieval_pool)
    queries = {
        direction: build_queries(
            catalog,
            history,
            split.validation,
            direction,
            retrieval=retrieval,
            max_queries=spec.max_queries,
            seed=seed,
        )
        for direction in Direction
    }
    if not queries[PRIMARY]:
        raise NotEnoughData(
            f"no validation query with a positive outcome in the last {spec.weeks} weeks "
            f"(from {dt.date.fromordinal(split.cutoff).isoformat()}); record more outcomes or "
            "widen [validation] weeks"
        )
    return queries


def read_categories(
    store: Store, catalog: Catalog, queries: Mapping[Direction, list[Query]]
) -> np.ndarray:
    """The disability category of each person the validation ``queries`` involve (catalog
    order; ``none`` if unrecorded or not involved).

    The category is sealed personal data (PIPL art. 28): only the people evaluated are
    decrypted, only that field, only to evaluate the ranker per category, and the read is
    written to the audit log.
    """
    involved: set[int] = set()
    for direction, direction_queries in queries.items():
        for query in direction_queries:
            if direction is Direction.JOBS_FOR_CANDIDATE:
                involved.add(query.query)
            else:
                involved.update(query.items.tolist())
    ids = [catalog.candidates.ids[i] for i in sorted(involved)]
    categories = np.full(len(catalog.candidates), NO_CATEGORY, dtype=object)
    with store.session() as session:
        found = store.sealed_field(session, "disability_category", ids)
        for candidate_id, category in found.items():
            if category:
                categories[catalog.candidates.index[candidate_id]] = DisabilityCategory(
                    category
                ).value
        store.audit(
            session,
            actor="retrain",
            action="read disability_category",
            subject=f"{len(found)} candidates",
            purpose="per-category fairness evaluation",
        )
    return categories


def _ranked(scores: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    # The same ordering as training.evaluate.evaluate: allowed items, best first, stable.
    return np.flatnonzero(allowed)[np.argsort(-scores[allowed], kind="stable")]


def _scoring(
    ranker: Ranker,
    validation: Validation,
    queries: list[Query],
    rankings: list[tuple[Query, np.ndarray]],
) -> Method:
    """An evaluation method scoring with ``ranker`` that also keeps each query's ranking
    (for the per-category numbers, without scoring twice).

    The features of every query's pairs are built and scored in one batch up front (per query
    the fixed cost of ~40 numpy calls would dominate); the method then hands out slices.
    """
    catalog = validation.catalog
    if not queries:
        return lambda query: (np.empty(0), np.empty(0, dtype=bool))
    pairs = [query.pairs() for query in queries]
    people = np.concatenate([p for p, _ in pairs])
    jobs = np.concatenate([j for _, j in pairs])
    sizes = [len(query.items) for query in queries]
    days = np.repeat([query.day for query in queries], sizes)
    similarity = pair_similarity(validation.candidate_vectors, validation.job_vectors, people, jobs)
    features = build_features(
        catalog, validation.history, people, jobs, days, similarity, validation.settings
    )
    direction = queries[0].direction
    scores = ranker.score(features, direction, threads=0)
    # Validation scores the order serving shows: the rule-6 tiers first, then the score.
    tiers = policy_tiers(
        catalog,
        people,
        jobs,
        features[:, FEATURES.index("person_failed_market_streak")],
        validation.settings,
        for_person=direction is Direction.JOBS_FOR_CANDIDATE,
    )
    allowed = feasible(catalog, people, jobs) & np.concatenate([q.retrieved for q in queries])
    ends = np.cumsum(sizes)
    span = {
        id(query): (int(end) - size, int(end))
        for query, size, end in zip(queries, sizes, ends, strict=True)
    }

    def method(query: Query) -> tuple[np.ndarray, np.ndarray]:
        start, end = span[id(query)]
        served = served_scores(scores[start:end], tiers[start:end])
        rankings.append((query, _ranked(served, allowed[start:end])))
        return served, allowed[start:end]

    return method


def evaluate_ranker(ranker: Ranker, validation: Validation) -> dict[str, float]:
    """Validation metrics of a ranker, flat and named for MLflow (``direction.metric``).

    Overall metrics come from :func:`training.evaluate.evaluate`. Per category: NDCG@10 of the
    queries whose person is of the category (jobs for a person: the query person; people for
    a job: each person with a positive outcome), and for people for a job the share of top-10
    slots against the share of feasible people.
    """
    catalog, categories = validation.catalog, validation.categories
    metrics: dict[str, float] = {}
    for direction, queries in validation.queries.items():
        rankings: list[tuple[Query, np.ndarray]] = []
        method = _scoring(ranker, validation, queries, rankings)
        overall = evaluate(catalog, queries, method, k=TOP_K)
        for key, value in overall.items():
            metrics[f"{direction.value}.{key.replace('@', '_at_')}"] = float(value)

        per_category: dict[str, list[float]] = {}
        slots: dict[str, int] = {}
        eligible: dict[str, int] = {}
        seen: dict[str, int] = {}
        cold: list[float] = []
        for query, ranked in rankings:
            everything = query.relevance[query.relevance > 0]
            score = ndcg_at(query.relevance[ranked], TOP_K, everything)
            if _cold_start(validation.history, query):
                cold.append(score)
            if direction is Direction.JOBS_FOR_CANDIDATE:
                owners = {categories[query.query]}
            else:
                owners = set(categories[query.items[query.relevance > 0]].tolist())
                for category in categories[query.items[ranked[:TOP_K]]].tolist():
                    slots[category] = slots.get(category, 0) + 1
                for category in categories[query.items[ranked]].tolist():
                    eligible[category] = eligible.get(category, 0) + 1
                for category in set(categories[query.items[ranked]].tolist()):
                    seen[category] = seen.get(category, 0) + 1
            for category in owners:
                per_category.setdefault(category, []).append(score)
        # The cold-start slice: queries whose person (job) had no referral before the day.
        metrics[f"{direction.value}.cold_start.ndcg_at_{TOP_K}"] = (
            float(np.mean(cold)) if cold else 0.0
        )
        metrics[f"{direction.value}.cold_start.queries"] = float(len(cold))
        prefix = f"{direction.value}.category"
        for category, scores in sorted(per_category.items()):
            metrics[f"{prefix}.{category}.ndcg_at_{TOP_K}"] = float(np.mean(scores))
            metrics[f"{prefix}.{category}.queries"] = float(len(scores))
        total_slots, total_eligible = sum(slots.values()), sum(eligible.values())
        for category in sorted(eligible):
            exposure = slots.get(category, 0) / max(1, total_slots)
            share = eligible[category] / max(1, total_eligible)
            metrics[f"{prefix}.{category}.exposure"] = exposure
            metrics[f"{prefix}.{category}.feasible_share"] = share
            metrics[f"{prefix}.{category}.exposure_ratio"] = exposure / share if share else 0.0
            metrics[f"{prefix}.{category}.exposure_queries"] = float(seen.get(category, 0))
    return metrics


def _cold_start(history: HistoryIndex, query: Query) -> bool:
    """Whether the query's person (job) had no referral before the query's day."""
    owner, day = np.array([query.query]), np.array([query.day])
    if query.direction is Direction.JOBS_FOR_CANDIDATE:
        return history.person_referred.count_before(owner, day)[0] == 0
    return history.job_referred.count_before(owner, day)[0] == 0
