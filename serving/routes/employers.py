"""Employers (用人单位): counselors register them in their region; an employer account reads
and updates its own record. Quota standing and employer lists: ``serving.routes.compliance``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, status
from pydantic import ValidationError

from matching.domain import Employer
from matching.store.tables import EmployerRow
from serving.access import as_employer, check_region, employer_row
from serving.auth import Role
from serving.deps import Counselor, CurrentUser, RuntimeDep, SessionDep
from serving.errors import ERROR_RESPONSES, ApiError, invalid

router = APIRouter(prefix="/v1/employers", tags=["employers"], responses=ERROR_RESPONSES)

#: Facts the quota standing and the counselor's scope rest on: only a counselor changes them.
COUNSELOR_ONLY_FIELDS = (
    "type",
    "region_code",
    "staff_count",
    "establishment_size",
    "disabled_staff",
    "disabled_staff_severe",
    "is_school",  # the lead-by-example exception (rule 5)
)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Employer)
def create_employer(
    employer: Employer, user: Counselor, session: SessionDep, runtime: RuntimeDep
) -> Employer:
    """Register an employer in the counselor's region (409 if the id is taken)."""
    check_region(user, employer.region_code, f"region {employer.region_code}")
    if session.get(EmployerRow, employer.id) is not None:
        raise ApiError(409, "conflict", f"employer {employer.id} already exists")
    runtime.store.upsert(session, "employers", [employer])
    runtime.store.audit(
        session,
        actor=user.actor,
        action="create_employer",
        subject=f"employers:{employer.id}",
        purpose=None,
    )
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
    """Change some fields (the employer itself, or a counselor of its region). Type, region
    and the staff counts the quota rests on are changed by counselors only; every change is
    audited with the fields it changed."""
    current = as_employer(employer_row(session, user, employer_id, write=True))
    if changes.get("id", employer_id) != employer_id:
        raise ApiError(422, "invalid", "the id cannot change", [("id", "cannot be changed")])
    try:
        updated = Employer.model_validate({**current.model_dump(), **changes})
    except ValidationError as error:
        raise invalid(error) from None
    changed = sorted(f for f in Employer.model_fields if getattr(updated, f) != getattr(current, f))
    if user.role is Role.EMPLOYER:
        refused = [f for f in changed if f in COUNSELOR_ONLY_FIELDS]
        if refused:
            raise ApiError(
                403,
                "forbidden",
                "单位类型、所在地区和职工人数（含残疾职工人数）只能由就业指导员核实修改",
                [(f, "only a counselor may change this") for f in refused],
            )
    check_region(user, updated.region_code, f"region {updated.region_code}")
    runtime.store.upsert(session, "employers", [updated])
    runtime.store.audit(
        session,
        actor=user.actor,
        action="update_employer",
        subject=f"employers:{employer_id}",
        purpose=", ".join(changed) or "no change",
    )
    session.commit()
    return updated
