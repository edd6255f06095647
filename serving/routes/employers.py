"""Employers (用人单位): counselors register them in their region; an employer account reads
and updates its own record. Quota standing and employer lists: ``serving.routes.compliance``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response, status

from matching.domain import Employer
from matching.store.employers import Employers
from matching.store.tables import EmployerRow
from serving.access import as_employer, check_region, employer_row
from serving.auth import Role
from serving.deps import Counselor, CurrentUser, RuntimeDep, SessionDep
from serving.errors import ERROR_RESPONSES, ApiError
from serving.patching import (
    IfMatch,
    changed_fields,
    check_known_fields,
    merged,
    set_etag,
    store_errors,
)

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
    with store_errors():
        return Employers(runtime.store, session, actor=user.actor).register(employer)


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
    """Change some fields (the employer itself, or a counselor of its region). Type, region
    and the staff counts the quota rests on are changed by counselors only; every change is
    audited with the fields it changed. Unknown fields are refused (422); ``If-Match`` guards
    against editing a stale version."""
    check_known_fields(changes, Employer)
    if changes.get("id", employer_id) != employer_id:
        raise ApiError(422, "invalid", "the id cannot change", [("id", "cannot be changed")])
    changed: list[str] = []

    employers = Employers(runtime.store, session, actor=user.actor)

    def change(row: EmployerRow) -> Employer:
        current = employers.record(row)
        updated = merged(current, changes)
        changed[:] = changed_fields(current, updated)
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
        return updated

    with store_errors():
        _, updated, version = employers.patch(
            lambda: employer_row(session, user, employer_id, write=True),
            change,
            if_match=if_match,
            changed=lambda: changed,
        )
    set_etag(response, version)
    return updated
