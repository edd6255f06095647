"""Employers (用人单位): counselors register them in their region; an employer account reads
and updates its own record; managers read quota status."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import ValidationError

from matching.domain import MONEY_MAX, Employer
from matching.quota import MissingQuotaData, quota_status
from matching.store.tables import EmployerRow
from serving.access import as_employer, check_region, employer_row
from serving.deps import Counselor, CurrentUser, RuntimeDep, SessionDep
from serving.errors import ERROR_RESPONSES, ApiError, invalid
from serving.patching import IfMatch, check_known_fields, save_change, set_etag
from serving.schemas import QuotaOut

router = APIRouter(prefix="/v1/employers", tags=["employers"], responses=ERROR_RESPONSES)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Employer)
def create_employer(
    employer: Employer, user: Counselor, session: SessionDep, runtime: RuntimeDep
) -> Employer:
    """Register an employer in the counselor's region (409 if the id is taken)."""
    check_region(user, employer.region_code, f"region {employer.region_code}")
    if session.get(EmployerRow, employer.id) is not None:
        raise ApiError(409, "conflict", f"employer {employer.id} already exists")
    runtime.store.upsert(session, "employers", [employer])
    session.commit()
    return employer


@router.get("/{employer_id}", response_model=Employer)
def read_employer(
    employer_id: str, user: CurrentUser, session: SessionDep, response: Response
) -> Employer:
    """An employer's record: its own account, a counselor of its region, or a manager."""
    row = employer_row(session, user, employer_id)
    set_etag(response, row.content_hash)
    return as_employer(row)


@router.patch(
    "/{employer_id}",
    response_model=Employer,
    responses={
        409: {"description": "Changed concurrently too often; retry"},
        412: {"description": "If-Match names a version that is no longer current"},
    },
)
def update_employer(
    employer_id: str,
    changes: Annotated[
        dict[str, Any],
        Body(
            description="Fields to change (interchange names); null clears a field.",
            examples=[{"staff_count": 130, "disabled_staff": 2}],
        ),
    ],
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
    if_match: IfMatch = None,
) -> Employer:
    """Change some fields (the employer itself, or a counselor of its region). Unknown fields
    are refused (422); ``If-Match`` guards against editing a stale version."""
    check_known_fields(changes, Employer)
    if changes.get("id", employer_id) != employer_id:
        raise ApiError(422, "invalid", "the id cannot change", [("id", "cannot be changed")])

    def change(row: EmployerRow) -> Employer:
        try:
            updated = Employer.model_validate({**as_employer(row).model_dump(), **changes})
        except ValidationError as error:
            raise invalid(error) from None
        check_region(user, updated.region_code, f"region {updated.region_code}")
        return updated

    _, updated, version = save_change(
        session,
        runtime.store,
        "employers",
        lambda: employer_row(session, user, employer_id, write=True),
        change,
        if_match,
    )
    session.commit()
    set_etag(response, version)
    assert isinstance(updated, Employer)
    return updated


@router.get("/{employer_id}/quota", response_model=QuotaOut)
def employer_quota(
    employer_id: str,
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    local_avg_social_wage: Annotated[
        float | None,
        Query(
            ge=0,
            le=MONEY_MAX,
            allow_inf_nan=False,
            description="Local average social wage, CNY per year.",
        ),
    ] = None,
    local_min_monthly_wage: Annotated[
        float | None,
        Query(
            ge=0, le=MONEY_MAX, allow_inf_nan=False, description="Local minimum monthly wage, CNY."
        ),
    ] = None,
    is_school: Annotated[bool, Query(description="Schools are exempt from rule 5.")] = False,
) -> QuotaOut:
    """Quota standing under DOMAIN.md rules 1-5; 409 naming the field the record lacks."""
    employer = as_employer(employer_row(session, user, employer_id))
    try:
        found = quota_status(
            employer,
            runtime.settings,
            local_avg_social_wage=local_avg_social_wage,
            local_min_monthly_wage=local_min_monthly_wage,
            is_school=is_school,
        )
    except MissingQuotaData as missing:
        raise ApiError(
            409,
            "quota_data_missing",
            str(missing),
            [(missing.field, f"is unknown, needed for {missing.purpose}")],
        ) from None
    return QuotaOut(employer_id=employer_id, **asdict(found))
