"""The records of casework (issue 13): referral transitions, employment status, ability
assessments, 一人一策 cases and their service actions, training courses and enrolments.

Like the core records of ``matching.domain`` they are interchange records (optional files,
upserted by ``id``, unknown fields ignored) with validation a counselor can act on. Free text a
counselor writes (reasons, notes, goals, recommendations) and assessed capacities are listed in
``sensitive_fields``: the store seals them with the vault, never keeping them in plain.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from matching.domain import (
    Levels,
    NonEmptyText,
    OptionalPastDate,
    PastDate,
    Record,
    RecordId,
    RegionCode,
    TextList,
    _field_error,
    _strip,
)
from matching.vocabulary import Outcome, WorkMode

#: A named person (counselor, assessor, manager) as the records name them.
PersonName = Annotated[str, BeforeValidator(_strip), Field(min_length=1, max_length=128)]
#: Free text a counselor writes; sealed at rest.
Note = Annotated[
    Annotated[str, Field(max_length=4000)] | None, BeforeValidator(lambda v: _strip(v) or None)
]


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """Times are kept in UTC; a time written without a zone is taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


Instant = Annotated[dt.datetime, AfterValidator(_aware)]
OptionalInstant = Annotated[dt.datetime | None, AfterValidator(_aware)]


class CaseworkRecord(Record):
    """Base of the casework records: each knows the columns its table indexes it by."""

    def columns(self) -> dict[str, Any]:
        """Column values beside ``record`` (ids and dates that queries filter on)."""
        return {}


# -- referral lifecycle ----------------------------------------------------------------------------


class ActorRole(StrEnum):
    """Who recorded a referral transition."""

    COUNSELOR = "counselor"
    EMPLOYER = "employer"


class Review(StrEnum):
    """A counselor's review of an outcome an employer reported."""

    AWAITING = "awaiting"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"


class ReferralEvent(CaseworkRecord):
    """One transition of a referral's outcome: who, when, from, to, why."""

    sensitive_fields: ClassVar[frozenset[str]] = frozenset({"reason"})

    id: RecordId
    referral_id: RecordId
    at: Instant
    from_outcome: Outcome
    to_outcome: Outcome
    actor: PersonName
    actor_role: ActorRole
    reason: Note = None
    # Only for an employer's report: awaiting a counselor, then confirmed or disputed.
    review: Review | None = None
    reviewed_by: PersonName | None = None
    reviewed_at: OptionalInstant = None

    @model_validator(mode="after")
    def _consistent(self) -> ReferralEvent:
        if self.actor_role is ActorRole.EMPLOYER and self.review is None:
            raise _field_error("review", "an employer's report needs a review state")
        if self.actor_role is ActorRole.COUNSELOR and self.review is not None:
            raise _field_error("review", "only an employer's report is reviewed")
        if (self.review in (Review.CONFIRMED, Review.DISPUTED)) != (self.reviewed_by is not None):
            raise _field_error("reviewed_by", "names the counselor who confirmed or disputed")
        return self

    def columns(self) -> dict[str, Any]:
        return {
            "referral_id": self.referral_id,
            "at": self.at,
            "to_outcome": self.to_outcome.value,
            "review": self.review.value if self.review else None,
        }


# -- employment status (real-name, DOMAIN.md rule 10) ----------------------------------------------


class EmploymentStatus(StrEnum):
    """A working-age person's employment status in the real-name ledger."""

    UNEMPLOYED = "unemployed"  # 登记失业: registered, seeking work
    EMPLOYED = "employed"  # 已就业
    IN_TRAINING = "in_training"  # 参加培训
    NOT_SEEKING = "not_seeking"  # 无就业意愿 (with a reason)


class EmploymentRecord(CaseworkRecord):
    """A person's employment status from a date on; the latest record is the current one."""

    sensitive_fields: ClassVar[frozenset[str]] = frozenset({"reason"})

    id: RecordId
    candidate_id: RecordId
    status: EmploymentStatus
    since: PastDate
    form: WorkMode | None = None
    employer_id: RecordId | None = None
    job_id: RecordId | None = None
    referral_id: RecordId | None = None
    reason: Note = None
    recorded_by: PersonName
    recorded_at: Instant

    @model_validator(mode="after")
    def _consistent(self) -> EmploymentRecord:
        if self.status is EmploymentStatus.EMPLOYED and self.form is None:
            raise _field_error("form", "employment needs its form (a work mode)")
        if self.status is not EmploymentStatus.EMPLOYED and (
            self.form or self.employer_id or self.job_id or self.referral_id
        ):
            raise _field_error(
                "form", f"only employment has a form and employer, not {self.status}"
            )
        if self.status is EmploymentStatus.NOT_SEEKING and not self.reason:
            raise _field_error("reason", "not seeking work needs a reason")
        return self

    def columns(self) -> dict[str, Any]:
        return {
            "candidate_id": self.candidate_id,
            "status": self.status.value,
            "since": self.since,
            "recorded_at": self.recorded_at,
        }


# -- ability assessments (职业能力评估) ------------------------------------------------------------


class Assessment(CaseworkRecord):
    """A dated vocational ability assessment by a named assessor."""

    # Capacities reveal the disability as surely as its name: sealed like the notes.
    sensitive_fields: ClassVar[frozenset[str]] = frozenset({"capacities", "recommendations"})

    id: RecordId
    candidate_id: RecordId
    assessed_on: PastDate
    assessor: PersonName
    capacities: Levels = Field(min_length=1)
    interests: TextList = []
    recommendations: Note = None

    def columns(self) -> dict[str, Any]:
        return {"candidate_id": self.candidate_id, "assessed_on": self.assessed_on}


