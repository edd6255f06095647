"""Referrals (推荐) as stored: made, found, listed, moved along their lifecycle, reviewed and
accepted, each write and each read of a person's referrals audited.

A referral made through the API keeps its context (the model and reasons the counselor saw, a
sealed override reason, the person's consent) and its idempotency key, scoped to the account:
a retried request with the same key gets the same referral back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError

from matching.casework import ActorRole, ReferralEvent, Review
from matching.domain import Candidate, Job, Referral
from matching.rules import Feasibility, check_feasibility
from matching.settings import Settings
from matching.store.casework import (
    ReferralChanged,
    follow_outcome,
    new_id,
    record_transition,
    referral_events,
    review_reports,
)
from matching.store.database import Store
from matching.store.repository import (
    ATTEMPTS,
    ConcurrentChange,
    Repository,
    StaleVersion,
    matches_etag,
)
from matching.store.tables import (
    AccountRow,
    CandidateRow,
    JobRow,
    ReferralContextRow,
    ReferralEventRow,
    ReferralRow,
    scoped_idempotency_key,
)
from matching.vocabulary import Accommodation, Dimension, Outcome


class IdempotencyKeyReused(ValueError):
    """An idempotency key came back with a different request."""


class ReferralPending(ValueError):
    """The person already has a referral to the job that is still pending."""

    def __init__(self, referral_id: str) -> None:
        super().__init__(f"referral {referral_id} to this job is still pending")
        self.referral_id = referral_id


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    """Who asked for a referral, with which idempotency key and request (its hash)."""

    account_id: int
    key: str
    request_hash: str

    @property
    def scoped_key(self) -> str:
        return scoped_idempotency_key(self.account_id, self.key)


@dataclass(frozen=True, slots=True)
class Made:
    """A referral as stored, its context, its version (content hash) and whether the request
    was a retry answered with the referral an earlier one made."""

    referral: Referral
    context: ReferralContextRow
    version: str
    replayed: bool


@dataclass(frozen=True, slots=True)
class Referred:
    """A referral as its employer sees it: the person (identity opened only once they
    accepted the referral) and the job's accommodations they will use."""

    referral: Referral
    person: Candidate
    accepted: bool
    offered: list[Accommodation]


@dataclass(frozen=True, slots=True)
class Listing:
    """One referral of a list, with who made it and whether an employer's report awaits."""

    row: ReferralRow
    counselor: str | None
    awaiting_review: bool


def feasibility_of(store: Store, person: CandidateRow, job: Job) -> Feasibility:
    """The hard requirements (硬性条件) for a stored person and a job, from the person's
    effective capacities (the sealed matching profile: no identifier is decrypted)."""
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


