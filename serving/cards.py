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

from matching.domain import Candidate, Training
from matching.explain import for_employers
from matching.privacy import employer_visible_training, reveals_disability
from matching.store.referrals import Referred
from matching.vocabulary import Accommodation
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


def referral_card(referred: Referred) -> ReferralCard:
    """A referral as its employer sees it (the repository opened and audited any identity)."""
    card = candidate_card(referred.person, accepted=referred.accepted, offered=referred.offered)
    # The person appears only as the card: no candidate id beside it.
    shown = referred.referral.model_dump(exclude={"candidate_id"})
    return ReferralCard.model_validate({**shown, "candidate": card})
