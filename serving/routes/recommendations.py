"""Ranked recommendations, like the lines of ``jobmatch recommend``: jobs for a person (for
counselors) and people for a job (for counselors, and for the employer as anonymised cards).
Only feasible pairs are ever returned."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from matching.domain import Candidate
from matching.store.tables import CandidateRow
from serving.access import candidate_row, inactive_candidate, job_row
from serving.auth import Account, Role
from serving.cards import candidate_card, employer_reasons
from serving.deps import Counselor, CounselorOrEmployer, MatcherDep, SessionDep
from serving.errors import ERROR_RESPONSES
from serving.schemas import CandidateCard, Recommendations, Result

router = APIRouter(prefix="/v1", tags=["recommendations"], responses=ERROR_RESPONSES)

K = Annotated[int, Query(ge=1, le=100, description="How many results, best first.")]


def _area(user: Account) -> str:
    """The region prefix results are limited to: a counselor's area, anywhere for others.

    The limit is applied before ranking, so only the results shown are explained.
    """
    return (user.region_code or "") if user.role is Role.COUNSELOR else ""


@router.get("/candidates/{candidate_id}/recommendations", response_model=Recommendations)
def jobs_for_candidate(
    candidate_id: str,
    user: Counselor,
    session: SessionDep,
    matcher: MatcherDep,
    k: K = 10,
    personalised: Annotated[
        bool,
        Query(description="false: order feasible jobs by distance and date only (PIPL art. 24)."),
    ] = True,
) -> Recommendations:
    """The top ``k`` open, feasible jobs in the counselor's region for a person."""
    if not candidate_row(session, user, candidate_id).active:
        raise inactive_candidate(candidate_id)
    shown = matcher.jobs_for_candidate(
        candidate_id, k, personalised=personalised, region_prefix=_area(user)
    )
    return Recommendations(
        query_id=candidate_id,
        results=[Result(id=m.id, score=m.score, reasons=m.reasons, model=m.model) for m in shown],
        model=matcher.ranker.name,
    )


@router.get("/jobs/{job_id}/recommendations", response_model=Recommendations)
def candidates_for_job(
    job_id: str,
    user: CounselorOrEmployer,
    session: SessionDep,
    matcher: MatcherDep,
    k: K = 10,
    personalised: Annotated[
        bool,
        Query(
            description="false: order feasible people by distance and registration date only "
            "(PIPL art. 24). People who declined personalised ranking are always so ordered."
        ),
    ] = True,
) -> Recommendations:
    """The top ``k`` active people for whom the job is feasible. Counselors see people of
    their region by id; the employer sees each as an anonymised card, with only the reasons
    that say nothing of the person's history or support status."""
    job_row(session, user, job_id)
    shown = matcher.candidates_for_job(
        job_id, k, personalised=personalised, region_prefix=_area(user)
    )
    cards: dict[str, CandidateCard] = {}
    employer = user.role is Role.EMPLOYER
    if employer and shown:
        # Cards come from the non-sensitive part of the record: nothing is decrypted.
        rows = session.execute(
            select(CandidateRow.record).where(CandidateRow.id.in_([m.id for m in shown]))
        ).scalars()
        cards = {r["id"]: candidate_card(Candidate.model_validate(r)) for r in rows}
    return Recommendations(
        query_id=job_id,
        results=[
            Result(
                id=m.id,
                score=m.score,
                reasons=employer_reasons(m.reasons) if employer else m.reasons,
                model=m.model,
                card=cards.get(m.id),
            )
            for m in shown
        ],
        model=matcher.ranker.name,
    )
