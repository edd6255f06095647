"""Job-fair interview plans (专场招聘, 就业援助月, 春风行动, 助残日): which registered people
to send to which employers' tables, so that the whole fair's match is as good as possible.

The plan maximises the total match score of the proposed (person, job) pairs subject to

- each job receiving at most ``openings still vacant x per_opening`` proposals,
- each person receiving at most ``max_per_person`` proposals,
- every proposed pair being feasible (the hard requirements) and the job open and vacant.

This is a bipartite b-matching, i.e. a min-cost flow (source → person, capacity M; person →
job, capacity 1, cost −score; job → sink, capacity the job's interviews). Its constraint matrix
is totally unimodular, so the linear program's optimum is integral; it is solved exactly by
HiGHS through ``scipy.optimize.milp``. "Nobody proposed" is always a feasible plan, so a plan
always exists.

Scores are the ranker's for jobs-for-a-person (the same model, features and reasons as the
recommendations a counselor sees). A learned ranker's scores only order results, so their
zero means nothing; where some feasible pair scores at or below zero, all are shifted so the
worst is just above it (the plan's ``objective``): a feasible proposal is never worth less
than none, and the plan does not leave a seat empty to avoid a low score. ``total_score`` and
each proposal's ``score`` are the ranker's own.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from matching.domain import Job, RecruitmentEvent, Referral
from matching.engine import Matcher
from matching.explain import explain
from matching.features import build_features, feasible, pair_similarity
from matching.ranker import Direction
from matching.vocabulary import Outcome

#: Interviews per vacant opening unless told otherwise (issue 14).
DEFAULT_PER_OPENING = 3
PLAN_COLUMNS = ("candidate_id", "job_id", "employer_id", "score", "rank", "reasons")


class FairInputError(ValueError):
    """The fair's people or jobs name records the catalog does not hold."""

    def __init__(self, kind: str, unknown: Sequence[str]) -> None:
        shown = ", ".join(unknown[:20]) + (" …" if len(unknown) > 20 else "")
        super().__init__(f"unknown {kind} ids: {shown}")
        self.kind = kind
        self.unknown = list(unknown)


@dataclass(frozen=True, slots=True)
class Proposal:
    """One proposed interview: a person at a job, with the score and the reasons shown."""

    candidate_id: str
    job_id: str
    employer_id: str
    score: float
    rank: int  # among the person's own proposals, 1 = best
    reasons: list[str]


@dataclass(frozen=True, slots=True)
class PlanSummary:
    """How good a plan is: total score and coverage (people and jobs with a proposal)."""

    proposals: int
    total_score: float  # the ranker's scores added up
    objective: float  # what the plan maximises: the scores as shifted (module docstring)
    people_covered: int
    jobs_covered: int


@dataclass(slots=True)
class FairPlan:
    """A job fair's interview plan, with the people and jobs that could not take part."""

    proposals: list[Proposal]
    summary: PlanSummary
    greedy: PlanSummary  # greedy top-K on the same inputs, for comparison
    capacity: dict[str, int]  # interviews each eligible job may receive
    ineligible_people: list[str] = field(default_factory=list)  # inactive or not registered yet
    closed_jobs: list[str] = field(default_factory=list)  # not open on the day, or filled


@dataclass(frozen=True, slots=True)
class Pairs:
    """The feasible (person, job) pairs of a fair, as positions into its people and jobs."""

    person: np.ndarray
    job: np.ndarray
    score: np.ndarray


def assign(pairs: Pairs, person_cap: np.ndarray, job_cap: np.ndarray) -> np.ndarray:
    """The pairs of a maximum-total-score plan (a boolean mask over ``pairs``) with at most
    ``person_cap[p]`` pairs per person and ``job_cap[j]`` per job; scores must be > 0."""
    n = len(pairs.score)
    if n == 0:
        return np.zeros(0, dtype=bool)
    if (pairs.score <= 0).any():
        raise ValueError("assign needs positive scores (shift them first)")
    people, jobs = len(person_cap), len(job_cap)
    rows = np.concatenate([pairs.person, people + pairs.job])
    columns = np.concatenate([np.arange(n), np.arange(n)])
    incidence = sp.csr_matrix((np.ones(2 * n), (rows, columns)), shape=(people + jobs, n))
    limits = np.concatenate([person_cap, job_cap]).astype(np.float64)
    result = milp(
        -pairs.score.astype(np.float64),
        constraints=LinearConstraint(incidence, -np.inf, limits),
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
    )
    if result.x is None:  # cannot happen: proposing nobody satisfies every constraint
        raise RuntimeError(f"the assignment solver failed: {result.message}")
    return result.x > 0.5


