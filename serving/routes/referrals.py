"""Referrals (推荐): a counselor refers a person to a job. The hard requirements are checked
again here (409 naming what failed); the model version, the reasons shown and any override
reason are kept; an ``Idempotency-Key`` makes a retried request return the same referral."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Response, status
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy import update as sa_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matching.casework import ActorRole
from matching.domain import Job, Referral
from matching.explain import unmet_reason
from matching.lifecycle import InvalidTransition
from matching.rules import Feasibility, Unmet, check_feasibility
from matching.store import Store
from matching.store.casework import (
    NotAnEmployerDecision,
    ReferralChanged,
    follow_outcome,
    record_transition,
)
from matching.store.tables import (
    CandidateRow,
    JobRow,
    ReferralContextRow,
    ReferralRow,
    scoped_idempotency_key,
)
from matching.vocabulary import Dimension, Outcome
from serving.access import (
    as_job,
    as_referral,
    candidate_row,
    check_region,
    inactive_candidate,
    referral_row,
)
from serving.auth import Account, Role
from serving.cards import referral_card
from serving.casework import invalid_transition
from serving.deps import Counselor, CounselorOrEmployer, MatcherDep, RuntimeDep, SessionDep
from serving.errors import ERROR_RESPONSES, ApiError, invalid, not_found
from serving.patching import ATTEMPTS, IfMatch, matches_etag, precondition_failed, set_etag
from serving.schemas import OutcomeUpdate, ReferralCard, ReferralCreate, ReferralOut

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


def _replay(
    store: Store, session: Session, user: Account, key: str, request_hash: str
) -> ReferralOut | None:
    context = session.scalar(
        select(ReferralContextRow).where(
            ReferralContextRow.idempotency_key == scoped_idempotency_key(user.id, key)
        )
    )
    if context is None:
        return None
    if context.request_hash != request_hash:
        raise ApiError(
            409,
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different referral",
            [("Idempotency-Key", "was already used with another request body")],
        )
    row = session.get(ReferralRow, context.referral_id)
    assert row is not None
    return _out(store, as_referral(row), context)


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
    request_hash = hashlib.sha256(
        json.dumps([user.id, body.model_dump()], sort_keys=True).encode()
    ).hexdigest()
    replayed = _replay(runtime.store, session, user, idempotency_key, request_hash)
    if replayed is not None:
        response.status_code = status.HTTP_200_OK
        set_etag(response, stored_hash(session, replayed.id))
        return replayed
    person = candidate_row(session, user, body.candidate_id)
    if not person.active:
        raise inactive_candidate(body.candidate_id)
    job_found = session.get(JobRow, body.job_id)
    if job_found is None:
        raise not_found("job", body.job_id)
    check_region(user, job_found.region_code, f"job {body.job_id}")
    job = as_job(job_found)
    _check_referable(runtime.store, person, job)
    # The top 10 the counselor was shown: ranked within their region, as the recommendations
    # route ranks for them.
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
    _lock_person(session, body.candidate_id)
    # A concurrent retry with the same key may have committed while this one waited.
    replayed = _replay(runtime.store, session, user, idempotency_key, request_hash)
    if replayed is not None:
        response.status_code = status.HTTP_200_OK
        set_etag(response, stored_hash(session, replayed.id))
        return replayed
    pending = session.scalar(
        select(ReferralRow.id).where(
            ReferralRow.candidate_id == body.candidate_id,
            ReferralRow.job_id == job.id,
            ReferralRow.outcome == Outcome.PENDING.value,
        )
    )
    if pending is not None:
        raise ApiError(
            409,
            "referral_pending",
            f"该求职者已被推荐到岗位 {job.id}，推荐 {pending} 尚无结果",
            [("job_id", f"referral {pending} to this job is still pending")],
        )
    today = dt.date.today()
    referral = Referral(
        id=f"r-{uuid.uuid4().hex[:20]}",
        candidate_id=body.candidate_id,
        job_id=job.id,
        referred_at=today,
        outcome=Outcome.PENDING,
    )
    context = ReferralContextRow(
        referral_id=referral.id,
        idempotency_key=scoped_idempotency_key(user.id, idempotency_key),
        request_hash=request_hash,
        account_id=user.id,
        model=matcher.ranker.name,
        rank=place,
        reasons=ranked[place - 1].reasons if place else [],
        override_reason=runtime.store.vault.seal_text(override),
    )
    runtime.store.upsert(session, "referrals", [referral])
    session.add(context)
    runtime.store.audit(
        session,
        actor=user.actor,
        action="refer",
        subject=f"referrals:{referral.id} candidates:{body.candidate_id} jobs:{job.id}",
        # Not the override reason: the log is not sealed, the reason is kept sealed above.
        purpose=body.purpose or ("override" if override else None),
    )
    try:
        session.commit()
    except IntegrityError:
        # A concurrent request with the same key won the race: answer with its referral.
        session.rollback()
        replayed = _replay(runtime.store, session, user, idempotency_key, request_hash)
        if replayed is None:
            raise
        response.status_code = status.HTTP_200_OK
        set_etag(response, stored_hash(session, replayed.id))
        return replayed
    set_etag(response, stored_hash(session, referral.id))
    return _out(runtime.store, referral, context)


def _lock_person(session: Session, candidate_id: str) -> None:
    """Serialise referral creation for one person until this transaction ends, so that two
    concurrent requests cannot both see "no pending referral" and both insert one: a row lock
    on PostgreSQL; on SQLite a no-op write, which takes the database's write lock."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            sa_update(CandidateRow)
            .where(CandidateRow.id == candidate_id)
            .values(active=CandidateRow.active)
        )
    else:
        session.execute(
            select(CandidateRow.id).where(CandidateRow.id == candidate_id).with_for_update()
        )


