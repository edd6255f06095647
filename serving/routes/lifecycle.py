"""The referral lifecycle (issue 13 item 1, issue 9 item 6): a person's referrals with every
transition, a counselor's referral list, and the review of employers' reports.

Transitions themselves are recorded by ``PATCH /v1/referrals/{id}`` (``serving.routes.referrals``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.casework import ReferralEvent, Review
from matching.lifecycle import NEXT_OUTCOMES
from matching.store.casework import (
    NothingToReview,
    follow_outcome,
    referral_events,
    review_reports,
)
from matching.store.tables import (
    AccountRow,
    CandidateRow,
    ReferralContextRow,
    ReferralEventRow,
    ReferralRow,
)
from matching.vocabulary import Outcome
from serving.access import as_referral, candidate_row, referral_row
from serving.auth import Account, Role
from serving.deps import Counselor, CounselorOrEmployer, RuntimeDep, SessionDep
from serving.errors import ERROR_RESPONSES, ApiError
from serving.patching import IfMatch, matches_etag, precondition_failed, set_etag
from serving.schemas_casework import ReferralEventOut, ReferralHistory, ReferralItem, ReviewBody

router = APIRouter(prefix="/v1", tags=["referrals"], responses=ERROR_RESPONSES)


def _event_out(event: ReferralEvent, user: Account) -> ReferralEventOut:
    data = event.model_dump()
    if user.role is not Role.COUNSELOR:
        data["reason"] = None  # counselors' text never reaches an employer
    return ReferralEventOut.model_validate(data)


def _items(session: Session, rows: list[ReferralRow]) -> list[ReferralItem]:
    ids = [r.id for r in rows]
    makers = dict(
        session.execute(
            select(ReferralContextRow.referral_id, AccountRow.name)
            .join(AccountRow, AccountRow.id == ReferralContextRow.account_id)
            .where(ReferralContextRow.referral_id.in_(ids))
        ).all()
    )
    awaiting = set(
        session.scalars(
            select(ReferralEventRow.referral_id).where(
                ReferralEventRow.referral_id.in_(ids),
                ReferralEventRow.review == Review.AWAITING.value,
            )
        )
    )
    return [
        ReferralItem(
            id=r.id,
            candidate_id=r.candidate_id,
            job_id=r.job_id,
            referred_at=r.referred_at,
            outcome=Outcome(r.outcome),
            outcome_at=r.outcome_at,
            counselor=makers.get(r.id),
            awaiting_review=r.id in awaiting,
            allowed_next=list(NEXT_OUTCOMES[Outcome(r.outcome)]),
        )
        for r in rows
    ]


def _histories(
    session: Session, runtime: RuntimeDep, rows: list[ReferralRow], user: Account
) -> list[ReferralHistory]:
    events = referral_events(runtime.store, session, [r.id for r in rows])
    return [
        ReferralHistory(
            referral=item, events=[_event_out(e, user) for e in events.get(item.id, [])]
        )
        for item in _items(session, rows)
    ]


@router.get("/candidates/{candidate_id}/referrals", response_model=list[ReferralHistory])
def referrals_of_candidate(
    candidate_id: str, user: Counselor, session: SessionDep, runtime: RuntimeDep
) -> list[ReferralHistory]:
    """Every referral of a person in the counselor's region, oldest first, with each
    transition (who, when, from, to, why); the read is audited."""
    candidate_row(session, user, candidate_id)
    rows = list(
        session.scalars(
            select(ReferralRow)
            .where(ReferralRow.candidate_id == candidate_id)
            .order_by(ReferralRow.referred_at, ReferralRow.id)
        )
    )
    runtime.store.audit(
        session,
        actor=user.actor,
        action="read_referrals",
        subject=f"candidates:{candidate_id}",
        purpose=f"{len(rows)} referrals",
    )
    session.commit()
    return _histories(session, runtime, rows, user)


@router.get("/referrals", response_model=list[ReferralItem])
def list_referrals(
    user: Counselor,
    session: SessionDep,
    runtime: RuntimeDep,
    counselor: Annotated[
        str | None, Query(description="Only referrals made by this account (its name).")
    ] = None,
    state: Annotated[Outcome | None, Query(description="Only referrals with this outcome.")] = None,
    since: Annotated[dt.date | None, Query(description="Only referrals made on or after.")] = None,
    awaiting_review: Annotated[
        bool | None, Query(description="Only those with an employer's report to confirm.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ReferralItem]:
    """Referrals of people in the counselor's region, newest first."""
    query = (
        select(ReferralRow)
        .join(CandidateRow, CandidateRow.id == ReferralRow.candidate_id)
        .where(CandidateRow.region_code.startswith(user.region_code or ""))
    )
    if counselor is not None:
        made = (
            select(ReferralContextRow.referral_id)
            .join(AccountRow, AccountRow.id == ReferralContextRow.account_id)
            .where(AccountRow.name == counselor.strip())
        )
        query = query.where(ReferralRow.id.in_(made))
    if state is not None:
        query = query.where(ReferralRow.outcome == state.value)
    if since is not None:
        query = query.where(ReferralRow.referred_at >= since)
    if awaiting_review is not None:
        waiting = select(ReferralEventRow.referral_id).where(
            ReferralEventRow.review == Review.AWAITING.value
        )
        query = query.where(
            ReferralRow.id.in_(waiting) if awaiting_review else ReferralRow.id.not_in(waiting)
        )
    rows = list(
        session.scalars(
            query.order_by(ReferralRow.referred_at.desc(), ReferralRow.id)
            .limit(limit)
            .offset(offset)
        )
    )
    runtime.store.audit(
        session,
        actor=user.actor,
        action="list_referrals",
        subject="referrals",
        purpose=f"counselor={counselor} state={state.value if state else None} since={since}; "
        f"{len(rows)} listed",
    )
    session.commit()
    return _items(session, rows)


