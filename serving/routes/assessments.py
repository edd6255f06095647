"""Vocational ability assessments (职业能力评估, issue 13 item 3): counselors record and read
them within their region; the latest sets the person's capacities; managers read coverage."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import ValidationError
from sqlalchemy import select

from matching.casework import Assessment
from matching.employment import (
    coverage,
    current_status,
    is_registered_unemployed,
    of_working_age,
)
from matching.store.casework import employment_history, new_id
from matching.store.ledgers import Ledgers
from matching.store.tables import AssessmentRow
from serving.access import candidate_record, candidate_row
from serving.casework import out, region_people
from serving.deps import Counselor, Manager, RuntimeDep, SessionDep
from serving.errors import ERROR_RESPONSES, invalid
from serving.schemas_casework import AssessmentCoverage, AssessmentCreate, AssessmentOut

router = APIRouter(prefix="/v1", tags=["assessments"], responses=ERROR_RESPONSES)


@router.post(
    "/candidates/{candidate_id}/assessments",
    status_code=status.HTTP_201_CREATED,
    response_model=AssessmentOut,
)
def create_assessment(
    candidate_id: str,
    body: AssessmentCreate,
    user: Counselor,
    session: SessionDep,
    runtime: RuntimeDep,
) -> AssessmentOut:
    """Record an assessment; if it is the person's latest, its capacities become theirs (and
    matching uses them from the next request on)."""
    row = candidate_row(session, user, candidate_id)
    candidate = candidate_record(runtime.store, row)
    try:
        assessment = Assessment(
            id=new_id("as"),
            candidate_id=candidate_id,
            assessed_on=body.assessed_on,
            assessor=body.assessor or user.name,
            capacities=body.capacities,
            interests=body.interests,
            recommendations=body.recommendations,
        )
    except ValidationError as error:
        raise invalid(error) from None
    Ledgers(runtime.store, session, actor=user.actor).assess(candidate, assessment)
    return out(AssessmentOut, assessment)


@router.get("/candidates/{candidate_id}/assessments", response_model=list[AssessmentOut])
def list_assessments(
    candidate_id: str, user: Counselor, session: SessionDep, runtime: RuntimeDep
) -> list[AssessmentOut]:
    """A person's assessments, oldest first (the last one sets the capacities); audited."""
    candidate_row(session, user, candidate_id)
    found = Ledgers(runtime.store, session, actor=user.actor).assessments_of(candidate_id)
    return [out(AssessmentOut, a) for a in found]


@router.get("/statistics/assessments", response_model=AssessmentCoverage, tags=["statistics"])
def assessment_coverage(
    user: Manager,
    session: SessionDep,
    runtime: RuntimeDep,
    region: Annotated[str | None, Query(description="Region code prefix.")] = None,
) -> AssessmentCoverage:
    """Of the working-age people registered as unemployed (nothing recorded counts as
    unemployed), the share with at least one assessment."""
    year = dt.date.today().year
    ids = of_working_age(region_people(session, region), year, runtime.settings)
    histories = employment_history(runtime.store, session, ids)
    unemployed = [i for i in ids if is_registered_unemployed(current_status(histories.get(i, [])))]
    assessed = set(
        session.scalars(
            select(AssessmentRow.candidate_id).where(AssessmentRow.candidate_id.in_(unemployed))
        )
    )
    return AssessmentCoverage(
        region_prefix=region,
        registered_unemployed=len(unemployed),
        assessed=len(assessed),
        coverage=coverage(unemployed, assessed),
    )
