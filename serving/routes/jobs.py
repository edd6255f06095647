"""Jobs (岗位): an employer posts, edits and closes its own; counselors read those in their
region. Posting suggests 2022 occupation codes for the title."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, status
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.domain import Job
from matching.store.tables import CandidateRow, JobRow, ReferralContextRow, ReferralRow
from serving.access import as_job, as_referral, check_region, job_row
from serving.auth import Account, Role
from serving.cards import referral_card
from serving.deps import CounselorOrEmployer, RuntimeDep, SessionDep
from serving.errors import ERROR_RESPONSES, ApiError, forbidden, invalid
from serving.runtime import Runtime
from serving.schemas import JobCreated, OccupationSuggestion, ReferralCard

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=ERROR_RESPONSES)

#: What a counselor decides about a job (public-welfare designation, the region it is filed
#: under), and the only fields a counselor may change.
COUNSELOR_FIELDS = ("public_welfare", "region_code")


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
    runtime.store.audit(
        session, actor=user.actor, action="post_job", subject=f"jobs:{job.id}", purpose=None
    )
    session.commit()
    found = (
        runtime.resources.coder.suggest(job.title, job.description, k=suggestions)
        if suggestions
        else []
    )
    return JobCreated(
        job=job,
        occupation_suggestions=[
            OccupationSuggestion(code=s.code, name=s.name, score=s.score) for s in found
        ],
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


def _save(
    session: Session, runtime: Runtime, user: Account, job: Job, action: str, what: str
) -> Job:
    runtime.store.upsert(session, "jobs", [job])
    runtime.store.audit(
        session, actor=user.actor, action=action, subject=f"jobs:{job.id}", purpose=what
    )
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
    """Edit one of the caller's own jobs; it cannot move to another employer. Whether it is a
    public-welfare post and the region it is filed under are a counselor's decision (within
    their region), and the only fields a counselor changes; every change is audited."""
    counselor = user.role is Role.COUNSELOR
    current = as_job(job_row(session, user, job_id, write=not counselor))
    for field in ("id", "employer_id"):
        if field in changes and changes[field] != getattr(current, field):
            raise ApiError(
                422, "invalid", f"the {field} cannot change", [(field, "cannot be changed")]
            )
    try:
        updated = Job.model_validate({**current.model_dump(), **changes})
    except ValidationError as error:
        raise invalid(error) from None
    changed = sorted(f for f in Job.model_fields if getattr(updated, f) != getattr(current, f))
    refused = [f for f in changed if (f in COUNSELOR_FIELDS) != counselor]
    if refused:
        message = (
            "就业指导员只能修改岗位的公益性岗位认定和所属地区，其他内容由用人单位修改"
            if counselor
            else "公益性岗位认定和岗位所属地区只能由就业指导员修改"
        )
        raise ApiError(
            403, "forbidden", message, [(f, "this account may not change it") for f in refused]
        )
    if counselor:
        check_region(user, updated.region_code, f"region {updated.region_code}")
    return _save(session, runtime, user, updated, "update_job", ", ".join(changed) or "no change")


@router.post("/{job_id}/close", response_model=Job)
def close_job(
    job_id: str, user: CounselorOrEmployer, session: SessionDep, runtime: RuntimeDep
) -> Job:
    """Stop taking referrals: the job closes yesterday (a job is open on its closing day),
    or on its posting day if it was posted today."""
    current = as_job(job_row(session, user, job_id, write=True))
    closes = max(current.posted_at, dt.date.today() - dt.timedelta(days=1))
    closed = current.model_copy(update={"closes_at": closes})
    return _save(session, runtime, user, closed, "close_job", f"closes_at {closes.isoformat()}")


@router.get("/{job_id}/referrals", response_model=list[ReferralCard])
def job_referrals(
    job_id: str, user: CounselorOrEmployer, session: SessionDep, runtime: RuntimeDep
) -> list[ReferralCard]:
    """People referred to a job, as anonymised cards; a person's name and phone appear once
    they accepted the referral (that disclosure is audited). A counselor sees only the people
    of their own region: the job being in it says nothing about the person."""
    job_row(session, user, job_id)
    query = (
        select(ReferralRow, CandidateRow, ReferralContextRow)
        .join(CandidateRow, CandidateRow.id == ReferralRow.candidate_id)
        .outerjoin(ReferralContextRow, ReferralContextRow.referral_id == ReferralRow.id)
        .where(ReferralRow.job_id == job_id)
        .order_by(ReferralRow.id)
    )
    if user.role is Role.COUNSELOR:
        query = query.where(CandidateRow.region_code.startswith(user.region_code or ""))
    cards = [
        referral_card(runtime.store, session, user, as_referral(referral), candidate, context)
        for referral, candidate, context in session.execute(query).all()
    ]
    session.commit()
    return cards
