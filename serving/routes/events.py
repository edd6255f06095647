"""Recruitment events (专场招聘, 就业援助月, 春风行动, 助残日): counselors register them in their
region with the participating employers and jobs and the registered attendees, ask for an
interview plan (``POST /v1/events/{id}/plan``), and read what came of them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.domain import Job, RecruitmentEvent, Referral
from matching.jobfair import PLAN_COLUMNS, FairInputError, event_outcomes, plan_fair, plan_rows
from matching.store.repository import Audited
from matching.store.tables import CandidateRow, EmployerRow, EventRow, JobRow, ReferralRow
from serving.auth import Account, Role
from serving.deps import CurrentUser, MatcherDep, RuntimeDep, SessionDep
from serving.errors import ERROR_RESPONSES, ApiError, forbidden, not_found
from serving.event_schemas import EventOutcomes, PlanOut, PlanRequest
from serving.patching import merged
from serving.routes.compliance import RegionQuery, scoped_region
from serving.tabular import TableFormat, csv_bytes, download

router = APIRouter(prefix="/v1/events", tags=["events"], responses=ERROR_RESPONSES)

#: Beyond this many person x job pairs a plan belongs to the batch command (jobfair).
MAX_PLAN_PAIRS = 1_000_000


def _check_scope(user: Account, event: RecruitmentEvent, *, write: bool) -> None:
    if user.role is Role.COUNSELOR:
        if not user.covers_region(event.region_code):
            raise forbidden(f"event {event.id} is outside your region {user.region_code}")
    elif user.role is Role.ADMIN or (user.role is Role.MANAGER and not write):
        return
    else:
        raise forbidden("recruitment events are run by counselors")


def _event(
    session: Session, user: Account, event_id: str, *, write: bool = False
) -> RecruitmentEvent:
    row = session.get(EventRow, event_id)
    if row is None:
        raise not_found("event", event_id)
    event = RecruitmentEvent.model_validate(row.record)
    _check_scope(user, event, write=write)
    return event


def _with_participants(session: Session, event: RecruitmentEvent) -> RecruitmentEvent:
    """The event with every named record checked to exist (422 naming each missing one) and
    the employers of its jobs added to its employers."""
    problems = []
    for field, table, kind in (
        ("employer_ids", EmployerRow, "employer"),
        ("job_ids", JobRow, "job"),
        ("attendee_ids", CandidateRow, "candidate"),
    ):
        wanted = getattr(event, field)
        found = (
            set(session.scalars(select(table.id).where(table.id.in_(wanted)))) if wanted else set()
        )
        problems += [(field, f"no {kind} with id {i}") for i in wanted if i not in found]
    if problems:
        raise ApiError(422, "invalid", "活动中有不存在的记录", problems)
    owners = session.scalars(select(JobRow.employer_id).where(JobRow.id.in_(event.job_ids)))
    employers = list(dict.fromkeys([*event.employer_ids, *sorted(set(owners))]))
    return event.model_copy(update={"employer_ids": employers})


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RecruitmentEvent)
def create_event(
    event: RecruitmentEvent, user: CurrentUser, session: SessionDep, runtime: RuntimeDep
) -> RecruitmentEvent:
    """Register an event in the counselor's region (409 if the id is taken)."""
    _check_scope(user, event, write=True)
    if session.get(EventRow, event.id) is not None:
        raise ApiError(409, "conflict", f"event {event.id} already exists")
    event = _with_participants(session, event)
    Audited(runtime.store, session, actor=user.actor).put(
        "events", event, action="event", purpose=event.kind.value
    )
    return event


@router.patch("/{event_id}", response_model=RecruitmentEvent)
def update_event(
    event_id: str,
    changes: Annotated[
        dict[str, Any],
        Body(examples=[{"attendee_ids": ["c1", "c2"], "job_ids": ["j1"]}]),
    ],
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
) -> RecruitmentEvent:
    """Change an event (e.g. register more attendees); lists are replaced whole."""
    current = _event(session, user, event_id, write=True)
    if changes.get("id", event_id) != event_id:
        raise ApiError(422, "invalid", "the id cannot change", [("id", "cannot be changed")])
    updated = merged(current, changes)
    _check_scope(user, updated, write=True)
    updated = _with_participants(session, updated)
    Audited(runtime.store, session, actor=user.actor).put(
        "events", updated, action="event", purpose=", ".join(sorted(changes)) or "no change"
    )
    return updated


