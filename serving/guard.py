"""The request guard: what every request must satisfy before any route sees it, and a last
line of defence after.

- The body is at most ``Settings.max_body_bytes`` (413 otherwise, without reading past it).
- A JSON body is valid JSON (422 naming the line and column otherwise) and holds no value the
  store cannot keep or arithmetic cannot use: no NUL character or lone surrogate in any text
  (PostgreSQL refuses NUL, UTF-8 has no lone surrogates), no ``Infinity``/``NaN``/``1e400``
  and no integer beyond 64 bits. Each is a 422 naming the field.
- The path and query carry no NUL character.
- An unexpected exception becomes the one-shape 500 *without* closing the keep-alive
  connection: Starlette's outermost handler re-raises after answering, which makes uvicorn
  drop the connection, so the exception is answered here instead.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.errors import error_response

log = logging.getLogger(__name__)

INT_LIMIT = 2**63 - 1


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "含有 NUL 字符 (contains a NUL character)"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "含有无效的 Unicode 代理字符 (contains a lone surrogate)"
    return None


def json_problems(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """``(field, reason)`` for every value of a parsed JSON document that cannot be kept."""
    field = where or "body"
    if isinstance(value, str):
        problem = _text_problem(value)
        if problem:
            yield field, problem
    elif isinstance(value, bool):
        return
    elif isinstance(value, float):
        if not math.isfinite(value):
            yield field, "必须是有限的数 (must be a finite number)"
    elif isinstance(value, int):
        if abs(value) > INT_LIMIT:
            yield field, "数值超出范围 (the number is out of range)"
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from json_problems(item, f"{where}.{n}" if where else str(n))
    elif isinstance(value, dict):
        for key, item in value.items():
            problem = _text_problem(key)
            if problem:
                yield (where or "body"), f"字段名{problem}"
                continue
            yield from json_problems(item, f"{where}.{key}" if where else key)


def _is_json(scope: Scope) -> bool:
    for name, raw in scope.get("headers", []):
        if name == b"content-type":
            kind = raw.decode("latin-1").split(";", 1)[0].strip().lower()
            return kind == "application/json" or kind.endswith("+json")
    # FastAPI reads a body without a content type as JSON too.
    return True


def _declared_length(scope: Scope) -> int | None:
    for name, raw in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(raw)
            except ValueError:
                return None
    return None


class RequestGuard:
    """ASGI middleware enforcing the limits above (installed by ``create_app``)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        target = self._target_problems(scope)
        if target:
            await self._refuse(scope, receive, send, 422, target)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body and _is_json(scope):
            problems = self._body_problems(body)
            if problems:
                await self._refuse(scope, receive, send, 422, problems)
                return
        await self._forward(scope, body, receive, send)

    @staticmethod
    def _target_problems(scope: Scope) -> list[tuple[str, str]]:
        problems = []
        if "\x00" in scope.get("path", ""):
            problems.append(("path", "含有 NUL 字符 (contains a NUL character)"))
        query = scope.get("query_string", b"").decode("latin-1")
        for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
            problem = _text_problem(name) or _text_problem(value)
            if problem:
                problems.append((name.replace("\x00", "") or "query", problem))
        return problems

    @staticmethod
    def _body_problems(body: bytes) -> list[tuple[str, str]]:
        try:
            document = json.loads(body)
        except json.JSONDecodeError as error:
            return [
                (
                    "body",
                    f"不是有效的 JSON：第 {error.lineno} 行第 {error.colno} 列 "
                    f"(not valid JSON: {error.msg} at line {error.lineno} column {error.colno})",
                )
            ]
        except (ValueError, RecursionError) as error:  # bad UTF-8, 5000-digit ints, nesting
            return [("body", f"不是有效的 JSON (not valid JSON: {type(error).__name__})")]
        return list(json_problems(document))

    async def _forward(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> None:
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, replay, watch)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:  # half a response went out: nothing better can be done
                raise
            response = error_response(500, "internal", "internal error; it has been logged")
            await response(scope, receive, send)

    async def _refuse(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        problems: list[tuple[str, str]],
    ) -> None:
        response = error_response(
            status, "invalid", "请求中有无效的值 (the request has invalid values)", problems
        )
        await response(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413,
            "too_large",
            f"请求体超过 {self.max_body_bytes} 字节的上限 "
            f"(the request body is larger than {self.max_body_bytes} bytes)",
            [("body", f"must be at most {self.max_body_bytes} bytes")],
            # The rest of the body is not read: the connection cannot be reused.
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)
