"""The web console under ``/console/``: server-rendered Chinese pages for counselors,
employers, managers and admins, served by the API's own app.

``install_console(app)`` mounts the static files, adds the page routers and makes errors on
console paths answer as pages (a sign-in redirect, or a Chinese message) while the API keeps
its JSON error shape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from serving.console import casework, entrance, jobs, office, people
from serving.console.core import (
    HERE,
    Refused,
    SignInRequired,
    error_page,
    problems_of,
    reason_zh,
)
from serving.errors import ApiError


def _is_console(request: Request) -> bool:
    return request.url.path == "/console" or request.url.path.startswith("/console/")


Handler = Callable[[Request, Any], Awaitable[Response]]


def install_console(app: FastAPI) -> None:
    """Add the console to ``app`` (after ``install_error_handlers``, whose handlers it wraps)."""
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
    for module in (entrance, people, casework, jobs, office):
        app.include_router(module.router)

    # The handlers install_error_handlers registered: all of them coroutines.
    api_error = cast(Handler, app.exception_handlers[ApiError])
    http_error = cast(Handler, app.exception_handlers[StarletteHTTPException])
    request_invalid = cast(Handler, app.exception_handlers[RequestValidationError])

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _exc: SignInRequired) -> Response:
        path = request.url.path
        if request.url.query:
            path += "?" + request.url.query
        return RedirectResponse(f"/console/login?next={quote(path)}", status_code=303)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        if not _is_console(request):
            return await api_error(request, exc)
        summary, problems = problems_of(exc)
        return error_page(request, Refused(summary, problems, exc.status))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not _is_console(request):
            return await http_error(request, exc)
        summary = "找不到该页面。" if exc.status_code == 404 else "请求无法完成。"
        return error_page(request, Refused(summary, {}, exc.status_code))

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(request: Request, exc: RequestValidationError) -> Response:
        if not _is_console(request):
            return await request_invalid(request, exc)
        problems = {
            ".".join(str(p) for p in item["loc"][1:]): reason_zh(str(item.get("msg", "")))
            for item in exc.errors()
        }
        return error_page(request, Refused("请求中的内容有误。", problems, 422))
