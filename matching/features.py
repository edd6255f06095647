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
from dataclasses import replace
from typing import Any

import numpy as np

from matching.catalog import (
    ACCOMMODATIONS,
    EMPLOYER_TYPES,
    OUTCOMES,
    PRIORITY_GROUPS,
    WORK_MODES,
    Catalog,
)
from matching.lifecycle import StreakRule
from matching.policy import first_claim
from matching.regions import proximities as region_proximity  # the rule, vectorised
from matching.settings import Settings
from matching.vocabulary import Education, Outcome, PriorityGroup

FEATURES: list[str] = [
    "embedding_similarity",
    "skills_matched",
    "skill_coverage",
    "job_skill_count",
    "candidate_skill_count",
    "occupation_match",
    "education_gap",
    "salary_vs_expected",
    "salary_below_expected",
    "region_proximity",
    "remote_ok",
    "work_mode_preferred",
    "capacity_min_slack",
    "capacity_total_slack",
    "demanding_dimensions",
    "accommodations_bridging",
    "needs_count",
    "accommodations_offered",
    "certificates_required",
    "employer_type",
    "employer_quota_gap",
    "public_welfare_post",
    "public_welfare_priority",
    "priority_group_count",
    "graduate",
    "hard_to_employ",
    "days_since_registration",
    "person_prior_referrals",
    "person_prior_interviews",
    "person_prior_hires",
    "person_failed_market_streak",
    "days_since_last_referral",
    "job_recent_referrals",
    "job_prior_hires",
    "job_openings_left",
    "job_age_days",
]
CATEGORICAL = ["employer_type"]
# Features of referral activity and time rather than of the pair's fit. Against unreferred
# negatives they tell who gets referred, not who would be hired, and a person or job without
# history (cold start) has none of them: training leaves them out by default
# (training.dataset.TrainingSetSpec.history_features; README, Ranking quality).
HISTORY_FEATURES: frozenset[str] = frozenset(
    {
        "public_welfare_priority",
        "days_since_registration",
        "person_prior_referrals",
        "person_prior_interviews",
        "person_prior_hires",
        "person_failed_market_streak",
        "days_since_last_referral",
        "job_recent_referrals",
        "job_prior_hires",
        "job_openings_left",
        "job_age_days",
    }
)


def feature_schema() -> dict[str, Any]:
    """What a trained model's columns mean: the names in order and every vocabulary whose
    order or coding a column depends on. Reordering ``EmployerType`` changes what the
    ``employer_type`` codes mean to a loaded model; this makes such a change visible."""
    return {
        "features": FEATURES,
        "categorical": CATEGORICAL,
        "encodings": {
            "employer_type": [t.value for t in EMPLOYER_TYPES],
            "work_mode_preferred": [m.value for m in WORK_MODES],
            "accommodations": [a.value for a in ACCOMMODATIONS],
            "priority_groups": [g.value for g in PRIORITY_GROUPS],
            "education_gap": [e.value for e in Education],
            "region_proximity": "3 same county, 2 same prefecture, 1 same province, 0 otherwise",
            "occupation_match": "3 occupation, 2 minor group, 1 major group, 0 none, NaN unknown",
            "history": f"strictly before the day; recent = {_RECENT_DAYS} days",
        },
    }


