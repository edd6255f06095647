"""一人一策 cases (issue 13 item 4): a named counselor's case for a disabled graduate or a
hard-to-employ person, with goals and dated service actions; "不就业、不脱钩" on closing, exits
without employment approved by a manager; a proposed plan of occupations, skills and courses."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import ValidationError
from sqlalchemy import select

from matching.cases import CaseRefused, approve_exit, check_eligible, close
from matching.casework import Case, CaseAction, CloseReason, EmploymentStatus
from matching.domain import Candidate
from matching.employment import current_status
from matching.store.casework import new_id
from matching.store.ledgers import CaseExists, Ledgers
from matching.store.tables import CandidateRow, CaseRow, CourseRow, ReferralRow
from serving.access import candidate_row, check_region
from serving.auth import Account, Role
from serving.casework import best_jobs, out, training_suggestions
from serving.deps import Counselor, CurrentUser, Manager, MatcherDep, RuntimeDep, SessionDep
from serving.errors import ERROR_RESPONSES, ApiError, forbidden, invalid, not_found
from serving.schemas_casework import (
    CaseActionCreate,
    CaseActionOut,
    CaseClose,
    CaseCreate,
    CaseOut,
    CasePlan,
    CaseSummary,
    EmploymentRecordOut,
    PlannedOccupation,
    SkillGapOut,
)

router = APIRouter(prefix="/v1/cases", tags=["cases"], responses=ERROR_RESPONSES)

#: How many of the person's best feasible jobs a plan is drawn from.
PLAN_JOBS = 10


def _state(case: Case) -> str:
    if not case.is_open:
        return "closed"
    return "exit_requested" if case.close_reason else "open"


def _summary(case: Case) -> CaseSummary:
    return CaseSummary(
        id=case.id,
        candidate_id=case.candidate_id,
        kind=case.kind,
        counselor=case.counselor,
        opened_on=case.opened_on,
        state=_state(case),
        close_reason=case.close_reason,
        closed_on=case.closed_on,
    )


def _load(session: SessionDep, runtime: RuntimeDep, user: Account, case_id: str) -> Case:
    """A case of a person in a counselor's region (managers: any case)."""
    row = session.get(CaseRow, case_id)
    if row is None:
        raise not_found("case", case_id)
    if user.role is Role.COUNSELOR:
        person = session.get(CandidateRow, row.candidate_id)
        assert person is not None
        check_region(user, person.region_code, f"case {case_id}")
    elif user.role not in (Role.MANAGER, Role.ADMIN):
        raise forbidden("only counselors and managers work with cases")
    case = runtime.store.to_record("cases", row)
    assert isinstance(case, Case)
    return case


def _ledgers(session: SessionDep, runtime: RuntimeDep, user: Account) -> Ledgers:
    return Ledgers(runtime.store, session, actor=user.actor)


def _employed(ledgers: Ledgers, candidate_id: str) -> bool:
    current = current_status(ledgers.history(candidate_id))
    return current is not None and current.status is EmploymentStatus.EMPLOYED


def _full(ledgers: Ledgers, case: Case) -> CaseOut:
    actions = ledgers.actions_of(case)
    current = current_status(ledgers.history(case.candidate_id))
    return CaseOut(
        **_summary(case).model_dump(),
        goals=case.goals,
        close_requested_by=case.close_requested_by,
        approved_by=case.approved_by,
        actions=[out(CaseActionOut, a) for a in actions],
        employment=out(EmploymentRecordOut, current) if current else None,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CaseOut,
    responses={409: {"description": "The person already has an open case of this kind"}},
)
def open_case(
    body: CaseCreate, user: Counselor, session: SessionDep, runtime: RuntimeDep
) -> CaseOut:
    """Open a case for a graduate or a hard-to-employ person in the counselor's region, with
    a named counselor (default: the caller)."""
    row = candidate_row(session, user, body.candidate_id)
    candidate = Candidate.model_validate(row.record)
    try:
        check_eligible(candidate, body.kind)
    except CaseRefused as error:
        raise ApiError(422, error.code, str(error), [("kind", str(error))]) from None
    try:
        case = Case(
            id=new_id("case"),
            candidate_id=body.candidate_id,
            kind=body.kind,
            counselor=body.counselor or user.name,
            opened_on=dt.date.today(),
            goals=body.goals,
        )
    except ValidationError as error:
        raise invalid(error) from None
    ledgers = _ledgers(session, runtime, user)
    try:
        ledgers.open_case(case)
    except CaseExists as error:
        raise ApiError(409, "case_exists", str(error)) from None
    return _full(ledgers, case)


