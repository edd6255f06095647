"""Training (issue 13 item 5): the course catalogue, enrolments and completions, suggested
courses from a person's skill gaps, and training demand and targets for managers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy import select

from matching.casework import Course, Enrolment, EnrolmentState
from matching.courses import (
    TrainingProgress,
    age_band,
    demand_by,
    trained_in,
    training_target_share,
)
from matching.domain import Candidate
from matching.employment import age_in, of_working_age
from matching.store.casework import CourseFull, places_left, records_where
from matching.store.ledgers import AlreadyEnrolled, Ledgers
from matching.store.repository import Audited
from matching.store.tables import CourseRow, EnrolmentRow
from serving.access import candidate_record, candidate_row, check_region
from serving.auth import Role
from serving.casework import best_jobs, course_out, out, region_people, training_suggestions
from serving.deps import Counselor, CurrentUser, Manager, MatcherDep, RuntimeDep, SessionDep
from serving.errors import ERROR_RESPONSES, ApiError, forbidden, not_found
from serving.patching import store_errors
from serving.schemas_casework import (
    CourseOut,
    EnrolmentCreate,
    EnrolmentOut,
    SkillGapOut,
    TrainingStatistics,
    TrainingSuggestions,
)

router = APIRouter(prefix="/v1", tags=["training"], responses=ERROR_RESPONSES)

#: How many of a person's best feasible jobs their skill gaps are measured against.
GAP_JOBS = 10


def _course(session: SessionDep, course_id: str) -> Course:
    row = session.get(CourseRow, course_id)
    if row is None:
        raise not_found("course", course_id)
    return Course.model_validate(row.record)


@router.post("/courses", status_code=status.HTTP_201_CREATED, response_model=CourseOut)
def create_course(
    course: Course, user: Counselor, session: SessionDep, runtime: RuntimeDep
) -> CourseOut:
    """Add a course to the catalogue, in the counselor's region (409 if the id is taken)."""
    check_region(user, course.region_code, f"region {course.region_code}")
    with store_errors():
        Ledgers(runtime.store, session, actor=user.actor).add_course(course)
    return course_out(course, course.places)


@router.get("/courses", response_model=list[CourseOut])
def list_courses(
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    region: Annotated[str | None, Query(description="Region code prefix.")] = None,
    open_only: Annotated[bool, Query(description="Only courses not yet ended.")] = True,
) -> list[CourseOut]:
    """The catalogue: for a counselor the courses in their region and every remote one."""
    if user.role not in (Role.COUNSELOR, Role.MANAGER, Role.ADMIN):
        raise forbidden("only counselors and managers read the course catalogue")
    where = [CourseRow.region_code.startswith(region or "")]
    if open_only:
        where.append(CourseRow.ends_on >= dt.date.today())
    courses = records_where(runtime.store, session, "courses", *where)
    if user.role is Role.COUNSELOR:
        courses = [c for c in courses if user.covers_region(c.region_code) or c.form == "remote"]
    left = places_left(session, [c.id for c in courses])
    return [course_out(c, left.get(c.id, 0)) for c in courses]


@router.post(
    "/courses/{course_id}/enrolments",
    status_code=status.HTTP_201_CREATED,
    response_model=EnrolmentOut,
    responses={409: {"description": "Every place is taken (course_full), or already enrolled"}},
)
def enrol_person(
    course_id: str,
    body: EnrolmentCreate,
    user: Counselor,
    session: SessionDep,
    runtime: RuntimeDep,
) -> EnrolmentOut:
    """A place on a course for a person in the counselor's region."""
    course = _course(session, course_id)
    candidate_row(session, user, body.candidate_id)
    if course.ends_on < dt.date.today():
        raise ApiError(409, "course_ended", f"course {course_id} ended on {course.ends_on}")
    ledgers = Ledgers(runtime.store, session, actor=user.actor)
    try:
        enrolment = ledgers.enrol(course, body.candidate_id, on=dt.date.today())
    except AlreadyEnrolled as error:
        raise ApiError(409, "already_enrolled", str(error)) from None
    except CourseFull as error:
        raise ApiError(409, "course_full", str(error)) from None
    return out(EnrolmentOut, enrolment)


