"""Request and response bodies of the API (records themselves are the domain models)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from matching.domain import Candidate, Job, Referral, Training
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
    """What an employer sees of a proposed or referred person (built by
    :func:`serving.cards.candidate_card` only): no name, ID number, certificate, phone or
    anything from which a disability can be read; ``identity`` and ``needs`` only after the
    person accepted a referral to the job."""

    id: str
    skills: list[str]
    trainings: list[Training]
    education: Education | None
    needs: list[Accommodation] = Field(
        [],
        description="Empty until the person accepted a referral; then the accommodations the "
        "job offers that the person will use.",
    )
    identity: Identity | None = None


class OccupationSuggestion(BaseModel):
    code: str
    name: str
    score: float
    level: str = Field(
        "occupation",
        description="`occupation` (细类) or `group` (小类/中类/大类): the title is generic.",
    )


class TitleReading(BaseModel):
    """How the coder read a job title: the words it coded, and what it set aside."""

    normalised: str = Field(description="The words that name the occupation.")
    stripped: dict[str, list[str]] = Field(
        description="Set aside, by kind: seniority, places, employer, recruitment, remarks."
    )


class JobCreated(BaseModel):
    """A posted job, with 2022 occupation codes suggested for its title: confirm one with
    `POST /v1/jobs/{id}/occupation`."""

    job: Job
    occupation_suggestions: list[OccupationSuggestion]
    title_reading: TitleReading | None = None


class OccupationConfirmation(BaseModel):
    """The 2022 code (occupation or group, dashed or 7 digits) the employer confirms."""

    code: str = Field(min_length=1, max_length=16, examples=["4-09-08-01"])


class OccupationConfirmed(BaseModel):
    """The job with the confirmed code in `occupation`, and how the code is named."""

    job: Job
    code: str
    name: str
    level: str
    suggested_rank: int | None = Field(
        None, description="Where the coder had put this code among its suggestions (1 = first)."
    )


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

    model_config = ConfigDict(extra="forbid")

    candidate_id: str
    job_id: str
    override_reason: str | None = Field(
        None,
        max_length=2000,
        description="Required when the job is not among the model's top results for the person.",
    )
    purpose: str | None = Field(
        None, max_length=500, description="Why the referral is made (kept in the audit)."
    )


class ReferralOut(Referral):
    """A referral with what it was based on."""

    model: str | None = None
    rank: int | None = Field(None, description="The job's place in the model's list (1 = top).")
    reasons_shown: list[str] = []
    override_reason: str | None = None
    accepted: bool = False


class OutcomeUpdate(BaseModel):
    # An unknown key is a 422, never ignored in silence.
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    outcome_at: dt.date | None = None
    reason: str | None = Field(
        None, max_length=4000, description="Why (kept sealed with the transition)."
    )


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
    model_config = ConfigDict(extra="forbid")

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
