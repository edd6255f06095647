"""Learning-to-rank sets from recorded referrals.

Grouped by person (which jobs to propose to a person) or by job (which people to propose for
a job). Labels are graded from outcomes: hired 3, left early 2 (a job was found, a weaker
positive), interviewed 1, everything else 0; pending referrals are left out. Each group also
gets sampled feasible, open, unreferred items as negatives. An employer's report awaiting a
counselor's confirmation is not learned from: the row carries the last confirmed outcome and
``confirmed`` False (``matching.lifecycle``). Features come from
:func:`matching.features.build_features` as of the referral day, exactly as serving computes
them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.catalog import OUTCOMES, Catalog
from matching.features import (
    DAY_SPAN,
    HistoryIndex,
    build_features,
    feasible,
    pair_similarity,
    vacant,
)
from matching.ranker import Direction
from matching.settings import Settings
from matching.vocabulary import Outcome

LABELS: dict[Outcome, int] = {Outcome.HIRED: 3, Outcome.LEFT_EARLY: 2, Outcome.INTERVIEWED: 1}
LABEL_OF_OUTCOME = np.array([LABELS.get(o, 0) for o in OUTCOMES], dtype=np.int32)
_PENDING = OUTCOMES.index(Outcome.PENDING)


@dataclass
class RankingSet:
    """Rows grouped contiguously by query; ``groups`` holds the group sizes in order."""

    features: np.ndarray
    labels: np.ndarray
    groups: np.ndarray
    candidates: np.ndarray
    jobs: np.ndarray
    days: np.ndarray
    # Whether each row's label comes from a confirmed outcome: False where an employer's
    # report awaits a counselor and the label is that of the last confirmed outcome
    # (sampled negatives are True).
    confirmed: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.labels)


def _within_group_rank(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal (sorted) group numbers."""
    starts = np.r_[0, np.flatnonzero(np.diff(groups)) + 1]
    lengths = np.diff(np.r_[starts, len(groups)])
    return np.arange(len(groups)) - np.repeat(starts, lengths)


def build_ranking_set(
    catalog: Catalog,
    history: HistoryIndex,
    *,
    job_vectors: np.ndarray,
    candidate_vectors: np.ndarray,
    settings: Settings,
    direction: Direction,
    rows: np.ndarray,
    negatives: int = 10,
    seed: int = 0,
) -> RankingSet:
    """A ranking set from the referral history rows ``rows`` (indexes into catalog.history).

    Pending referrals among ``rows`` are skipped, and so are groups (a query on a referral
    day) without a positive outcome. Negatives are drawn per group from the items open/active
    on the referral day, feasible for the pair and not referred in it.
    """
    h = catalog.history
    rows = rows[h.outcome[rows] != _PENDING]
    by_person = direction is Direction.JOBS_FOR_CANDIDATE
    query = h.candidate[rows] if by_person else h.job[rows]
    keys = query.astype(np.int64) * DAY_SPAN + h.referred[rows]
    # A group without a positive outcome carries no signal for LambdaRank: leave it out before
    # paying for its negatives and features.
    positive = np.unique(keys[LABEL_OF_OUTCOME[h.outcome[rows]] > 0])
    rows, query, keys = (a[np.isin(keys, positive)] for a in (rows, query, keys))
    item = h.job[rows] if by_person else h.candidate[rows]
    group_keys, group = np.unique(keys, return_inverse=True)
    group_query, group_day = group_keys // DAY_SPAN, group_keys % DAY_SPAN

    rng = np.random.default_rng(seed)
    n_items = len(catalog.jobs) if by_person else len(catalog.candidates)
    draws = negatives * 4
    neg_group = np.repeat(np.arange(len(group_keys)), draws)
    neg_item = rng.integers(0, n_items, size=len(neg_group))
    neg_day = group_day[neg_group]
    neg_query = group_query[neg_group]
    if by_person:
        ok = vacant(catalog, history, neg_item, neg_day)
        ok &= feasible(catalog, neg_query, neg_item)
    else:
        people = catalog.candidates
        ok = people.active[neg_item] & (people.registered[neg_item] <= neg_day)
        ok &= feasible(catalog, neg_item, neg_query)
    pair = neg_group.astype(np.int64) * n_items + neg_item
    ok &= ~np.isin(pair, group.astype(np.int64) * n_items + item)
    # One draw of an item per group, at most ``negatives`` per group.
    _, first = np.unique(pair, return_index=True)
    once = np.zeros(len(pair), dtype=bool)
    once[first] = True
    ok &= once
    kept = np.flatnonzero(ok)
    kept = kept[_within_group_rank(neg_group[kept]) < negatives]

    all_group = np.r_[group, neg_group[kept]]
    all_item = np.r_[item, neg_item[kept]]
    all_labels = np.r_[LABEL_OF_OUTCOME[h.outcome[rows]], np.zeros(len(kept), dtype=np.int32)]
    all_confirmed = np.r_[h.confirmed[rows], np.ones(len(kept), dtype=bool)]
    order = np.argsort(all_group, kind="stable")
    all_group, all_item, all_labels = all_group[order], all_item[order], all_labels[order]
    all_confirmed = all_confirmed[order]
    all_query, all_day = group_query[all_group], group_day[all_group]
    candidates, jobs = (all_query, all_item) if by_person else (all_item, all_query)
    similarity = pair_similarity(candidate_vectors, job_vectors, candidates, jobs)
    features = build_features(catalog, history, candidates, jobs, all_day, similarity, settings)
    return RankingSet(
        features,
        all_labels,
        np.bincount(all_group, minlength=len(group_keys)),
        candidates,
        jobs,
        all_day,
        all_confirmed,
    )
