"""Feasibility and ranking features over (candidate, job) pairs: written once, used by training
and serving alike, so the two can never disagree.

Disability category and grade are deliberately not features: only functional capacities
against effective demands are. History features (a person's past outcomes, a job's load and
hires) are computed strictly as of a date and only from outcomes known before it, so a
training row never sees its own label or anything recorded later.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import IntEnum, StrEnum
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp

from matching.catalog import (
    ACCOMMODATIONS,
    CAPACITY_PROFILES,
    DIMENSIONS,
    EMPLOYER_TYPES,
    OUTCOMES,
    PRIORITY_GROUPS,
    WORK_MODES,
    CandidateTable,
    Catalog,
    JobTable,
    capacity_levels,
)
from matching.lifecycle import StreakRule
from matching.policy import first_claim, priority_mask
from matching.regions import proximities as region_proximity  # the rule, vectorised
from matching.rules import SparseSets, meets_hard_requirements
from matching.settings import Settings
from matching.vocabulary import LEVEL_MAX, Education, Outcome, PriorityGroup

_SUCCESS = {OUTCOMES.index(Outcome.HIRED), OUTCOMES.index(Outcome.LEFT_EARLY)}
_FAILURE = {OUTCOMES.index(o) for o in (Outcome.REJECTED, Outcome.DECLINED, Outcome.NO_SHOW)}
_GRADUATE = 1 << PRIORITY_GROUPS.index(PriorityGroup.GRADUATE)
_HARD = 1 << PRIORITY_GROUPS.index(PriorityGroup.HARD_TO_EMPLOY)
_RECENT_DAYS = 30
DAY_SPAN = 1 << 22  # more days than any date has: keys are group * DAY_SPAN + day


class Effect(IntEnum):
    """Which way a feature moves a pair's fit, all else equal, where the domain says so.

    ``HIGHER`` / ``LOWER``: more is better / worse for the pair; the learned ranker is held to
    it (LightGBM ``monotone_constraints``) and the direction tests check it. ``UNSTATED``: no
    direction is claimed (the data decide, or the feature only describes the pair).
    """

    LOWER = -1
    UNSTATED = 0
    HIGHER = 1


class Reason(StrEnum):
    """What a feature stands for in the Chinese reasons (:mod:`matching.explain` writes one
    text per reason from the pair's data; features sharing a reason give one text)."""

    SIMILARITY = "similarity"
    SKILLS = "skills"
    OCCUPATION = "occupation"
    EDUCATION = "education"
    PAY = "pay"
    PLACE = "place"
    WORK_MODE = "work_mode"
    CAPACITY = "capacity"
    BRIDGING = "bridging"
    ACCOMMODATIONS = "accommodations"
    QUOTA_GAP = "quota_gap"
    PUBLIC_WELFARE_POST = "public_welfare_post"
    PUBLIC_WELFARE_PRIORITY = "public_welfare_priority"
    GRADUATE = "graduate"
    HARD_TO_EMPLOY = "hard_to_employ"
    FAILED_STREAK = "failed_streak"
    OPENINGS = "openings"


@dataclass(frozen=True)
class Feature:
    """One ranking feature, declared once: everything else (the column order, the baseline
    scorer's weights, the reasons, the monotone constraints, the schema hash saved in every
    bundle) is derived from :data:`DECLARED`.

    ``compute`` reads the pairs (:class:`Pairs`) and returns one value per pair. ``encoding``
    says what the values mean; ``vocabulary``, where given, is the ordered list of values a
    code indexes or a bit mask counts (read when the schema is hashed, so a reordered
    vocabulary changes the hash). ``history``: a feature of referral activity and time rather
    than of fit (training leaves these out by default: README, Ranking quality).
    ``baseline_weight`` and ``baseline_scale`` (to [0, 1]; already there by default) make
    the baseline scorer.
    """

    name: str
    compute: Callable[[Pairs], np.ndarray]
    encoding: str
    effect: Effect = Effect.UNSTATED
    reason: Reason | None = None
    vocabulary: Callable[[], list[str]] | None = None
    history: bool = False
    categorical: bool = False
    baseline_weight: float = 0.0
    baseline_scale: Callable[[np.ndarray], np.ndarray] = np.asarray


def _bitcount(values: np.ndarray, bits: int) -> np.ndarray:
    counts = np.zeros(len(values), dtype=np.float32)
    for bit in range(bits):
        counts += (values >> bit) & 1
    return counts


def feasible(catalog: Catalog, candidates: np.ndarray | int, jobs: np.ndarray | int) -> np.ndarray:
    """The hard requirements (硬性条件) for each (candidate, job) pair of a catalog: the rule
    :func:`matching.rules.meets_hard_requirements` over the catalog's columns (effective
    demands never above capacities, every required certificate held, every need offered).

    ``candidates`` and ``jobs`` are aligned rows, or one of them a single row (an ``int``)
    against the other's many: that side's columns are then not repeated per pair (a job's
    candidates can be a whole register: repeating its demands a million times cost 80 ms)."""
    c, j = catalog.candidates, catalog.jobs
    if np.ndim(jobs) == 0 and np.size(candidates) * 8 > len(c):
        return feasible_for_everyone(catalog, int(jobs))[candidates]
    pairs = np.size(jobs) if np.ndim(candidates) == 0 else np.size(candidates)

    def aligned(rows: np.ndarray | int) -> np.ndarray:
        return np.full(pairs, rows, dtype=np.int64) if np.ndim(rows) == 0 else np.asarray(rows)

    return meets_hard_requirements(
        capacities=c.capacities[candidates],
        certificates=SparseSets(c.certificates, aligned(candidates)),
        needs=np.atleast_1d(c.needs[candidates])[:, None],
        demands=j.effective[jobs],
        certificates_required=SparseSets(j.certificates, aligned(jobs)),
        accommodations=np.atleast_1d(j.offered[jobs])[:, None],
    )


#: Certificates one job may require for :func:`feasible_for_everyone`'s bit sets (one word).
_WORD = 64
#: The levels of every capacity profile (row = profile) and every accommodation-needs set
#: (row = bit mask): what one job's verdict over a register is looked up in.
_PROFILE_LEVELS = capacity_levels(np.arange(CAPACITY_PROFILES))
_NEEDS_SETS = np.arange(1 << len(ACCOMMODATIONS), dtype=np.int32)


def feasible_for_everyone(catalog: Catalog, job: int) -> np.ndarray:
    """:func:`feasible` of one job for every person of the catalog (one flag per row).

    For a job's candidates across most of a register (:func:`feasible` asks it then). A job
    requiring certificates is decided by the rule only for the people holding any of them,
    found in one pass over the stored entries (the most demanding posts: a few percent of a
    register). Otherwise the requirements left are a conjunction of a condition on capacities
    and one on needs, so the rule is asked once per capacity profile and once per needs set (a
    few thousand rows) and its verdicts looked up per person: the rule over a million people's
    seven columns cost 5 ms a request."""
    c, j = catalog.candidates, catalog.jobs
    required = j.certificates.indices[j.certificates.indptr[job] : j.certificates.indptr[job + 1]]
    if len(required) > _WORD:  # never in practice; the pairwise rule still answers
        return feasible(catalog, np.arange(len(c)), np.full(len(c), job))
    offered = j.offered[job : job + 1][:, None]
    if len(required):
        required = np.unique(required)
        people, bits = _required_held(c.certificates, required)
        admitted = meets_hard_requirements(
            capacities=c.capacities[people],
            certificates=bits[:, None],
            needs=c.needs[people][:, None],
            demands=j.effective[job],
            certificates_required=np.array([(1 << len(required)) - 1], dtype=np.uint64),
            accommodations=offered,
        )
        verdict = np.zeros(len(c), dtype=bool)
        verdict[people[admitted]] = True
        return verdict
    no_set = np.zeros((1, 1), dtype=np.uint64)
    by_profile = meets_hard_requirements(
        capacities=_PROFILE_LEVELS,
        certificates=no_set,
        needs=np.zeros((len(_PROFILE_LEVELS), 1), dtype=np.int32),
        demands=j.effective[job],
        certificates_required=no_set,
        accommodations=np.zeros((1, 1), dtype=np.int32),
    )
    by_needs = meets_hard_requirements(
        capacities=np.full((1, len(DIMENSIONS)), LEVEL_MAX, dtype=np.int8),
        certificates=no_set,
        needs=_NEEDS_SETS[:, None],
        demands=j.effective[job],
        certificates_required=no_set,
        accommodations=offered,
    )
    return by_profile[c.capacity_profile] & by_needs[c.needs]


def _required_held(held: sp.csr_matrix, required: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows (ascending) of ``held`` holding any of the ``required`` columns (sorted), and
    for each the required ones it holds as a bit set: one pass over the stored entries
    (selecting the columns in scipy cost 3 ms at 1M rows)."""
    wanted = np.zeros(held.nnz, dtype=bool)
    for certificate in required:  # a job requires one or two: faster than np.isin
        wanted |= held.indices == certificate
    entries = np.flatnonzero(wanted & (held.data != 0)).astype(held.indptr.dtype)
    # Same dtypes: searchsorted converting between them cost 60 ms.
    rows = np.searchsorted(held.indptr, entries, side="right") - 1
    bit = np.searchsorted(required, held.indices[entries]).astype(np.uint64)
    people, first = np.unique(rows, return_index=True)
    bits = np.bitwise_or.reduceat(np.uint64(1) << bit, first) if len(first) else bit
    return people, bits


def pair_similarity(
    candidate_vectors: np.ndarray,
    job_vectors: np.ndarray,
    candidates: np.ndarray,
    jobs: np.ndarray,
    *,
    chunk: int = 1 << 16,
) -> np.ndarray:
    """Inner product of each (candidate, job) pair's vectors (cosine: they are unit vectors).

    In chunks: gathering both sides of the millions of pairs of a training set at once would
    copy gigabytes.
    """
    out = np.empty(len(candidates), dtype=np.float32)
    for start in range(0, len(candidates), chunk):
        c, j = candidates[start : start + chunk], jobs[start : start + chunk]
        out[start : start + chunk] = np.einsum("ij,ij->i", candidate_vectors[c], job_vectors[j])
    return out


def _occupation_match(catalog: Catalog, candidates: np.ndarray, jobs: np.ndarray) -> np.ndarray:
    """3 same occupation, 2 same minor group, 1 same major group, 0 none; NaN when unknown."""
    targets = catalog.candidates.targets[candidates]  # (n, k), "" padded
    code = catalog.jobs.occupation[jobs][:, None]
    listed = targets != ""
    # Codes read "2-02-10-01": the first 7 characters name the minor group, the first the major.
    level = np.select(
        [
            (targets == code).any(axis=1),
            (listed & (targets.astype("U7") == code.astype("U7"))).any(axis=1),
            (listed & (targets.astype("U1") == code.astype("U1"))).any(axis=1),
        ],
        [3, 2, 1],
        0,
    ).astype(np.float32)
    level[~listed.any(axis=1) | (code[:, 0] == "")] = np.nan
    return level


class _Events:
    """Events sorted by (group, day), answering "how many before day t" per group."""

    def __init__(self, group: np.ndarray, day: np.ndarray, values: np.ndarray | None = None):
        keys = group.astype(np.int64) * DAY_SPAN + day
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.values = None if values is None else values[order]

    def count_before(self, group: np.ndarray, day: np.ndarray) -> np.ndarray:
        base = group.astype(np.int64) * DAY_SPAN
        return (
            np.searchsorted(self.keys, base + day, "left")
            - np.searchsorted(self.keys, base, "left")
        ).astype(np.float32)

    def largest(self, size: int) -> np.ndarray:
        """Each group's largest event value on any day, for groups ``0 .. size-1`` (0 for a
        group without events); made once per event set and size (an update makes a new
        set)."""
        cache: dict[int, np.ndarray] = self.__dict__.setdefault("_largest", {})
        if size not in cache:
            values = self.values if self.values is not None else self.keys % DAY_SPAN
            groups = self.keys // DAY_SPAN
            inside = groups < size
            out = np.zeros(size, dtype=np.float64)
            np.maximum.at(out, groups[inside], values[inside])
            cache[size] = out
        return cache[size]

    def last_before(self, group: np.ndarray, day: np.ndarray, default: float) -> np.ndarray:
        """The value of the group's last event before ``day`` (``default`` if none)."""
        base = group.astype(np.int64) * DAY_SPAN
        position = np.searchsorted(self.keys, base + day, "left") - 1
        has = (position >= 0) & (position >= np.searchsorted(self.keys, base, "left"))
        values = self.values if self.values is not None else self.keys % DAY_SPAN
        out = np.full(len(group), default, dtype=np.float64)
        out[has] = values[position[has]]
        return out


class HistoryIndex:
    """Sorted views of the referral history, built once per catalog."""

    def __init__(self, catalog: Catalog, rule: StreakRule | None = None) -> None:
        h = catalog.history
        success = np.isin(h.outcome, list(_SUCCESS))
        failure = np.isin(h.outcome, list(_FAILURE))
        self.person_referred = _Events(h.candidate, h.referred)
        self.person_hired = _Events(h.candidate[success], h.known[success])
        interviewed = h.outcome == OUTCOMES.index(Outcome.INTERVIEWED)
        self.person_interviewed = _Events(h.candidate[interviewed], h.known[interviewed])
        self.job_referred = _Events(h.job, h.referred)
        self.job_hired = _Events(h.job[success], h.known[success])
        # Consecutive failed market referrals: failures since the last success, by known day,
        # counted as the settings say (matching.lifecycle.failed_market_streak, vectorised).
        rule = rule or StreakRule()
        success = np.isin(h.outcome, [OUTCOMES.index(o) for o in rule.successes])
        failure = np.isin(h.outcome, [OUTCOMES.index(o) for o in rule.failures])
        market = ~catalog.jobs.public_welfare[h.job] & (success | failure)
        group, known, fail = h.candidate[market], h.known[market], failure[market].astype(int)
        order = np.lexsort((known, group))
        group, known, fail = group[order], known[order], fail[order]
        total = np.cumsum(fail)
        start = np.r_[True, group[1:] != group[:-1]] if len(group) else np.zeros(0, dtype=bool)
        reset = start | (fail == 0)
        base = np.maximum.accumulate(np.where(reset, total - fail, 0)) if len(group) else total
        self.person_streak = _Events(group, known, (total - base).astype(np.float64))


def failed_market_streak(
    catalog: Catalog, history: HistoryIndex, candidates: np.ndarray, on: np.ndarray
) -> np.ndarray:
    """Market referrals in a row that ended without a job, as known before each day."""
    return history.person_streak.last_before(candidates, on, 0.0).astype(np.float32)


def could_claim(
    catalog: Catalog, history: HistoryIndex, candidates: np.ndarray, settings: Settings
) -> np.ndarray:
    """Which of ``candidates`` could be entitled to a public-welfare post on some day (rule 6,
    公益性岗位优先): in one of the priority groups, or with a failed-market streak that ever
    reached the first claim's count. A superset of :func:`matching.policy.entitled` on every
    day, so serving computes streaks only for these people, not for a whole register."""
    longest = history.person_streak.largest(len(catalog.candidates.active))
    grouped = (catalog.candidates.priority[candidates] & priority_mask(settings)) > 0
    return grouped | first_claim(longest[candidates], settings)


class Pairs:
    """The (candidate, job) pairs being featurised, as of each row's day, with the arrays
    several features share computed once (a :class:`Feature`'s ``compute`` reads them)."""

    def __init__(
        self,
        catalog: Catalog,
        history: HistoryIndex,
        candidates: np.ndarray,
        jobs: np.ndarray,
        on: np.ndarray | int,
        similarity: np.ndarray,
        settings: Settings,
    ) -> None:
        self.catalog: Catalog = catalog
        self.history: HistoryIndex = history
        self.settings: Settings = settings
        self.c: CandidateTable = catalog.candidates
        self.j: JobTable = catalog.jobs
        self.candidates: np.ndarray = candidates
        self.jobs: np.ndarray = jobs
        self.on: np.ndarray = np.broadcast_to(np.asarray(on, dtype=np.int64), (len(candidates),))
        self.similarity: np.ndarray = similarity.astype(np.float32)

    @cached_property
    def matched(self) -> np.ndarray:
        cand_skills, job_skills = self.c.skills[self.candidates], self.j.skills[self.jobs]
        return np.asarray(cand_skills.multiply(job_skills).sum(axis=1)).ravel()

    @cached_property
    def job_skill_count(self) -> np.ndarray:
        # Rows of these 0/1 matrices hold distinct entries: a row's count is its length.
        return np.diff(self.j.skills.indptr)[self.jobs].astype(np.float32)

    @cached_property
    def expected(self) -> np.ndarray:
        return self.c.expected_salary[self.candidates]

    @cached_property
    def offer(self) -> np.ndarray:
        high, low = self.j.salary_max[self.jobs], self.j.salary_min[self.jobs]
        return np.where(np.isnan(high), low, high)

    @cached_property
    def capacities(self) -> np.ndarray:
        return self.c.capacities[self.candidates]

    @cached_property
    def effective(self) -> np.ndarray:
        return self.j.effective[self.jobs]

    @cached_property
    def slack(self) -> np.ndarray:
        return self.capacities.astype(np.int16) - self.effective

    @cached_property
    def preferred(self) -> np.ndarray:
        prefs = self.c.work_modes[self.candidates]
        preferred = ((prefs >> self.j.work_mode[self.jobs]) & 1).astype(np.float32)
        preferred[prefs == 0] = np.nan
        return preferred

    @cached_property
    def streak(self) -> np.ndarray:
        return failed_market_streak(self.catalog, self.history, self.candidates, self.on)

    @cached_property
    def hires(self) -> np.ndarray:
        return self.history.job_hired.count_before(self.jobs, self.on)

    @cached_property
    def priority(self) -> np.ndarray:
        return self.c.priority[self.candidates]


DECLARED: tuple[Feature, ...] = (
    Feature(
        "embedding_similarity",
        lambda p: p.similarity,
        "cosine similarity of the m3e vectors of the person's and the job's texts, -1..1",
        Effect.HIGHER,
        Reason.SIMILARITY,
        baseline_weight=0.45,
        baseline_scale=lambda x: np.clip(x, 0, 1),
    ),
    Feature(
        "skills_matched",
        lambda p: p.matched,
        "count of the job's skills the person has (after synonym normalisation)",
        Effect.HIGHER,
        Reason.SKILLS,
    ),
    Feature(
        "skill_coverage",
        lambda p: p.matched / np.maximum(p.job_skill_count, 1),
        "share of the job's skills the person has, 0..1 (0 when the job lists none)",
        Effect.HIGHER,
        Reason.SKILLS,
        baseline_weight=0.2,
    ),
    Feature(
        "job_skill_count",
        lambda p: p.job_skill_count,
        "count of skills the job lists",
    ),
    # The person's other skills, not their skill count: a skill the job asks for, gained,
    # then moves only the two features above, both declared HIGHER (the direction test).
    Feature(
        "candidate_other_skills",
        lambda p: np.diff(p.c.skills.indptr)[p.candidates].astype(np.float32) - p.matched,
        "count of the person's skills the job does not ask for",
    ),
    Feature(
        "occupation_match",
        lambda p: _occupation_match(p.catalog, p.candidates, p.jobs),
        "3 occupation, 2 minor group, 1 major group, 0 none, NaN unknown",
        Effect.HIGHER,
        Reason.OCCUPATION,
    ),
    Feature(
        "education_gap",
        lambda p: p.c.education[p.candidates] - p.j.education_min[p.jobs],
        "person's education level minus the job's minimum, in steps of Education; NaN unknown",
        reason=Reason.EDUCATION,
        vocabulary=lambda: [e.value for e in Education],
    ),
    Feature(
        "salary_vs_expected",
        lambda p: (p.offer - p.expected) / np.maximum(p.expected, 1),
        "(offered pay, the maximum if given, minus expected) / expected; NaN unknown",
        Effect.HIGHER,
        Reason.PAY,
        baseline_weight=0.1,
        baseline_scale=lambda x: np.nan_to_num(np.clip(x + 0.5, 0, 1), nan=0.5),
    ),
    Feature(
        "salary_below_expected",
        lambda p: (p.j.salary_max[p.jobs] < p.expected).astype(np.float32),
        "1 if the job's maximum pay is below the expected pay, else 0",
        Effect.LOWER,
        Reason.PAY,
    ),
    Feature(
        "region_proximity",
        lambda p: region_proximity(p.c.region[p.candidates], p.j.region[p.jobs]),
        "3 same county, 2 same prefecture, 1 same province, 0 otherwise",
        Effect.HIGHER,
        Reason.PLACE,
        baseline_weight=0.15,
        baseline_scale=lambda x: x / 3,
    ),
    Feature(
        "remote_ok",
        lambda p: p.j.remote_ok[p.jobs],
        "1 if the job can be done remotely",
        reason=Reason.PLACE,
    ),
    Feature(
        "work_mode_preferred",
        lambda p: p.preferred,
        "1 if the job's work mode is one the person prefers, 0 if not, NaN if none stated",
        Effect.HIGHER,
        Reason.WORK_MODE,
        vocabulary=lambda: [m.value for m in WORK_MODES],
        baseline_weight=0.1,
        baseline_scale=lambda x: np.nan_to_num(x, nan=0.5),
    ),
    Feature(
        "capacity_min_slack",
        lambda p: p.slack.min(axis=1),
        "smallest capacity minus effective demand over the dimensions (>= 0 when feasible)",
        reason=Reason.CAPACITY,
    ),
    Feature(
        "capacity_total_slack",
        lambda p: p.slack.sum(axis=1),
        "sum of capacity minus effective demand over the dimensions",
        reason=Reason.CAPACITY,
    ),
    Feature(
        "demanding_dimensions",
        lambda p: (p.effective > 0).sum(axis=1),
        "count of dimensions the job demands anything of after accommodations",
        reason=Reason.CAPACITY,
    ),
    Feature(
        "accommodations_bridging",
        lambda p: ((p.j.demands[p.jobs] > p.capacities) & (p.effective <= p.capacities)).sum(
            axis=1
        ),
        "count of dimensions an offered accommodation brings within the person's capacity",
        reason=Reason.BRIDGING,
    ),
    Feature(
        "needs_count",
        lambda p: _bitcount(p.c.needs[p.candidates], len(ACCOMMODATIONS)),
        "count of accommodations the person needs (bits of the accommodation vocabulary)",
        reason=Reason.ACCOMMODATIONS,
        vocabulary=lambda: [a.value for a in ACCOMMODATIONS],
    ),
    Feature(
        "accommodations_offered",
        lambda p: _bitcount(p.j.offered[p.jobs], len(ACCOMMODATIONS)),
        "count of accommodations the job offers (bits of the accommodation vocabulary)",
        reason=Reason.ACCOMMODATIONS,
        vocabulary=lambda: [a.value for a in ACCOMMODATIONS],
    ),
    Feature(
        "certificates_required",
        lambda p: np.diff(p.j.certificates.indptr)[p.jobs],
        "count of certificates the job requires (all held: feasibility)",
    ),
    Feature(
        "employer_type",
        lambda p: p.j.employer_type[p.jobs],
        "index of the employer's type in the employer-type vocabulary (categorical)",
        vocabulary=lambda: [t.value for t in EMPLOYER_TYPES],
        categorical=True,
    ),
    Feature(
        "employer_quota_gap",
        lambda p: p.j.quota_gap[p.jobs],
        "disabled employees the employer lacks for its quota (0 when met)",
        reason=Reason.QUOTA_GAP,
    ),
    Feature(
        "public_welfare_post",
        lambda p: p.j.public_welfare[p.jobs],
        "1 if the job is a public-welfare post (公益性岗位)",
        reason=Reason.PUBLIC_WELFARE_POST,
    ),
    Feature(
        "public_welfare_priority",
        lambda p: p.j.public_welfare[p.jobs] & first_claim(p.streak, p.settings),
        "1 if rule 6 gives the person first claim on this public-welfare post",
        reason=Reason.PUBLIC_WELFARE_PRIORITY,
        history=True,
    ),
    Feature(
        "priority_group_count",
        lambda p: _bitcount(p.priority, len(PRIORITY_GROUPS)),
        "count of priority groups the person belongs to (bits of the priority-group vocabulary)",
        vocabulary=lambda: [g.value for g in PRIORITY_GROUPS],
    ),
    Feature(
        "graduate",
        lambda p: (p.priority & _GRADUATE) > 0,
        "1 if the person is a college graduate (priority group)",
        reason=Reason.GRADUATE,
        vocabulary=lambda: [g.value for g in PRIORITY_GROUPS],
    ),
    Feature(
        "hard_to_employ",
        lambda p: (p.priority & _HARD) > 0,
        "1 if the person is hard to employ (priority group)",
        reason=Reason.HARD_TO_EMPLOY,
        vocabulary=lambda: [g.value for g in PRIORITY_GROUPS],
    ),
    Feature(
        "days_since_registration",
        lambda p: p.on - p.c.registered[p.candidates],
        "days from the person's registration to the day",
        history=True,
    ),
    Feature(
        "person_prior_referrals",
        lambda p: p.history.person_referred.count_before(p.candidates, p.on),
        "the person's referrals before the day",
        history=True,
    ),
    Feature(
        "person_prior_interviews",
        lambda p: p.history.person_interviewed.count_before(p.candidates, p.on),
        "the person's interviews known before the day",
        history=True,
    ),
    Feature(
        "person_prior_hires",
        lambda p: p.history.person_hired.count_before(p.candidates, p.on),
        "the person's hires (or left early) known before the day",
        history=True,
    ),
    Feature(
        "person_failed_market_streak",
        lambda p: p.streak,
        "market referrals in a row without a job, known before the day (rule 6)",
        reason=Reason.FAILED_STREAK,
        history=True,
    ),
    Feature(
        "days_since_last_referral",
        lambda p: p.on - p.history.person_referred.last_before(p.candidates, p.on, np.nan),
        "days since the person's last referral before the day; NaN if none",
        history=True,
    ),
    Feature(
        "job_recent_referrals",
        lambda p: (
            p.history.job_referred.count_before(p.jobs, p.on)
            - p.history.job_referred.count_before(p.jobs, p.on - _RECENT_DAYS)
        ),
        f"the job's referrals in the {_RECENT_DAYS} days before the day",
        history=True,
    ),
    Feature(
        "job_prior_hires",
        lambda p: p.hires,
        "the job's hires known before the day",
        history=True,
    ),
    Feature(
        "job_openings_left",
        lambda p: p.j.openings[p.jobs] - p.hires,
        "the job's openings minus its hires known before the day",
        reason=Reason.OPENINGS,
        history=True,
    ),
    Feature(
        "job_age_days",
        lambda p: p.on - p.j.posted[p.jobs],
        "days since the job was posted",
        history=True,
    ),
)
FEATURES: list[str] = [feature.name for feature in DECLARED]
FEATURE: dict[str, Feature] = {feature.name: feature for feature in DECLARED}
CATEGORICAL: list[str] = [feature.name for feature in DECLARED if feature.categorical]
# Features of referral activity and time rather than of the pair's fit. Against unreferred
# negatives they tell who gets referred, not who would be hired, and a person or job without
# history (cold start) has none of them: training leaves them out by default
# (training.dataset.TrainingSetSpec.history_features; README, Ranking quality).
HISTORY_FEATURES: frozenset[str] = frozenset(f.name for f in DECLARED if f.history)


def monotone_constraints() -> list[int]:
    """LightGBM ``monotone_constraints`` in column order, from each feature's :class:`Effect`."""
    return [int(feature.effect) for feature in DECLARED]


def feature_schema() -> dict[str, Any]:
    """What a trained model's columns mean: per feature in order its name, encoding,
    direction, whether it is categorical or a history feature, and the vocabulary whose order
    or coding it depends on. Reordering ``EmployerType`` changes what the ``employer_type``
    codes mean to a loaded model; this makes such a change visible."""
    return {
        "features": [
            {
                "name": f.name,
                "encoding": f.encoding,
                "effect": int(f.effect),
                "categorical": f.categorical,
                "history": f.history,
                "vocabulary": f.vocabulary() if f.vocabulary else None,
            }
            for f in DECLARED
        ],
        "history": f"strictly before the day; recent = {_RECENT_DAYS} days",
    }


def feature_schema_hash() -> str:
    """A short hash of :func:`feature_schema`, saved in every ranker bundle."""
    canonical = json.dumps(feature_schema(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def build_features(
    catalog: Catalog,
    history: HistoryIndex,
    candidates: np.ndarray,
    jobs: np.ndarray,
    on: np.ndarray | int,
    similarity: np.ndarray,
    settings: Settings,
) -> np.ndarray:
    """The feature matrix (rows = pairs, columns = :data:`FEATURES`) as of each row's day.

    ``on`` is the referral day for training rows and today for serving; ``similarity`` is the
    embedding cosine similarity of each pair. Each column is its declaration's ``compute``.
    """
    pairs = Pairs(catalog, history, candidates, jobs, on, similarity, settings)
    return np.column_stack(
        [np.asarray(feature.compute(pairs), dtype=np.float32) for feature in DECLARED]
    )


def vacant(catalog: Catalog, history: HistoryIndex, jobs: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Whether each job is open on its day and still has an opening not filled by a hire.

    A job whose openings are all filled is not proposed to anyone, even before its closing date.
    """
    j = catalog.jobs
    is_open = (j.posted[jobs] <= on) & (j.closes[jobs] >= on)
    return is_open & (j.openings[jobs] > history.job_hired.count_before(jobs, on))


# Which group each HistoryIndex event set is keyed by, for recomputing only some groups.
_PERSON_EVENTS = ("person_referred", "person_hired", "person_interviewed", "person_streak")
_JOB_EVENTS = ("job_referred", "job_hired")


def updated_history(
    history: HistoryIndex,
    catalog: Catalog,
    people: np.ndarray,
    jobs: np.ndarray,
    rule: StreakRule | None = None,
) -> HistoryIndex:
    """``history`` with the events of ``people`` and ``jobs`` (catalog positions) recomputed
    from ``catalog.history``, as a new index (``history`` is left as it was).

    What serving does after referrals change instead of sorting the whole history again:
    the events come from :class:`HistoryIndex` itself, run over only the referrals of those
    people and jobs (in id order, as a snapshot of the store lists them, so that same-day
    events tie as they would there), and replace those groups' events. An index with event
    sets this function does not know how to group is rebuilt whole. ``rule`` is the one
    ``history`` was built with.
    """
    if set(vars(history)) != set(_PERSON_EVENTS + _JOB_EVENTS):
        return HistoryIndex(catalog, rule)
    h = catalog.history
    people, jobs = np.unique(people), np.unique(jobs)
    rows = np.flatnonzero(np.isin(h.candidate, people) | np.isin(h.job, jobs))
    rows = rows[np.argsort(np.array([h.ids[r] for r in rows], dtype=object), kind="stable")]
    sub = type(h)(
        ids=[h.ids[r] for r in rows],
        candidate=h.candidate[rows],
        job=h.job[rows],
        referred=h.referred[rows],
        known=h.known[rows],
        outcome=h.outcome[rows],
        confirmed=h.confirmed[rows],
    )
    part = HistoryIndex(replace(catalog, history=sub), rule)
    out = object.__new__(HistoryIndex)
    for name in _PERSON_EVENTS + _JOB_EVENTS:
        groups = people if name in _PERSON_EVENTS else jobs
        setattr(out, name, _merged(getattr(history, name), getattr(part, name), groups))
    return out


def _merged(events: _Events, part: _Events, groups: np.ndarray) -> _Events:
    """``events`` with the events of ``groups`` taken from ``part`` instead."""
    keep = ~np.isin(events.keys // DAY_SPAN, groups)
    take = np.isin(part.keys // DAY_SPAN, groups)
    kept_keys, new_keys = events.keys[keep], part.keys[take]
    # No group is in both, so no key is either: inserting keeps both sides' own order.
    at = np.searchsorted(kept_keys, new_keys)
    out = object.__new__(_Events)
    out.keys = np.insert(kept_keys, at, new_keys)
    out.values = (
        None if events.values is None else np.insert(events.values[keep], at, part.values[take])  # type: ignore[index]
    )
    return out