@router.post("/enrolments/{enrolment_id}/complete", response_model=EnrolmentOut)
def complete_enrolment(
    enrolment_id: str, user: Counselor, session: SessionDep, runtime: RuntimeDep
) -> EnrolmentOut:
    """Record that the person completed the course: its skills and the training join their
    profile."""
    row = session.get(EnrolmentRow, enrolment_id)
    if row is None:
        raise not_found("enrolment", enrolment_id)
    enrolment = Enrolment.model_validate(row.record)
    person = candidate_row(session, user, enrolment.candidate_id)
    if enrolment.state is not EnrolmentState.ENROLLED:
        raise ApiError(409, "not_enrolled", f"enrolment {enrolment_id} is {enrolment.state}")
    done = Ledgers(runtime.store, session, actor=user.actor).complete(
        enrolment,
        _course(session, enrolment.course_id),
        candidate_record(runtime.store, person),
        on=dt.date.today(),
    )
    return out(EnrolmentOut, done)


@router.get("/candidates/{candidate_id}/training-suggestions", response_model=TrainingSuggestions)
def suggest_training(
    candidate_id: str,
    user: Counselor,
    session: SessionDep,
    runtime: RuntimeDep,
    matcher: MatcherDep,
) -> TrainingSuggestions:
    """The skills the person's best feasible jobs ask for that they lack, most asked first,
    and open courses (remote or in their city, with places left) that teach them."""
    row = candidate_row(session, user, candidate_id)
    candidate = Candidate.model_validate(row.record)
    jobs = best_jobs(matcher, session, candidate_id, GAP_JOBS)
    gaps, courses = training_suggestions(runtime.store, session, candidate, jobs)
    Audited(runtime.store, session, actor=user.actor).recorded(
        "read_training_suggestions", f"candidates:{candidate_id}"
    )
    return TrainingSuggestions(
        candidate_id=candidate_id,
        jobs=[j.id for j in jobs],
        gaps=[SkillGapOut(skill=g.skill, jobs=g.jobs) for g in gaps],
        courses=courses,
    )


@router.get("/statistics/training", response_model=TrainingStatistics, tags=["statistics"])
def training_statistics(
    user: Manager,
    session: SessionDep,
    runtime: RuntimeDep,
    region: Annotated[
        str, Query(pattern=r"^[0-9]{2}([0-9]{2}([0-9]{2})?)?$", description="2, 4 or 6 digits.")
    ],
    year: Annotated[int | None, Query(ge=1950, le=2100)] = None,
) -> TrainingStatistics:
    """Training demand (people enrolled and not yet through) by category, grade, sex, age band
    and education, and working-age disabled people trained in the year against the target of
    a province (1‰), city (2‰) or county (6.5‰). Counts only; the category and grade are
    decrypted for the count, and that read is audited."""
    year = year or dt.date.today().year
    people = {c.id: c for c in region_people(session, region)}
    category = runtime.store.sealed_field(session, "disability_category", people)
    grade = runtime.store.sealed_field(session, "disability_grade", people)
    working_age = of_working_age(people.values(), year, runtime.settings)
    disabled = {i for i in working_age if category.get(i)}
    waiting = set(
        session.scalars(
            select(EnrolmentRow.candidate_id).where(
                EnrolmentRow.candidate_id.in_(list(people)),
                EnrolmentRow.state == EnrolmentState.ENROLLED.value,
            )
        )
    )
    trained = {i for i in disabled if trained_in(people[i], year)}
    demand = demand_by(
        {
            "category": category.get(i),
            "grade": str(grade[i]) if grade.get(i) else None,
            "sex": sex.value if (sex := people[i].sex) else None,
            "age_band": age_band(age_in(born, year) if (born := people[i].birth_year) else None),
            "education": education.value if (education := people[i].education) else None,
        }
        for i in sorted(waiting)
    )
    Audited(runtime.store, session, actor=user.actor).recorded(
        "statistics_training",
        f"candidates in {region}",
        f"disability category and grade of {len(people)} people counted",
    )
    progress = TrainingProgress(
        region, year, len(disabled), len(trained), training_target_share(region, runtime.settings)
    )
    return TrainingStatistics(
        region_prefix=region,
        year=year,
        demand=len(waiting),
        demand_by=demand,
        working_age_disabled=progress.working_age_disabled,
        trained=progress.trained,
        target_share=progress.target_share,
        required=progress.required,
        met=progress.met,
    )