@router.get("", response_model=list[RecruitmentEvent])
def list_events(
    user: CurrentUser, session: SessionDep, region: RegionQuery = None
) -> list[RecruitmentEvent]:
    """Events in a region prefix (a counselor's own by default), latest first."""
    prefix = scoped_region(user, region)
    rows = session.scalars(
        select(EventRow.record)
        .where(EventRow.region_code.startswith(prefix))
        .order_by(EventRow.starts_on.desc(), EventRow.id)
    )
    return [RecruitmentEvent.model_validate(r) for r in rows]


@router.get("/{event_id}", response_model=RecruitmentEvent)
def read_event(event_id: str, user: CurrentUser, session: SessionDep) -> RecruitmentEvent:
    return _event(session, user, event_id)


@router.post(
    "/{event_id}/plan",
    response_model=PlanOut,
    responses={200: {"content": {"text/csv": {}}}},
)
def plan_event(
    event_id: str,
    user: CurrentUser,
    session: SessionDep,
    matcher: MatcherDep,
    request: Annotated[PlanRequest, Body()] = PlanRequest(),  # noqa: B008
    format: Annotated[TableFormat, Query(description="json or csv.")] = TableFormat.JSON,  # noqa: A002
) -> Any:
    """An interview plan for the event's attendees at its jobs that maximises the total match
    score within each job's interviews and each person's limit; never an infeasible pair."""
    event = _event(session, user, event_id, write=True)
    if len(event.attendee_ids) * len(event.job_ids) > MAX_PLAN_PAIRS:
        raise ApiError(
            422,
            "too_large",
            f"超过 {MAX_PLAN_PAIRS} 个人岗组合：请用 jobmatch jobfair 批量生成",
        )
    on = request.on or event.starts_on
    try:
        plan = plan_fair(
            matcher,
            event.attendee_ids,
            event.job_ids,
            max_per_person=request.max_per_person,
            per_opening=request.per_opening,
            on=on,
        )
    except FairInputError as error:
        # Named records deleted or not yet in the matcher's snapshot.
        raise ApiError(
            409, "conflict", str(error), [(error.kind, i) for i in error.unknown]
        ) from None
    if format is TableFormat.CSV:
        return download(csv_bytes(PLAN_COLUMNS, plan_rows(plan)), format, f"plan-{event_id}")
    if format is TableFormat.XLSX:
        raise ApiError(422, "invalid", "plans come as json or csv", [("format", "json or csv")])
    return PlanOut.of(plan, event_id=event_id, on=on, request=request)


@router.get("/{event_id}/outcomes", response_model=EventOutcomes)
def read_outcomes(
    event_id: str, user: CurrentUser, session: SessionDep, runtime: RuntimeDep
) -> EventOutcomes:
    """What came of the event: its attendees' referrals to its jobs, by outcome."""
    event = _event(session, user, event_id)
    referrals = (
        [
            Referral.model_validate(r)
            for r in session.scalars(
                select(ReferralRow.record).where(
                    ReferralRow.candidate_id.in_(event.attendee_ids),
                    ReferralRow.job_id.in_(event.job_ids),
                )
            )
        ]
        if event.attendee_ids and event.job_ids
        else []
    )
    jobs = {
        j.id: j
        for j in map(
            Job.model_validate,
            session.scalars(select(JobRow.record).where(JobRow.id.in_(event.job_ids))),
        )
    }
    found = event_outcomes(event, referrals, jobs, runtime.settings.event_follow_up_days)
    return EventOutcomes(
        event_id=event.id,
        since=found.since,
        until=found.until,
        attendees=len(event.attendee_ids),
        jobs=len(event.job_ids),
        referrals=found.referrals,
        people_referred=found.people_referred,
        interviewed=found.interviewed,
        hired=found.hired,
        outcomes=found.by_outcome,
        hired_by_employer=found.hired_by_employer,
    )
