"""Referrals (推荐): a counselor refers a person to a job. The hard requirements are checked
again here (409 naming what failed); the model version, the reasons shown and any override
reason are kept; an ``Idempotency-Key`` makes a retried request return the same referral."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Annotated

from fastapi import APIRouter, Header, Response, status
from pydantic import ValidationError
from sqlalchemy.orm import Session

from matching.casework import ActorRole
from matching.domain import Job, Referral
from matching.explain import unmet_reason
from matching.lifecycle import InvalidTransition
from matching.rules import Unmet
from matching.store import Store
from matching.store.casework import NotAnEmployerDecision
from matching.store.referrals import (
    IdempotencyKeyReused,
    IdempotentRequest,
    Made,
    ReferralPending,
    Referrals,
    feasibility_of,
)
from matching.store.tables import CandidateRow, ReferralContextRow
from serving.access import as_job, candidate_row, inactive_candidate, job_row, referral_row
from serving.auth import Account, Role
from serving.cards import referral_card
from serving.casework import invalid_transition
from serving.deps import Counselor, CounselorOrEmployer, MatcherDep, RuntimeDep, SessionDep
from serving.errors import ERROR_RESPONSES, ApiError, invalid
from serving.patching import IfMatch, set_etag, store_errors
from serving.schemas import OutcomeUpdate, ReferralCard, ReferralCreate, ReferralOut

__all__ = ["REFERRAL_TOP_K", "feasibility_of", "router"]

router = APIRouter(prefix="/v1/referrals", tags=["referrals"], responses=ERROR_RESPONSES)

#: A job the model ranked within this many places needs no override reason.
REFERRAL_TOP_K = 10


def _describe(unmet: Unmet) -> tuple[str, str]:
    field = f"capacity.{unmet.item}" if unmet.demand is not None else unmet.requirement.value
    return (field, unmet_reason(unmet))


def _out(store: Store, referral: Referral, context: ReferralContextRow | None) -> ReferralOut:
    extra = (
        {
            "model": context.model,
            "rank": context.rank,
            "reasons_shown": context.reasons,
            "override_reason": store.vault.open_text(context.override_reason),
            "accepted": context.accepted_at is not None,
        }
        if context is not None
        else {}
    )
    return ReferralOut.model_validate({**referral.model_dump(), **extra})


def _referrals(session: Session, runtime: RuntimeDep, user: Account) -> Referrals:
    return Referrals(runtime.store, session, actor=user.actor)


def _key_reused() -> ApiError:
    return ApiError(
        409,
        "idempotency_key_reused",
        "this Idempotency-Key was used for a different referral",
        [("Idempotency-Key", "was already used with another request body")],
    )


def _answer(store: Store, made: Made, response: Response) -> ReferralOut:
    """The referral made, or (200) the one an earlier request with the same key made."""
    if made.replayed:
        response.status_code = status.HTTP_200_OK
    set_etag(response, made.version)
    return _out(store, made.referral, made.context)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferralOut,
    responses={
        200: {"model": ReferralOut, "description": "The same key was used before: that referral"},
        409: {"description": "The job is infeasible for the person, closed, or the key reused"},
    },
)
def create_referral(
    body: ReferralCreate,
    idempotency_key: Annotated[
        str,
        Header(
            alias="Idempotency-Key",
            min_length=8,
            max_length=128,
            description="A fresh random string per referral; a retry with it changes nothing.",
        ),
    ],
    user: Counselor,
    session: SessionDep,
    runtime: RuntimeDep,
    matcher: MatcherDep,
    response: Response,
) -> ReferralOut:
    """Refer a person to a job in the counselor's region."""
    request = IdempotentRequest(
        account_id=user.id,
        key=idempotency_key,
        request_hash=hashlib.sha256(
            json.dumps([user.id, body.model_dump()], sort_keys=True).encode()
        ).hexdigest(),
    )
    referrals = _referrals(session, runtime, user)
    try:
        replayed = referrals.replay(request)
        if replayed is not None:
            return _answer(runtime.store, replayed, response)
        person = candidate_row(session, user, body.candidate_id)
        if not person.active:
            raise inactive_candidate(body.candidate_id)
        job = as_job(job_row(session, user, body.job_id))
        _check_referable(runtime.store, person, job)
        # The top 10 the counselor was shown: ranked within their region, as the
        # recommendations route ranks for them.
        ranked = matcher.jobs_for_candidate(
            body.candidate_id, REFERRAL_TOP_K, region_prefix=user.region_code or ""
        )
        place = next((n for n, m in enumerate(ranked, 1) if m.id == job.id), None)
        override = (body.override_reason or "").strip() or None
        if place is None and override is None:
            raise ApiError(
                422,
                "override_reason_required",
                f"job {job.id} is not among the model's top {REFERRAL_TOP_K} for this person",
                [("override_reason", "is required when choosing a job the model ranked lower")],
            )
        made = referrals.refer(
            request,
            candidate_id=body.candidate_id,
            job_id=job.id,
            model=matcher.ranker.name,
            rank=place,
            reasons=ranked[place - 1].reasons if place else [],
            override_reason=override,
            purpose=body.purpose,
            today=dt.date.today(),
        )
    except IdempotencyKeyReused:
        raise _key_reused() from None
    except ReferralPending as pending:
        raise ApiError(
            409,
            "referral_pending",
            f"该求职者已被推荐到岗位 {body.job_id}，推荐 {pending.referral_id} 尚无结果",
            [("job_id", str(pending))],
        ) from None
    return _answer(runtime.store, made, response)


