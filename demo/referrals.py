"""The demo world's referral history (the counselor-days world) and its outcomes.

Referrals span the last ~18 months, more of them recently. For each referral a counselor
picks, among the jobs open that day in the person's prefecture (plus remote jobs anywhere) and
not yet suggested to them, one the person can do (the hard requirements; 4 % of the time the
check is skipped, and :func:`matching.rules.job_feasibility` then often says no). The pick
maximises ``1.2·proximity + 1.5·literal skill overlap + 0.6·mode + 0.5·systematic utility``
plus Gumbel noise (scale 0.8): it favours nearby jobs and the same *words*, and is only partly
guided by the true fit. Public-welfare posts get a bonus for people with three failed market
referrals in a row, and a smaller one for 低保, multi-disability, elderly-supporting and
monitored households (DOMAIN.md rule 6).

Outcomes follow the hidden utility of :mod:`demo.utility`. Outcome logits are linear in ``u``:
hired ``1.5u``, interviewed ``0.5u``, rejected ``−u``, declined ``−0.5u``, no-show ``−0.7u``
(plus intercepts tuned for about 15 % hired); a hire turns into ``left_early`` with
probability σ(−1.5 − 1.2u); referrals of the last month are often still ``pending``. A hired
person is not referred again for 3–10 months.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from demo.draws import Draws
from demo.utility import PairArrays, counselor_view, feasible, systematic_utility
from matching.domain import Candidate, Job, Referral
from matching.regions import prefecture_code
from matching.rules import job_feasibility
from matching.settings import Settings
from matching.vocabulary import Outcome, PriorityGroup

_HISTORY_DAYS = 540  # referrals span about 18 months
_REFERRAL_OVERSAMPLING = 1.3
_COUNSELOR_MISTAKE_RATE = 0.04  # referrals made without checking the hard requirements
_COUNSELOR_NOISE = 0.8  # Gumbel scale of the counselor's judgement
_PUBLIC_WELFARE_FIRST = 3  # consecutive failed market referrals (DOMAIN.md rule 6)
_UTILITY_CENTRE = 2.2  # U0: centres the hidden utility of typical referrals near 0
_INFEASIBLE_PENALTY = 2.5
_UTILITY_NOISE = 0.6
_PENDING_DAYS = 30
_FAILED = frozenset({Outcome.REJECTED, Outcome.DECLINED, Outcome.NO_SHOW, Outcome.LEFT_EARLY})
_WELFARE_PRIORITY_GROUPS = frozenset(
    {
        PriorityGroup.DIBAO,
        PriorityGroup.MULTI_DISABILITY_HOUSEHOLD,
        PriorityGroup.ELDERLY_SUPPORTING_DISABLED,
        PriorityGroup.POVERTY_MONITORING,
    }
)
_SUCCEEDED = frozenset({Outcome.HIRED, Outcome.INTERVIEWED})
# Outcome logits (slope on u, intercept) and days from referral to the recorded outcome.
_OUTCOME_LOGITS: tuple[tuple[Outcome, float, float], ...] = (
    (Outcome.HIRED, 1.5, -0.8),
    (Outcome.INTERVIEWED, 0.5, -0.4),
    (Outcome.REJECTED, -1.0, 0.4),
    (Outcome.DECLINED, -0.5, -0.6),
    (Outcome.NO_SHOW, -0.7, -1.1),
)
OUTCOME_LAG: dict[Outcome, tuple[int, int]] = {
    Outcome.HIRED: (7, 40),
    Outcome.INTERVIEWED: (3, 20),
    Outcome.REJECTED: (5, 30),
    Outcome.DECLINED: (1, 14),
    Outcome.NO_SHOW: (1, 10),
    Outcome.LEFT_EARLY: (30, 150),
}
_CHUNK = 64  # people per block when scoring a prefecture's jobs (small blocks stay in cache)

# A drawn referral: (day, person index, job index, outcome, days until the outcome).
Drawn = tuple[int, int, int, Outcome, int | None]


def _draw_outcome(draws: Draws, u: float, age_days: int) -> tuple[Outcome, int | None]:
    """An outcome for a referral ``age_days`` old with hidden utility ``u``, and its lag."""
    if age_days < _PENDING_DAYS and draws.random() < 0.8 * (1 - age_days / _PENDING_DAYS):
        return Outcome.PENDING, None
    weights = [math.exp(slope * u + intercept) for _, slope, intercept in _OUTCOME_LOGITS]
    draw = draws.random() * sum(weights)
    outcome = _OUTCOME_LOGITS[-1][0]
    for (kind, _, _), weight in zip(_OUTCOME_LOGITS, weights, strict=True):
        draw -= weight
        if draw < 0:
            outcome = kind
            break
    if (
        outcome is Outcome.HIRED
        and age_days >= OUTCOME_LAG[Outcome.LEFT_EARLY][0]
        and draws.random() < 1 / (1 + math.exp(1.5 + 1.2 * u))
    ):
        outcome = Outcome.LEFT_EARLY
    low, high = OUTCOME_LAG[outcome]
    return outcome, min(draws.between(low, high + 1), age_days)


@dataclass(frozen=True, slots=True)
class _Pool:
    """The jobs a prefecture's counselors refer to: its own and remote ones anywhere."""

    jobs: np.ndarray  # indices into the job list
    posted: np.ndarray
    closes: np.ndarray
    public_welfare: np.ndarray