@router.get("/referrals/{referral_id}/events", response_model=list[ReferralEventOut])
def events_of_referral(
    referral_id: str, user: CounselorOrEmployer, session: SessionDep, runtime: RuntimeDep
) -> list[ReferralEventOut]:
    """The transitions of a referral, oldest first (employers: of referrals to their own
    jobs, without the counselors' reasons)."""
    row = referral_row(session, user, referral_id)
    events = referral_events(runtime.store, session, [referral_id]).get(referral_id, [])
    runtime.store.audit(
        session,
        actor=user.actor,
        action="read_referral_events",
        subject=f"referrals:{referral_id} candidates:{row.candidate_id}",
        purpose=None,
    )
    session.commit()
    return [_event_out(e, user) for e in events]


@router.post(
    "/referrals/{referral_id}/review",
    response_model=ReferralHistory,
    responses={
        409: {"description": "No employer's report awaits review (nothing_to_review)"},
        412: {"description": "If-Match names a version that is no longer the stored one"},
    },
)
def review_referral(
    referral_id: str,
    body: ReviewBody,
    user: Counselor,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
    if_match: IfMatch = None,
) -> ReferralHistory:
    """Confirm the employer's reports on a referral (they then count for learning, the
    three-failures rule and the person's employment status) or dispute them (undone). With
    ``If-Match`` the verdict is on that version of the referral only (else 412); the response
    carries the new ``ETag``."""
    row = referral_row(session, user, referral_id)
    if not matches_etag(if_match, row.content_hash):
        raise precondition_failed(f"推荐 {referral_id}")
    try:
        changed, reviewed = review_reports(
            runtime.store, session, as_referral(row), confirm=body.confirm, actor=user.name
        )
    except NothingToReview as error:
        raise ApiError(409, "nothing_to_review", str(error)) from None
    if body.confirm:
        follow_outcome(
            runtime.store, session, changed, recorded_by=user.name, settings=runtime.settings
        )
    runtime.store.audit(
        session,
        actor=user.actor,
        action="referral_review",
        subject=f"referrals:{referral_id}",
        purpose=f"{'confirmed' if body.confirm else 'disputed'} {len(reviewed)} reports",
    )
    session.commit()
    session.expire_all()
    fresh = session.get(ReferralRow, referral_id)
    assert fresh is not None
    set_etag(response, fresh.content_hash)
    return _histories(session, runtime, [fresh], user)[0]
