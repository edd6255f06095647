"""Accounts and the audit log (admins), statistics (managers), the model in service."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from sqlalchemy import func, select

from matching.features import FEATURES
from matching.store.repository import Audited
from matching.store.tables import AccountRow, AuditRow, CandidateRow, JobRow, ReferralRow
from matching.vocabulary import DisabilityCategory
from serving.auth import (
    Account,
    AccountError,
    Role,
    create_account_in,
    issue_token,
    revoke_tokens,
)
from serving.deps import Admin, CurrentUser, Manager, MatcherDep, RuntimeDep, SessionDep
from serving.errors import ERROR_RESPONSES, ApiError, not_found
from serving.schemas import (
    AccountCreate,
    AccountCreated,
    AccountOut,
    AuditEntry,
    ModelOut,
    Statistics,
)

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)

# Metric keys naming a disability category ("candidates.mental.ndcg_at_10"): fairness figures
# for those who oversee the model, not for counselors or employers.
_PER_CATEGORY = frozenset(c.value for c in DisabilityCategory)


def _account_out(account: Account) -> AccountOut:
    return AccountOut(
        id=account.id,
        name=account.name,
        role=account.role,
        region_code=account.region_code,
        employer_id=account.employer_id,
        active=account.active,
        created_at=account.created_at,
    )


@router.post(
    "/accounts",
    status_code=status.HTTP_201_CREATED,
    response_model=AccountCreated,
    tags=["accounts"],
)
def create_account_route(
    body: AccountCreate, user: Admin, session: SessionDep, runtime: RuntimeDep
) -> AccountCreated:
    """Make an account and its first bearer token (shown only in this response)."""
    try:
        account = create_account_in(
            session,
            name=body.name,
            role=body.role,
            region=body.region_code,
            employer=body.employer_id,
        )
    except AccountError as error:
        raise ApiError(422, "invalid", str(error), [("scope", str(error))]) from None
    token = issue_token(session, account.id)
    Audited(runtime.store, session, actor=user.actor).recorded(
        "create_account", f"accounts:{account.id}", body.role.value
    )
    return AccountCreated(account=_account_out(account), token=token)


@router.get("/accounts", response_model=list[AccountOut], tags=["accounts"])
def list_accounts(user: Admin, session: SessionDep) -> list[AccountOut]:
    """Every account (never their tokens)."""
    rows = session.scalars(select(AccountRow).order_by(AccountRow.id))
    return [_account_out(Account.from_row(r)) for r in rows]


@router.post("/accounts/{account_id}/revoke", response_model=AccountOut, tags=["accounts"])
def revoke_account(
    # Bounded: a 30-digit id is no account, not an integer overflow in the database.
    account_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    user: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> AccountOut:
    """Deactivate an account and revoke all its tokens at once."""
    row = session.get(AccountRow, account_id)
    if row is None:
        raise not_found("account", str(account_id))
    row.active = False
    revoked = revoke_tokens(session, account_id)
    Audited(runtime.store, session, actor=user.actor).recorded(
        "revoke_account", f"accounts:{account_id}", f"{revoked} tokens revoked"
    )
    return _account_out(Account.from_row(row))


@router.get("/accounts/me", response_model=AccountOut, tags=["accounts"])
def who_am_i(user: CurrentUser) -> AccountOut:
    """The account of the bearer token."""
    return _account_out(user)


@router.get("/audit", response_model=list[AuditEntry], tags=["audit"])
def read_audit(
    user: Admin,
    session: SessionDep,
    actor: Annotated[str | None, Query(description="Exact actor, e.g. account:3:王老师")] = None,
    action: Annotated[str | None, Query(description="e.g. read_sensitive, refer, export")] = None,
    subject: Annotated[str | None, Query(description="Substring, e.g. candidates:c1")] = None,
    since: Annotated[dt.datetime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEntry]:
    """Who read or changed what, when and why; newest first."""
    query = select(AuditRow)
    if actor:
        query = query.where(AuditRow.actor == actor)
    if action:
        query = query.where(AuditRow.action == action)
    if subject:
        query = query.where(AuditRow.subject.contains(subject))
    if since:
        query = query.where(AuditRow.at >= since)
    rows = session.scalars(query.order_by(AuditRow.id.desc()).limit(limit))
    return [
        AuditEntry(
            id=r.id, at=r.at, actor=r.actor, action=r.action, subject=r.subject, purpose=r.purpose
        )
        for r in rows
    ]


@router.get("/statistics", response_model=Statistics, tags=["statistics"])
def statistics(
    user: Manager,
    session: SessionDep,
    region: Annotated[str | None, Query(description="Region code prefix.")] = None,
) -> Statistics:
    """Counts of people, jobs, referrals and outcomes (no personal data)."""
    prefix = region or ""
    today = dt.date.today()

    def count(*where: object) -> int:
        return session.scalar(select(func.count()).where(*where)) or 0  # type: ignore[arg-type]

    in_region_candidates = CandidateRow.region_code.startswith(prefix)
    in_region_jobs = JobRow.region_code.startswith(prefix)
    outcomes = session.execute(
        select(ReferralRow.outcome, func.count())
        .join(JobRow, JobRow.id == ReferralRow.job_id)
        .where(in_region_jobs)
        .group_by(ReferralRow.outcome)
    ).all()
    return Statistics(
        region_prefix=region,
        candidates=count(in_region_candidates),
        active_candidates=count(in_region_candidates, CandidateRow.active.is_(True)),
        jobs=count(in_region_jobs),
        open_jobs=count(
            in_region_jobs,
            JobRow.posted_at <= today,
            (JobRow.closes_at.is_(None)) | (JobRow.closes_at >= today),
        ),
        referrals=sum(n for _, n in outcomes),
        outcomes=dict(outcomes),
    )


@router.get("/model", response_model=ModelOut, tags=["model"])
def model_in_service(user: CurrentUser, matcher: MatcherDep, runtime: RuntimeDep) -> ModelOut:
    """The ranker in service: version, when it was trained, its evaluation metrics (the
    per-disability-category ones for managers and admins only)."""
    ranker = matcher.ranker
    return ModelOut(
        name=ranker.name,
        version=ranker.version,
        learned=ranker.learned,
        trained_at=ranker.trained_at,
        metrics=ranker.metrics
        if user.role in (Role.MANAGER, Role.ADMIN)
        else {
            k: v for k, v in ranker.metrics.items() if not _PER_CATEGORY.intersection(k.split("."))
        },
        embedding_model_id=runtime.resources.embedder.model_id,
        features=list(FEATURES),
    )
