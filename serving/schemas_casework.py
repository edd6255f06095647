"""Response and request bodies of the casework routes (issue 13): referral lifecycle,
employment status, ability assessments, 一人一策 cases and training."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from matching.casework import (
    ActionKind,
    ActorRole,
    CaseKind,
    CloseReason,
    CourseForm,
    EmploymentStatus,
    EnrolmentState,
    Review,
)
from matching.vocabulary import Dimension, Outcome, WorkMode


class ReferralEventOut(BaseModel):
    """One stored transition of a referral. ``reason`` is the counselor's text: never shown
    to employers (null for them)."""

    id: str
    referral_id: str
    at: dt.datetime
    from_outcome: Outcome
    to_outcome: Outcome
    actor: str
    actor_role: ActorRole
    reason: str | None = None
    review: Review | None = Field(
        None, description="For an employer's report: awaiting, confirmed or disputed."
    )
    reviewed_by: str | None = None
    reviewed_at: dt.datetime | None = None


class ReferralItem(BaseModel):
    """A referral in a list, with what may happen to it next."""

    id: str
    candidate_id: str
    job_id: str
    referred_at: dt.date
    outcome: Outcome
    outcome_at: dt.date | None
    counselor: str | None = Field(
        None, description="The account that made the referral (null: imported)."
    )
    awaiting_review: bool = Field(
        description="An employer's report on it waits for a counselor's confirmation."
    )
    allowed_next: list[Outcome] = Field(description="Outcomes the referral may move to next.")


class ReferralHistory(BaseModel):
    """A referral and every transition it went through, oldest first."""

    referral: ReferralItem
    events: list[ReferralEventOut]


class ReviewBody(BaseModel):
    """A counselor's verdict on the employer's reports awaiting review on a referral."""

    confirm: bool = Field(
        description="true: the reports stand; false: they are undone (the referral goes back)."
    )


# -- employment status -----------------------------------------------------------------------------


class EmploymentRecordOut(BaseModel):
    """A person's employment status from a date on (``reason``: the counselor's text)."""

    id: str
    candidate_id: str
    status: EmploymentStatus
    since: dt.date
    form: WorkMode | None = None
    employer_id: str | None = None
    job_id: str | None = None
    referral_id: str | None = None
    reason: str | None = None
    recorded_by: str
    recorded_at: dt.datetime


class EmploymentOut(BaseModel):
    """A person's current employment status and its history, oldest first."""

    candidate_id: str
    working_age: bool = Field(description="Of working age this year (ages from the settings).")
    seeking: bool = Field(description="In active search: taking part in matching.")
    current: EmploymentRecordOut | None = Field(
        None, description="Null: nothing recorded yet (a registered job seeker)."
    )
    history: list[EmploymentRecordOut]


class EmploymentCreate(BaseModel):
    """A counselor's record of a person's status (a hire through a referral is recorded by
    the referral itself)."""

    status: EmploymentStatus
    since: dt.date
    form: WorkMode | None = Field(None, description="Employment: its form (a work mode).")
    employer_id: str | None = None
    reason: str | None = Field(None, max_length=4000, description="Not seeking: why.")


class EmploymentStatistics(BaseModel):
    """Working-age registered people by current employment status (real-name, rule 10)."""

    region_prefix: str | None
    year: int
    working_age: int
    by_status: dict[EmploymentStatus, int] = Field(
        description="A person with nothing recorded counts as unemployed (registered, seeking)."
    )


class GraduateRateOut(BaseModel):
    """The graduation-year employment rate of a year's graduates in a region (seed 003)."""

    region_prefix: str | None
    year: int
    graduates: int
    employed: int
    rate: float | None
    target: float
    meets_target: bool | None


# -- ability assessments ---------------------------------------------------------------------------


class AssessmentCreate(BaseModel):
    """A vocational ability assessment (职业能力评估) to record for a person."""

    assessed_on: dt.date
    assessor: str | None = Field(
        None, max_length=128, description="Who assessed (default: the caller)."
    )
    capacities: dict[Dimension, int] = Field(
        description="Assessed capacity per dimension, 0..3 (the others keep their defaults)."
    )
    interests: list[str] = []
    recommendations: str | None = Field(None, max_length=4000)


