"""Learning-to-rank sets from recorded referrals.

Grouped by person (which jobs to propose to a person) or by job (which people to propose for a
job), over a window of the query's history (:class:`training.config.TrainingSetSpec`): the whole
history by default, so that a person's hired job stands beside the jobs they were rejected from
even when the referrals were weeks apart (groups of one day held a single referral in real
centres, and LambdaRank then only learned who gets referred). Labels are graded from outcomes:
hired 3, left early 2 (a job was found, a weaker positive), interviewed 1, everything else 0;
pending referrals are left out, and so are groups without a positive. An employer's report
awaiting a counselor's confirmation is not learned from: its row carries the last confirmed
outcome and ``confirmed`` False. Each group also gets feasible, open, unreferred items as
negatives: drawn at random, and from what retrieval would return for the query (the nearest
feasible items by embedding), so that training sees what serving ranks. Every row's features
come from :func:`matching.features.build_features` as of its own day (a negative takes the day
of one of the group's referrals), exactly as serving computes them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from matching.catalog import OUTCOMES, Catalog
from matching.features import (
    DAY_SPAN,
    FEATURES,
    HISTORY_FEATURES,
    HistoryIndex,
    build_features,
    feasible,
    pair_similarity,
    vacant,
)
from matching.ranker import Direction
from matching.settings import Settings
from matching.vocabulary import Outcome
from training.config import TrainingConfig, TrainingSetSpec

LABELS: dict[Outcome, int] = {Outcome.HIRED: 3, Outcome.LEFT_EARLY: 2, Outcome.INTERVIEWED: 1}
LABEL_OF_OUTCOME = np.array([LABELS.get(o, 0) for o in OUTCOMES], dtype=np.int32)
_PENDING = OUTCOMES.index(Outcome.PENDING)


class NotEnoughData(ValueError):
    """The recorded referrals cannot support training or validating a ranker."""


@dataclass(frozen=True)
class Split:
    """History rows for training and validation, and the first validation day."""

    train: np.ndarray
    validation: np.ndarray
    cutoff: int


def time_split(catalog: Catalog, *, weeks: int, as_of: int) -> Split:
    """Train on referrals before the last ``weeks`` weeks of known outcomes, validate on those.

    Only referrals made on or before ``as_of`` are used; pending ones never validate (their
    outcome is unknown) and are left out of training by the dataset.
    """
    h = catalog.history
    made = h.referred <= as_of
    resolved = made & (h.outcome != _PENDING)
    if not resolved.any():
        raise NotEnoughData("no referral with a known outcome: record outcomes first")
    cutoff = int(h.referred[resolved].max()) - 7 * weeks + 1
    return Split(
        train=np.flatnonzero(made & (h.referred < cutoff)),
        validation=np.flatnonzero(resolved & (h.referred >= cutoff)),
        cutoff=cutoff,
    )


def data_window(catalog: Catalog, split: Split, as_of: int) -> dict[str, Any]:
    """First/last referral dates and counts of both windows (logged and on the model card)."""
    h = catalog.history
    window: dict[str, Any] = {"as_of": dt.date.fromordinal(as_of).isoformat()}
    for name, rows in (("train", split.train), ("validation", split.validation)):
        rows = rows[h.outcome[rows] != _PENDING]
        days = h.referred[rows]
        window[f"{name}_referrals"] = len(rows)
        window[f"{name}_first_referral"] = (
            dt.date.fromordinal(int(days.min())).isoformat() if len(days) else "none"
        )
        window[f"{name}_last_referral"] = (
            dt.date.fromordinal(int(days.max())).isoformat() if len(days) else "none"
        )
    return window


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
    # (matching.lifecycle); negatives are True.
    confirmed: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.labels)


def _within_group_rank(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal (sorted) group numbers."""
    starts = np.r_[0, np.flatnonzero(np.diff(groups)) + 1]
    lengths = np.diff(np.r_[starts, len(groups)])
    return np.arange(len(groups)) - np.repeat(starts, lengths)


def ranking_sets(
    catalog: Catalog,
    history: HistoryIndex,
    *,
    job_vectors: np.ndarray,
    candidate_vectors: np.ndarray,
    settings: Settings,
    rows: np.ndarray,
    config: TrainingConfig,
) -> dict[Direction, RankingSet]:
    """The person-grouped and the job-grouped ranking set of the given history rows, cut as
    ``config.dataset`` says and sampled with ``config.training.seed``."""
    return {
        direction: build_ranking_set(
            catalog,
            history,
            job_vectors=job_vectors,
            candidate_vectors=candidate_vectors,
            settings=settings,
            direction=direction,
            rows=rows,
            spec=config.dataset,
            seed=config.training.seed,
        )
        for direction in Direction
    }


