"""Employment status in the real-name ledger (issue 13 item 2) and the graduation-year
employment rate (item 4): counselors record and read a person's status in their region;
managers read the statistics."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import ValidationError

from matching.casework import EmploymentRecord
from matching.domain import Candidate
from matching.employment import (
    current_status,
    graduation_year_rate,
    is_working_age,
    of_working_age,
    status_counts,
)
from matching.settings import Settings
from matching.store.casework import NotWorkingAge, employment_history
from matching.store.ledgers import Ledgers
from matching.store.tables import CandidateRow, EmployerRow
from serving.access import candidate_record, candidate_row
from serving.casework import out, region_people
from serving.deps import Counselor, Manager, RuntimeDep, SessionDep
from serving.errors import ERROR_RESPONSES, ApiError, invalid, not_found
from serving.schemas_casework import (
    EmploymentCreate,
    EmploymentOut,
    EmploymentRecordOut,
    EmploymentStatistics,
    GraduateRateOut,
)

router = APIRouter(prefix="/v1", tags=["employment"], responses=ERROR_RESPONSES)


def employment_out(
    candidate: Candidate,
    active: bool,
    history: list[EmploymentRecord],
    year: int,
    settings: Settings,
) -> EmploymentOut:
    """A person's employment view (shared with the case routes)."""
    current = current_status(history)
    return EmploymentOut(
        candidate_id=candidate.id,
        working_age=is_working_age(candidate.sex, candidate.birth_year, year, settings),
        seeking=active,
        current=out(EmploymentRecordOut, current) if current else None,
        history=[out(EmploymentRecordOut, r) for r in history],
    )


@router.get("/candidates/{candidate_id}/employment", response_model=EmploymentOut)
def read_employment(
    candidate_id: str, user: Counselor, session: SessionDep, runtime: RuntimeDep
) -> EmploymentOut:
    """A person's current employment status and its history; the read is audited."""
    row = candidate_row(session, user, candidate_id)
    candidate = Candidate.model_validate(row.record)
    history = Ledgers(runtime.store, session, actor=user.actor).employment_of(candidate_id)
    return employment_out(candidate, row.active, history, dt.date.today().year, runtime.settings)


@router.post(
    "/candidates/{candidate_id}/employment",
    status_code=status.HTTP_201_CREATED,
    response_model=EmploymentOut,
)
def change_employment(
    candidate_id: str,
    body: EmploymentCreate,
    user: Counselor,
    session: SessionDep,
    runtime: RuntimeDep,
) -> EmploymentOut:
    """Record a person's status from a date on: employed (with the form of employment and
    employer), unemployed (reopens active search), in training, or not seeking (with a
    reason). Only working-age people have a status (ages from the settings)."""
    row = candidate_row(session, user, candidate_id)
    candidate = candidate_record(runtime.store, row)
    if body.employer_id is not None and session.get(EmployerRow, body.employer_id) is None:
        raise not_found("employer", body.employer_id)
    ledgers = Ledgers(runtime.store, session, actor=user.actor)
    try:
        ledgers.record_status(
            candidate,
            body.status,
            since=body.since,
            by=user.name,
            settings=runtime.settings,
            form=body.form,
            employer_id=body.employer_id,
            reason=body.reason,
        )
    except NotWorkingAge as error:
        raise ApiError(
            422, "not_working_age", str(error), [("birth_year", "outside the working ages")]
        ) from None
    except ValidationError as error:
        raise invalid(error) from None
    fresh = session.get(CandidateRow, candidate_id)
    assert fresh is not None
    return employment_out(
        candidate,
        fresh.active,
        ledgers.history(candidate_id),
        dt.date.today().year,
        runtime.settings,
    )


@router.get("/statistics/employment", response_model=EmploymentStatistics, tags=["statistics"])
def employment_statistics(
    user: Manager,
    session: SessionDep,
    runtime: RuntimeDep,
    region: Annotated[str | None, Query(description="Region code prefix.")] = None,
    year: Annotated[int | None, Query(ge=1950, le=2100)] = None,
) -> EmploymentStatistics:
    """Working-age registered people of a region by current employment status (no personal
    data: counts only)."""
    year = year or dt.date.today().year
    people = of_working_age(region_people(session, region), year, runtime.settings)
    histories = employment_history(runtime.store, session, people)
    counts = status_counts(people, histories, dt.date(year, 12, 31))
    return EmploymentStatistics(
        region_prefix=region, year=year, working_age=len(people), by_status=counts
    )


@router.get("/statistics/graduates", response_model=GraduateRateOut, tags=["statistics"])
def graduate_rate(
    user: Manager,
    session: SessionDep,
    runtime: RuntimeDep,
    year: Annotated[int, Query(ge=1950, le=2100, description="Graduation year.")],
    region: Annotated[str | None, Query(description="Region code prefix.")] = None,
) -> GraduateRateOut:
    """Of a year's disabled college graduates in a region, the share employed within their
    graduation year, against the target (JOBMATCH_GRADUATE_EMPLOYMENT_TARGET, seed 003: 60%)."""
    graduates = [c for c in region_people(session, region) if c.graduation_year == year]
    histories = employment_history(runtime.store, session, [c.id for c in graduates])
    found = graduation_year_rate(
        [(c, histories.get(c.id, [])) for c in graduates],
        region_prefix=region or "",
        year=year,
        target=runtime.settings.graduate_employment_target,
    )
    return GraduateRateOut(
        region_prefix=region,
        year=year,
        graduates=found.graduates,
        employed=found.employed,
        rate=found.rate,
        target=found.target,
        meets_target=found.meets_target,
    )