class AssessmentOut(BaseModel):
    id: str
    candidate_id: str
    assessed_on: dt.date
    assessor: str
    capacities: dict[Dimension, int]
    interests: list[str]
    recommendations: str | None


class AssessmentCoverage(BaseModel):
    """Share of registered unemployed working-age people with an assessment (seed 004)."""

    region_prefix: str | None
    registered_unemployed: int
    assessed: int
    coverage: float | None


# -- training --------------------------------------------------------------------------------------


class CourseOut(BaseModel):
    """A course of the training catalogue, with its places left."""

    id: str
    name: str
    skills: list[str]
    provider: str
    starts_on: dt.date
    ends_on: dt.date
    places: int
    places_left: int
    region_code: str
    form: CourseForm


class EnrolmentCreate(BaseModel):
    candidate_id: str


class EnrolmentOut(BaseModel):
    id: str
    course_id: str
    candidate_id: str
    enrolled_on: dt.date
    state: EnrolmentState
    completed_on: dt.date | None


class SkillGapOut(BaseModel):
    skill: str
    jobs: int = Field(description="How many of the person's best feasible jobs ask for it.")


class SuggestedCourse(BaseModel):
    course: CourseOut
    teaches: list[str] = Field(description="The person's skill gaps this course teaches.")


class TrainingSuggestions(BaseModel):
    """Skill gaps against a person's best feasible jobs, and courses that teach them."""

    candidate_id: str
    jobs: list[str] = Field(description="The best feasible jobs looked at, best first.")
    gaps: list[SkillGapOut]
    courses: list[SuggestedCourse]


class TrainingStatistics(BaseModel):
    """Training demand (people enrolled, not yet through) by category, grade, sex, age band
    and education, and people trained in the year against the area's target (seed 000)."""

    region_prefix: str
    year: int
    demand: int
    demand_by: dict[str, dict[str, int]] = Field(
        description="category, grade, sex, age_band, education → value → people."
    )
    working_age_disabled: int
    trained: int
    target_share: float = Field(description="0.001 province, 0.002 city, 0.0065 county.")
    required: int
    met: bool


# -- 一人一策 cases --------------------------------------------------------------------------------


class CaseCreate(BaseModel):
    candidate_id: str
    kind: CaseKind
    counselor: str | None = Field(
        None, max_length=128, description="The named counselor (default: the caller)."
    )
    goals: list[str] = Field([], description="What the case aims at (kept sealed).")


class CaseActionCreate(BaseModel):
    kind: ActionKind
    on: dt.date | None = Field(None, description="Default: today.")
    note: str | None = Field(None, max_length=4000, description="Kept sealed.")
    referral_id: str | None = None
    course_id: str | None = None


class CaseActionOut(BaseModel):
    id: str
    case_id: str
    kind: ActionKind
    on: dt.date
    counselor: str
    note: str | None
    referral_id: str | None
    course_id: str | None


class CaseClose(BaseModel):
    reason: CloseReason


class CaseSummary(BaseModel):
    """A case in a list (no sealed text)."""

    id: str
    candidate_id: str
    kind: CaseKind
    counselor: str
    opened_on: dt.date
    state: str = Field(description="open, exit_requested (awaiting a manager) or closed.")
    close_reason: CloseReason | None
    closed_on: dt.date | None


class CaseOut(CaseSummary):
    """A case with its goals, service actions and the person's employment now."""

    goals: list[str]
    close_requested_by: str | None
    approved_by: str | None
    actions: list[CaseActionOut]
    employment: EmploymentRecordOut | None


class PlannedOccupation(BaseModel):
    occupation: str
    jobs: list[str]


class CasePlan(BaseModel):
    """A proposed plan: target occupations from the person's best feasible jobs, the skills
    those jobs ask for most that the person lacks, and courses that teach them."""

    case_id: str
    candidate_id: str
    occupations: list[PlannedOccupation]
    gaps: list[SkillGapOut]
    courses: list[SuggestedCourse]
