"""Counselor casework pages: recording a referral's outcome (only the lifecycle's next steps
offered; a refused step shown next to the field), confirming employers' reports, the 一人一策
case with its service actions and proposed plan; and the manager's training targets page.

Every write goes through the API's route functions (``serving.routes``), so the lifecycle,
case rules, region scope and audit are the API's own.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from matching.casework import ActionKind, CaseKind, CloseReason, EmploymentStatus, EnrolmentState
from matching.courses import training_target_share
from matching.vocabulary import OUTCOME_NAMES_ZH, Outcome
from serving.access import as_referral, referral_row
from serving.auth import Account, Role
from serving.console.core import (
    ZH_NAMES,
    CounselorOrEmployerPage,
    CounselorPage,
    FormDep,
    ManagerPage,
    Refused,
    error_page,
    filter_year,
    problems_of,
    refusal,
    render,
)
from serving.console.jobs import _problems, job_page_context, render_job
from serving.console.people import allowed_outcomes, person_context, render_person
from serving.deps import RuntimeDep, SessionDep
from serving.errors import ApiError
from serving.routes import cases, lifecycle, referrals, training
from serving.runtime import Runtime
from serving.schemas import OutcomeUpdate
from serving.schemas_casework import CaseActionCreate, CaseClose, CaseCreate, ReviewBody

router = APIRouter(prefix="/console", include_in_schema=False)

CASE_KIND_NAMES_ZH = {
    CaseKind.GRADUATE: "高校残疾人毕业生",
    CaseKind.HARD_TO_EMPLOY: "就业困难残疾人",
}
ACTION_NAMES_ZH = {
    ActionKind.ABILITY_ASSESSMENT: "能力评估",
    ActionKind.CAREER_GUIDANCE: "职业指导",
    ActionKind.JOB_INTRODUCTION: "岗位推介",
    ActionKind.JOB_INFORMATION: "岗位信息",
    ActionKind.POLICY_ADVICE: "政策咨询",
    ActionKind.SKILLS_TRAINING: "技能培训",
    ActionKind.ENTREPRENEURSHIP_SUPPORT: "创业扶持",
}
CLOSE_REASON_NAMES_ZH = {
    CloseReason.EMPLOYED: "已就业",
    CloseReason.FURTHER_STUDY: "继续升学（需管理人员批准）",
    CloseReason.MOVED_AWAY: "迁出本地（需管理人员批准）",
    CloseReason.DIED: "死亡（需管理人员批准）",
}
EMPLOYMENT_NAMES_ZH = {
    EmploymentStatus.UNEMPLOYED: "登记失业（求职中）",
    EmploymentStatus.EMPLOYED: "已就业",
    EmploymentStatus.IN_TRAINING: "参加培训",
    EmploymentStatus.NOT_SEEKING: "无就业意愿",
}
CASE_STATE_NAMES_ZH = {
    "open": "进行中",
    "exit_requested": "已申请结案，待管理人员批准",
    "closed": "已结案",
}
ENROLMENT_NAMES_ZH = {
    EnrolmentState.ENROLLED: "已报名",
    EnrolmentState.COMPLETED: "已结业",
    EnrolmentState.WITHDRAWN: "已退出",
}
_ZH: dict[str, dict[Any, str]] = {
    "case_kind": CASE_KIND_NAMES_ZH,
    "action": ACTION_NAMES_ZH,
    "close_reason": CLOSE_REASON_NAMES_ZH,
    "employment": EMPLOYMENT_NAMES_ZH,
    "case_state": CASE_STATE_NAMES_ZH,
    "enrolment": ENROLMENT_NAMES_ZH,
}
ZH_NAMES.update(
    {name: {str(key): text for key, text in table.items()} for name, table in _ZH.items()}
)

#: The case-rule refusals a counselor reads, in Chinese.
_CASE_CODES_ZH = {
    "not_eligible": "此人不符合该类个案的条件（高校毕业生须有大专以上学历和毕业年份；"
    "就业困难须已认定为就业困难残疾人）。",
    "case_exists": "此人已有一个未结的同类个案。",
    "case_closed": "该个案已结案，不能再记录服务。",
    "not_employed": "不就业、不脱钩：此人尚未就业，个案不能以“已就业”结案；"
    "升学、迁出或死亡须由管理人员批准。",
    "exit_requested": "已申请结案，正等待管理人员批准。",
}


def _values(kind: type[StrEnum]) -> set[str]:
    return {member.value for member in kind}


def _names(outcomes: list[Outcome]) -> str:
    return "、".join(OUTCOME_NAMES_ZH[o] for o in outcomes) or "无（结果已确定）"


def outcome_problem(error: ApiError, current: Outcome, wanted: str, role: Role) -> str:
    """The Chinese message next to an outcome field whose step the lifecycle refused: what
    the referral is now, what was asked, and what it may become."""
    allowed = _names(allowed_outcomes(current, role))
    asked = OUTCOME_NAMES_ZH[Outcome(wanted)] if wanted in _values(Outcome) else wanted
    if error.code == "not_employer_decision":
        return f"结果：用人单位只能报告面试和录用决定，不能报告“{asked}”；可选：{allowed}"
    if error.code == "invalid_transition":
        return (
            f"结果：该推荐当前为“{OUTCOME_NAMES_ZH[current]}”，不能改为“{asked}”；可改为：{allowed}"
        )
    return "结果：" + problems_of(error)[0]


def _back_page(
    request: Request,
    runtime: Runtime,
    session: Any,
    user: Account,
    back: str,
    refused: Refused,
) -> Response:
    """The page the outcome form was on, again, with the problem next to the field."""
    person = re.fullmatch(r"/console/candidates/([^/?#]+)", back)
    if person and user.role is Role.COUNSELOR:
        context = person_context(session, runtime, user, person.group(1))
        return render_person(request, context, refused=refused)
    job = re.fullmatch(r"/console/jobs/([^/?#]+)", back)
    if job:
        context = job_page_context(runtime, session, user, job.group(1))
        return render_job(request, context, back, refused=refused)
    return error_page(request, refused)


@router.post("/referrals/{referral_id}/outcome", response_class=HTMLResponse)
def record_outcome(
    request: Request,
    referral_id: str,
    user: CounselorOrEmployerPage,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """Record what became of a referral (counselor) or the employer's decision, through the
    API's lifecycle route; a step it refuses comes back next to the outcome field."""
    back = form.get("back", "/console/")
    if not back.startswith("/console/"):
        back = "/console/"
    field = f"outcome-{referral_id}"
    wanted = form.get("outcome", "")
    current = Outcome(referral_row(session, user, referral_id).outcome)
    try:
        if wanted not in _values(Outcome):
            raise ApiError(422, "invalid", "no outcome chosen", [("outcome", "must be chosen")])
        referrals.record_outcome(
            referral_id,
            OutcomeUpdate(outcome=Outcome(wanted), reason=None),
            user,
            session,
            runtime,
            Response(),
        )
    except ApiError as error:
        session.rollback()
        if error.code == "invalid":
            message = "结果：请从列出的选项中选择一项"
        else:
            message = outcome_problem(error, current, wanted, user.role)
        refused = Refused("推荐结果未能保存。", {field: message}, error.status)
        return _back_page(request, runtime, session, user, back, refused)
    return RedirectResponse(f"{back}?done=outcome#referrals", status_code=303)


