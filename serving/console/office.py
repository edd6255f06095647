"""Admin pages (accounts, the audit log) and the manager's statistics, through the API's own
route functions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select

from matching.store.tables import AccountPasswordRow, AccountRow
from serving.auth import Account, Role
from serving.console.core import (
    AdminPage,
    FormDep,
    ManagerPage,
    Refused,
    filter_year,
    problems_of,
    render,
)
from serving.deps import RuntimeDep, SessionDep
from serving.errors import ApiError
from serving.routes import admin, compliance, reports
from serving.schemas import AccountCreate
from serving.signin import PasswordRejected, check_password_rules, end_sessions, set_password
from serving.tabular import TableFormat

router = APIRouter(prefix="/console", include_in_schema=False)


def _accounts_page(
    request: Request,
    user: Account,
    session: SessionDep,
    *,
    form: dict[str, str] | None = None,
    token: str | None = None,
    refused: Refused | None = None,
) -> Response:
    accounts = admin.list_accounts(user, session)
    with_password = set(session.scalars(select(AccountPasswordRow.account_id)))
    return render(
        request,
        "accounts.html",
        {
            "accounts": accounts,
            "with_password": with_password,
            "roles": list(Role),
            "form": form or {},
            "token": token,
        },
        title="账号管理",
        refused=refused,
    )


@router.get("/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, user: AdminPage, session: SessionDep) -> Response:
    """Every account, with forms to create, revoke and reset passwords."""
    return _accounts_page(request, user, session)


@router.post("/accounts", response_class=HTMLResponse)
def create_account(
    request: Request, user: AdminPage, form: FormDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Make an account through the API's route, with a console password."""
    password = form.get("password", "")
    problems: dict[str, str] = {}
    try:
        check_password_rules(password)
    except PasswordRejected as rejected:
        problems["password"] = f"密码：{rejected}"
    name = form.get("name", "").strip()
    taken = session.scalar(
        select(AccountRow.id)
        .join(AccountPasswordRow, AccountPasswordRow.account_id == AccountRow.id)
        .where(AccountRow.name == name)
    )
    if taken is not None:
        problems["name"] = "账号名：已被另一个可登录的账号使用"
    try:
        body = AccountCreate(
            name=name,
            role=form.get("role", ""),  # type: ignore[arg-type]
            region_code=form.get("region_code") or None,
            employer_id=form.get("employer_id") or None,
        )
    except ValidationError as error:
        for item in error.errors():
            field = str(item["loc"][0])
            problems.setdefault(field, f"{_LABELS.get(field, field)}：请填写或选择")
    refused = Refused("账号未创建。", problems, 422) if problems else None
    if refused is None:
        try:
            created = admin.create_account_route(body, user, session, runtime)
        except ApiError as error:
            session.rollback()
            scope = {"scope": f"权限范围：{_scope_zh(error.message)}"}
            refused = Refused("账号未创建。", scope, error.status)
    if refused is not None:
        return _accounts_page(request, user, session, form=form, refused=refused)
    account = Account.from_row(session.get(AccountRow, created.account.id))  # type: ignore[arg-type]
    set_password(runtime.store, session, account, password, actor=user.actor)
    session.commit()
    return _accounts_page(request, user, session, token=created.token)


_LABELS = {"name": "账号名", "role": "角色", "region_code": "辖区代码", "employer_id": "单位编号"}


def _scope_zh(message: str) -> str:
    if "counselor needs" in message:
        return "就业指导员须填写 2 至 6 位辖区代码"
    if "not a province code" in message:
        return "辖区代码的前两位不是省级代码"
    if "employer account needs" in message:
        return "用人单位账号须填写单位编号"
    if "no such employer" in message:
        return "没有这个单位编号"
    if "only counselors" in message:
        return "只有就业指导员填写辖区代码"
    if "only employer accounts" in message:
        return "只有用人单位账号填写单位编号"
    return message