class Referrals(Repository[Referral, ReferralRow]):
    """The referrals of one store, for one actor: :meth:`refer`, :meth:`transition`,
    :meth:`review`, :meth:`accept` and the audited reads."""

    kind = "referrals"
    record_type = Referral
    row_type = ReferralRow
    create_action = "refer"
    update_action = "referral_outcome"

    # -- making one ----------------------------------------------------------------------

    def replay(self, request: IdempotentRequest) -> Made | None:
        """The referral an earlier request with this key made, or ``None``;
        :class:`IdempotencyKeyReused` if that request was a different one."""
        context = self.session.scalar(
            select(ReferralContextRow).where(
                ReferralContextRow.idempotency_key == request.scoped_key
            )
        )
        if context is None:
            return None
        if context.request_hash != request.request_hash:
            raise IdempotencyKeyReused("this Idempotency-Key was used for a different referral")
        row = self.get(context.referral_id)
        assert row is not None
        return Made(self.record(row), context, row.content_hash, replayed=True)

    def refer(
        self,
        request: IdempotentRequest,
        *,
        candidate_id: str,
        job_id: str,
        model: str,
        rank: int | None,
        reasons: list[str],
        override_reason: str | None,
        purpose: str | None,
        today: dt.date,
    ) -> Made:
        """Refer a person to a job (the caller checked the hard requirements), keeping what it
        was based on; the override reason is sealed and kept out of the audit log.

        Serialised per person, so that two concurrent requests cannot both find no pending
        referral: :class:`ReferralPending` if one to the job is still pending. A retry with
        the same key (also one racing this request) gets the earlier referral back.
        """
        self._lock_person(candidate_id)
        # A concurrent retry with the same key may have committed while this one waited.
        replayed = self.replay(request)
        if replayed is not None:
            return replayed
        pending = self.session.scalar(
            select(ReferralRow.id).where(
                ReferralRow.candidate_id == candidate_id,
                ReferralRow.job_id == job_id,
                ReferralRow.outcome == Outcome.PENDING.value,
            )
        )
        if pending is not None:
            raise ReferralPending(pending)
        referral = Referral(
            id=new_id("r"),
            candidate_id=candidate_id,
            job_id=job_id,
            referred_at=today,
            outcome=Outcome.PENDING,
        )
        context = ReferralContextRow(
            referral_id=referral.id,
            idempotency_key=request.scoped_key,
            request_hash=request.request_hash,
            account_id=request.account_id,
            model=model,
            rank=rank,
            reasons=reasons,
            override_reason=self.store.vault.seal_text(override_reason),
        )
        self.store.upsert(self.session, self.kind, [referral])
        self.session.add(context)
        self.audit(
            self.create_action,
            f"{self.subject(referral.id)} candidates:{candidate_id} jobs:{job_id}",
            # Not the override reason: the log is not sealed, the reason is kept sealed above.
            purpose or ("override" if override_reason else None),
        )
        try:
            self.session.commit()
        except IntegrityError:
            # A concurrent request with the same key won the race: answer with its referral.
            self.session.rollback()
            replayed = self.replay(request)
            if replayed is None:
                raise
            return replayed
        return Made(referral, context, self.version(referral.id), replayed=False)

    def _lock_person(self, candidate_id: str) -> None:
        """Serialise referral creation for one person until this transaction ends: a row lock
        on PostgreSQL; on SQLite a no-op write, which takes the database's write lock."""
        if self.session.get_bind().dialect.name == "sqlite":
            self.session.execute(
                update(CandidateRow)
                .where(CandidateRow.id == candidate_id)
                .values(active=CandidateRow.active)
            )
        else:
            self.session.execute(
                select(CandidateRow.id).where(CandidateRow.id == candidate_id).with_for_update()
            )

    # -- reading -------------------------------------------------------------------------

    def version(self, referral_id: str) -> str:
        """The content hash (the ETag) of the referral as this transaction now stores it."""
        found = self.session.scalar(
            select(ReferralRow.content_hash).where(ReferralRow.id == referral_id)
        )
        assert found is not None
        return found

    def context(self, referral_id: str) -> ReferralContextRow | None:
        """What a referral made through the API was based on (``None`` for an imported one)."""
        return self.session.get(ReferralContextRow, referral_id)

    def referred(self, referral: Referral) -> Referred:
        """A referral as its employer sees it; opening the identity of a person who accepted
        is a disclosure, audited and committed."""
        return self._referred(
            referral,
            self._candidate_row(referral.candidate_id),
            self.context(referral.id),
        )

    def referred_to_job(self, job_id: str, *, region_prefix: str = "") -> list[Referred]:
        """The referrals to a job of people in a region, in id order, as the employer sees
        them (each disclosure audited, all committed at once)."""
        query = (
            select(ReferralRow, CandidateRow, ReferralContextRow)
            .join(CandidateRow, CandidateRow.id == ReferralRow.candidate_id)
            .outerjoin(ReferralContextRow, ReferralContextRow.referral_id == ReferralRow.id)
            .where(
                ReferralRow.job_id == job_id,
                CandidateRow.region_code.startswith(region_prefix),
            )
            .order_by(ReferralRow.id)
        )
        found = [
            self._referred(self.record(row), person, context, commit=False)
            for row, person, context in self.session.execute(query).all()
        ]
        self.session.commit()
        return found

    def _referred(
        self,
        referral: Referral,
        person: CandidateRow,
        context: ReferralContextRow | None,
        *,
        commit: bool = True,
    ) -> Referred:
        accepted = context is not None and context.accepted_at is not None
        if not accepted:
            return Referred(referral, Candidate.model_validate(person.record), False, [])
        # Personal data is decrypted only for those who agreed to share it.
        record = self.store.to_record("candidates", person)
        assert isinstance(record, Candidate)
        job = self.session.get(JobRow, referral.job_id)
        offered = [Accommodation(a) for a in (job.record.get("accommodations", []) if job else [])]
        self.audit("read_identity", f"candidates:{person.id}", f"referral {referral.id} accepted")
        if commit:
            self.session.commit()
        return Referred(referral, record, True, offered)

    def _candidate_row(self, candidate_id: str) -> CandidateRow:
        row = self.session.get(CandidateRow, candidate_id)
        assert row is not None  # a referral's person is never deleted (foreign key)
        return row

    def of_candidate(self, candidate_id: str) -> list[ReferralRow]:
        """Every referral of a person, oldest first (the read is audited)."""
        rows = list(
            self.session.scalars(
                select(ReferralRow)
                .where(ReferralRow.candidate_id == candidate_id)
                .order_by(ReferralRow.referred_at, ReferralRow.id)
            )
        )
        self.recorded("read_referrals", f"candidates:{candidate_id}", f"{len(rows)} referrals")
        return rows

    def search(
        self,
        *,
        region_prefix: str,
        counselor: str | None = None,
        state: Outcome | None = None,
        since: dt.date | None = None,
        awaiting_review: bool | None = None,
        limit: int,
        offset: int = 0,
    ) -> list[ReferralRow]:
        """Referrals of people in a region, newest first: made by the ``counselor`` (an
        account's name), with an outcome, made on or after ``since``, with (or without) an
        employer's report awaiting review. The list is audited."""
        query: Select[ReferralRow] = (
            select(ReferralRow)
            .join(CandidateRow, CandidateRow.id == ReferralRow.candidate_id)
            .where(CandidateRow.region_code.startswith(region_prefix))
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
            self.session.scalars(
                query.order_by(ReferralRow.referred_at.desc(), ReferralRow.id)
                .limit(limit)
                .offset(offset)
            )
        )
        self.recorded(
            "list_referrals",
            self.kind,
            f"counselor={counselor} state={state.value if state else None} since={since}; "
            f"{len(rows)} listed",
        )
        return rows

    def listings(self, rows: list[ReferralRow]) -> list[Listing]:
        """The rows with who made each (an account's name; ``None`` for an imported one) and
        whether an employer's report awaits review."""
        ids = [r.id for r in rows]
        makers = dict(
            self.session.execute(
                select(ReferralContextRow.referral_id, AccountRow.name)
                .join(AccountRow, AccountRow.id == ReferralContextRow.account_id)
                .where(ReferralContextRow.referral_id.in_(ids))
            ).all()
        )
        awaiting = set(
            self.session.scalars(
                select(ReferralEventRow.referral_id).where(
                    ReferralEventRow.referral_id.in_(ids),
                    ReferralEventRow.review == Review.AWAITING.value,
                )
            )
        )
        return [Listing(r, makers.get(r.id), r.id in awaiting) for r in rows]

    def events(self, referral_ids: list[str]) -> dict[str, list[ReferralEvent]]:
        """The transitions of each referral, oldest first (their reasons opened: a caller
        showing them to someone else audits, see :meth:`events_read`)."""
        return referral_events(self.store, self.session, referral_ids)

    def events_read(self, row: ReferralRow) -> list[ReferralEvent]:
        """The transitions of one referral, oldest first; the read is audited."""
        events = self.events([row.id]).get(row.id, [])
        self.recorded(
            "read_referral_events",
            f"{self.subject(row.id)} candidates:{row.candidate_id}",
            None,
        )
        return events

    # -- changing one --------------------------------------------------------------------

    def transition(
        self,
        load: Callable[[], ReferralRow],
        wanted: Outcome,
        *,
        role: ActorRole,
        by: str,
        reason: str | None,
        outcome_at: dt.date | None,
        if_match: str | None,
        settings: Settings,
    ) -> tuple[Referral, Referral, str]:
        """Move the referral ``load`` reads to ``wanted`` (see
        :func:`~matching.store.casework.record_transition` for what is refused), by the
        person named ``by``; a counselor's step is followed into the person's employment
        status. Asking for the outcome it already has changes nothing.

        Stored by compare-and-set: with ``if_match`` any other stored version is
        :class:`StaleVersion`; without it the step is checked again against a newer version,
        a few times, then :class:`ConcurrentChange`. Returns the referral before and after
        and the stored version.
        """
        for _attempt in range(ATTEMPTS):
            row = load()
            if not matches_etag(if_match, row.content_hash):
                raise StaleVersion(self.subject(row.id))
            current = self.record(row)
            if wanted is current.outcome:
                return current, current, row.content_hash
            try:
                changed, _event = record_transition(
                    self.store,
                    self.session,
                    current,
                    wanted,
                    actor=by,
                    role=role,
                    reason=reason,
                    outcome_at=outcome_at,
                    expected_hash=row.content_hash,
                )
            except ReferralChanged:
                # Another step was stored since this one was read: check it against that one.
                self.session.rollback()
                self.session.expire_all()
                continue
            if role is ActorRole.COUNSELOR:
                follow_outcome(self.store, self.session, changed, recorded_by=by, settings=settings)
            self.audit(
                self.update_action,
                self.subject(row.id),
                f"{current.outcome.value} -> {wanted.value}",
            )
            version = self.version(row.id)
            self.session.commit()
            return current, changed, version
        raise ConcurrentChange(self.subject(row.id))

    def review(
        self,
        row: ReferralRow,
        *,
        confirm: bool,
        by: str,
        if_match: str | None,
        settings: Settings,
    ) -> ReferralRow:
        """A counselor (named ``by``) confirms or disputes the employer's reports on a
        referral (see :func:`~matching.store.casework.review_reports`); a confirmed report
        is followed into the person's employment status. With ``if_match`` the verdict is
        on that version only (:class:`StaleVersion`). Returns the referral as now stored."""
        if not matches_etag(if_match, row.content_hash):
            raise StaleVersion(self.subject(row.id))
        changed, reviewed = review_reports(
            self.store, self.session, self.record(row), confirm=confirm, actor=by
        )
        if confirm:
            follow_outcome(self.store, self.session, changed, recorded_by=by, settings=settings)
        self.recorded(
            "referral_review",
            self.subject(row.id),
            f"{'confirmed' if confirm else 'disputed'} {len(reviewed)} reports",
        )
        self.session.expire_all()
        fresh = self.get(row.id)
        assert fresh is not None
        return fresh

    def accept(self, row: ReferralRow, context: ReferralContextRow) -> ReferralContextRow:
        """Record that the person accepted the referral: from now on its employer sees their
        name and phone for it (accepting again changes nothing)."""
        if context.accepted_at is None:
            context.accepted_at = dt.datetime.now(dt.UTC)
            self.recorded(
                "referral_accepted",
                f"{self.subject(row.id)} candidates:{row.candidate_id}",
                "the person agreed to share their identity with the employer",
            )
        return context
