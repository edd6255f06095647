"""Counselor pages: the caseload, a person's page, their ranked jobs, referring, recording
outcomes and "why not this job". Every read and write goes through the API's route functions,
so the same region scope and audit apply."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from matching.explain import unmet_reason
from matching.lifecycle import EMPLOYER_OUTCOMES, NEXT_OUTCOMES
from matching.rules import bridging_accommodations, person_capacities
from matching.store.tables import CandidateRow, JobRow, ReferralContextRow, ReferralRow
from matching.vocabulary import Dimension, Outcome
from serving.access import as_job, candidate_row, job_row
from serving.auth import Account, Role
from serving.console.core import (
    CounselorOrEmployerPage,
    CounselorPage,
    FormDep,
    problems_of,
    render,
)
from serving.deps import RuntimeDep, SessionDep
from serving.errors import ApiError
from serving.routes import candidates, recommendations, referrals
from serving.runtime import Runtime
from serving.schemas import OutcomeUpdate, ReferralCreate

router = APIRouter(prefix="/console", include_in_schema=False)

#: Ranked jobs shown on a person's jobs page: the model's top 10, then more that need a reason.
SHOWN_JOBS = 20
CASELOAD_ROWS = 100

FILTERS = {
    "hard_to_employ": "就业困难残疾人",
    "graduate": "高校毕业生",
}


def allowed_outcomes(current: Outcome, role: Role) -> list[Outcome]:
    """The outcomes the console offers for a referral that is ``current``: the lifecycle's
    next steps (``matching.lifecycle``; employers: their own decisions only)."""
    offered = list(NEXT_OUTCOMES[current])
    if role is Role.EMPLOYER:
        offered = [o for o in offered if o in EMPLOYER_OUTCOMES]
    return offered


@router.get("/candidates", response_class=HTMLResponse)
def caseload(
    request: Request,
    user: CounselorPage,
    session: SessionDep,
    runtime: RuntimeDep,
    name: Annotated[str, Query()] = "",
    id_number: Annotated[str, Query()] = "",
    region: Annotated[str, Query()] = "",
    group: Annotated[str, Query()] = "",
    include_inactive: Annotated[bool, Query()] = False,
) -> Response:
    """The counselor's caseload: search by name, ID number or region, filter by group."""
    problems: dict[str, str] = {}
    hits: list[Any] = []
    summary = None
    if region and not (region.isdigit() and 2 <= len(region) <= 6):
        problems["region"] = "地区代码：须为 2 至 6 位数字（行政区划代码的前几位）"
    else:
        try:
            hits = candidates.search_candidates(
                user,
                session,
                runtime,
                name=name or None,
                id_number=id_number or None,
                region=region or None,
                limit=500,
            )
        except ApiError as error:
            summary, problems = problems_of(error)
            if error.code == "forbidden":
                problems = {"region": "地区代码：不在您的辖区内"}
    rows = {
        r.id: r
        for r in session.scalars(
            select(CandidateRow).where(CandidateRow.id.in_([h.id for h in hits]))
        )
    }
    people = []
    for hit in hits:
        row = rows[hit.id]
        groups = row.record.get("priority_groups", [])
        if group in FILTERS and group not in groups:
            continue
        if not include_inactive and not row.active:
            continue
        people.append({"row": row, "groups": groups})
        if len(people) == CASELOAD_ROWS:
            break
    names = runtime.store.sealed_field(session, "name", [p["row"].id for p in people])
    if people:
        # Names are shown to the counselor: which people were disclosed is recorded.
        runtime.store.audit(
            session,
            actor=user.actor,
            action="read_names",
            subject=" ".join(f"candidates:{p['row'].id}" for p in people),
            purpose="console caseload",
        )
        session.commit()
    return render(
        request,
        "caseload.html",
        {
            "people": people,
            "names": names,
            "query": {"name": name, "id_number": id_number, "region": region, "group": group},
            "include_inactive": include_inactive,
            "filters": FILTERS,
            "summary": summary,
            "problems": problems,
            "searched": bool(name or id_number or region or group),
        },
        title="求职者",
    )


def _referral_history(session: Any, candidate_id: str) -> list[dict[str, Any]]:
    found = session.execute(
        select(ReferralRow, JobRow, ReferralContextRow)
        .join(JobRow, JobRow.id == ReferralRow.job_id)
        .outerjoin(ReferralContextRow, ReferralContextRow.referral_id == ReferralRow.id)
        .where(ReferralRow.candidate_id == candidate_id)
        .order_by(ReferralRow.referred_at.desc(), ReferralRow.id)
    ).all()
    return [
        {
            "referral": referral,
            "job": job,
            "context": context,
            "next": allowed_outcomes(Outcome(referral.outcome), Role.COUNSELOR),
        }
        for referral, job, context in found
    ]


