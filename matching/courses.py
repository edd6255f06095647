"""Training (DOMAIN.md rule 9): skill gaps against a person's best feasible jobs, the courses
that teach them, training demand and the 1‰ / 2‰ / 6.5‰ targets.

Pure functions; skills are compared in canonical form (``matching.skills``), so a course
teaching "Excel" fills a gap for "电子表格".
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from matching.casework import Course, CourseForm
from matching.domain import Candidate
from matching.regions import prefecture_code
from matching.settings import Settings
from matching.skills import canonical_skill, canonical_skills


@dataclass(frozen=True, slots=True)
class SkillGap:
    """A skill the person lacks, and how many of their best jobs ask for it."""

    skill: str  # as the first of those jobs writes it
    jobs: int


def skill_gaps(
    person_skills: Iterable[str], jobs_skills: Sequence[Iterable[str]]
) -> list[SkillGap]:
    """The skills the jobs ask for that the person lacks, most asked first (ties: in the order
    the jobs, best first, name them)."""
    held = canonical_skills(person_skills)
    counts: Counter[str] = Counter()
    first_name: dict[str, str] = {}
    for skills in jobs_skills:
        seen: set[str] = set()  # a job asking "Excel" and "电子表格" asks one skill
        for name in skills:
            key = canonical_skill(name)
            if key in held or key in seen:
                continue
            seen.add(key)
            first_name.setdefault(key, name)
            counts[key] += 1
    order = list(first_name)
    return [
        SkillGap(first_name[key], counts[key])
        for key in sorted(counts, key=lambda k: (-counts[k], order.index(k)))
    ]


@dataclass(frozen=True, slots=True)
class CourseSuggestion:
    """A course that teaches some of a person's gaps."""

    course: Course
    teaches: list[str]  # the gap skills it teaches, as the gaps name them
    score: int  # the jobs asking for those skills, summed


def suggest_courses(
    gaps: Sequence[SkillGap],
    courses: Iterable[Course],
    *,
    region_code: str,
    on: dt.date,
    places_left: dict[str, int] | None = None,
    k: int = 5,
) -> list[CourseSuggestion]:
    """Courses that teach the gaps, open to the person: not yet ended on ``on``, with a place
    left, and either remote or in the person's prefecture. Best first: most jobs' worth of
    gaps taught, then the earliest start."""
    wanted = {canonical_skill(g.skill): g for g in gaps}
    home = prefecture_code(region_code) or region_code[:4]
    found = []
    for course in courses:
        if course.ends_on < on or (places_left or {}).get(course.id, 1) <= 0:
            continue
        if course.form is not CourseForm.REMOTE and (
            (prefecture_code(course.region_code) or course.region_code[:4]) != home
        ):
            continue
        taught = [
            wanted[s].skill
            for s in dict.fromkeys(map(canonical_skill, course.skills))
            if s in wanted
        ]
        if taught:
            score = sum(wanted[canonical_skill(s)].jobs for s in taught)
            found.append(CourseSuggestion(course, taught, score))
    found.sort(key=lambda s: (-s.score, s.course.starts_on, s.course.id))
    return found[:k]


# -- demand and targets ---------------------------------------------------------------------------

#: Age bands of the training plan (seed 003 plans by age), inclusive.
AGE_BANDS: tuple[tuple[int, int], ...] = ((16, 24), (25, 34), (35, 44), (45, 54), (55, 59))


def age_band(age: int | None) -> str:
    """The band an age falls in, e.g. "25-34"; "unknown" without an age, "other" outside."""
    if age is None:
        return "unknown"
    for low, high in AGE_BANDS:
        if low <= age <= high:
            return f"{low}-{high}"
    return "other"


def training_target_share(region_prefix: str, settings: Settings) -> float:
    """Training targets (培训目标, DOMAIN.md rule 9): the share of working-age disabled people
    an area trains each year (seed 000): a
    province (2-digit prefix) 1‰, a prefecture (4 digits) 2‰, a county (6 digits) 6.5‰."""
    level = len(region_prefix)
    if level == 2:
        return settings.training_target_province
    if level == 4:
        return settings.training_target_prefecture
    if level == 6:
        return settings.training_target_county
    raise ValueError("a training target is set for a province (2 digits), city (4) or county (6)")


def trained_in(candidate: Candidate, year: int) -> bool:
    """Whether a person completed a training in ``year``: one on their record with that year
    (completing a course adds it there; trainings done elsewhere are imported with theirs)."""
    return any(t.year == year for t in candidate.trainings)


@dataclass(frozen=True, slots=True)
class TrainingProgress:
    """People trained in a year against an area's target."""

    region_prefix: str
    year: int
    working_age_disabled: int
    trained: int
    target_share: float

    @property
    def required(self) -> int:
        """People to train: the share of the working-age disabled, rounded up (a target of
        0.13 people is one person)."""
        return math.ceil(self.working_age_disabled * self.target_share - 1e-9)

    @property
    def share(self) -> float | None:
        return self.trained / self.working_age_disabled if self.working_age_disabled else None

    @property
    def met(self) -> bool:
        return self.trained >= self.required


#: What training demand is broken down by (seed 003 plans by these).
DEMAND_DIMENSIONS = ("category", "grade", "sex", "age_band", "education")


def demand_by(people: Iterable[dict[str, str | None]]) -> dict[str, dict[str, int]]:
    """People counted per value of each of :data:`DEMAND_DIMENSIONS` (a person without a value
    is counted under "unknown"), values in sorted order."""
    counts: dict[str, Counter[str]] = {d: Counter() for d in DEMAND_DIMENSIONS}
    for person in people:
        for dimension in DEMAND_DIMENSIONS:
            counts[dimension][person.get(dimension) or "unknown"] += 1
    return {d: dict(sorted(c.items())) for d, c in counts.items()}
