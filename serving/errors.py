"""One error shape for every failure: ``{"error": {"code", "message", "fields"}}``.

Validation problems name each bad field in the words the interchange import uses
(``matching.domain.describe_errors``), so a counselor reads the same reason in the API as in an
import report. Unexpected exceptions become a bare 500: no stack trace leaves the process.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from matching.domain import describe_errors

log = logging.getLogger(__name__)


class FieldProblem(BaseModel):
    """One field a request got wrong, and why."""

    field: str
    reason: str


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: list[FieldProblem] = []


class ErrorResponse(BaseModel):
    """The body of every error response."""

    error: ErrorBody


class ApiError(Exception):
    """A failure to report to the client with a status, a stable code and a message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = list(fields)


def not_found(kind: str, record_id: str) -> ApiError:
    """404 for a record that does not exist or that the caller may not know exists."""
    return ApiError(404, "not_found", f"no {kind} with id {record_id}")


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def invalid(error: ValidationError) -> ApiError:
    """422 naming each bad field of a record, as the interchange import does."""
    return ApiError(422, "invalid", "the record has invalid fields", describe_errors(error))


class _Errors:
    """Presents FastAPI's validation errors to ``describe_errors`` as a ``ValidationError``."""

    def __init__(self, items: Sequence[Any]) -> None:
        self._items = items

    def errors(self, include_url: bool = False) -> list[dict[str, Any]]:
        # Drop where the value came from ("body", "query", ...): a counselor needs the field.
        return [
            {**item, "loc": tuple(item["loc"][1:]) or tuple(item["loc"])} for item in self._items
        ]


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
}


def _response(
    status: int, code: str, message: str, fields: Sequence[tuple[str, str]] = ()
) -> JSONResponse:
    body = ErrorResponse(
        error=ErrorBody(
            code=code,
            message=message,
            fields=[FieldProblem(field=f, reason=r) for f, r in fields],
        )
    )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Route every failure of ``app`` through the one error shape."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        if exc.status == 403:
            await run_in_threadpool(_audit_refusal, request, exc.message)
        return _response(exc.status, exc.code, exc.message, exc.fields)

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = describe_errors(cast(ValidationError, _Errors(exc.errors())))
        return _response(422, "invalid", "the request has invalid fields", fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        return _response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _response(500, "internal", "internal error; it has been logged")


def _audit_refusal(request: Request, message: str) -> None:
    """Record a refused attempt (403): who tried what. The request's own transaction is
    rolled back, so this is written in a transaction of its own."""
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is None:
        return
    account = getattr(request.state, "account", None)
    try:
        with runtime.store.session() as session:
            runtime.store.audit(
                session,
                actor=account.actor if account is not None else "anonymous",
                action="forbidden",
                subject=f"{request.method} {request.url.path}",
                purpose=message,
            )
    except Exception:
        # The refusal stands whether or not it could be logged; the failure is logged.
        log.exception("could not audit a refused request to %s", request.url.path)


#: OpenAPI description of the error responses every route may give.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in {
        401: "Missing, invalid, expired or revoked bearer token",
        403: "The account's role or scope does not allow this",
        404: "No such record (or not visible to this account)",
        422: "Invalid fields, each named with a reason",
    }.items()
}