def build_ranking_set(
    catalog: Catalog,
    history: HistoryIndex,
    *,
    job_vectors: np.ndarray,
    candidate_vectors: np.ndarray,
    settings: Settings,
    direction: Direction,
    rows: np.ndarray,
    spec: TrainingSetSpec,
    seed: int,
) -> RankingSet:
    """A ranking set from the referral history rows ``rows`` (indexes into catalog.history).

    Pending referrals among ``rows`` are skipped, and so are groups (a query's referrals in
    one window) without a positive outcome. Negatives are drawn per group on the day of one
    of its referrals, among the items open/active on that day, feasible for the pair and not
    referred in the group.
    """
    h = catalog.history
    # People who declined personalised ranking (PIPL art. 24) never train it: neither their
    # referrals nor as negatives.
    declined = declined_personalisation(catalog)
    rows = rows[(h.outcome[rows] != _PENDING) & ~declined[h.candidate[rows]]]
    by_person = direction is Direction.JOBS_FOR_CANDIDATE
    query = h.candidate[rows] if by_person else h.job[rows]
    window = h.referred[rows] // spec.window_days if spec.window_days else np.zeros(len(rows))
    keys = query.astype(np.int64) * DAY_SPAN + window.astype(np.int64)
    labels = LABEL_OF_OUTCOME[h.outcome[rows]]
    # A group without a positive outcome carries no signal worth its negatives' cost.
    positive = np.unique(keys[labels > 0])
    keep = np.isin(keys, positive)
    rows, query, keys, labels = rows[keep], query[keep], keys[keep], labels[keep]
    if spec.labels == "referred":
        labels = labels + 1
    item = h.job[rows] if by_person else h.candidate[rows]
    group_keys, group = np.unique(keys, return_inverse=True)
    group_query = group_keys // DAY_SPAN
    rng = np.random.default_rng(seed)
    # Each group's negatives are asked on the day of one of its referrals, drawn at random.
    first = np.r_[0, np.cumsum(np.bincount(group, minlength=len(group_keys)))[:-1]]
    order = np.argsort(group, kind="stable")
    sizes = np.bincount(group, minlength=len(group_keys))

    def referral_days(groups: np.ndarray) -> np.ndarray:
        pick = first[groups] + (rng.random(len(groups)) * sizes[groups]).astype(np.int64)
        return h.referred[rows[order[pick]]]

    n_items = len(catalog.jobs) if by_person else len(catalog.candidates)
    referred_pairs = group.astype(np.int64) * n_items + item
    neg_group, neg_item, neg_day = _random_negatives(
        catalog,
        history,
        spec.random_negatives,
        group_query,
        by_person,
        referral_days,
        rng,
        referred_pairs,
        n_items,
    )
    if spec.retrieval_negatives:
        hard = _retrieval_negatives(
            catalog,
            history,
            spec,
            group_query,
            by_person,
            referral_days,
            rng,
            referred_pairs,
            n_items,
            job_vectors,
            candidate_vectors,
        )
        neg_group, neg_item, neg_day = (
            np.r_[a, b] for a, b in zip((neg_group, neg_item, neg_day), hard, strict=True)
        )
        # An item drawn both ways is kept once.
        _, once = np.unique(neg_group.astype(np.int64) * n_items + neg_item, return_index=True)
        once = np.sort(once)
        neg_group, neg_item, neg_day = neg_group[once], neg_item[once], neg_day[once]

    all_group = np.r_[group, neg_group]
    all_item = np.r_[item, neg_item]
    all_day = np.r_[h.referred[rows], neg_day]
    all_labels = np.r_[labels, np.zeros(len(neg_group), dtype=np.int32)]
    all_confirmed = np.r_[h.confirmed[rows], np.ones(len(neg_group), dtype=bool)]
    order = np.argsort(all_group, kind="stable")
    all_group, all_item, all_labels, all_day, all_confirmed = (
        a[order] for a in (all_group, all_item, all_labels, all_day, all_confirmed)
    )
    all_query = group_query[all_group]
    candidates, jobs = (all_query, all_item) if by_person else (all_item, all_query)
    similarity = pair_similarity(candidate_vectors, job_vectors, candidates, jobs)
    features = build_features(catalog, history, candidates, jobs, all_day, similarity, settings)
    if not spec.history_features:
        features[:, [FEATURES.index(name) for name in sorted(HISTORY_FEATURES)]] = np.nan
    return RankingSet(
        features,
        all_labels.astype(np.int32),
        np.bincount(all_group, minlength=len(group_keys)),
        candidates,
        jobs,
        all_day,
        all_confirmed,
    )


