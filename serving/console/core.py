"""What every console page shares: the signed-in account from the session cookie, role checks
(the API's own, ``serving.deps.require``), CSRF, rendering, and Chinese error messages.

Pages call the API's route functions and ``matching`` directly, so the console enforces the
same roles, scopes and audit as the API; an :class:`~serving.errors.ApiError` a route raises
becomes a message on the page (next to the field it names) instead of a JSON body.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from matching.vocabulary import (
    ACCOMMODATION_NAMES_ZH,
    CATEGORY_NAMES_ZH,
    DIMENSION_NAMES_ZH,
    EDUCATION_NAMES_ZH,
    EMPLOYER_TYPE_NAMES_ZH,
    OUTCOME_NAMES_ZH,
    PRIORITY_GROUP_NAMES_ZH,
    SEX_NAMES_ZH,
    WORK_MODE_NAMES_ZH,
)
from serving.auth import Account, Role
from serving.deps import SessionDep, require
from serving.errors import ApiError
from serving.signin import session_account

HERE = Path(__file__).resolve().parent
COOKIE = "jm_console"
#: The cookie carrying the CSRF token of the sign-in form (double submit: no session yet).
SIGNIN_CSRF_COOKIE = "jm_signin_csrf"

templates = Jinja2Templates(directory=str(HERE / "templates"))

ROLE_NAMES_ZH = {
    Role.COUNSELOR: "就业指导员",
    Role.EMPLOYER: "用人单位",
    Role.MANAGER: "残联管理人员",
    Role.ADMIN: "系统管理员",
}

# Every vocabulary's Chinese names, for templates (``zh.outcome[o]``); keys are the values.
_VOCABULARIES: dict[str, Mapping[Any, str]] = {
    "accommodation": ACCOMMODATION_NAMES_ZH,
    "category": CATEGORY_NAMES_ZH,
    "dimension": DIMENSION_NAMES_ZH,
    "education": EDUCATION_NAMES_ZH,
    "employer_type": EMPLOYER_TYPE_NAMES_ZH,
    "outcome": OUTCOME_NAMES_ZH,
    "priority_group": PRIORITY_GROUP_NAMES_ZH,
    "sex": SEX_NAMES_ZH,
    "work_mode": WORK_MODE_NAMES_ZH,
    "role": ROLE_NAMES_ZH,
}
ZH_NAMES: dict[str, dict[str, str]] = {
    name: {str(key): text for key, text in table.items()} for name, table in _VOCABULARIES.items()
}
templates.env.globals["zh"] = ZH_NAMES

#: What each role's navigation offers: (path, label).
NAVIGATION: dict[Role, list[tuple[str, str]]] = {
    Role.COUNSELOR: [("/console/candidates", "求职者"), ("/console/jobs", "辖区岗位")],
    Role.EMPLOYER: [
        ("/console/jobs", "我的岗位"),
        ("/console/jobs/new", "发布岗位"),
        ("/console/quota", "按比例就业"),
    ],
    Role.MANAGER: [
        ("/console/reports", "季度报告"),
        ("/console/compliance", "达标与公示"),
        ("/console/statistics", "实时统计"),
        ("/console/training", "培训需求与目标"),
    ],
    Role.ADMIN: [
        ("/console/accounts", "账号管理"),
        ("/console/audit", "审计日志"),
        ("/console/reports", "季度报告"),
        ("/console/compliance", "达标与公示"),
    ],
}

HOME: dict[Role, str] = {role: items[0][0] for role, items in NAVIGATION.items()}


class SignInRequired(Exception):
    """No live console session: the browser is sent to the sign-in page."""


class Visitor:
    """The signed-in account of a console request, with its session's CSRF token."""

    def __init__(self, account: Account, csrf: str) -> None:
        self.account = account
        self.csrf = csrf


def get_visitor(request: Request, session: SessionDep) -> Visitor:
    """The account of the session cookie; :class:`SignInRequired` when there is none."""
    token = request.cookies.get(COOKIE)
    found = session_account(session, token) if token else None
    if found is None:
        raise SignInRequired()
    visitor = Visitor(*found)
    request.state.visitor = visitor
    return visitor


VisitorDep = Annotated[Visitor, Depends(get_visitor)]


