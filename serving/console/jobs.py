"""Job pages: an employer posts and edits its jobs (occupation codes suggested as the title is
typed), sees the people proposed for each as anonymised cards, the referrals to it, reports
its decisions, and its quota standing; counselors read the jobs of their region."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from matching.domain import Job, describe_errors
from matching.vocabulary import Accommodation, Dimension, Education, Outcome, WorkMode
from serving.auth import Account, Role
from serving.console.core import (
    CounselorOrEmployerPage,
    EmployerPage,
    FormListsDep,
    Refused,
    field_label,
    problems_of,
    reason_zh,
    refusal,
    render,
)
from serving.console.people import allowed_outcomes
from serving.deps import RuntimeDep, SessionDep
from serving.errors import ApiError
from serving.routes import compliance, employers, jobs, recommendations
from serving.runtime import Runtime

router = APIRouter(prefix="/console", include_in_schema=False)

PROPOSED = 10


@router.get("/jobs", response_class=HTMLResponse)
def job_list(
    request: Request, user: CounselorOrEmployerPage, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """An employer's own jobs, or the jobs of a counselor's region."""
    found = jobs.list_jobs(user, session, runtime, open_only=False, limit=500)
    today = dt.date.today()
    return render(
        request,
        "jobs.html",
        {"jobs": found, "open": {j.id: j.is_open(today) for j in found}},
        title="我的岗位" if user.role is Role.EMPLOYER else "辖区岗位",
    )


def _split(text: str) -> list[str]:
    for separator in "，,、；;\n":
        text = text.replace(separator, "|")
    return [part.strip() for part in text.split("|") if part.strip()]


def _level(text: str) -> int | str:
    # Not a number: left as typed, for the record's own validation to name.
    return int(text) if text.isdigit() else (text or 0)


def _job_fields(form: dict[str, list[str]]) -> dict[str, Any]:
    """The interchange fields a job form holds (validated by ``Job`` itself afterwards)."""

    def one(name: str) -> str:
        return (form.get(name) or [""])[0].strip()

    def number(name: str) -> str | None:
        return one(name) or None

    return {
        "title": one("title"),
        "description": one("description") or None,
        "occupation": one("occupation") or None,
        "skills": _split(one("skills")),
        "certificates_required": _split(one("certificates_required")),
        "education_min": one("education_min") or None,
        "region_code": one("region_code"),
        "work_mode": one("work_mode"),
        "remote_ok": bool(form.get("remote_ok")),
        "salary_min": number("salary_min"),
        "salary_max": number("salary_max"),
        "openings": number("openings") or 1,
        "demands": {d.value: _level(one(f"demand_{d.value}")) for d in Dimension},
        "accommodations": form.get("accommodations", []),
        "public_welfare": bool(form.get("public_welfare")),
        "posted_at": one("posted_at") or dt.date.today().isoformat(),
        "closes_at": one("closes_at") or None,
    }


def _form_page(
    request: Request,
    *,
    job: dict[str, Any],
    action: str,
    title: str,
    editing: bool = False,
    refused: Refused | None = None,
) -> Response:
    return render(
        request,
        "job_form.html",
        {
            "job": job,
            "editing": editing,
            "action": action,
            "dimensions": list(Dimension),
            "accommodations": list(Accommodation),
            "educations": list(Education),
            "work_modes": list(WorkMode),
        },
        title=title,
        refused=refused,
    )


#: The summary above a job form that was not saved.
_JOB_REFUSED = "岗位信息有误，请按提示修改。"


def _problems(error: ValidationError) -> dict[str, str]:
    return {
        field.split(".")[0]: f"{field_label(field)}：{reason_zh(reason)}"
        for field, reason in describe_errors(error)
    }


@router.get("/jobs/new", response_class=HTMLResponse)
def new_job_form(request: Request, user: EmployerPage, session: SessionDep) -> Response:
    """The form to post a job; the employer's own region is the default place of work."""
    employer = employers.read_employer(user.employer_id or "", user, session, Response())
    blank = {
        "region_code": employer.region_code,
        "openings": 1,
        "demands": {},
        "accommodations": [],
    }
    return _form_page(request, job=blank, action="/console/jobs", title="发布岗位")


