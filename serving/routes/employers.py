"""Employers (用人单位): counselors register them in their region; an employer account reads
and updates its own record. Quota standing and employer lists: ``serving.routes.compliance``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, status
from pydantic import ValidationError

from matching.domain import Employer
from matching.store.tables import EmployerRow
from serving.access import as_employer, check_region, employer_row
from serving.deps import Counselor, CurrentUser, RuntimeDep, SessionDep
from serving.errors import ERROR_RESPONSES, ApiError, invalid

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
def read_employer(employer_id: str, user: CurrentUser, session: SessionDep) -> Employer:
    """An employer's record: its own account, a counselor of its region, or a manager."""
    return as_employer(employer_row(session, user, employer_id))


@router.patch("/{employer_id}", response_model=Employer)
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
) -> Employer:
    """Change some fields (the employer itself, or a counselor of its region)."""
    current = as_employer(employer_row(session, user, employer_id, write=True))
    if changes.get("id", employer_id) != employer_id:
        raise ApiError(422, "invalid", "the id cannot change", [("id", "cannot be changed")])
    try:
        updated = Employer.model_validate({**current.model_dump(), **changes})
    except ValidationError as error:
        raise invalid(error) from None
    check_region(user, updated.region_code, f"region {updated.region_code}")
    runtime.store.upsert(session, "employers", [updated])
    session.commit()
    return updated
