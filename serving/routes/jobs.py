"""Jobs (岗位): an employer posts, edits and closes its own; counselors read those in their
region. Posting suggests 2022 occupation codes for the title."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, status
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.domain import Candidate, Job
from matching.job_titles import normalise_title
from matching.occupation_feedback import UnknownOccupationCode, canonical_code, confirm_occupation
from matching.store.tables import CandidateRow, JobRow, ReferralContextRow, ReferralRow
from serving.access import as_job, job_row
from serving.auth import Role
from serving.deps import CounselorOrEmployer, RuntimeDep, SessionDep
from serving.errors import ERROR_RESPONSES, ApiError, forbidden, invalid
from serving.runtime import Runtime
from serving.schemas import (
    CandidateCard,
    JobCreated,
    OccupationConfirmation,
    OccupationConfirmed,
    OccupationSuggestion,
    ReferralCard,
    TitleReading,
)

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=ERROR_RESPONSES)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=JobCreated)
def post_job(
    job: Job,
    user: CounselorOrEmployer,
    session: SessionDep,
    runtime: RuntimeDep,
    suggestions: Annotated[int, Query(ge=0, le=20, description="Occupation codes to suggest.")] = 5,
) -> JobCreated:
    """Post a job for the caller's own employer (409 if the id is taken)."""
    if user.role is not Role.EMPLOYER:
        raise forbidden("only employer accounts post jobs")
    if job.employer_id != user.employer_id:
        raise forbidden(f"you post for employer {user.employer_id}, not {job.employer_id}")
    if session.get(JobRow, job.id) is not None:
        raise ApiError(409, "conflict", f"job {job.id} already exists")
    runtime.store.upsert(session, "jobs", [job])
    session.commit()
    found = (
        runtime.resources.coder.suggest(job.title, job.description, k=suggestions)
        if suggestions
        else []
    )
    reading = normalise_title(job.title)
    return JobCreated(
        job=job,
        occupation_suggestions=[
            OccupationSuggestion(code=s.code, name=s.name, score=s.score, level=s.level)
            for s in found
        ],
        title_reading=TitleReading(normalised=reading.core, stripped=reading.stripped),
    )


@router.post("/{job_id}/occupation", response_model=OccupationConfirmed)
def confirm_job_occupation(
    job_id: str,
    confirmation: OccupationConfirmation,
    user: CounselorOrEmployer,
    session: SessionDep,
    runtime: RuntimeDep,
) -> OccupationConfirmed:
    """The employer confirms the 2022 code of one of its jobs (one of the suggestions, or
    another code): it is stored on the job (`occupation`), and the title with its code
    becomes training data for the occupation coder's next retrain."""
    current = as_job(job_row(session, user, job_id, write=True))
    vocabulary = runtime.resources.occupations
    try:
        code = canonical_code(vocabulary, confirmation.code)
    except UnknownOccupationCode as error:
        raise ApiError(422, "invalid", str(error), [("code", "不是2022版职业分类代码")]) from None
    coder = runtime.resources.coder
    suggested = [s.code for s in coder.suggest(current.title, current.description, k=10)]
    updated = confirm_occupation(
        session,
        runtime.store,
        vocabulary,
        current,
        code,
        suggested=suggested,
        coder=coder.ranker_name,
        actor=user.actor,
    )
    session.commit()
    occupation = vocabulary.get(code)
    return OccupationConfirmed(
        job=updated,
        code=code,
        name=occupation.name if occupation else (vocabulary.group_name(code) or code),
        level="occupation" if occupation else "group",
        suggested_rank=suggested.index(code) + 1 if code in suggested else None,
    )


@router.get("", response_model=list[Job])
def list_jobs(
    user: CounselorOrEmployer,
    session: SessionDep,
    open_only: Annotated[bool, Query(description="Only jobs taking referrals today.")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Job]:
    """An employer's own jobs, or the jobs in a counselor's region."""
    query = select(JobRow)
    if user.role is Role.EMPLOYER:
        query = query.where(JobRow.employer_id == user.employer_id)
    else:
        query = query.where(JobRow.region_code.startswith(user.region_code or ""))
    jobs = [as_job(r) for r in session.scalars(query.order_by(JobRow.id).limit(limit))]
    today = dt.date.today()
    return [j for j in jobs if j.is_open(today)] if open_only else jobs


@router.get("/{job_id}", response_model=Job)
def read_job(job_id: str, user: CounselorOrEmployer, session: SessionDep) -> Job:
    """A job of the caller's employer, or one in a counselor's region."""
    return as_job(job_row(session, user, job_id))


def _save(session: Session, runtime: Runtime, job: Job) -> Job:
    runtime.store.upsert(session, "jobs", [job])
    session.commit()
    return job


@router.patch("/{job_id}", response_model=Job)
def update_job(
    job_id: str,
    changes: Annotated[
        dict[str, Any],
        Body(
            description="Fields to change (interchange names); null clears a field.",
            examples=[{"openings": 3, "accommodations": ["screen_reader"]}],
        ),
    ],
    user: CounselorOrEmployer,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Job:
    """Edit one of the caller's own jobs; it cannot move to another employer."""
    current = as_job(job_row(session, user, job_id, write=True))
    for field in ("id", "employer_id"):
        if field in changes and changes[field] != getattr(current, field):
            raise ApiError(
                422, "invalid", f"the {field} cannot change", [(field, "cannot be changed")]
            )
    try:
        updated = Job.model_validate({**current.model_dump(), **changes})
    except ValidationError as error:
        raise invalid(error) from None
    return _save(session, runtime, updated)


@router.post("/{job_id}/close", response_model=Job)
def close_job(
    job_id: str, user: CounselorOrEmployer, session: SessionDep, runtime: RuntimeDep
) -> Job:
    """Stop taking referrals: the job closes yesterday (a job is open on its closing day),
    or on its posting day if it was posted today."""
    current = as_job(job_row(session, user, job_id, write=True))
    closes = max(current.posted_at, dt.date.today() - dt.timedelta(days=1))
    return _save(session, runtime, current.model_copy(update={"closes_at": closes}))


@router.get("/{job_id}/referrals", response_model=list[ReferralCard])
def job_referrals(
    job_id: str, user: CounselorOrEmployer, session: SessionDep, runtime: RuntimeDep
) -> list[ReferralCard]:
    """People referred to a job, as anonymised cards; a person's name and phone appear once
    they accepted the referral (that disclosure is audited)."""
    job_row(session, user, job_id)
    rows = session.execute(
        select(ReferralRow, CandidateRow, ReferralContextRow.accepted_at)
        .join(CandidateRow, CandidateRow.id == ReferralRow.candidate_id)
        .outerjoin(ReferralContextRow, ReferralContextRow.referral_id == ReferralRow.id)
        .where(ReferralRow.job_id == job_id)
        .order_by(ReferralRow.id)
    ).all()
    cards = []
    for referral, candidate, accepted_at in rows:
        accepted = accepted_at is not None
        # Personal data is decrypted only for those who agreed to share it.
        record = (
            runtime.store.to_record("candidates", candidate)
            if accepted
            else Candidate.model_validate(candidate.record)
        )
        if accepted:
            runtime.store.audit(
                session,
                actor=user.actor,
                action="read_identity",
                subject=f"candidates:{candidate.id}",
                purpose=f"referral {referral.id} accepted",
            )
        cards.append(
            ReferralCard(
                id=referral.id,
                job_id=job_id,
                referred_at=referral.referred_at,
                outcome=referral.outcome,
                candidate=CandidateCard.of(record, identity=accepted),
            )
        )
    session.commit()
    return cards