@router.post("/referrals/{referral_id}/review", response_class=HTMLResponse)
def review_report(
    request: Request,
    referral_id: str,
    user: CounselorPage,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """Confirm or dispute the employer's reports on a referral (the lifecycle route)."""
    confirm = form.get("confirm") == "true"
    lifecycle.review_referral(
        referral_id, ReviewBody(confirm=confirm), user, session, runtime, Response()
    )
    candidate_id = as_referral(referral_row(session, user, referral_id)).candidate_id
    done = "confirmed" if confirm else "disputed"
    return RedirectResponse(
        f"/console/candidates/{candidate_id}?done={done}#referrals", status_code=303
    )


# -- 一人一策 cases --------------------------------------------------------------------------


def _case_refusal(
    session: Any, error: ApiError, field: str, *, unchosen: str | None = None
) -> Refused:
    """A case route's refusal next to the form's ``field`` (``unchosen``: the message when
    nothing was chosen there), after undoing what the request began."""
    refused = refusal(session, error)
    if error.code in _CASE_CODES_ZH:
        return Refused("未能完成。", {field: _CASE_CODES_ZH[error.code]}, error.status)
    if error.code == "invalid" and unchosen:
        return replace(refused, problems={field: unchosen})
    named = {
        field if name in ("kind", "reason") else name: text
        for name, text in refused.problems.items()
    }
    return replace(refused, problems=named)


@router.post("/candidates/{candidate_id}/cases", response_class=HTMLResponse)
def open_case(
    request: Request,
    candidate_id: str,
    user: CounselorPage,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """Open a 一人一策 case for the person (the case route checks eligibility)."""
    goals = [g.strip() for g in form.get("goals", "").splitlines() if g.strip()]
    try:
        if form.get("kind") not in _values(CaseKind):
            raise ApiError(422, "invalid", "no kind", [("kind", "must be chosen")])
        made = cases.open_case(
            CaseCreate(
                candidate_id=candidate_id, kind=CaseKind(form["kind"]), counselor=None, goals=goals
            ),
            user,
            session,
            runtime,
        )
    except ApiError as error:
        refused = _case_refusal(session, error, "case-kind", unchosen="个案类型：请选择一项")
        context = person_context(session, runtime, user, candidate_id)
        return render_person(request, context, refused=refused)
    return RedirectResponse(f"/console/cases/{made.id}?done=case_opened", status_code=303)


def _case_page(
    request: Request,
    runtime: Runtime,
    session: Any,
    user: Account,
    case_id: str,
    *,
    refused: Refused | None = None,
) -> Response:
    case = cases.read_case(case_id, user, session, runtime)
    plan = cases.plan_case(case_id, user, session, runtime, runtime.current_matcher())
    return render(
        request,
        "case.html",
        {
            "case": case,
            "plan": plan,
            "action_kinds": list(ActionKind),
            "close_reasons": list(CloseReason),
        },
        title=f"一人一策个案 {case_id}",
        refused=refused,
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request, case_id: str, user: CounselorPage, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """A 一人一策 case: goals, service actions, the person's employment now, the proposed plan
    (occupations, skill gaps, courses), and forms to add an action or close the case."""
    return _case_page(request, runtime, session, user, case_id)


@router.post("/cases/{case_id}/actions", response_class=HTMLResponse)
def add_action(
    request: Request,
    case_id: str,
    user: CounselorPage,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """Record a service action in the case (the case route)."""
    try:
        body = CaseActionCreate.model_validate(
            {
                "kind": form.get("kind", ""),
                "on": form.get("action-on") or None,
                "note": form.get("note") or None,
            }
        )
        cases.add_action(case_id, body, user, session, runtime)
    except ValidationError as error:
        problems = {f"action-{k}": v for k, v in _problems(error).items()}
        refused = Refused("服务记录未能保存。", problems, 422)
    except ApiError as error:
        refused = _case_refusal(session, error, "action-kind")
        problems = {("action-on" if k == "on" else k): v for k, v in refused.problems.items()}
        refused = replace(refused, problems=problems)
    else:
        return RedirectResponse(
            f"/console/cases/{case_id}?done=action_added#actions", status_code=303
        )
    refused = replace(refused, problems=_action_labels(refused.problems))
    return _case_page(request, runtime, session, user, case_id, refused=refused)


_ACTION_FIELDS_ZH = {"action-kind": "服务类型", "action-on": "服务日期", "action-note": "服务内容"}


def _action_labels(problems: dict[str, str]) -> dict[str, str]:
    """Name the action form's fields in the messages (the generic labels do not know them)."""
    named = {}
    for field, text in problems.items():
        label = _ACTION_FIELDS_ZH.get(field)
        reason = text.split("：", 1)[-1]
        named[field] = f"{label}：{reason}" if label else text
    return named


@router.post("/cases/{case_id}/close", response_class=HTMLResponse)
def close_case(
    request: Request,
    case_id: str,
    user: CounselorPage,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """Close the case (employed) or ask a manager to approve an exit (the case route)."""
    try:
        if form.get("reason") not in _values(CloseReason):
            raise ApiError(422, "invalid", "no reason", [("reason", "must be chosen")])
        answer = Response()
        cases.close_case(
            case_id, CaseClose(reason=CloseReason(form["reason"])), user, session, runtime, answer
        )
    except ApiError as error:
        refused = _case_refusal(session, error, "close-reason", unchosen="结案原因：请选择一项")
        return _case_page(request, runtime, session, user, case_id, refused=refused)
    done = "exit_requested" if answer.status_code == 202 else "case_closed"
    return RedirectResponse(f"/console/cases/{case_id}?done={done}", status_code=303)


# -- the manager's training targets -----------------------------------------------------------


@router.get("/training", response_class=HTMLResponse)
def training_page(
    request: Request,
    user: ManagerPage,
    session: SessionDep,
    runtime: RuntimeDep,
    region: Annotated[str, Query()] = "",
    year: Annotated[str, Query()] = "",
) -> Response:
    """Training demand and the year's trainings against the 1‰ / 2‰ / 6.5‰ target of a
    province, city or county (the training statistics route)."""
    problems: dict[str, str] = {}
    if region and not (region.isdigit() and len(region) in (2, 4, 6)):
        problems["region"] = "地区代码：须为 2 位（省）、4 位（市）或 6 位（县）数字"
    chosen_year = filter_year(year, problems, earliest=1950) or dt.date.today().year
    figures = None
    if region and not problems:
        figures = training.training_statistics(user, session, runtime, region, chosen_year)
    return render(
        request,
        "training.html",
        {
            "figures": figures,
            "region": region,
            "year": year or str(chosen_year),
            "targets": {
                level: training_target_share(prefix, runtime.settings)
                for level, prefix in (("省", "43"), ("市", "4301"), ("县", "430104"))
            },
            "problems": problems,
            "summary": "请修改下列内容。" if problems else None,
        },
        title="培训需求与目标",
    )