@router.post("/accounts/{account_id}/revoke", response_class=HTMLResponse)
def revoke_account(
    account_id: int, user: AdminPage, form: FormDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Deactivate an account: its tokens and console sessions stop working at once."""
    admin.revoke_account(account_id, user, session, runtime)
    end_sessions(session, account_id)
    session.commit()
    return RedirectResponse("/console/accounts?done=account_revoked", status_code=303)


@router.post("/accounts/{account_id}/password", response_class=HTMLResponse)
def reset_password(
    request: Request,
    account_id: int,
    user: AdminPage,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """Set a new console password for an account (clears a lock-out, ends its sessions)."""
    row = session.get(AccountRow, account_id)
    if row is None:
        raise ApiError(404, "not_found", f"no account with id {account_id}")
    try:
        set_password(
            runtime.store,
            session,
            Account.from_row(row),
            form.get("password", ""),
            actor=user.actor,
        )
    except PasswordRejected as rejected:
        session.rollback()
        problem = {f"password-{account_id}": f"新密码：{rejected}"}
        refused = Refused(f"账号 {row.name} 的密码未重置。", problem, 422)
        return _accounts_page(request, user, session, refused=refused)
    session.commit()
    return RedirectResponse("/console/accounts?done=password_set", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    user: AdminPage,
    session: SessionDep,
    actor: Annotated[str, Query()] = "",
    action: Annotated[str, Query()] = "",
    subject: Annotated[str, Query()] = "",
    since: Annotated[str, Query()] = "",
) -> Response:
    """The audit log, newest first, filtered like ``GET /v1/audit``."""
    problems: dict[str, str] = {}
    since_at = None
    if since:
        try:
            since_at = dt.datetime.combine(dt.date.fromisoformat(since), dt.time(), dt.UTC)
        except ValueError:
            problems["since"] = "起始日期：须为日期，例如 2025-05-01"
    entries = (
        admin.read_audit(
            user,
            session,
            actor=actor or None,
            action=action or None,
            subject=subject or None,
            since=since_at,
            limit=200,
        )
        if not problems
        else []
    )
    return render(
        request,
        "audit.html",
        {
            "entries": entries,
            "query": {"actor": actor, "action": action, "subject": subject, "since": since},
            "problems": problems,
        },
        title="审计日志",
    )


def _report_period(year: str, quarter: str) -> tuple[int, int, dict[str, str]]:
    """The year and quarter asked for (default: the current quarter), or the problems."""
    today = dt.date.today()
    problems: dict[str, str] = {}
    chosen_year = filter_year(year, problems) or today.year
    chosen_quarter = (today.month - 1) // 3 + 1
    if quarter:
        if quarter in ("1", "2", "3", "4"):
            chosen_quarter = int(quarter)
        else:
            problems["quarter"] = "季度：须为 1 至 4"
    return chosen_year, chosen_quarter, problems


def _region_problem(region: str) -> dict[str, str]:
    if region and not (region.isdigit() and len(region) <= 6):
        return {"region": "地区代码：须为 1 至 6 位数字"}
    return {}


@router.get("/reports", response_class=HTMLResponse)
async def reports_page(
    request: Request,
    user: ManagerPage,
    runtime: RuntimeDep,
    year: Annotated[str, Query()] = "",
    quarter: Annotated[str, Query()] = "",
    region: Annotated[str, Query()] = "",
) -> Response:
    """The quarterly real-name report (the API's own), its charts and downloads."""
    chosen_year, chosen_quarter, problems = _report_period(year, quarter)
    problems |= _region_problem(region)
    report = None
    summary = None
    if not problems:
        try:
            report = await reports.quarterly_report(
                user, runtime, chosen_year, chosen_quarter, region or None, TableFormat.JSON
            )
        except ApiError as error:
            summary, problems = problems_of(error)
    query = urlencode({"year": chosen_year, "quarter": chosen_quarter, "region": region})
    return render(
        request,
        "reports.html",
        {
            "report": report,
            "year": chosen_year,
            "quarter": chosen_quarter,
            "region": region,
            "query": query,
            "charted": CHARTED_SECTIONS,
            "problems": problems,
            "summary": summary,
        },
        title="季度实名制统计报告",
    )


#: Report sections drawn as charts on the page (each also shown as a table).
CHARTED_SECTIONS = ("employment", "referrals", "quota")


@router.get("/reports/quarterly.{extension}")
async def report_download(
    extension: str,
    user: ManagerPage,
    runtime: RuntimeDep,
    year: Annotated[int, Query(ge=1990, le=2100)],
    quarter: Annotated[int, Query(ge=1, le=4)],
    region: Annotated[str, Query()] = "",
) -> Response:
    """The quarterly report as CSV or XLSX, as the API produces it."""
    if extension not in ("csv", "xlsx"):
        raise ApiError(404, "not_found", "只提供 csv 或 xlsx 下载")
    answer: Response = await reports.quarterly_report(
        user, runtime, year, quarter, region or None, TableFormat(extension)
    )
    return answer


@router.get("/reports/quarterly/charts/{section}.svg")
async def report_chart(
    section: str,
    user: ManagerPage,
    runtime: RuntimeDep,
    year: Annotated[int, Query(ge=1990, le=2100)],
    quarter: Annotated[int, Query(ge=1, le=4)],
    region: Annotated[str, Query()] = "",
) -> Response:
    """One section of the quarterly report as an SVG chart (the API's)."""
    return await reports.quarterly_chart(
        section, "svg", user, runtime, year, quarter, region or None
    )


@router.get("/compliance", response_class=HTMLResponse)
def compliance_page(
    request: Request,
    user: ManagerPage,
    session: SessionDep,
    runtime: RuntimeDep,
    year: Annotated[str, Query()] = "",
    region: Annotated[str, Query()] = "",
    below_ratio: Annotated[bool, Query()] = False,
) -> Response:
    """Quota compliance by employer type, the employers below the ratio (largest gap first)
    and the public disclosure list (公示), with CSV and XLSX downloads."""
    problems = _region_problem(region)
    chosen_year = filter_year(year, problems)
    context: dict[str, object] = {"year": year, "region": region, "below_ratio": below_ratio}
    if not problems:
        listed = compliance.list_employers(
            user,
            session,
            runtime,
            year=chosen_year,
            region=region or None,
            type=None,
            below_ratio=True if below_ratio else None,
            limit=200,
            offset=0,
        )
        rollup = compliance.quota_rollup(
            user,
            session,
            runtime,
            year=chosen_year,
            region=region or None,
            by=compliance.RollupBy.TYPE,
            type=None,
        )
        disclosure = compliance.quota_disclosure(
            user,
            session,
            runtime,
            year=chosen_year,
            region=region or None,
            type=None,
            format=TableFormat.JSON,
        )
        context |= {
            "listed": listed,
            "rollup": rollup,
            "disclosure": disclosure,
            "query": urlencode({"year": listed.year, "region": region}),
        }
    return render(
        request,
        "compliance.html",
        context | {"problems": problems},
        title="按比例就业达标情况与公示",
    )


@router.get("/compliance/disclosure.{extension}")
def disclosure_download(
    extension: str,
    user: ManagerPage,
    session: SessionDep,
    runtime: RuntimeDep,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    region: Annotated[str, Query()] = "",
) -> Response:
    """The 公示 list as CSV or XLSX, as the API produces it."""
    if extension not in ("csv", "xlsx"):
        raise ApiError(404, "not_found", "只提供 csv 或 xlsx 下载")
    answer: Response = compliance.quota_disclosure(
        user,
        session,
        runtime,
        year=year,
        region=region or None,
        type=None,
        format=TableFormat(extension),
    )
    return answer


@router.get("/statistics", response_class=HTMLResponse)
def statistics_page(
    request: Request,
    user: ManagerPage,
    session: SessionDep,
    region: Annotated[str, Query()] = "",
) -> Response:
    """Current counts of people, jobs, referrals and outcomes for a region prefix."""
    problems = _region_problem(region)
    figures = admin.statistics(user, session, region=region or None) if not problems else None
    return render(
        request,
        "statistics.html",
        {"figures": figures, "region": region, "problems": problems},
        title="实时统计",
    )