def console_role(*roles: Role) -> Callable[[Visitor], Account]:
    """A dependency admitting a signed-in account with one of ``roles``: the API's check."""
    check = require(*roles)

    def admit(visitor: VisitorDep) -> Account:
        return check(visitor.account)

    return admit


CounselorPage = Annotated[Account, Depends(console_role(Role.COUNSELOR))]
EmployerPage = Annotated[Account, Depends(console_role(Role.EMPLOYER))]
CounselorOrEmployerPage = Annotated[Account, Depends(console_role(Role.COUNSELOR, Role.EMPLOYER))]
AdminPage = Annotated[Account, Depends(console_role(Role.ADMIN))]
ManagerPage = Annotated[Account, Depends(console_role(Role.MANAGER, Role.ADMIN))]


async def checked_form(request: Request, visitor: VisitorDep) -> dict[str, str]:
    """The submitted form, after its CSRF token matched the session's (403 otherwise)."""
    form = await request.form()
    sent = str(form.get("csrf_token", ""))
    if not secrets.compare_digest(sent.encode(), visitor.csrf.encode()):
        raise ApiError(403, "csrf", "表单已过期或来源不明，请刷新页面后重新提交")
    return {key: str(value) for key, value in form.multi_items() if isinstance(value, str)}


async def checked_form_lists(request: Request, visitor: VisitorDep) -> dict[str, list[str]]:
    """Like :func:`checked_form`, keeping every value of repeated fields (checkbox groups)."""
    await checked_form(request, visitor)
    form = await request.form()
    lists: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            lists.setdefault(key, []).append(value)
    return lists


FormDep = Annotated[dict[str, str], Depends(checked_form)]
FormListsDep = Annotated[dict[str, list[str]], Depends(checked_form_lists)]

#: Messages shown after a redirect (``?done=``), so a reload does not post again.
DONE_MESSAGES = {
    "referred": "已推荐。可在下方推荐记录中跟进结果。",
    "outcome": "已记录推荐结果。",
    "job_posted": "岗位已发布。",
    "job_saved": "岗位已保存。",
    "account_created": "账号已创建。",
    "account_revoked": "账号已停用，其全部令牌和登录会话已失效。",
    "password_set": "密码已重置，该账号的登录会话已全部结束。",
    "signed_out": "您已退出登录。",
    "confirmed": "已确认用人单位报告的结果。",
    "disputed": "已否认用人单位报告的结果，推荐恢复为此前的结果。",
    "case_opened": "一人一策个案已建立。",
    "action_added": "服务记录已保存。",
    "case_closed": "个案已结案。",
    "exit_requested": "已申请结案，等待管理人员批准。",
}


@dataclass(frozen=True, slots=True)
class Refused:
    """Why a form was not saved, for the page shown again: the summary above the form, a
    message next to each field it names, and the status the page answers with."""

    summary: str | None
    problems: dict[str, str]
    status: int


def refusal(session: Session, error: ApiError) -> Refused:
    """A route's refusal in Chinese for the page, after undoing what the request began."""
    session.rollback()
    summary, problems = problems_of(error)
    return Refused(summary, problems, error.status)


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    title: str,
    status_code: int = 200,
    refused: Refused | None = None,
) -> HTMLResponse:
    """A full page (or, for an htmx request of a fragment template, just the fragment); with
    ``refused``, the page of a form that was not saved, its problems shown."""
    visitor: Visitor | None = getattr(request.state, "visitor", None)
    account = visitor.account if visitor else None
    done = DONE_MESSAGES.get(request.query_params.get("done", ""))
    page: dict[str, Any] = {
        "title": title,
        "account": account,
        "csrf": visitor.csrf if visitor else "",
        "navigation": NAVIGATION.get(account.role, []) if account else [],
        "current_path": request.url.path,
        "done": done,
        "today": dt.date.today(),
        "Role": Role,
        "summary": None,
        "problems": {},
    }
    page.update(context or {})
    if refused is not None:
        page |= {"summary": refused.summary, "problems": refused.problems}
        status_code = refused.status
    return templates.TemplateResponse(request, template, page, status_code=status_code)


