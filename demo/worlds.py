"""Evaluation worlds with cold-start questions and graded truth over every pair.

A ranker tuned on one generator learns that generator. This module writes a world in the
interchange format *plus* the answers an outside evaluation would hold: a share of people and
of open jobs are kept out of the referral history altogether (cold start: they are the ones
asked about), and ``truth.npz`` grades every (cold person, job) and (cold job, person) pair
0–3 from the world's hidden utility, noise-free. Two styles, structurally different:

``counselor-days`` (:mod:`demo.world`, the demo generator): referrals over 18 months,
a counselor's pick guided by distance and literal skill words, an *additive* hidden utility.

``months`` (this module): twelve months in which counselors refer **one job at a time**, at
least two weeks apart per person, picking by the person's *target occupation* and the county
(not skill words); the hidden utility is **multiplicative** in skills and place (a nearby job
is worth little without the skills, and the reverse), plus **employer-specific preferences**
(each employer weighs education, spare capacity and pay expectations its own way), pay,
education shortfall and person/job effects; outcomes follow a logistic hire model.

Both share the people, jobs and employers of the demo generator (:mod:`demo.employers`,
:mod:`demo.jobs`, :mod:`demo.people`: reused, never copied), so texts, capacities and
vocabularies are realistic in both.
Grades: among feasible pairs of the truth matrices, the top 3 % of utility are 3, the next
7 % 2, the next 15 % 1, the rest 0.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from demo.draws import Draws
from demo.referrals import OUTCOME_LAG, Drawn, make_referrals, referral_records
from demo.tables import DemoTables
from demo.utility import PairArrays, feasible, mode_fit, overlap, systematic_utility
from demo.world import draw_population, write_interchange
from matching.domain import Candidate, Job, Referral
from matching.regions import prefecture_code
from matching.settings import Settings
from matching.vocabulary import Outcome

# The hidden utility of (people, jobs) index arrays that broadcast together.
Utility = Callable[[np.ndarray, np.ndarray], np.ndarray]

TRUTH_FILE = "truth.npz"
GRADE_SHARES = (0.03, 0.07, 0.15)  # top shares of feasible pairs graded 3, 2, 1
_MONTHS_DAYS = 365
MIN_GAP_DAYS = 14  # one referral at a time: a person's next one comes weeks later
_MISTAKE_RATE = 0.04
_PENDING_DAYS = 21


class WorldStyle(StrEnum):
    """Which generator made the referral history and the hidden utility."""

    COUNSELOR_DAYS = "counselor-days"
    MONTHS = "months"


@dataclass(frozen=True, slots=True)
class EvaluationWorld:
    """What :func:`generate_evaluation_world` wrote."""

    directory: Path
    style: WorldStyle
    candidates: int
    jobs: int
    referrals: int
    hired: int
    cold_candidates: int
    cold_jobs: int

    def __str__(self) -> str:
        return (
            f"{self.style} world: {self.jobs} jobs, {self.candidates} candidates, "
            f"{self.referrals} referrals ({self.hired} hired); cold start: "
            f"{self.cold_candidates} people, {self.cold_jobs} jobs"
        )


@dataclass(frozen=True)
class Truth:
    """Graded truth for the cold-start questions (``truth.npz``)."""

    cold_candidates: list[str]  # people asked about (jobs for a person)
    cold_jobs: list[str]  # jobs asked about (people for a job)
    candidate_ids: list[str]  # every person, in file order
    job_ids: list[str]  # every job, in file order
    jobs_for_candidate: np.ndarray  # (cold people × jobs) grade 0..3
    candidates_for_job: np.ndarray  # (cold jobs × people) grade 0..3
    day: dt.date  # the day the questions are asked

    @classmethod
    def load(cls, directory: Path) -> Truth:
        """Read ``truth.npz`` from a world directory."""
        with np.load(directory / TRUTH_FILE) as data:
            return cls(
                data["cold_candidates"].tolist(),
                data["cold_jobs"].tolist(),
                data["candidate_ids"].tolist(),
                data["job_ids"].tolist(),
                data["jobs_for_candidate"],
                data["candidates_for_job"],
                dt.date.fromordinal(int(data["day"])),
            )


def generate_evaluation_world(
    out_dir: Path,
    *,
    style: WorldStyle,
    seed: int,
    candidates: int,
    jobs: int,
    referrals: int,
    today: dt.date,
    cold_share: float = 0.1,
    settings: Settings | None = None,
    tables: DemoTables | None = None,
) -> EvaluationWorld:
    """Write the four interchange files and ``truth.npz`` into ``out_dir``.

    ``cold_share`` of the people and of the jobs open on ``today`` get no referral at all;
    they are the questions of the truth file, asked on ``today``. ``settings`` and ``tables``
    as for :func:`demo.world.generate_world`.
    """
    settings = settings or Settings()
    tables = tables or DemoTables.load()
    world = draw_population(
        seed, candidates, jobs, max(9, round(jobs / 3)), today, settings, tables
    )
    rng, draws = world.rng, world.draws
    employer_list, job_list, people = world.employers, world.jobs, world.people
    employability, attractiveness = world.employability, world.attractiveness
    info = world.employer_info
    t = PairArrays.from_records(people, job_list, settings)
    day = today.toordinal()
    open_today = t.open_on(today)
    cold_people = np.sort(rng.permutation(len(people))[: round(cold_share * len(people))])
    cold_jobs = np.sort(rng.permutation(open_today)[: round(cold_share * len(open_today))])
    warm_people = np.setdiff1d(np.arange(len(people)), cold_people)
    warm_jobs = np.setdiff1d(np.arange(len(job_list)), cold_jobs)

    if style is WorldStyle.COUNSELOR_DAYS:

        def utility(p: np.ndarray, j: np.ndarray) -> np.ndarray:
            return systematic_utility(t, p, j) + employability[p] + attractiveness[j]

        made = make_referrals(
            rng,
            draws,
            settings,
            [people[i] for i in warm_people],
            [job_list[i] for i in warm_jobs],
            employability[warm_people],
            attractiveness[warm_jobs],
            referrals,
            today,
        )
    else:
        owner = {e.id: n for n, e in enumerate(employer_list)}
        employer = np.array([owner[j.employer_id] for j in job_list])
        # Each employer weighs education above the minimum, spare capacity and modest pay
        # expectations its own way: what one values another ignores.
        preference = rng.normal(0.0, 0.7, size=(len(employer_list), 3)).astype(np.float32)
        person_effect = rng.normal(0.0, 0.35, size=len(people)).astype(np.float32)
        job_effect = (info.attractiveness[employer] + rng.normal(0, 0.2, len(job_list))).astype(
            np.float32
        )

        def utility(p: np.ndarray, j: np.ndarray) -> np.ndarray:
            return (
                _months_utility(t, p, j, preference[employer[j]]) + person_effect[p] + job_effect[j]
            )

        made = _months_referrals(
            rng, draws, people, job_list, t, warm_people, warm_jobs, utility, referrals, today
        )

    truth_people = _grades(t, cold_people[:, None], np.arange(len(job_list))[None, :], utility)
    truth_jobs = _grades(t, np.arange(len(people))[None, :], cold_jobs[:, None], utility)
    cut = _cuts(np.r_[truth_people[1], truth_jobs[1]])
    write_interchange(out_dir, employer_list, job_list, people, made)
    np.savez_compressed(
        out_dir / TRUTH_FILE,
        cold_candidates=np.array([people[i].id for i in cold_people]),
        cold_jobs=np.array([job_list[i].id for i in cold_jobs]),
        candidate_ids=np.array([p.id for p in people]),
        job_ids=np.array([j.id for j in job_list]),
        jobs_for_candidate=_grade(truth_people[0], cut),
        candidates_for_job=_grade(truth_jobs[0], cut),
        day=np.array(day),
    )
    return EvaluationWorld(
        out_dir,
        style,
        len(people),
        len(job_list),
        len(made),
        sum(r.outcome is Outcome.HIRED for r in made),
        len(cold_people),
        len(cold_jobs),
    )


def _grades(
    t: PairArrays, p: np.ndarray, j: np.ndarray, utility: Utility
) -> tuple[np.ndarray, np.ndarray]:
    """Utility of every (p, j) pair (broadcast), NaN where infeasible; and the feasible ones."""
    u = np.asarray(utility(p, j), dtype=np.float32)
    u = np.where(feasible(t, p, j), u, np.nan)
    return u, u[np.isfinite(u)]


def _cuts(feasible_utilities: np.ndarray) -> np.ndarray:
    """Utility thresholds of grades 1, 2, 3 (:data:`GRADE_SHARES` of the feasible pairs)."""
    shares = np.cumsum(GRADE_SHARES)[::-1]  # 0.25, 0.10, 0.03
    return np.quantile(feasible_utilities, 1 - shares)


def _grade(u: np.ndarray, cut: np.ndarray) -> np.ndarray:
    grade = np.zeros(u.shape, dtype=np.int8)
    for level, threshold in enumerate(cut, start=1):
        grade[np.nan_to_num(u, nan=-np.inf) >= threshold] = level
    return grade


def _months_utility(
    t: PairArrays, p: np.ndarray, j: np.ndarray, preference: np.ndarray
) -> np.ndarray:
    """The ``months`` world's hidden utility without person and job effects.

    Skills and place multiply; each employer's own weights (``preference``, one row per
    pair's employer) apply to education above the minimum, spare capacity and pay fit.
    """
    weight = t.j_skill_weight[j]
    skill = np.where(weight > 0, overlap(t.p_skills[p], t.j_skills[j]) * weight, np.float32(0.4))
    place = np.where(t.j_remote[j], np.float32(0.9), t.closeness[t.p_region[p], t.j_region[j]])
    core = 3.2 * (0.15 + skill) * (0.2 + place)
    level, minimum = t.p_education[p], t.j_education[j]
    known = (level >= 0) & (minimum >= 0)
    surplus = np.where(known, np.clip(level - minimum, 0, 3) / 3, np.float32(0))
    shortfall = np.where(known, np.maximum(minimum - level, 0), 0).astype(np.float32)
    caps, demands = t.p_caps[p], t.j_demands[j]
    spare = sum(
        np.minimum(np.maximum(caps[..., d] - demands[..., d], 0), 2) for d in range(caps.shape[-1])
    ) / np.float32(2 * caps.shape[-1])
    expected, pay = t.p_salary[p], t.j_salary[j]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (pay - expected) / expected
    fit = np.where((expected > 0) & np.isfinite(pay), np.clip(ratio, -0.5, 0.3), np.float32(0))
    return (
        core
        + preference[..., 0] * surplus
        + preference[..., 1] * spare
        + preference[..., 2] * fit
        + 0.8 * fit
        - 0.6 * shortfall
        + 0.3 * mode_fit(t, p, j)
    ).astype(np.float32)


def _months_referrals(
    rng: np.random.Generator,
    draws: Draws,
    people: Sequence[Candidate],
    jobs: Sequence[Job],
    t: PairArrays,
    warm_people: np.ndarray,
    warm_jobs: np.ndarray,
    utility: Utility,
    target: int,
    today: dt.date,
) -> list[Referral]:
    """Twelve months of single referrals: a person at a time, weeks apart.

    The counselor picks among the open jobs of the person's prefecture (and remote ones) that
    the person can do (4 % of the time unchecked), not yet suggested to them, with odds
    ``exp(1.6·target occupation + 1.0·same county + 0.4·utility)``: the pick follows the
    person's stated aims and the place, and only partly the true fit.
    """
    end = today.toordinal()
    begin = end - _MONTHS_DAYS
    activity = rng.gamma(2.5, size=len(warm_people))
    # Some planned referrals are never made (the person is in work, nothing suitable is
    # open): plan more, thin the surplus out at random at the end.
    counts = rng.multinomial(round(target * 2.0), activity / activity.sum())
    person_prefecture = np.array([prefecture_code(p.region_code) for p in people])
    job_prefecture = np.array([prefecture_code(j.region_code) for j in jobs])
    job_occupation = np.array([j.occupation or "" for j in jobs])
    registered = np.array([p.registered_at.toordinal() for p in people])
    # About one referral in five ends in a hire: centre on the utility of good prospects.
    sample_p = rng.choice(warm_people, size=min(400, len(warm_people)), replace=False)
    sample_j = rng.choice(warm_jobs, size=min(400, len(warm_jobs)), replace=False)
    sample_u = utility(sample_p[:, None], sample_j[None, :])
    centre = float(np.quantile(sample_u[feasible(t, sample_p[:, None], sample_j[None, :])], 0.95))
    made: list[Drawn] = []
    for person, count in zip(warm_people.tolist(), counts.tolist(), strict=True):
        if not count:
            continue
        pool = warm_jobs[
            (job_prefecture[warm_jobs] == person_prefecture[person]) | t.j_remote[warm_jobs]
        ]
        if not pool.size:
            continue
        u = utility(np.array([person]), pool)
        aims = set(people[person].target_occupations)
        appeal = (
            1.6 * np.isin(job_occupation[pool], list(aims))
            + 1.0 * (t.j_region[pool] == t.p_region[person])
            + 0.4 * u
        )
        can_do = feasible(t, np.array([person]), pool)
        start = max(begin, int(registered[person]) + 1)
        days = np.sort(rng.integers(start, end + 1, size=count))
        referred = np.zeros(pool.size, dtype=bool)
        last, busy = -(10**9), -(10**9)
        for day in days.tolist():
            day = max(day, last + MIN_GAP_DAYS, busy)
            if day > end:
                break
            open_now = (t.j_posted[pool] <= day) & (t.j_closes[pool] >= day) & ~referred
            if draws.random() >= _MISTAKE_RATE:
                open_now &= can_do
            choices = np.flatnonzero(open_now)
            if not choices.size:
                continue
            noisy = appeal[choices] + rng.gumbel(size=choices.size)
            k = int(choices[np.argmax(noisy)])
            referred[k] = True
            last = day
            realised = float(u[k]) + 0.5 * draws.normal() - (0.0 if can_do[k] else 2.5)
            outcome, lag = _months_outcome(draws, realised - centre, end - day)
            made.append((day, person, int(pool[k]), outcome, lag))
            if outcome is Outcome.HIRED:
                busy = day + draws.between(120, 360)
    return referral_records(made, people, jobs, target, rng)


def _months_outcome(draws: Draws, u: float, age_days: int) -> tuple[Outcome, int | None]:
    """Logistic hire on ``u``; otherwise interviewed, rejected, declined or no-show."""
    if age_days < _PENDING_DAYS and draws.random() < 0.7:
        return Outcome.PENDING, None
    if draws.random() < 1 / (1 + math.exp(-1.8 * u)):
        outcome = Outcome.LEFT_EARLY if draws.random() < 0.08 else Outcome.HIRED
    elif draws.random() < 1 / (1 + math.exp(-(u + 1.0))) * 0.5:
        outcome = Outcome.INTERVIEWED
    else:
        roll = draws.random()
        outcome = (
            Outcome.REJECTED if roll < 0.6 else Outcome.DECLINED if roll < 0.85 else Outcome.NO_SHOW
        )
    low, high = OUTCOME_LAG[outcome]
    return outcome, min(draws.between(low, high + 1), age_days)
