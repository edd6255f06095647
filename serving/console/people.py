"""Counselor pages: the caseload, a person's page, their ranked jobs, referring and "why not
this job". Every read and write goes through the API's route functions,
so the same region scope and audit apply."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from matching.cases import CaseRefused, check_eligible
from matching.casework import CaseKind
from matching.domain import Candidate
from matching.explain import unmet_reason
from matching.lifecycle import EMPLOYER_OUTCOMES, NEXT_OUTCOMES
from matching.rules import bridging_accommodations, person_capacities
from matching.store.tables import CandidateRow, JobRow, ReferralContextRow
from matching.vocabulary import Dimension, Outcome
from serving.access import as_job, candidate_row, job_row
from serving.auth import Account, Role
from serving.console.core import CounselorPage, FormDep, Refused, problems_of, refusal, render
from serving.deps import RuntimeDep, SessionDep
from serving.errors import ApiError
from serving.routes import (
    assessments,
    candidates,
    cases,
    employment,
    lifecycle,
    recommendations,
    referrals,
)
from serving.runtime import Runtime
from serving.schemas import ReferralCreate

router = APIRouter(prefix="/console", include_in_schema=False)

#: Ranked jobs shown on a person's jobs page: the model's top 10, then more that need a reason.
SHOWN_JOBS = 20
CASELOAD_ROWS = 100

FILTERS = {
    "open_case": "一人一策个案未结",
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
    # "Open cases": the people of the counselor's open 一人一策 cases (the case route's list).
    in_case = (
        {c.candidate_id for c in cases.list_cases(user, session, runtime, open=True, limit=500)}
        if group == "open_case"
        else set()
    )
    people = []
    for hit in hits:
        row = rows[hit.id]
        groups = row.record.get("priority_groups", [])
        if group == "open_case":
            if row.id not in in_case:
                continue
        elif group in FILTERS and group not in groups:
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


def _referral_history(
    session: Any, runtime: Runtime, user: Account, candidate_id: str
) -> list[dict[str, Any]]:
    """The person's referrals, newest first, from the lifecycle route (every transition, and
    whether an employer's report awaits the counselor's review), with each job's title."""
    histories = lifecycle.referrals_of_candidate(candidate_id, user, session, runtime)
    ids = [h.referral.id for h in histories]
    titles = {
        job.id: job.record.get("title", job.id)
        for job in session.scalars(
            select(JobRow).where(JobRow.id.in_([h.referral.job_id for h in histories]))
        )
    }
    contexts = {
        c.referral_id: c
        for c in session.scalars(
            select(ReferralContextRow).where(ReferralContextRow.referral_id.in_(ids))
        )
    }
    return [
        {
            "referral": h.referral,
            "events": h.events,
            "title": titles.get(h.referral.job_id, h.referral.job_id),
            "context": contexts.get(h.referral.id),
            "next": allowed_outcomes(h.referral.outcome, Role.COUNSELOR),
        }
        for h in reversed(histories)
    ]


def person_context(
    session: Any, runtime: Runtime, user: Account, candidate_id: str
) -> dict[str, Any]:
    """What a person's page shows: the record, capacities, assessments, employment status
    and history, 一人一策 cases and referrals, each read through its API route (audited)."""
    # The route's ETag header is for API clients; the page does not edit with If-Match.
    person = candidates.read_candidate(
        candidate_id, user, session, runtime, Response(), purpose="console: 查看求职者档案"
    )
    capacities = person_capacities(
        person.disability_category, person.disability_grade, person.capacities
    )
    their_cases = person_cases(session, runtime, user, candidate_id)
    open_kinds = {c.kind for c in their_cases if c.state != "closed"}
    return {
        "person": person,
        "capacities": capacities,
        "assessed": {Dimension(d) for d in person.capacities},
        "dimensions": list(Dimension),
        "assessments": assessments.list_assessments(candidate_id, user, session, runtime),
        "employment": employment.read_employment(candidate_id, user, session, runtime),
        "cases": their_cases,
        "case_kinds": [k for k in eligible_case_kinds(person) if k not in open_kinds],
        "history": _referral_history(session, runtime, user, candidate_id),
        "outcomes_back": f"/console/candidates/{candidate_id}",
    }


def person_cases(session: Any, runtime: Runtime, user: Account, candidate_id: str) -> list[Any]:
    """The person's 一人一策 cases (the case route's list, for this person)."""
    return cases.list_cases(user, session, runtime, candidate=candidate_id, limit=500)


def eligible_case_kinds(person: Candidate) -> list[CaseKind]:
    """The kinds of case the person may have (the case rules' own eligibility check)."""
    kinds = []
    for kind in CaseKind:
        try:
            check_eligible(person, kind)
        except CaseRefused:
            continue
        kinds.append(kind)
    return kinds


def render_person(
    request: Request, context: dict[str, Any], *, refused: Refused | None = None
) -> Response:
    """The person's page from :func:`person_context` (with the problems of a form it holds
    that was not saved)."""
    person = context["person"]
    return render(
        request, "person.html", context, title=f"求职者 {person.name or person.id}", refused=refused
    )


@router.get("/candidates/{candidate_id}", response_class=HTMLResponse)
def person_page(
    request: Request,
    candidate_id: str,
    user: CounselorPage,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """A person's record: capacities, needs, skills, assessments, employment, cases and
    referral history with the outcome forms."""
    return render_person(request, person_context(session, runtime, user, candidate_id))


def _jobs_page(
    request: Request,
    runtime: Runtime,
    session: Any,
    user: Account,
    candidate_id: str,
    *,
    failed_job: str | None = None,
    override_reason: str = "",
    refused: Refused | None = None,
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
            "override_reason": override_reason,
        },
        title=f"为求职者 {candidate_id} 推荐的岗位",
        refused=refused,
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
        refused = refusal(session, error)
        if error.code == "infeasible":
            refused = replace(
                refused, summary="该岗位不满足此人的硬性条件，不能推荐。请查看“为什么不推荐”说明。"
            )
        return _jobs_page(
            request,
            runtime,
            session,
            user,
            candidate_id,
            failed_job=job_id,
            override_reason=reason,
            refused=refused,
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