def greedy(pairs: Pairs, person_cap: np.ndarray, job_cap: np.ndarray) -> np.ndarray:
    """Greedy top-K, the usual hand method and the baseline a plan must beat: person by person
    (in the order given), their best-scoring jobs that still have room, up to their limit."""
    chosen = np.zeros(len(pairs.score), dtype=bool)
    room = job_cap.astype(np.int64).copy()
    order = np.lexsort((-pairs.score, pairs.person))
    taken = np.zeros(len(person_cap), dtype=np.int64)
    for position in order:
        p, j = pairs.person[position], pairs.job[position]
        if taken[p] < person_cap[p] and room[j] > 0:
            chosen[position] = True
            taken[p] += 1
            room[j] -= 1
    return chosen


def summarise(pairs: Pairs, chosen: np.ndarray, raw_scores: np.ndarray) -> PlanSummary:
    """Total (ranker) score and coverage of the chosen pairs."""
    return PlanSummary(
        proposals=int(chosen.sum()),
        total_score=round(float(raw_scores[chosen].sum()), 6),
        objective=round(float(pairs.score[chosen].sum()), 6),
        people_covered=len(np.unique(pairs.person[chosen])),
        jobs_covered=len(np.unique(pairs.job[chosen])),
    )


def plan_fair(
    matcher: Matcher,
    candidate_ids: Sequence[str],
    job_ids: Sequence[str],
    *,
    max_per_person: int,
    per_opening: int = DEFAULT_PER_OPENING,
    on: dt.date | None = None,
) -> FairPlan:
    """The interview plan of a fair on day ``on`` (default today) for these people and jobs.

    Raises :class:`FairInputError` for ids the catalog does not hold (nothing is planned).
    People not active or not yet registered, and jobs not open or already filled, take no
    part and are listed.
    """
    if max_per_person < 1 or per_opening < 1:
        raise ValueError("max_per_person and per_opening must be at least 1")
    catalog = matcher.catalog
    people_ids = list(dict.fromkeys(candidate_ids))
    fair_job_ids = list(dict.fromkeys(job_ids))
    for kind, ids, index in (
        ("candidate", people_ids, catalog.candidates.index),
        ("job", fair_job_ids, catalog.jobs.index),
    ):
        unknown = [i for i in ids if i not in index]
        if unknown:
            raise FairInputError(kind, unknown)
    day = (on or dt.date.today()).toordinal()
    c_all = np.array([catalog.candidates.index[i] for i in people_ids], dtype=np.int64)
    j_all = np.array([catalog.jobs.index[i] for i in fair_job_ids], dtype=np.int64)
    people_ok = catalog.candidates.active[c_all] & (catalog.candidates.registered[c_all] <= day)
    jobs = catalog.jobs
    open_ok: np.ndarray | list[bool] = (
        (jobs.posted[j_all] <= day) & (jobs.closes[j_all] >= day) if len(j_all) else []
    )
    filled = matcher.history.job_hired.count_before(j_all, np.full(len(j_all), day))
    remaining = np.maximum(jobs.openings[j_all] - filled, 0)
    jobs_ok = np.asarray(open_ok, dtype=bool) & (remaining > 0)
    people = c_all[people_ok]
    fair_jobs = j_all[jobs_ok]
    job_cap = (remaining[jobs_ok] * per_opening).astype(np.int64)
    person_cap = np.full(len(people), max_per_person, dtype=np.int64)

    # Every person x job pair of the fair, then only the feasible ones.
    p_pos = np.repeat(np.arange(len(people)), len(fair_jobs))
    j_pos = np.tile(np.arange(len(fair_jobs)), len(people))
    ok = feasible(catalog, people[p_pos], fair_jobs[j_pos]) if len(p_pos) else p_pos.astype(bool)
    p_pos, j_pos = p_pos[ok], j_pos[ok]
    cs, js = people[p_pos], fair_jobs[j_pos]
    raw = np.zeros(0)
    features = np.zeros((0, 0))
    if len(cs):
        similarity = pair_similarity(matcher.candidate_vectors, matcher.job_vectors, cs, js)
        features = build_features(
            catalog, matcher.history, cs, js, day, similarity, matcher.settings
        )
        raw = matcher.ranker.score(features, Direction.JOBS_FOR_CANDIDATE, threads=0)
    # Shift so the worst feasible pair is still worth proposing (see the module docstring).
    shifted = raw - raw.min() + 1e-3 if len(raw) and raw.min() <= 0 else raw
    pairs = Pairs(p_pos, j_pos, shifted)
    chosen = assign(pairs, person_cap, job_cap)
    baseline = greedy(pairs, person_cap, job_cap)

    picked = np.flatnonzero(chosen)
    # Each person's proposals best first: rank 1 is the person's best-scoring proposal.
    picked = picked[np.lexsort((-raw[picked], p_pos[picked]))]
    contributions = (
        matcher.ranker.contributions(features[picked], Direction.JOBS_FOR_CANDIDATE)
        if len(picked)
        else np.zeros((0, 0))
    )
    proposals, rank, previous = [], 0, -1
    for row, position in enumerate(picked):
        person, job = int(cs[position]), int(js[position])
        rank = rank + 1 if p_pos[position] == previous else 1
        previous = p_pos[position]
        record = jobs.records[job]
        proposals.append(
            Proposal(
                candidate_id=catalog.candidates.ids[person],
                job_id=record.id,
                employer_id=record.employer_id,
                score=round(float(raw[position]), 6),
                rank=rank,
                reasons=explain(catalog, person, job, features[position], contributions[row]),
            )
        )
    return FairPlan(
        proposals=proposals,
        summary=summarise(pairs, chosen, raw),
        greedy=summarise(pairs, baseline, raw),
        capacity={jobs.ids[j]: int(c) for j, c in zip(fair_jobs, job_cap, strict=True)},
        ineligible_people=[i for i, ok in zip(people_ids, people_ok, strict=True) if not ok],
        closed_jobs=[i for i, ok in zip(fair_job_ids, jobs_ok, strict=True) if not ok],
    )


