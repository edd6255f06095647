"""Response and request bodies of the casework routes (issue 13): referral lifecycle,
employment status, ability assessments, 一人一策 cases and training."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from matching.casework import ActorRole, EmploymentStatus, Review
from matching.vocabulary import Outcome, WorkMode


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


# -- employment status -------------------------------------------------------------------------


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