@router.get("/candidates/{candidate_id}", response_class=HTMLResponse)
def person_page(
    request: Request,
    candidate_id: str,
    user: CounselorPage,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """A person's record: capacities, needs, skills, priority groups and referral history."""
    # The route's ETag header is for API clients; the page does not edit with If-Match.
    person = candidates.read_candidate(
        candidate_id, user, session, runtime, Response(), purpose="console: 查看求职者档案"
    )
    capacities = person_capacities(
        person.disability_category, person.disability_grade, person.capacities
    )
    return render(
        request,
        "person.html",
        {
            "person": person,
            "capacities": capacities,
            "assessed": {Dimension(d) for d in person.capacities},
            "dimensions": list(Dimension),
            "history": _referral_history(session, candidate_id),
            "outcomes_back": f"/console/candidates/{candidate_id}",
        },
        title=f"求职者 {person.name or candidate_id}",
    )


def _jobs_page(
    request: Request,
    runtime: Runtime,
    session: Any,
    user: Account,
    candidate_id: str,
    *,
    failed_job: str | None = None,
    summary: str | None = None,
    problems: dict[str, str] | None = None,
    override_reason: str = "",
    status_code: int = 200,
) -> Response:
    row = candidate_row(session, user, candidate_id)
    ranked = recommendations.jobs_for_candidate(
        candidate_id,
        user,
        session,
        runtime.current_matcher(),
        k=SHOWN_JOBS,
        personalised=True,
    )
    jobs = {
        r.id: as_job(r)
        for r in session.scalars(
            select(JobRow).where(JobRow.id.in_([m.id for m in ranked.results]))
        )
    }
    effective = runtime.store.matching_profile(row.profile)["effective"]
    capacities = {Dimension(d): v for d, v in effective.items()}
    shown = []
    for place, result in enumerate(ranked.results, 1):
        job = jobs[result.id]
        shown.append(
            {
                "place": place,
                "result": result,
                "job": job,
                "bridging": bridging_accommodations(capacities, job.demands, job.accommodations),
                "needs_met": [n for n in row.record.get("needs", []) if n in job.accommodations],
                "needs_reason": place > referrals.REFERRAL_TOP_K,
                "key": uuid.uuid4().hex,
            }
        )
    return render(
        request,
        "person_jobs.html",
        {
            "candidate_id": candidate_id,
            "shown": shown,
            "model": ranked.model,
            "top_k": referrals.REFERRAL_TOP_K,
            "failed_job": failed_job,
            "summary": summary,
            "problems": problems or {},
            "override_reason": override_reason,
        },
        title=f"为求职者 {candidate_id} 推荐的岗位",
        status_code=status_code,
    )


@router.get("/candidates/{candidate_id}/jobs", response_class=HTMLResponse)
def person_jobs(
    request: Request,
    candidate_id: str,
    user: CounselorPage,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """The person's ranked jobs with the model's reasons, feasibility notes and refer forms."""
    return _jobs_page(request, runtime, session, user, candidate_id)


@router.post("/candidates/{candidate_id}/referrals", response_class=HTMLResponse)
def refer(
    request: Request,
    candidate_id: str,
    user: CounselorPage,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """One-click referral through the API's referral route (feasibility checked again there;
    a job outside the top 10 needs a reason)."""
    job_id = form.get("job_id", "")
    reason = form.get("override_reason", "").strip()
    key = form.get("idempotency_key", "") or uuid.uuid4().hex
    try:
        referrals.create_referral(
            ReferralCreate(
                candidate_id=candidate_id,
                job_id=job_id,
                override_reason=reason or None,
                purpose="console",
            ),
            key,
            user,
            session,
            runtime,
            runtime.current_matcher(),
            Response(),
        )
    except ApiError as error:
        session.rollback()
        summary, problems = problems_of(error)
        if error.code == "infeasible":
            summary = "该岗位不满足此人的硬性条件，不能推荐。请查看“为什么不推荐”说明。"
        return _jobs_page(
            request,
            runtime,
            session,
            user,
            candidate_id,
            failed_job=job_id,
            summary=summary,
            problems=problems,
            override_reason=reason,
            status_code=error.status,
        )
    return RedirectResponse(
        f"/console/candidates/{candidate_id}?done=referred#referrals", status_code=303
    )


@router.get("/candidates/{candidate_id}/why-not", response_class=HTMLResponse)
def why_not(
    request: Request,
    candidate_id: str,
    user: CounselorPage,
    session: SessionDep,
    runtime: RuntimeDep,
    job_id: Annotated[str, Query()] = "",
) -> Response:
    """Why a job is not proposed to a person: each failed hard requirement in Chinese, or,
    when every requirement is met, where the job stands in the ranking."""
    row = candidate_row(session, user, candidate_id)
    context: dict[str, Any] = {"candidate_id": candidate_id, "job_id": job_id, "problems": {}}
    if job_id:
        try:
            job = as_job(job_row(session, user, job_id.strip()))
        except ApiError as error:
            context["summary"], _ = problems_of(error)
            context["problems"] = {"job_id": "岗位编号：" + context["summary"]}
        else:
            verdict = referrals.feasibility_of(runtime.store, row, job)
            ranked = runtime.current_matcher().jobs_for_candidate(
                candidate_id, SHOWN_JOBS, region_prefix=user.region_code or ""
            )
            place = next((n for n, m in enumerate(ranked, 1) if m.id == job.id), None)
            effective = runtime.store.matching_profile(row.profile)["effective"]
            capacities = {Dimension(d): v for d, v in effective.items()}
            context |= {
                "job": job,
                "reasons": [unmet_reason(u) for u in verdict.unmet],
                "closed": not job.is_open(dt.date.today()),
                "place": place,
                "bridging": bridging_accommodations(capacities, job.demands, job.accommodations),
                "top_k": referrals.REFERRAL_TOP_K,
                "key": uuid.uuid4().hex,
            }
    return render(request, "why_not.html", context, title="为什么不推荐这个岗位")


@router.post("/referrals/{referral_id}/outcome", response_class=HTMLResponse)
def record_outcome(
    request: Request,
    referral_id: str,
    user: CounselorOrEmployerPage,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """Record what became of a referral (counselor) or the employer's decision."""
    back = form.get("back", "/console/")
    if not back.startswith("/console/"):
        back = "/console/"
    try:
        outcome = Outcome(form.get("outcome", ""))
    except ValueError:
        raise ApiError(
            422, "invalid", "no outcome chosen", [("outcome", "must be chosen")]
        ) from None
    referrals.record_outcome(referral_id, OutcomeUpdate(outcome=outcome), user, session, runtime)
    return RedirectResponse(f"{back}?done=outcome#referrals", status_code=303)