# -- 一人一策 cases (DOMAIN.md rule 8) -------------------------------------------------------------


class CaseKind(StrEnum):
    GRADUATE = "graduate"  # 高校残疾人毕业生
    HARD_TO_EMPLOY = "hard_to_employ"  # 就业困难残疾人


class CloseReason(StrEnum):
    """Why a case ends. "不就业、不脱钩": only employment closes a case on a counselor's word;
    the exit reasons need a manager's approval."""

    EMPLOYED = "employed"
    FURTHER_STUDY = "further_study"
    MOVED_AWAY = "moved_away"
    DIED = "died"


EXIT_REASONS = frozenset({CloseReason.FURTHER_STUDY, CloseReason.MOVED_AWAY, CloseReason.DIED})


class Case(CaseworkRecord):
    """A 一人一策 case: one person, a named counselor, goals, until it is closed."""

    sensitive_fields: ClassVar[frozenset[str]] = frozenset({"goals"})

    id: RecordId
    candidate_id: RecordId
    kind: CaseKind
    counselor: PersonName
    opened_on: PastDate
    goals: TextList = []
    # An exit reason a counselor asked for, waiting for a manager (closed_on still empty).
    close_reason: CloseReason | None = None
    close_requested_by: PersonName | None = None
    approved_by: PersonName | None = None
    closed_on: OptionalPastDate = None

    @model_validator(mode="after")
    def _consistent(self) -> Case:
        if self.closed_on is not None and self.close_reason is None:
            raise _field_error("close_reason", "a closed case needs its reason")
        if self.closed_on is not None and self.closed_on < self.opened_on:
            raise _field_error("closed_on", "is before opened_on")
        if self.closed_on and self.close_reason in EXIT_REASONS and not self.approved_by:
            raise _field_error("approved_by", "an exit without employment needs a manager")
        return self

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    def columns(self) -> dict[str, Any]:
        return {
            "candidate_id": self.candidate_id,
            "counselor": self.counselor,
            "kind": self.kind.value,
            "closed_on": self.closed_on,
        }


class ActionKind(StrEnum):
    """The one-to-one services of DOMAIN.md rule 8."""

    ABILITY_ASSESSMENT = "ability_assessment"  # 能力评估
    CAREER_GUIDANCE = "career_guidance"  # 职业指导
    JOB_INTRODUCTION = "job_introduction"  # 岗位推介
    JOB_INFORMATION = "job_information"  # 岗位信息
    POLICY_ADVICE = "policy_advice"  # 政策咨询
    SKILLS_TRAINING = "skills_training"  # 技能培训
    ENTREPRENEURSHIP_SUPPORT = "entrepreneurship_support"  # 创业扶持


class CaseAction(CaseworkRecord):
    """A dated service given in a case by a named counselor."""

    sensitive_fields: ClassVar[frozenset[str]] = frozenset({"note"})

    id: RecordId
    case_id: RecordId
    kind: ActionKind
    on: PastDate
    counselor: PersonName
    note: Note = None
    referral_id: RecordId | None = None
    course_id: RecordId | None = None

    def columns(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "on": self.on}


# -- training (DOMAIN.md rule 9) -------------------------------------------------------------------


class CourseForm(StrEnum):
    ON_SITE = "on_site"
    REMOTE = "remote"


class Course(CaseworkRecord):
    """A vocational training course in the catalogue."""

    id: RecordId
    name: NonEmptyText
    skills: TextList = Field(min_length=1)
    provider: NonEmptyText
    starts_on: dt.date
    ends_on: dt.date
    places: Annotated[int, Field(ge=1, strict=True)]
    region_code: RegionCode
    form: CourseForm

    @model_validator(mode="after")
    def _consistent(self) -> Course:
        if self.ends_on < self.starts_on:
            raise _field_error("ends_on", "is before starts_on")
        return self

    def columns(self) -> dict[str, Any]:
        return {"region_code": self.region_code, "ends_on": self.ends_on}


class EnrolmentState(StrEnum):
    ENROLLED = "enrolled"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


class Enrolment(CaseworkRecord):
    """A person's place on a course, and whether they completed it."""

    id: RecordId
    course_id: RecordId
    candidate_id: RecordId
    enrolled_on: PastDate
    state: EnrolmentState = EnrolmentState.ENROLLED
    completed_on: OptionalPastDate = None

    @field_validator("state", mode="before")
    @classmethod
    def _null_enrolled(cls, value: Any) -> Any:
        return EnrolmentState.ENROLLED if value is None else value

    @model_validator(mode="after")
    def _consistent(self) -> Enrolment:
        if (self.state is EnrolmentState.COMPLETED) != (self.completed_on is not None):
            raise _field_error("completed_on", "is the day of completion, given exactly then")
        if self.completed_on is not None and self.completed_on < self.enrolled_on:
            raise _field_error("completed_on", "is before enrolled_on")
        return self

    def columns(self) -> dict[str, Any]:
        return {
            "course_id": self.course_id,
            "candidate_id": self.candidate_id,
            "state": self.state.value,
            "completed_on": self.completed_on,
        }