@dataclass(frozen=True, slots=True)
class _Prospects:
    """One person against every job of the pool."""

    feasible: np.ndarray
    appeal: np.ndarray  # exp(counselor's view / noise): odds of being the one suggested
    systematic: np.ndarray  # systematic part of the hidden utility
    latent: np.ndarray  # employability + attractiveness


def make_referrals(
    rng: np.random.Generator,
    draws: Draws,
    settings: Settings,
    people: Sequence[Candidate],
    jobs: Sequence[Job],
    employability: np.ndarray,
    attractiveness: np.ndarray,
    target: int,
    today: dt.date,
) -> list[Referral]:
    """About ``target`` referrals over the last ~18 months (module docstring)."""
    if not people or not jobs or target <= 0:
        return []
    t = PairArrays.from_records(people, jobs, settings)
    today_ord = today.toordinal()
    hard = np.array([PriorityGroup.HARD_TO_EMPLOY in p.priority_groups for p in people])
    # Referrals per person: uneven, more for hard-to-employ people, who also fail more. Some
    # are never made (the person is in work, or nothing suitable is open), so more are planned
    # and the surplus is thinned out at random at the end.
    activity = rng.gamma(1.5, size=len(people)) * np.where(hard, 1.6, 1.0)
    counts = rng.multinomial(round(target * _REFERRAL_OVERSAMPLING), activity / activity.sum())
    registered = np.array([p.registered_at.toordinal() for p in people])
    start = np.maximum(registered + 1, today_ord - _HISTORY_DAYS)

    person_prefecture = np.array([prefecture_code(p.region_code) for p in people])
    job_prefecture = np.array([prefecture_code(j.region_code) for j in jobs])
    made: list[Drawn] = []
    for prefecture in sorted(set(person_prefecture.tolist())):
        persons = np.flatnonzero((person_prefecture == prefecture) & (counts > 0))
        indices = np.flatnonzero((job_prefecture == prefecture) | t.j_remote)
        if not persons.size or not indices.size:
            continue
        pool = _Pool(indices, t.j_posted[indices], t.j_closes[indices], t.j_public_welfare[indices])
        for block in range(0, persons.size, _CHUNK):
            chunk = persons[block : block + _CHUNK]
            p, j = chunk[:, None], indices[None, :]
            systematic = systematic_utility(t, p, j)
            can_do = feasible(t, p, j)
            appeal = np.exp(counselor_view(t, p, j, systematic) / _COUNSELOR_NOISE)
            for row, person in enumerate(chunk.tolist()):
                prospects = _Prospects(
                    can_do[row],
                    appeal[row],
                    systematic[row],
                    employability[person] + attractiveness[indices],
                )
                made += _refer_person(
                    draws,
                    people[person],
                    person,
                    jobs,
                    pool,
                    prospects,
                    int(counts[person]),
                    int(start[person]),
                    today_ord,
                )
    return referral_records(made, people, jobs, target, rng)


