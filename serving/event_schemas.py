"""Request and response bodies of recruitment events and job-fair plans."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from matching.jobfair import DEFAULT_PER_OPENING, FairPlan


class PlanRequest(BaseModel):
    """Limits of a job-fair plan."""

    max_per_person: int = Field(2, ge=1, le=50, description="Proposals per person at most.")
    per_opening: int = Field(
        DEFAULT_PER_OPENING, ge=1, le=50, description="Interviews per vacant opening at most."
    )
    on: dt.date | None = Field(None, description="Day of the plan (default: the event's start).")


class ProposalOut(BaseModel):
    candidate_id: str
    job_id: str
    employer_id: str
    score: float
    rank: int = Field(description="Among the person's own proposals, 1 = best.")
    reasons: list[str]


class PlanSummaryOut(BaseModel):
    proposals: int
    total_score: float = Field(description="The ranker's scores of the proposals added up.")
    objective: float = Field(description="What the plan maximises (scores shifted above 0).")
    people_covered: int
    jobs_covered: int


class PlanOut(BaseModel):
    """A job-fair interview plan, with greedy top-K on the same inputs for comparison."""

    event_id: str | None
    on: dt.date
    max_per_person: int
    per_opening: int
    proposals: list[ProposalOut]
    summary: PlanSummaryOut
    greedy: PlanSummaryOut
    capacity: dict[str, int] = Field(description="Interviews each open, vacant job may receive.")
    ineligible_people: list[str] = Field(description="Inactive, or registered after the day.")
    closed_jobs: list[str] = Field(description="Not open on the day, or every opening filled.")

    @classmethod
    def of(
        cls, plan: FairPlan, *, event_id: str | None, on: dt.date, request: PlanRequest
    ) -> PlanOut:
        return cls(
            event_id=event_id,
            on=on,
            max_per_person=request.max_per_person,
            per_opening=request.per_opening,
            proposals=[ProposalOut.model_validate(p, from_attributes=True) for p in plan.proposals],
            summary=PlanSummaryOut.model_validate(plan.summary, from_attributes=True),
            greedy=PlanSummaryOut.model_validate(plan.greedy, from_attributes=True),
            capacity=plan.capacity,
            ineligible_people=plan.ineligible_people,
            closed_jobs=plan.closed_jobs,
        )


class EventOutcomes(BaseModel):
    """What came of an event: referrals of its attendees to its jobs from its first day to
    ``follow_up_days`` after its last, by outcome."""

    event_id: str
    since: dt.date
    until: dt.date
    attendees: int
    jobs: int
    referrals: int
    people_referred: int
    interviewed: int
    hired: int
    outcomes: dict[str, int]
    hired_by_employer: dict[str, int]