def declined_personalisation(catalog: Catalog) -> np.ndarray:
    """Per person (catalog order), whether they declined personalised ranking."""
    return np.array([bool(r.non_personalised) for r in catalog.candidates.records], dtype=bool)


def _eligible(
    catalog: Catalog,
    history: HistoryIndex,
    by_person: bool,
    query: np.ndarray,
    item: np.ndarray,
    day: np.ndarray,
) -> np.ndarray:
    """Whether each item could have been proposed for its query on its day: open and vacant
    (a job) or active and registered (a person) who did not decline personalised ranking,
    and feasible for the pair."""
    if by_person:
        return vacant(catalog, history, item, day) & feasible(catalog, query, item)
    people = catalog.candidates
    ok = people.active[item] & (people.registered[item] <= day)
    ok &= ~declined_personalisation(catalog)[item]
    return ok & feasible(catalog, item, query)


def _random_negatives(
    catalog: Catalog,
    history: HistoryIndex,
    count: int,
    group_query: np.ndarray,
    by_person: bool,
    referral_days,
    rng: np.random.Generator,
    referred_pairs: np.ndarray,
    n_items: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Up to ``count`` distinct eligible unreferred items per group, uniformly drawn."""
    empty = np.zeros(0, dtype=np.int64)
    if not count or not len(group_query):
        return empty, empty, empty
    neg_group = np.repeat(np.arange(len(group_query)), count * 4)
    neg_item = rng.integers(0, n_items, size=len(neg_group))
    neg_day = referral_days(neg_group)
    ok = _eligible(catalog, history, by_person, group_query[neg_group], neg_item, neg_day)
    pair = neg_group.astype(np.int64) * n_items + neg_item
    ok &= ~np.isin(pair, referred_pairs)
    _, first = np.unique(pair, return_index=True)
    once = np.zeros(len(pair), dtype=bool)
    once[first] = True
    kept = np.flatnonzero(ok & once)
    kept = kept[_within_group_rank(neg_group[kept]) < count]
    return neg_group[kept], neg_item[kept], neg_day[kept]


def _retrieval_negatives(
    catalog: Catalog,
    history: HistoryIndex,
    spec: TrainingSetSpec,
    group_query: np.ndarray,
    by_person: bool,
    referral_days,
    rng: np.random.Generator,
    referred_pairs: np.ndarray,
    n_items: int,
    job_vectors: np.ndarray,
    candidate_vectors: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group, ``retrieval_negatives`` items drawn from the ``retrieval_depth`` nearest
    eligible unreferred items by embedding: what serving's retrieval would put in the list."""
    mine, theirs = (
        (candidate_vectors, job_vectors) if by_person else (job_vectors, candidate_vectors)
    )
    groups, items, days = [], [], []
    depth = spec.retrieval_depth
    for start in range(0, len(group_query), 256):
        batch = np.arange(start, min(start + 256, len(group_query)))
        similarity = mine[group_query[batch]] @ theirs.T  # (batch, items)
        day = referral_days(batch)
        # Nearest first; a few times the depth, then the ineligible ones drop out.
        reach = min(n_items, depth * 4)
        nearest = np.argpartition(-similarity, reach - 1, axis=1)[:, :reach]
        nearest = np.take_along_axis(
            nearest, np.argsort(-np.take_along_axis(similarity, nearest, 1), axis=1), 1
        )
        g = np.repeat(batch, reach)
        i = nearest.ravel()
        d = np.repeat(day, reach)
        ok = _eligible(catalog, history, by_person, group_query[g], i, d)
        ok &= ~np.isin(g.astype(np.int64) * n_items + i, referred_pairs)
        g, i, d = g[ok], i[ok], d[ok]
        g, i, d = (a[_within_group_rank(g) < depth] for a in (g, i, d))
        # A random ``retrieval_negatives`` of each group's nearest ``depth``.
        shuffle = np.lexsort((rng.random(len(g)), g))
        g, i, d = g[shuffle], i[shuffle], d[shuffle]
        take = _within_group_rank(g) < spec.retrieval_negatives
        groups.append(g[take])
        items.append(i[take])
        days.append(d[take])
    group, item, day_of = (
        np.concatenate(parts) if parts else np.zeros(0, np.int64) for parts in (groups, items, days)
    )
    return group, item, day_of