def _counselor_choice(
    draws: Draws,
    day: int,
    among: np.ndarray,
    pool: _Pool,
    prospects: _Prospects,
    referred: np.ndarray,
    welfare_boost: float,
) -> int | None:
    """The pool position (of those in ``among``) a counselor refers the person to on ``day``.

    The counselor's view plus Gumbel noise, maximised: that is, a draw with odds ``appeal``.
    """
    open_jobs = among[(pool.posted[among] <= day) & (pool.closes[among] >= day) & ~referred[among]]
    if not open_jobs.size:
        return None
    odds = prospects.appeal[open_jobs]
    if welfare_boost:
        odds = odds * np.where(
            pool.public_welfare[open_jobs], math.exp(welfare_boost / _COUNSELOR_NOISE), 1.0
        )
    cumulative = np.cumsum(odds)
    k = int(np.searchsorted(cumulative, draws.random() * cumulative[-1], side="right"))
    return int(open_jobs[min(k, open_jobs.size - 1)])


def _refer_person(
    draws: Draws,
    person: Candidate,
    person_index: int,
    jobs: Sequence[Job],
    pool: _Pool,
    prospects: _Prospects,
    count: int,
    start: int,
    today_ord: int,
) -> list[Drawn]:
    """One person's referral history, in date order: (day, person, job, outcome, lag)."""
    span = today_ord - start + 1
    # Services grew over the period: later dates are more likely.
    days = sorted(start + min(int(span * draws.random() ** 0.85), span - 1) for _ in range(count))
    # DOMAIN.md rule 6: public-welfare posts go first to people with three failed market
    # referrals in a row, then to 低保, multi-disability, elderly-supporting and monitored ones.
    priority = bool(_WELFARE_PRIORITY_GROUPS & set(person.priority_groups))
    # Counselors choose among the feasible jobs, now and then skipping that check.
    anything = np.arange(pool.jobs.size)
    feasible = anything[prospects.feasible]
    referred = np.zeros(pool.jobs.size, dtype=bool)
    failures, busy_until, retries, position = 0, 0, count, 0
    history: list[Drawn] = []
    while position < len(days):
        day = days[position]
        position += 1
        boost = 2.0 if failures >= _PUBLIC_WELFARE_FIRST else 0.7 if priority else 0.0
        k = None
        if day >= busy_until:
            among = anything if draws.random() < _COUNSELOR_MISTAKE_RATE else feasible
            k = _counselor_choice(draws, day, among, pool, prospects, referred, boost)
        if k is None:
            # In work after a hire, or nothing suitable open: try again on a later day.
            later = max(day + 1, busy_until)
            if retries and later <= today_ord:
                retries -= 1
                bisect.insort(days, draws.between(later, today_ord + 1), lo=position)
            continue
        referred[k] = True
        job = jobs[pool.jobs[k]]
        can_do = job_feasibility(person, job).feasible
        u = (
            prospects.systematic[k]
            + prospects.latent[k]
            + _UTILITY_NOISE * draws.normal()
            - _UTILITY_CENTRE
            - (0.0 if can_do else _INFEASIBLE_PENALTY)
        )
        outcome, lag = _draw_outcome(draws, float(u), today_ord - day)
        history.append((day, person_index, int(pool.jobs[k]), outcome, lag))
        if not job.public_welfare:
            if outcome in _FAILED:
                failures += 1
            elif outcome in _SUCCEEDED:
                failures = 0
        if outcome is Outcome.HIRED:
            busy_until = day + draws.between(90, 300)
    return history


def referral_records(
    made: list[Drawn],
    people: Sequence[Candidate],
    jobs: Sequence[Job],
    target: int,
    rng: np.random.Generator,
) -> list[Referral]:
    """Referral records from ``(day, person, job, outcome, lag)`` draws: in date order, a
    seeded sample of ``target`` where more were drawn, numbered ``R000001``… (both worlds)."""
    made = sorted(made, key=lambda r: (r[0], r[1], r[2]))
    if len(made) > target:
        kept = np.sort(rng.choice(len(made), size=target, replace=False))
        made = [made[k] for k in kept.tolist()]
    return [
        Referral(
            id=f"R{n + 1:06d}",
            candidate_id=people[person].id,
            job_id=jobs[job].id,
            referred_at=dt.date.fromordinal(day),
            outcome=outcome,
            outcome_at=None if lag is None else dt.date.fromordinal(day + lag),
        )
        for n, (day, person, job, outcome, lag) in enumerate(made)
    ]