def _check_referable(store: Store, person: CandidateRow, job: Job) -> None:
    """409 when the job is closed or infeasible for the person (naming every failure)."""
    if not job.is_open(dt.date.today()):
        raise ApiError(409, "job_closed", f"job {job.id} is not taking referrals")
    verdict = feasibility_of(store, person, job)
    if not verdict.feasible:
        # The counselor reads the reasons: in Chinese, naming exactly what is missing.
        raise ApiError(
            409,
            "infeasible",
            f"岗位 {job.id} 不符合此人的硬性条件："
            + "；".join(unmet_reason(u) for u in verdict.unmet),
            [_describe(u) for u in verdict.unmet],
        )


def _view(referrals: Referrals, user: Account, referral: Referral) -> ReferralOut | ReferralCard:
    """What the caller may see of a referral: counselors the whole of it, employers only the
    card view (never the counselor's override reason or the reasons they were shown)."""
    if user.role is Role.EMPLOYER:
        return referral_card(referrals.referred(referral))
    return _out(referrals.store, referral, referrals.context(referral.id))


@router.get(
    "/{referral_id}",
    response_model=ReferralOut | ReferralCard,
    description="Counselors get the whole referral; employers its card view.",
)
def read_referral(
    referral_id: str,
    user: CounselorOrEmployer,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
) -> ReferralOut | ReferralCard:
    """A referral of a person in the counselor's region, or to one of the employer's jobs."""
    row = referral_row(session, user, referral_id)
    set_etag(response, row.content_hash)
    referrals = _referrals(session, runtime, user)
    return _view(referrals, user, referrals.record(row))


@router.patch(
    "/{referral_id}",
    response_model=ReferralOut | ReferralCard,
    responses={
        409: {
            "description": "Not a step of the referral lifecycle (invalid_transition), or "
            "changed concurrently again and again (conflict)"
        },
        412: {"description": "If-Match names a version that is no longer the stored one"},
    },
)
def record_outcome(
    referral_id: str,
    update: OutcomeUpdate,
    user: CounselorOrEmployer,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
    if_match: IfMatch = None,
) -> ReferralOut | ReferralCard:
    """Move a referral along its lifecycle (README, "Casework"); the ranker learns from it.
    Employers report only their decision (interviewed, hired, rejected) on their own jobs, a
    counselor confirms it, and they are answered with the card view. Asking for the outcome
    the referral already has changes nothing.

    The step is stored only if the referral is still the version it was checked against (the
    response's ``ETag``): with ``If-Match`` any other version is 412; without it the step is
    checked again against the newer version (409 if it is no longer a lifecycle step)."""
    referrals = _referrals(session, runtime, user)
    try:
        with store_errors():
            _, changed, version = referrals.transition(
                lambda: referral_row(session, user, referral_id),
                update.outcome,
                role=ActorRole.EMPLOYER if user.role is Role.EMPLOYER else ActorRole.COUNSELOR,
                by=user.name,
                reason=update.reason,
                outcome_at=update.outcome_at,
                if_match=if_match,
                settings=runtime.settings,
            )
    except NotAnEmployerDecision as error:
        raise ApiError(
            403, "not_employer_decision", str(error), [("outcome", str(error))]
        ) from None
    except InvalidTransition as error:
        raise invalid_transition(error) from None
    except ValidationError as error:
        raise invalid(error) from None
    set_etag(response, version)
    return _view(referrals, user, changed)


@router.post("/{referral_id}/accept", response_model=ReferralOut)
def accept_referral(
    referral_id: str, user: Counselor, session: SessionDep, runtime: RuntimeDep
) -> ReferralOut:
    """Record that the person accepted the referral: from now on the employer sees their name
    and phone for it."""
    row = referral_row(session, user, referral_id)
    referrals = _referrals(session, runtime, user)
    context = referrals.context(referral_id)
    if context is None:
        raise ApiError(
            409, "no_referral_context", "only referrals made through the API can be accepted"
        )
    return _out(runtime.store, referrals.record(row), referrals.accept(row, context))
