"""Response and request bodies of the casework routes (issue 13): referral lifecycle,
employment status, ability assessments, 一人一策 cases and training."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from matching.casework import ActorRole, Review
from matching.vocabulary import Outcome


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