def feasibility_of(store: Store, person: CandidateRow, job: Job) -> Feasibility:
    """The hard requirements for a stored person and a job, from the person's effective
    capacities (the sealed matching profile; no identifier is decrypted)."""
    record = person.record
    effective = store.matching_profile(person.profile)["effective"]
    return check_feasibility(
        capacities={Dimension(d): v for d, v in effective.items()},
        certificates=record.get("certificates", []),
        needs=record.get("needs", []),
        demands=job.demands,
        certificates_required=job.certificates_required,
        accommodations=job.accommodations,
    )


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


def _view(
    store: Store, session: Session, user: Account, referral: Referral
) -> ReferralOut | ReferralCard:
    """What the caller may see of a referral: counselors the whole of it, employers only the
    card view (never the counselor's override reason or the reasons they were shown)."""
    context = session.get(ReferralContextRow, referral.id)
    if user.role is Role.EMPLOYER:
        candidate = session.get(CandidateRow, referral.candidate_id)
        assert candidate is not None
        return referral_card(store, session, user, referral, candidate, context)
    return _out(store, referral, context)


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
    view = _view(runtime.store, session, user, as_referral(row))
    session.commit()  # an employer's view may have disclosed an identity: keep its audit
    return view


def stored_hash(session: Session, referral_id: str) -> str:
    """The content hash (the ETag) of the referral as this transaction now stores it."""
    found = session.scalar(select(ReferralRow.content_hash).where(ReferralRow.id == referral_id))
    assert found is not None
    return found


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
    role = ActorRole.EMPLOYER if user.role is Role.EMPLOYER else ActorRole.COUNSELOR
    for _attempt in range(ATTEMPTS):
        row = referral_row(session, user, referral_id)
        if not matches_etag(if_match, row.content_hash):
            raise precondition_failed(f"推荐 {referral_id}")
        current = as_referral(row)
        if update.outcome is current.outcome:
            set_etag(response, row.content_hash)
            view = _view(runtime.store, session, user, current)
            session.commit()  # an employer's view may have disclosed an identity: keep its audit
            return view
        try:
            changed, _event = record_transition(
                runtime.store,
                session,
                current,
                update.outcome,
                actor=user.name,
                role=role,
                reason=update.reason,
                outcome_at=update.outcome_at,
                expected_hash=row.content_hash,
            )
        except ReferralChanged:
            # Another step was stored since this one was read: check it against that one.
            session.rollback()
            session.expire_all()
            continue
        except NotAnEmployerDecision as error:
            raise ApiError(
                403, "not_employer_decision", str(error), [("outcome", str(error))]
            ) from None
        except InvalidTransition as error:
            raise invalid_transition(error) from None
        except ValidationError as error:
            raise invalid(error) from None
        break
    else:
        raise ApiError(
            409,
            "conflict",
            f"推荐 {referral_id} 正被同时修改，请重新读取后再试 (changed concurrently; retry)",
        )
    if role is ActorRole.COUNSELOR:
        follow_outcome(
            runtime.store, session, changed, recorded_by=user.name, settings=runtime.settings
        )
    runtime.store.audit(
        session,
        actor=user.actor,
        action="referral_outcome",
        subject=f"referrals:{referral_id}",
        purpose=f"{current.outcome.value} -> {update.outcome.value}",
    )
    set_etag(response, stored_hash(session, referral_id))
    view = _view(runtime.store, session, user, changed)
    session.commit()
    return view


@router.post("/{referral_id}/accept", response_model=ReferralOut)
def accept_referral(
    referral_id: str, user: Counselor, session: SessionDep, runtime: RuntimeDep
) -> ReferralOut:
    """Record that the person accepted the referral: from now on the employer sees their name
    and phone for it."""
    row = referral_row(session, user, referral_id)
    context = session.get(ReferralContextRow, referral_id)
    if context is None:
        raise ApiError(
            409, "no_referral_context", "only referrals made through the API can be accepted"
        )
    if context.accepted_at is None:
        context.accepted_at = dt.datetime.now(dt.UTC)
        runtime.store.audit(
            session,
            actor=user.actor,
            action="referral_accepted",
            subject=f"referrals:{referral_id} candidates:{row.candidate_id}",
            purpose="the person agreed to share their identity with the employer",
        )
        session.commit()
    return _out(runtime.store, as_referral(row), context)
