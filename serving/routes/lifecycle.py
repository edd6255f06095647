"""The referral lifecycle (issue 13 item 1, issue 9 item 6): a person's referrals with every
transition, a counselor's referral list, and the review of employers' reports.

Transitions themselves are recorded by ``PATCH /v1/referrals/{id}`` (``serving.routes.referrals``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response

from matching.casework import ReferralEvent
from matching.lifecycle import NEXT_OUTCOMES
from matching.store.casework import NothingToReview
from matching.store.referrals import Listing, Referrals
from matching.store.tables import ReferralRow
from matching.vocabulary import Outcome
from serving.access import as_referral, candidate_row, referral_row
from serving.auth import Account, Role
from serving.deps import Counselor, CounselorOrEmployer, RuntimeDep, SessionDep
from serving.errors import ERROR_RESPONSES, ApiError
from serving.patching import IfMatch, set_etag, store_errors
from serving.schemas_casework import ReferralEventOut, ReferralHistory, ReferralItem, ReviewBody

router = APIRouter(prefix="/v1", tags=["referrals"], responses=ERROR_RESPONSES)


def _event_out(event: ReferralEvent, user: Account) -> ReferralEventOut:
    data = event.model_dump()
    if user.role is not Role.COUNSELOR:
        data["reason"] = None  # counselors' text never reaches an employer
    return ReferralEventOut.model_validate(data)


def _item(listing: Listing) -> ReferralItem:
    row = listing.row
    return ReferralItem.model_validate(
        {
            **as_referral(row).model_dump(),
            "counselor": listing.counselor,
            "awaiting_review": listing.awaiting_review,
            "allowed_next": list(NEXT_OUTCOMES[Outcome(row.outcome)]),
        }
    )


def _histories(
    referrals: Referrals, rows: list[ReferralRow], user: Account
) -> list[ReferralHistory]:
    events = referrals.events([r.id for r in rows])
    return [
        ReferralHistory(
            referral=_item(listing),
            events=[_event_out(e, user) for e in events.get(listing.row.id, [])],
        )
        for listing in referrals.listings(rows)
    ]


@router.get("/candidates/{candidate_id}/referrals", response_model=list[ReferralHistory])
def referrals_of_candidate(
    candidate_id: str, user: Counselor, session: SessionDep, runtime: RuntimeDep
) -> list[ReferralHistory]:
    """Every referral of a person in the counselor's region, oldest first, with each
    transition (who, when, from, to, why); the read is audited."""
    candidate_row(session, user, candidate_id)
    referrals = Referrals(runtime.store, session, actor=user.actor)
    return _histories(referrals, referrals.of_candidate(candidate_id), user)


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
    referrals = Referrals(runtime.store, session, actor=user.actor)
    rows = referrals.search(
        region_prefix=user.region_code or "",
        counselor=counselor,
        state=state,
        since=since,
        awaiting_review=awaiting_review,
        limit=limit,
        offset=offset,
    )
    return [_item(listing) for listing in referrals.listings(rows)]


@router.get("/referrals/{referral_id}/events", response_model=list[ReferralEventOut])
def events_of_referral(
    referral_id: str, user: CounselorOrEmployer, session: SessionDep, runtime: RuntimeDep
) -> list[ReferralEventOut]:
    """The transitions of a referral, oldest first (employers: of referrals to their own
    jobs, without the counselors' reasons)."""
    row = referral_row(session, user, referral_id)
    events = Referrals(runtime.store, session, actor=user.actor).events_read(row)
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
    referrals = Referrals(runtime.store, session, actor=user.actor)
    try:
        with store_errors():
            fresh = referrals.review(
                referral_row(session, user, referral_id),
                confirm=body.confirm,
                by=user.name,
                if_match=if_match,
                settings=runtime.settings,
            )
    except NothingToReview as error:
        raise ApiError(409, "nothing_to_review", str(error)) from None
    set_etag(response, fresh.content_hash)
    return _histories(referrals, [fresh], user)[0]
