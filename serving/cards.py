"""What an employer sees of a referred person: the card view, with the identity only once the
person accepted the referral (that disclosure is audited)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from matching.domain import Candidate, Referral
from matching.store import Store
from matching.store.tables import CandidateRow, ReferralContextRow
from serving.auth import Account
from serving.schemas import CandidateCard, ReferralCard


def referral_card(
    store: Store,
    session: Session,
    user: Account,
    referral: Referral,
    candidate: CandidateRow,
    context: ReferralContextRow | None,
) -> ReferralCard:
    """A referral as a card; the caller commits the session (the audit of a disclosure)."""
    accepted = context is not None and context.accepted_at is not None
    # Personal data is decrypted only for those who agreed to share it.
    record = (
        store.to_record("candidates", candidate)
        if accepted
        else Candidate.model_validate(candidate.record)
    )
    assert isinstance(record, Candidate)
    if accepted:
        store.audit(
            session,
            actor=user.actor,
            action="read_identity",
            subject=f"candidates:{candidate.id}",
            purpose=f"referral {referral.id} accepted",
        )
    return ReferralCard(
        id=referral.id,
        job_id=referral.job_id,
        referred_at=referral.referred_at,
        outcome=referral.outcome,
        outcome_at=referral.outcome_at,
        candidate=CandidateCard.of(record, identity=accepted),
    )
