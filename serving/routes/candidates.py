"""Candidates (求职者): counselors register, read, update, search and deactivate them, within
their region prefix. Every read of sensitive fields is audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response, status
from sqlalchemy.orm import Session

from matching.domain import Candidate
from matching.store.candidates import Candidates
from matching.store.database import DuplicateIdNumber
from matching.store.tables import CandidateRow
from serving.access import candidate_row, check_region
from serving.auth import Account
from serving.deps import Counselor, RuntimeDep, SessionDep
from serving.errors import ERROR_RESPONSES, ApiError
from serving.patching import IfMatch, check_known_fields, merged, set_etag, store_errors
from serving.runtime import Runtime
from serving.schemas import CandidateOut, CandidateSummary

router = APIRouter(prefix="/v1/candidates", tags=["candidates"], responses=ERROR_RESPONSES)

Purpose = Annotated[
    str,
    # A query parameter, not a header: purposes are written in Chinese.
    Query(
        min_length=1,
        max_length=200,
        description="Why sensitive fields are read, e.g. 回访 (required; kept in the audit).",
    ),
]


def _registered(session: Session, user: Account, duplicate: DuplicateIdNumber) -> ApiError:
    """409 for an ID number registered to another person, naming them only to a counselor
    whose region covers them."""
    holder = session.get(CandidateRow, duplicate.registered_as)
    if holder is not None and user.covers_region(holder.region_code):
        where = f"求职者 {duplicate.registered_as}"
        reason = f"is already registered as candidate {duplicate.registered_as}"
    else:
        where, reason = "其他地区的服务机构", "is already registered in another region"
    return ApiError(
        409,
        "id_number_registered",
        f"该身份证号已登记在{where}，同一人不能重复登记",
        [("id_number", reason)],
    )


def _candidates(session: Session, runtime: Runtime, user: Account) -> Candidates:
    """The candidates repository, working for ``user``."""
    return Candidates(runtime.store, session, actor=user.actor)


def _out(record: Candidate, active: bool) -> CandidateOut:
    return CandidateOut.model_validate({**record.model_dump(), "active": active})


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CandidateOut)
def create_candidate(
    candidate: Candidate, user: Counselor, session: SessionDep, runtime: RuntimeDep
) -> CandidateOut:
    """Register a job seeker in the counselor's region (409 if the id is taken)."""
    check_region(user, candidate.region_code, f"region {candidate.region_code}")
    try:
        with store_errors():
            _candidates(session, runtime, user).register(candidate)
    except DuplicateIdNumber as duplicate:
        raise _registered(session, user, duplicate) from None
    return _out(candidate, True)


@router.get("", response_model=list[CandidateSummary])
def search_candidates(
    user: Counselor,
    session: SessionDep,
    runtime: RuntimeDep,
    name: Annotated[str | None, Query(description="Exact full name.")] = None,
    id_number: Annotated[str | None, Query(description="18-character resident ID number.")] = None,
    region: Annotated[str | None, Query(description="Region code prefix within yours.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[CandidateSummary]:
    """Find people by exact name or ID number (matched on keyed hashes, never decrypting
    every row) and/or by region prefix; only people in the counselor's region are returned."""
    prefix = region or user.region_code or ""
    if not prefix.startswith(user.region_code or ""):
        raise ApiError(403, "forbidden", f"region {region} is outside your region")
    rows = _candidates(session, runtime, user).search(
        region_prefix=prefix, name=name, id_number=id_number, limit=limit
    )
    return [
        CandidateSummary(
            id=r.id, region_code=r.region_code, registered_at=r.registered_at, active=r.active
        )
        for r in rows
    ]


@router.get("/{candidate_id}", response_model=CandidateOut)
def read_candidate(
    candidate_id: str,
    user: Counselor,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
    purpose: Purpose,
) -> CandidateOut:
    """The full record, sensitive fields included; the read is audited with its purpose
    (required: a sensitive read needs a stated reason, PIPL art. 6). ``ETag`` names the
    version, for ``If-Match`` on a later PATCH."""
    row = candidate_row(session, user, candidate_id)
    set_etag(response, row.content_hash)
    record = _candidates(session, runtime, user).read(row, purpose=purpose)
    return _out(record, row.active)


@router.patch(
    "/{candidate_id}",
    response_model=CandidateOut,
    responses={
        409: {"description": "Changed concurrently too often; retry"},
        412: {"description": "If-Match names a version that is no longer current"},
    },
)
def update_candidate(
    candidate_id: str,
    changes: Annotated[
        dict[str, Any],
        Body(
            description="Fields to change (interchange names); null clears a field.",
            examples=[{"skills": ["客户服务", "打字"], "expected_salary": 3500}],
        ),
    ],
    user: Counselor,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
    if_match: IfMatch = None,
) -> CandidateOut:
    """Change some fields of a record; the result is validated whole, like an import.
    Unknown fields are refused (422); ``If-Match`` guards against editing a stale version."""
    check_known_fields(changes, Candidate)
    if changes.get("id", candidate_id) != candidate_id:
        raise ApiError(422, "invalid", "the id cannot change", [("id", "cannot be changed")])

    candidates = _candidates(session, runtime, user)

    def change(row: CandidateRow) -> Candidate:
        updated = merged(candidates.record(row), changes)
        check_region(user, updated.region_code, f"region {updated.region_code}")
        return updated

    try:
        with store_errors():
            row, updated, version = candidates.patch(
                lambda: candidate_row(session, user, candidate_id),
                change,
                if_match=if_match,
                changed=lambda: list(changes),
            )
    except DuplicateIdNumber as duplicate:
        raise _registered(session, user, duplicate) from None
    set_etag(response, version)
    return _out(updated, row.active)


@router.post("/{candidate_id}/deactivate", response_model=CandidateSummary)
def deactivate_candidate(
    candidate_id: str, user: Counselor, session: SessionDep, runtime: RuntimeDep
) -> CandidateSummary:
    """Take a person out of matching (employed, moved away, withdrew); the record is kept."""
    row = candidate_row(session, user, candidate_id)
    _candidates(session, runtime, user).deactivate(row)
    return CandidateSummary(
        id=row.id, region_code=row.region_code, registered_at=row.registered_at, active=False
    )
