"""Request and response bodies of the API (records themselves are the domain models)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from matching.domain import Candidate, Job, Referral, Training
from matching.privacy import employer_visible_training
from matching.vocabulary import Accommodation, Education, Outcome
from serving.auth import Role


class CandidateOut(Candidate):
    """A candidate's full record, sensitive fields included (the read is audited)."""

    active: bool = True


class CandidateSummary(BaseModel):
    """A search hit: enough to pick the right person, no sensitive field."""

    id: str
    region_code: str
    registered_at: dt.date
    active: bool


class Identity(BaseModel):
    """Contact details an employer sees once the person accepted a referral."""

    name: str | None
    phone: str | None


class CandidateCard(BaseModel):
    """What an employer sees of a proposed or referred person: no name, ID number, certificate,
    phone or disability; ``identity`` only after the person accepted a referral."""

    id: str
    skills: list[str]
    trainings: list[Training]
    education: Education | None
    needs: list[Accommodation]
    identity: Identity | None = None

    @classmethod
    def of(cls, candidate: Candidate, *, identity: bool = False) -> CandidateCard:
        """The card of a person; trainings that reveal the disability (assistive technology)
        are left out and disability words dropped from the others."""
        trainings = [
            Training(name=name, year=t.year)
            for t in candidate.trainings
            if (name := employer_visible_training(t.name))
        ]
        return cls(
            id=candidate.id,
            skills=candidate.skills,
            trainings=trainings,
            education=candidate.education,
            needs=candidate.needs,
            identity=Identity(name=candidate.name, phone=candidate.phone) if identity else None,
        )


class QuotaOut(BaseModel):
    """An employer's standing under quota rules 1-5 (DOMAIN.md)."""

    employer_id: str
    counted: int
    required: float
    gap: float
    ratio_achieved: float | None
    compliant: bool
    fund_due: float | None
    over_ratio_reward: float | None
    lead_by_example_applies: bool
    lead_by_example_unmet: bool


class OccupationSuggestion(BaseModel):
    code: str
    name: str
    score: float


class JobCreated(BaseModel):
    """A posted job, with 2022 occupation codes suggested for its title."""

    job: Job
    occupation_suggestions: list[OccupationSuggestion]


class Result(BaseModel):
    """One recommendation, as in a line of ``jobmatch recommend``."""

    id: str
    score: float
    reasons: list[str]
    model: str
    card: CandidateCard | None = Field(
        None, description="For employers: the proposed person as an anonymised card."
    )


class Recommendations(BaseModel):
    query_id: str
    results: list[Result]
    model: str


class ReferralCreate(BaseModel):
    """A counselor's referral of a person to a job."""

    candidate_id: str
    job_id: str
    override_reason: str | None = Field(
        None,
        description="Required when the job is not among the model's top results for the person.",
    )
    purpose: str | None = Field(None, description="Why the referral is made (kept in the audit).")


class ReferralOut(Referral):
    """A referral with what it was based on."""

    model: str | None = None
    rank: int | None = Field(None, description="The job's place in the model's list (1 = top).")
    reasons_shown: list[str] = []
    override_reason: str | None = None
    accepted: bool = False


class OutcomeUpdate(BaseModel):
    outcome: Outcome
    outcome_at: dt.date | None = None


class ReferralCard(BaseModel):
    """A referral to one of an employer's jobs, the person shown as a card."""

    id: str
    job_id: str
    referred_at: dt.date
    outcome: Outcome
    outcome_at: dt.date | None = None
    candidate: CandidateCard


class ModelOut(BaseModel):
    """The ranker in service."""

    name: str
    version: str
    learned: bool
    trained_at: str | None
    metrics: dict[str, Any]
    embedding_model_id: str
    features: list[str]


class AccountCreate(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    role: Role
    region_code: str | None = Field(None, description="Counselors: region code prefix.")
    employer_id: str | None = Field(None, description="Employer accounts: the employer's id.")


class AccountOut(BaseModel):
    id: int
    name: str
    role: Role
    region_code: str | None
    employer_id: str | None
    active: bool
    created_at: dt.datetime


class AccountCreated(BaseModel):
    account: AccountOut
    token: str = Field(description="The bearer token, shown only this once.")


class AuditEntry(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    subject: str
    purpose: str | None


class Statistics(BaseModel):
    """Real-name statistics for a region prefix (all regions when none is given)."""

    region_prefix: str | None
    candidates: int
    active_candidates: int
    jobs: int
    open_jobs: int
    referrals: int
    outcomes: dict[str, int]
