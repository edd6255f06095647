"""Signing in and out of the console, and the start page of each role."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from serving.console.core import (
    COOKIE,
    HOME,
    SIGNIN_CSRF_COOKIE,
    FormDep,
    Refused,
    VisitorDep,
    render,
)
from serving.deps import RuntimeDep, SessionDep
from serving.signin import end_session, sign_in, start_session

router = APIRouter(prefix="/console", include_in_schema=False)


def _secure(request: Request, runtime: RuntimeDep) -> bool:
    """Secure cookies behind TLS (uvicorn reads X-Forwarded-Proto from a trusted proxy)."""
    return request.url.scheme == "https" or runtime.settings.console_secure_cookies


def _safe_next(path: str) -> str:
    """Only a path inside the console: never an open redirect to another site."""
    if path.startswith("/console/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/console/"


@router.get("/", response_class=HTMLResponse)
def start_page(visitor: VisitorDep) -> Response:
    """Each role starts on its own main page."""
    return RedirectResponse(HOME[visitor.account.role], status_code=303)


@router.get("", response_class=HTMLResponse)
def console_root() -> Response:
    return RedirectResponse("/console/", status_code=307)


def _signin_page(
    request: Request,
    runtime: RuntimeDep,
    *,
    name: str = "",
    next_path: str = "/console/",
    refused: Refused | None = None,
) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {
            "signin_csrf": token,
            "name": name,
            "next_path": next_path,
            "max_failed": runtime.settings.console_max_failed_signins,
            "lockout_minutes": runtime.settings.console_lockout_minutes,
        },
        title="登录",
        refused=refused,
    )
    # Double-submit token: the form must send back what this cookie holds; another site can
    # neither read the cookie nor (SameSite=Strict) make the browser send it.
    response.set_cookie(
        SIGNIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request, runtime),
        path="/console/login",
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def signin_form(request: Request, runtime: RuntimeDep, next: str = "/console/") -> Response:
    """The sign-in form: 账号 and 密码."""
    return _signin_page(request, runtime, next_path=_safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def signin_submit(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/console/",
) -> Response:
    """Check the name and password; on success a new session cookie, else the form again."""
    expected = request.cookies.get(SIGNIN_CSRF_COOKIE, "")
    next_path = _safe_next(next)
    if not expected or not secrets.compare_digest(csrf_token.encode(), expected.encode()):
        return _signin_page(
            request,
            runtime,
            name=name,
            next_path=next_path,
            refused=Refused("登录表单已过期，请重新输入账号和密码。", {}, 403),
        )
    problems = {}
    if not name.strip():
        problems["name"] = "请输入账号"
    if not password:
        problems["password"] = "请输入密码"
    if problems:
        refused = Refused(None, problems, 422)
        return _signin_page(request, runtime, name=name, next_path=next_path, refused=refused)
    result = sign_in(runtime.store, session, runtime.settings, name, password)
    if result.account is None:
        session.commit()  # the failure counts and is audited even though sign-in failed
        return _signin_page(
            request,
            runtime,
            name=name,
            next_path=next_path,
            refused=Refused(result.problem, {}, 429 if result.locked_until else 401),
        )
    token, _csrf = start_session(session, result.account, runtime.settings)
    session.commit()
    target = next_path if next_path != "/console/" else HOME[result.account.role]
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=runtime.settings.console_session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=_secure(request, runtime),
        path="/console",
    )
    response.delete_cookie(SIGNIN_CSRF_COOKIE, path="/console/login")
    return response


@router.post("/logout", response_class=HTMLResponse)
def signout(
    request: Request, visitor: VisitorDep, form: FormDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """End this browser's session (the cookie stops working even if it was copied)."""
    end_session(session, request.cookies.get(COOKIE, ""))
    runtime.store.audit(
        session,
        actor=visitor.account.actor,
        action="sign_out",
        subject=f"accounts:{visitor.account.id}",
        purpose="console",
    )
    session.commit()
    response = RedirectResponse("/console/login?done=signed_out", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response
