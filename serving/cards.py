"""What an employer sees of a person: the card view, built here and nowhere else (README,
"Personal data").

Before the person accepted a referral to the employer's job, a card holds only skills,
trainings and education, none of them naming anything from which a disability can be read
(:func:`matching.privacy.reveals_disability`; assistive-technology trainings are left out),
and reasons are the generic ones of :func:`matching.explain.for_employers`. Once the person
accepted, the employer also sees their name and phone and which of the job's accommodations
they will use (that disclosure is audited).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from matching.domain import Candidate, Referral, Training
from matching.explain import for_employers
from matching.privacy import employer_visible_training, reveals_disability
from matching.store import Store
from matching.store.tables import CandidateRow, JobRow, ReferralContextRow
from matching.vocabulary import Accommodation
from serving.auth import Account
from serving.schemas import CandidateCard, Identity, ReferralCard

__all__ = ["candidate_card", "employer_reasons", "referral_card"]

#: The reasons an employer reads for a proposed person (one implementation: matching.explain).
employer_reasons = for_employers


def candidate_card(
    candidate: Candidate, *, accepted: bool = False, offered: Iterable[Accommodation] = ()
) -> CandidateCard:
    """The card of a person. ``accepted``: the person accepted a referral to a job offering
    ``offered``; only then are their name, phone and the needs that job meets on it."""
    trainings = [
        Training(name=name, year=t.year)
        for t in candidate.trainings
        if (name := employer_visible_training(t.name))
    ]
    offered = set(offered)
    return CandidateCard(
        id=candidate.id,
        skills=[skill for skill in candidate.skills if not reveals_disability(skill)],
        trainings=trainings,
        education=candidate.education,
        needs=[need for need in candidate.needs if need in offered] if accepted else [],
        identity=Identity(name=candidate.name, phone=candidate.phone) if accepted else None,
    )


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
    offered: list[Accommodation] = []
    if accepted:
        job = session.get(JobRow, referral.job_id)
        offered = [Accommodation(a) for a in (job.record.get("accommodations", []) if job else [])]
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
        candidate=candidate_card(record, accepted=accepted, offered=offered),
    )