def filter_year(text: str, problems: dict[str, str], *, earliest: int = 1990) -> int | None:
    """The year a filter form asks for (``None`` when left blank); a problem under "year"
    when it is not a year from ``earliest`` to 2100."""
    if not text:
        return None
    if text.isdigit() and earliest <= int(text) <= 2100:
        return int(text)
    problems["year"] = f"年份：须为 {earliest} 至 2100 之间的年份"
    return None


def error_page(request: Request, refused: Refused) -> HTMLResponse:
    """The page saying why a request could not be done, when no form can show it."""
    return render(request, "error.html", title="无法完成", refused=refused)


_FIELD_NAMES_ZH = {
    "title": "岗位名称",
    "description": "岗位描述",
    "occupation": "职业（2022 职业分类）",
    "skills": "技能要求",
    "certificates_required": "证书要求",
    "education_min": "最低学历",
    "region_code": "工作地区代码",
    "work_mode": "就业形式",
    "salary_min": "最低月薪",
    "salary_max": "最高月薪",
    "openings": "招聘人数",
    "posted_at": "发布日期",
    "closes_at": "截止日期",
    "override_reason": "推荐理由",
    "name": "账号名",
    "password": "密码",
    "scope": "权限范围",
    "outcome": "结果",
    "hire": "拟新增录用人数",
}

_REASONS_ZH: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^is required$"), "必填"),
    (re.compile(r"^must not be empty$"), "不能为空"),
    (re.compile(r"^must be a whole number$"), "须为整数"),
    (re.compile(r"^must be a number$"), "须为数字"),
    (re.compile(r"^must be a date like .*$"), "须为日期，例如 2025-05-01"),
    (re.compile(r"^.* must be at least (\S+)$"), r"不能小于 \1"),
    (re.compile(r"^.* must be at most (\S+)$"), r"不能大于 \1"),
    (re.compile(r"^must be a 6-digit administrative division code$"), "须为 6 位行政区划代码"),
    (re.compile(r"^(\d\d) is not a province code$"), r"\1 不是省级行政区划代码"),
    (re.compile(r"^(\S+) is in the future$"), r"\1 晚于今天"),
    (re.compile(r"^is before posted_at$"), "早于发布日期"),
    (re.compile(r"^\S+ is above salary_max$"), "高于最高月薪"),
    (re.compile(r"^must be at most (\d+) characters$"), r"不能超过 \1 个字符"),
]


def reason_zh(reason: str) -> str:
    """A validation reason of ``matching.domain.describe_errors`` in Chinese, where known."""
    for pattern, replacement in _REASONS_ZH:
        if pattern.match(reason):
            return pattern.sub(replacement, reason)
    return reason


def field_label(field: str) -> str:
    return _FIELD_NAMES_ZH.get(field.split(".")[0], field)


_CODES_ZH = {
    "forbidden": "您的账号无权执行此操作或查看此记录。",
    "not_found": "找不到该记录（可能已被删除，或编号有误）。",
    "conflict": "该记录已存在。",
    "job_closed": "该岗位已停止接收推荐。",
    "invalid": "填写的内容有误，请按提示修改。",
    "unauthorized": "请先登录。",
    "csrf": "表单已过期或来源不明，请刷新页面后重新提交。",
    "infeasible": "该岗位不满足此人的硬性条件，不能推荐。",
    "idempotency_key_reused": "此推荐表单已用于另一次推荐，请刷新页面后重试。",
}


def problems_of(error: ApiError) -> tuple[str, dict[str, str]]:
    """A route's error as (summary, reason per field), in Chinese for the page."""
    fields = {f: f"{field_label(f)}：{reason_zh(r)}" for f, r in error.fields}
    if error.code == "override_reason_required":
        fields = {"override_reason": "推荐理由：此岗位不在模型推荐的前 10 名内，请写明推荐理由"}
        return "请填写推荐理由。", fields
    if error.code == "invalid_transition":
        return "该推荐当前的结果不能改为所选结果，请从列出的选项中选择。", fields
    if error.code == "quota_data_missing":
        return "单位信息不全，无法计算按比例就业情况：" + "；".join(fields.values()), {}
    # A route's own Chinese message says more than the generic one for its code.
    if _is_chinese(error.message):
        summary = error.message
    else:
        summary = _CODES_ZH.get(error.code, "操作未能完成。")
    return summary, fields


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)