@router.get("", response_model=list[CaseSummary])
def list_cases(
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    counselor: Annotated[str | None, Query(description="The case's named counselor.")] = None,
    open: Annotated[bool | None, Query(description="true: open cases, false: closed.")] = None,
    kind: Annotated[str | None, Query(pattern="^(graduate|hard_to_employ)$")] = None,
    candidate: Annotated[str | None, Query(description="Only this person's cases.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[CaseSummary]:
    """Cases of people in a counselor's region (managers: every case), by opening day."""
    if user.role not in (Role.COUNSELOR, Role.MANAGER, Role.ADMIN):
        raise forbidden("only counselors and managers work with cases")
    query = select(CaseRow)
    if user.role is Role.COUNSELOR:
        query = query.join(CandidateRow, CandidateRow.id == CaseRow.candidate_id).where(
            CandidateRow.region_code.startswith(user.region_code or "")
        )
    if counselor is not None:
        query = query.where(CaseRow.counselor == counselor.strip())
    if open is not None:
        query = query.where(CaseRow.closed_on.is_(None) if open else CaseRow.closed_on.is_not(None))
    if kind is not None:
        query = query.where(CaseRow.kind == kind)
    if candidate is not None:
        query = query.where(CaseRow.candidate_id == candidate.strip())
    rows = session.scalars(query.order_by(CaseRow.id).limit(limit).offset(offset))
    # Only unsealed columns are read: no goals, no notes.
    return [_summary(Case.model_validate({**r.record, "goals": []})) for r in rows]


@router.get("/{case_id}", response_model=CaseOut)
def read_case(case_id: str, user: CurrentUser, session: SessionDep, runtime: RuntimeDep) -> CaseOut:
    """A case with its goals, service actions and the person's employment now; audited."""
    case = _load(session, runtime, user, case_id)
    ledgers = _ledgers(session, runtime, user)
    ledgers.case_read(case)
    return _full(ledgers, case)


@router.post(
    "/{case_id}/actions", status_code=status.HTTP_201_CREATED, response_model=CaseActionOut
)
def add_action(
    case_id: str, body: CaseActionCreate, user: Counselor, session: SessionDep, runtime: RuntimeDep
) -> CaseActionOut:
    """Record a service given in the case (rule 8's kinds) by the calling counselor."""
    case = _load(session, runtime, user, case_id)
    if not case.is_open:
        raise ApiError(409, "case_closed", f"case {case_id} was closed on {case.closed_on}")
    if body.referral_id is not None:
        referral = session.get(ReferralRow, body.referral_id)
        if referral is None or referral.candidate_id != case.candidate_id:
            raise not_found("referral of this person", body.referral_id)
    if body.course_id is not None and session.get(CourseRow, body.course_id) is None:
        raise not_found("course", body.course_id)
    try:
        action = CaseAction(
            id=new_id("act"),
            case_id=case_id,
            kind=body.kind,
            on=body.on or dt.date.today(),
            counselor=user.name,
            note=body.note,
            referral_id=body.referral_id,
            course_id=body.course_id,
        )
    except ValidationError as error:
        raise invalid(error) from None
    if action.on < case.opened_on:
        raise ApiError(
            422,
            "invalid",
            "the action is dated before the case opened",
            [("on", f"is before the case opened on {case.opened_on}")],
        )
    _ledgers(session, runtime, user).add_action(case, action)
    return out(CaseActionOut, action)


@router.post(
    "/{case_id}/close",
    response_model=CaseOut,
    responses={
        202: {"model": CaseOut, "description": "An exit reason recorded, awaiting a manager"},
        409: {"description": "不就业、不脱钩: not employed (not_employed), or already closed"},
    },
)
def close_case(
    case_id: str,
    body: CaseClose,
    user: Counselor,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
) -> CaseOut:
    """Close the case because the person is employed; or record an exit reason (further
    study, moved away, died), which a manager must approve (202) before the case closes."""
    case = _load(session, runtime, user, case_id)
    ledgers = _ledgers(session, runtime, user)
    try:
        changed = close(
            case,
            body.reason,
            employed=_employed(ledgers, case.candidate_id),
            by=user.name,
            on=dt.date.today(),
        )
    except CaseRefused as error:
        raise ApiError(409, error.code, str(error), [("reason", str(error))]) from None
    ledgers.change_case(case, changed, action="close_case", purpose=body.reason.value)
    if body.reason is not CloseReason.EMPLOYED:
        response.status_code = status.HTTP_202_ACCEPTED
    return _full(ledgers, changed)


@router.post("/{case_id}/approve-exit", response_model=CaseOut)
def approve_case_exit(
    case_id: str, user: Manager, session: SessionDep, runtime: RuntimeDep
) -> CaseOut:
    """A manager approves the exit reason the counselor recorded: the case closes."""
    case = _load(session, runtime, user, case_id)
    try:
        changed = approve_exit(case, manager=user.name, on=dt.date.today())
    except CaseRefused as error:
        raise ApiError(409, error.code, str(error)) from None
    ledgers = _ledgers(session, runtime, user)
    ledgers.change_case(case, changed, action="approve_case_exit", purpose=str(case.close_reason))
    return _full(ledgers, changed)


@router.get("/{case_id}/plan", response_model=CasePlan)
def plan_case(
    case_id: str, user: Counselor, session: SessionDep, runtime: RuntimeDep, matcher: MatcherDep
) -> CasePlan:
    """A proposed plan: target occupations from the person's best feasible jobs, the skills
    those jobs ask for most that the person lacks, and open courses that teach them."""
    case = _load(session, runtime, user, case_id)
    person = session.get(CandidateRow, case.candidate_id)
    assert person is not None
    candidate = Candidate.model_validate(person.record)
    jobs = best_jobs(matcher, session, case.candidate_id, PLAN_JOBS)
    occupations: dict[str, list[str]] = {}
    for job in jobs:
        occupations.setdefault(job.occupation or job.title, []).append(job.id)
    gaps, courses = training_suggestions(runtime.store, session, candidate, jobs)
    _ledgers(session, runtime, user).case_read(case, "read_plan")
    return CasePlan(
        case_id=case_id,
        candidate_id=case.candidate_id,
        occupations=[PlannedOccupation(occupation=o, jobs=j) for o, j in occupations.items()],
        gaps=[SkillGapOut(skill=g.skill, jobs=g.jobs) for g in gaps],
        courses=courses,
    )
