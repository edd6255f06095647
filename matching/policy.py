"""DOMAIN.md rule 6, public-welfare priority, in one place: serving, validation and the
benchmarks order lists with these functions and nothing else.

Public-welfare posts (公益性岗位) go first to people referred through the market
``Settings.public_welfare_failed_referrals`` times in a row without getting a job (tier 0),
then to the priority groups of ``Settings.public_welfare_priority_groups`` (tier 1), then to
everyone else (tier 2). Within a tier the ranker's score decides. For a person (jobs for a
person) only the first claim reorders: a person with the failed streak sees the feasible
public-welfare posts first; a priority group alone does not push a person away from market
jobs that suit them better. The people entitled to a post (tiers 0 and 1) are proposed for
it, not only those who happen to be among the nearest retrieved people: as many as the list
and the retrieval pool can hold, strongest tier first (:func:`strongest_claims`; the engine
retrieves each tier's nearest feasible members, ``Matcher._claims``).
"""

from __future__ import annotations

import numpy as np

from matching.catalog import PRIORITY_GROUPS, Catalog
from matching.settings import Settings

FIRST_CLAIM, PRIORITY_GROUP, EVERYONE = 0, 1, 2


def priority_mask(settings: Settings) -> int:
    """The bit mask (as ``CandidateTable.priority``) of the configured priority groups."""
    groups = settings.public_welfare_priority_groups
    return sum(1 << PRIORITY_GROUPS.index(group) for group in groups)


def first_claim(streak: np.ndarray, settings: Settings) -> np.ndarray:
    """Public-welfare posts (公益性岗位, DOMAIN.md rule 6): whether a failed-market-referral
    streak (:func:`matching.features.failed_market_streak`, as known before the day) gives
    first claim on them (the priority groups come next: :func:`priority_mask`)."""
    return np.asarray(streak) >= settings.public_welfare_failed_referrals


def policy_tiers(
    catalog: Catalog,
    candidates: np.ndarray,
    jobs: np.ndarray,
    streak: np.ndarray,
    settings: Settings,
    *,
    for_person: bool,
) -> np.ndarray:
    """The tier of each (candidate, job) pair, lower first (module docstring); ``streak`` is
    each pair's person's failed market streak as of the day.

    ``for_person``: the list is a person's jobs, where only the first claim reorders.
    """
    welfare = catalog.jobs.public_welfare[jobs]
    first = welfare & first_claim(streak, settings)
    if for_person:
        return np.where(first, FIRST_CLAIM, EVERYONE).astype(np.int8)
    in_groups = welfare & ((catalog.candidates.priority[candidates] & priority_mask(settings)) > 0)
    return np.where(first, FIRST_CLAIM, np.where(in_groups, PRIORITY_GROUP, EVERYONE)).astype(
        np.int8
    )


def strongest_claims(tiers: np.ndarray, nearness: np.ndarray, keep: int) -> np.ndarray:
    """Positions of the at most ``keep`` claims to a public-welfare post worth ranking: the
    lower tier first, then the nearest by text (``nearness``, higher nearer).

    A list of ``k`` shows entitled people before anyone else, so with ``keep >= k`` every
    place a claim could take is filled from the strongest tier; ranking every entitled
    person of a national register (hundreds of thousands) for one post is what made people
    for a job take seconds. Within a tier the ranker still decides among those kept, as
    retrieval decides for everyone else."""
    if len(tiers) <= keep:
        return np.arange(len(tiers))
    return np.lexsort((-nearness, tiers))[:keep]


def served_order(
    scores: np.ndarray,
    tiers: np.ndarray,
    tie_break: np.ndarray | None = None,
    decimals: int | None = None,
) -> np.ndarray:
    """Positions of a list in the order serving shows it: tier first, then score, best first
    (ties keep the list's order). With ``tie_break`` and ``decimals``, scores equal to that
    many decimals go larger ``tie_break`` first (the quota-gap tie-break): a higher rounded
    score always stays ahead."""
    if tie_break is None or decimals is None:
        return np.lexsort((-scores, tiers))
    return np.lexsort((-scores, -tie_break, -np.round(scores, decimals), tiers))


def served_scores(scores: np.ndarray, tiers: np.ndarray) -> np.ndarray:
    """Scores that sort (descending) exactly as :func:`served_order`, so that an evaluation
    sorting by score measures what users see: each item's score is its place from the end
    (ranks, not lifted scores: adding a tier offset would round small differences away)."""
    served = np.empty(len(scores), dtype=np.float64)
    served[served_order(scores, tiers)] = np.arange(len(scores), 0, -1)
    return served