@router.post("/jobs", response_class=HTMLResponse)
def post_job(
    request: Request,
    user: EmployerPage,
    form: FormListsDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """Post a job through the API's route (an id is made for it)."""
    fields = _job_fields(form)
    try:
        job = Job.model_validate(
            {"id": f"j-{uuid.uuid4().hex[:16]}", "employer_id": user.employer_id, **fields}
        )
    except (ValidationError, ValueError) as error:
        problems = _problems(error) if isinstance(error, ValidationError) else {}
        return _form_page(
            request,
            job=fields,
            action="/console/jobs",
            title="发布岗位",
            refused=Refused(_JOB_REFUSED, problems, 422),
        )
    jobs.post_job(job, user, session, runtime, suggestions=0)
    return RedirectResponse(f"/console/jobs/{job.id}?done=job_posted", status_code=303)


@router.get("/jobs/{job_id}/edit", response_class=HTMLResponse)
def edit_job_form(
    request: Request, job_id: str, user: EmployerPage, session: SessionDep
) -> Response:
    job = jobs.read_job(job_id, user, session, Response())
    return _form_page(
        request,
        job=job.model_dump(mode="json"),
        action=f"/console/jobs/{job_id}/edit",
        title=f"修改岗位：{job.title}",
        editing=True,
    )


@router.post("/jobs/{job_id}/edit", response_class=HTMLResponse)
def edit_job(
    request: Request,
    job_id: str,
    user: EmployerPage,
    form: FormListsDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """Save an edited job through the API's route (the same validation as a PATCH)."""
    # Whether it is a public-welfare post and where it is filed are a counselor's decision
    # (the route refuses them from an employer): the edit form does not offer them.
    fields = {k: v for k, v in _job_fields(form).items() if k not in jobs.COUNSELOR_FIELDS}
    try:
        jobs.update_job(job_id, fields, user, session, runtime, Response())
    except ApiError as error:
        if error.code != "invalid":
            raise
        problems = refusal(session, error).problems
        return _form_page(
            request,
            job=fields,
            action=f"/console/jobs/{job_id}/edit",
            title="修改岗位",
            editing=True,
            refused=Refused(_JOB_REFUSED, {k.split(".")[0]: v for k, v in problems.items()}, 422),
        )
    return RedirectResponse(f"/console/jobs/{job_id}?done=job_saved", status_code=303)


def job_page_context(runtime: Runtime, session: Any, user: Account, job_id: str) -> dict[str, Any]:
    """What a job's page shows: the job, the people proposed for it and its referrals with
    the outcomes each may take next for the signed-in role."""
    job = jobs.read_job(job_id, user, session, Response())
    proposed = recommendations.candidates_for_job(
        job_id, user, session, runtime.current_matcher(), k=PROPOSED
    )
    referred = jobs.job_referrals(job_id, user, session, runtime)
    return {
        "job": job,
        "proposed": proposed.results,
        "model": proposed.model,
        "referred": referred,
        "next": {r.id: allowed_outcomes(Outcome(r.outcome), user.role) for r in referred},
        "is_open": job.is_open(dt.date.today()),
    }


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(
    request: Request,
    job_id: str,
    user: CounselorOrEmployerPage,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """A job, the people proposed for it (cards without identifiers for the employer) and
    the referrals made to it, with a decision form for the employer."""
    return render_job(
        request, job_page_context(runtime, session, user, job_id), f"/console/jobs/{job_id}"
    )


def render_job(
    request: Request, context: dict[str, Any], back: str, *, refused: Refused | None = None
) -> Response:
    """The job's page from :func:`job_page_context`, its outcome forms coming back to
    ``back`` (with the problems of one that was not saved)."""
    return render(
        request, "job.html", context | {"back": back}, title=context["job"].title, refused=refused
    )


@router.get("/occupations/suggest", response_class=HTMLResponse)
def occupation_suggestions(
    request: Request,
    user: CounselorOrEmployerPage,
    runtime: RuntimeDep,
    title: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """2022 occupation codes for a job title as it is typed (an htmx fragment)."""
    found = runtime.resources.coder.suggest(title, k=5) if title.strip() else []
    # htmx asks for the fragment; without JavaScript the same address is a whole page.
    fragment = request.headers.get("HX-Request") == "true"
    return render(
        request,
        "_suggestions.html" if fragment else "suggestions.html",
        {"suggestions": found, "typed": title.strip()},
        title="职业编码建议",
    )


@router.get("/quota", response_class=HTMLResponse)
def quota_page(
    request: Request,
    user: EmployerPage,
    session: SessionDep,
    runtime: RuntimeDep,
    hire: Annotated[str, Query()] = "",
    hire_severe: Annotated[str, Query()] = "",
) -> Response:
    """The employer's quota standing, and what hiring N more disabled people would change
    (the API's ``?hire=N``)."""
    employer = employers.read_employer(user.employer_id or "", user, session, Response())
    problems: dict[str, str] = {}
    counts = {}
    for name, text, label in (
        ("hire", hire, "拟新增录用人数"),
        ("hire_severe", hire_severe, "其中一、二级"),
    ):
        if text and not (text.isdigit() and int(text) <= 100_000):
            problems[name] = f"{label}：须为 0 至 100000 的整数"
        counts[name] = int(text) if text.isdigit() else 0
    if counts["hire_severe"] > counts["hire"]:
        problems["hire_severe"] = "其中一、二级：不能多于拟新增录用人数"
    summary = None
    standing = None
    if not problems:
        try:
            standing = compliance.employer_quota(
                employer.id,
                user,
                session,
                runtime,
                year=None,
                hire=counts["hire"],
                hire_severe=counts["hire_severe"],
                local_avg_social_wage=None,
                local_min_monthly_wage=None,
                is_school=None,
            )
        except ApiError as error:
            summary, _ = problems_of(error)
    return render(
        request,
        "quota.html",
        {
            "employer": employer,
            "standing": standing,
            "hire": hire,
            "hire_severe": hire_severe,
            "summary": summary,
            "problems": problems,
        },
        title="按比例安排残疾人就业",
    )