def feature_schema_hash() -> str:
    """A short hash of :func:`feature_schema`, saved in every ranker bundle."""
    canonical = json.dumps(feature_schema(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


_SUCCESS = {OUTCOMES.index(Outcome.HIRED), OUTCOMES.index(Outcome.LEFT_EARLY)}
_FAILURE = {OUTCOMES.index(o) for o in (Outcome.REJECTED, Outcome.DECLINED, Outcome.NO_SHOW)}
_GRADUATE = 1 << PRIORITY_GROUPS.index(PriorityGroup.GRADUATE)
_HARD = 1 << PRIORITY_GROUPS.index(PriorityGroup.HARD_TO_EMPLOY)
_RECENT_DAYS = 30
DAY_SPAN = 1 << 22  # more days than any date has: keys are group * DAY_SPAN + day


def _bitcount(values: np.ndarray, bits: int) -> np.ndarray:
    counts = np.zeros(len(values), dtype=np.float32)
    for bit in range(bits):
        counts += (values >> bit) & 1
    return counts


def feasible(catalog: Catalog, candidates: np.ndarray, jobs: np.ndarray) -> np.ndarray:
    """Hard requirements (INTERCHANGE.md) for each (candidate, job) pair, vectorised.

    Agrees with :func:`matching.rules.check_feasibility` on every pair (tested): effective
    demands never above capacities, every required certificate held, every need offered.
    """
    c, j = catalog.candidates, catalog.jobs
    capacity_ok = (j.effective[jobs] <= c.capacities[candidates]).all(axis=1)
    needs = c.needs[candidates]
    ok = capacity_ok & ((j.offered[jobs] & needs) == needs)
    # Few jobs require a certificate: look at the sparse rows of only those pairs.
    required = np.diff(j.certificates.indptr)[jobs]
    check = np.flatnonzero(ok & (required > 0))
    if len(check):
        wanted = j.certificates[jobs[check]]
        held = np.asarray(wanted.multiply(c.certificates[candidates[check]]).sum(axis=1)).ravel()
        ok[check] = held == required[check]
    return ok


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
    embedding cosine similarity of each pair.
    """
    c, j = catalog.candidates, catalog.jobs
    n = len(candidates)
    on = np.broadcast_to(np.asarray(on, dtype=np.int64), (n,))
    cand_skills, job_skills = c.skills[candidates], j.skills[jobs]
    matched = np.asarray(cand_skills.multiply(job_skills).sum(axis=1)).ravel()
    # Rows of these 0/1 matrices hold distinct entries: a row's count is its length.
    job_skill_count = np.diff(j.skills.indptr)[jobs].astype(np.float32)
    cand_skill_count = np.diff(c.skills.indptr)[candidates].astype(np.float32)
    expected = c.expected_salary[candidates]
    offer = np.where(np.isnan(j.salary_max[jobs]), j.salary_min[jobs], j.salary_max[jobs])
    capacities, effective = c.capacities[candidates], j.effective[jobs]
    slack = capacities.astype(np.int16) - effective
    bridging = ((j.demands[jobs] > capacities) & (effective <= capacities)).sum(axis=1)
    prefs = c.work_modes[candidates]
    preferred = ((prefs >> j.work_mode[jobs]) & 1).astype(np.float32)
    preferred[prefs == 0] = np.nan
    streak = failed_market_streak(catalog, history, candidates, on)
    public_welfare = j.public_welfare[jobs]
    last = history.person_referred.last_before(candidates, on, np.nan)
    hires = history.job_hired.count_before(jobs, on)
    priority = c.priority[candidates]
    columns = [
        similarity.astype(np.float32),
        matched,
        matched / np.maximum(job_skill_count, 1),
        job_skill_count,
        cand_skill_count,
        _occupation_match(catalog, candidates, jobs),
        c.education[candidates] - j.education_min[jobs],
        (offer - expected) / np.maximum(expected, 1),
        (j.salary_max[jobs] < expected).astype(np.float32),
        region_proximity(c.region[candidates], j.region[jobs]),
        j.remote_ok[jobs],
        preferred,
        slack.min(axis=1),
        slack.sum(axis=1),
        (effective > 0).sum(axis=1),
        bridging,
        _bitcount(c.needs[candidates], len(ACCOMMODATIONS)),
        _bitcount(j.offered[jobs], len(ACCOMMODATIONS)),
        np.diff(j.certificates.indptr)[jobs],
        j.employer_type[jobs],
        j.quota_gap[jobs],
        public_welfare,
        public_welfare & first_claim(streak, settings),
        _bitcount(priority, len(PRIORITY_GROUPS)),
        (priority & _GRADUATE) > 0,
        (priority & _HARD) > 0,
        on - c.registered[candidates],
        history.person_referred.count_before(candidates, on),
        history.person_interviewed.count_before(candidates, on),
        history.person_hired.count_before(candidates, on),
        streak,
        on - last,
        history.job_referred.count_before(jobs, on)
        - history.job_referred.count_before(jobs, on - _RECENT_DAYS),
        hires,
        j.openings[jobs] - hires,
        on - j.posted[jobs],
    ]
    return np.column_stack([np.asarray(col, dtype=np.float32) for col in columns])


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
