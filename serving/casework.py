"""What the casework routes share: their output schemas from records, the people of a region,
casework rule failures as API errors, a person's best jobs and the courses that fill their
skill gaps."""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.casework import Course
from matching.courses import SkillGap, skill_gaps, suggest_courses
from matching.domain import Candidate, Job
from matching.engine import Matcher
from matching.lifecycle import InvalidTransition
from matching.store import Store
from matching.store.casework import places_left, records_where
from matching.store.tables import CandidateRow, CourseRow, JobRow
from serving.errors import ApiError
from serving.schemas_casework import CourseOut, SuggestedCourse

Out = TypeVar("Out", bound=BaseModel)


def out(schema: type[Out], record: BaseModel) -> Out:
    """A record as the API shows it (the schema lists the fields shown)."""
    return schema.model_validate(record.model_dump())


def region_people(session: Session, region: str | None) -> list[Candidate]:
    """The people registered under a region prefix (everyone for none), in id order, from
    their plain records: no sensitive field is opened, so statistics need no audit for it."""
    records = session.scalars(
        select(CandidateRow.record)
        .where(CandidateRow.region_code.startswith(region or ""))
        .order_by(CandidateRow.id)
    )
    return [Candidate.model_validate(r) for r in records]


def invalid_transition(error: InvalidTransition) -> ApiError:
    """409 ``invalid_transition`` naming the outcomes the referral may move to next."""
    allowed = [o.value for o in error.allowed]
    return ApiError(
        409,
        "invalid_transition",
        str(error),
        [("outcome", "allowed next: " + (", ".join(allowed) or "none (the outcome is final)"))],
    )


def best_jobs(matcher: Matcher, session: Session, candidate_id: str, k: int) -> list[Job]:
    """The person's best open, feasible jobs, best first, as the recommendations rank them."""
    ranked = [m.id for m in matcher.jobs_for_candidate(candidate_id, k)]
    rows = {r.id: r for r in session.scalars(select(JobRow).where(JobRow.id.in_(ranked)))}
    return [Job.model_validate(rows[i].record) for i in ranked if i in rows]


def course_out(course: Course, left: int) -> CourseOut:
    return CourseOut.model_validate({**course.model_dump(), "places_left": left})


def training_suggestions(
    store: Store, session: Session, candidate: Candidate, jobs: list[Job], *, k: int = 5
) -> tuple[list[SkillGap], list[SuggestedCourse]]:
    """The skills ``jobs`` ask for that the person lacks, and open courses teaching them."""
    gaps = skill_gaps(candidate.skills, [j.skills for j in jobs])
    if not gaps:
        return [], []
    courses = records_where(store, session, "courses", CourseRow.ends_on >= dt.date.today())
    left = places_left(session, [c.id for c in courses])
    found = suggest_courses(
        gaps, courses, region_code=candidate.region_code, on=dt.date.today(), places_left=left
    )
    return gaps, [
        SuggestedCourse(course=course_out(s.course, left.get(s.course.id, 0)), teaches=s.teaches)
        for s in found
    ]