def plan_rows(plan: FairPlan) -> list[dict[str, object]]:
    """The plan as CSV rows (:data:`PLAN_COLUMNS`; reasons joined with "；")."""
    return [
        {
            "candidate_id": p.candidate_id,
            "job_id": p.job_id,
            "employer_id": p.employer_id,
            "score": p.score,
            "rank": p.rank,
            "reasons": "；".join(p.reasons),
        }
        for p in plan.proposals
    ]


def write_plan_csv(plan: FairPlan, handle: TextIO) -> int:
    """Write the plan as CSV (UTF-8, a header row, one row per proposal); returns the rows."""
    writer = csv.DictWriter(handle, fieldnames=PLAN_COLUMNS, lineterminator="\n")
    writer.writeheader()
    rows = plan_rows(plan)
    writer.writerows(rows)
    return len(rows)


# -- what came of an event -----------------------------------------------------------------

INTERVIEWED = frozenset({Outcome.INTERVIEWED, Outcome.HIRED, Outcome.LEFT_EARLY})
HIRED = frozenset({Outcome.HIRED, Outcome.LEFT_EARLY})


@dataclass(frozen=True, slots=True)
class Outcomes:
    """Referrals of an event's attendees to its jobs within its follow-up window."""

    since: dt.date
    until: dt.date
    referrals: int
    people_referred: int
    interviewed: int  # outcome interviewed, hired or left_early
    hired: int  # outcome hired or left_early
    by_outcome: dict[str, int]
    hired_by_employer: dict[str, int]


def event_outcomes(
    event: RecruitmentEvent,
    referrals: Iterable[Referral],
    jobs: dict[str, Job],
    follow_up_days: int,
) -> Outcomes:
    """What came of an event: its attendees' referrals to its jobs made from its first day to
    ``follow_up_days`` after its last (a fair's interviews are arranged in the weeks after)."""
    until = event.ends_on + dt.timedelta(days=follow_up_days)
    people, offered = set(event.attendee_ids), set(event.job_ids)
    made = [
        r
        for r in referrals
        if r.candidate_id in people
        and r.job_id in offered
        and event.starts_on <= r.referred_at <= until
    ]
    by_outcome = Counter(r.outcome.value for r in made)
    hired = [r for r in made if r.outcome in HIRED]
    return Outcomes(
        since=event.starts_on,
        until=until,
        referrals=len(made),
        people_referred=len({r.candidate_id for r in made}),
        interviewed=sum(r.outcome in INTERVIEWED for r in made),
        hired=len(hired),
        by_outcome=dict(sorted(by_outcome.items())),
        hired_by_employer=dict(sorted(Counter(jobs[r.job_id].employer_id for r in hired).items())),
    )
