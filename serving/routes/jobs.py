"""Jobs (岗位): an employer posts, edits and closes its own; counselors read those in their
region. Posting suggests 2022 occupation codes for the title."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response, status
from sqlalchemy.orm import Session

from matching.domain import Job
from matching.job_titles import normalise_title
from matching.occupation_feedback import UnknownOccupationCode, canonical_code, confirm_occupation
from matching.store.jobs import Jobs
from matching.store.referrals import Referrals
from matching.store.tables import JobRow
from serving.access import as_job, check_region, job_row
from serving.auth import Account, Role
from serving.cards import referral_card
from serving.deps import CounselorOrEmployer, Employer, RuntimeDep, SessionDep
from serving.errors import ERROR_RESPONSES, ApiError, forbidden
from serving.patching import (
    IfMatch,
    changed_fields,
    check_known_fields,
    merged,
    set_etag,
    store_errors,
)
from serving.runtime import Runtime
from serving.schemas import (
    JobCreated,
    OccupationConfirmation,
    OccupationConfirmed,
    OccupationSuggestion,
    ReferralCard,
    TitleReading,
)

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=ERROR_RESPONSES)

#: What a counselor decides about a job (public-welfare designation, the region it is filed
#: under), and the only fields a counselor may change.
COUNSELOR_FIELDS = ("public_welfare", "region_code")


@router.post("", status_code=status.HTTP_201_CREATED, response_model=JobCreated)
def post_job(
    job: Job,
    user: Employer,
    session: SessionDep,
    runtime: RuntimeDep,
    suggestions: Annotated[int, Query(ge=0, le=20, description="Occupation codes to suggest.")] = 5,
) -> JobCreated:
    """Post a job for the caller's own employer (409 if the id is taken)."""
    if job.employer_id != user.employer_id:
        raise forbidden(f"you post for employer {user.employer_id}, not {job.employer_id}")
    with store_errors():
        _jobs(session, runtime, user).post(job)
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
    runtime: RuntimeDep,
    open_only: Annotated[bool, Query(description="Only jobs taking referrals today.")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Job]:
    """An employer's own jobs, or the jobs in a counselor's region; ``limit`` counts the jobs
    returned (open ones, with ``open_only``)."""
    jobs = Jobs(runtime.store, session, actor=user.actor)
    return jobs.search(
        employer_id=user.employer_id if user.role is Role.EMPLOYER else None,
        region_prefix="" if user.role is Role.EMPLOYER else (user.region_code or ""),
        open_on=dt.date.today() if open_only else None,
        limit=limit,
    )


@router.get("/{job_id}", response_model=Job)
def read_job(
    job_id: str, user: CounselorOrEmployer, session: SessionDep, response: Response
) -> Job:
    """A job of the caller's employer, or one in a counselor's region."""
    row = job_row(session, user, job_id)
    set_etag(response, row.content_hash)
    return as_job(row)


def _jobs(session: Session, runtime: Runtime, user: Account) -> Jobs:
    """The jobs repository, working for ``user``."""
    return Jobs(runtime.store, session, actor=user.actor)


_CONFLICTS: dict[int | str, dict[str, Any]] = {
    409: {"description": "Changed concurrently too often; retry"},
    412: {"description": "If-Match names a version that is no longer current"},
}


@router.patch("/{job_id}", response_model=Job, responses=_CONFLICTS)
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
    response: Response,
    if_match: IfMatch = None,
) -> Job:
    """Edit one of the caller's own jobs; it cannot move to another employer. Whether it is a
    public-welfare post and the region it is filed under are a counselor's decision (within
    their region), and the only fields a counselor changes; every change is audited. Unknown
    fields are refused (422); ``If-Match`` guards against editing a stale version."""
    check_known_fields(changes, Job)
    counselor = user.role is Role.COUNSELOR
    changed: list[str] = []

    jobs = _jobs(session, runtime, user)

    def change(row: JobRow) -> Job:
        current = jobs.record(row)
        for field in ("id", "employer_id"):
            if field in changes and changes[field] != getattr(current, field):
                raise ApiError(
                    422, "invalid", f"the {field} cannot change", [(field, "cannot be changed")]
                )
        updated = merged(current, changes)
        changed[:] = changed_fields(current, updated)
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
        return updated

    with store_errors():
        _, job, version = jobs.patch(
            lambda: job_row(session, user, job_id, write=not counselor),
            change,
            if_match=if_match,
            changed=lambda: changed,
        )
    set_etag(response, version)
    return job


@router.post("/{job_id}/close", response_model=Job, responses=_CONFLICTS)
def close_job(
    job_id: str,
    user: CounselorOrEmployer,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
    if_match: IfMatch = None,
) -> Job:
    """Stop taking referrals: the job closes yesterday (a job is open on its closing day),
    or on its posting day if it was posted today."""
    with store_errors():
        _, job, version = _jobs(session, runtime, user).close(
            lambda: job_row(session, user, job_id, write=True),
            if_match=if_match,
            today=dt.date.today(),
        )
    set_etag(response, version)
    return job


@router.get("/{job_id}/referrals", response_model=list[ReferralCard])
def job_referrals(
    job_id: str, user: CounselorOrEmployer, session: SessionDep, runtime: RuntimeDep
) -> list[ReferralCard]:
    """People referred to a job, as anonymised cards; a person's name and phone appear once
    they accepted the referral (that disclosure is audited). A counselor sees only the people
    of their own region: the job being in it says nothing about the person."""
    job_row(session, user, job_id)
    # A counselor sees only the people of their own region; an employer all its job's.
    region = (user.region_code or "") if user.role is Role.COUNSELOR else ""
    referred = Referrals(runtime.store, session, actor=user.actor).referred_to_job(
        job_id, region_prefix=region
    )
    return [referral_card(r) for r in referred]
