"""Changing a stored record over HTTP: the PATCH merge, unknown fields refused, and the ETags of
optimistic concurrency.

Every record's ``ETag`` is its content hash. A PATCH (or close) reads the record, applies the
change and stores the result only if the stored record is still the one it read (the
repositories of ``matching.store`` do the compare-and-set). With ``If-Match`` the client states
which version it edited: any other version now stored is 412 Precondition Failed. Without it the
change is re-applied to the newer version (a PATCH names only the fields it sets, so both
writers' fields survive), up to a few times, then 409. No update is ever lost in silence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Header, Response
from pydantic import BaseModel, ValidationError

# Re-exported for the routes that keep their own compare-and-set loop (referrals, lifecycle).
from matching.store.repository import ATTEMPTS as ATTEMPTS
from matching.store.repository import (
    AlreadyExists,
    ConcurrentChange,
    StaleVersion,
    etag,
)
from matching.store.repository import matches_etag as matches_etag
from serving.errors import ApiError, invalid

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=1024,
        description="The ETag of the version being changed; 412 if the record changed since.",
    ),
]

ModelT = TypeVar("ModelT", bound=BaseModel)


def set_etag(response: Response, content_hash: str) -> None:
    """Name the version a response carries, for ``If-Match`` on a later change."""
    response.headers["ETag"] = etag(content_hash)


def check_known_fields(
    changes: dict[str, Any], model: type[BaseModel], *, also: Iterable[str] = ()
) -> None:
    """422 naming every key of a PATCH body that is no field of the record (a typo must not
    be ignored in silence)."""
    unknown = sorted(set(changes) - set(model.model_fields) - set(also))
    if unknown:
        raise ApiError(
            422,
            "invalid",
            "请求中有未知字段 (the request has unknown fields)",
            [(key, "未知字段 (is not a field of this record)") for key in unknown],
        )


def merged(current: ModelT, changes: dict[str, Any]) -> ModelT:
    """The record with a PATCH body's fields set (``null`` clears one), validated whole like an
    import: 422 naming each invalid field."""
    try:
        return type(current).model_validate({**current.model_dump(), **changes})
    except ValidationError as error:
        raise invalid(error) from None


def changed_fields(before: BaseModel, after: BaseModel) -> list[str]:
    """The fields whose values differ, in name order (what an audit entry records)."""
    return sorted(f for f in type(after).model_fields if getattr(after, f) != getattr(before, f))


def precondition_failed(what: str) -> ApiError:
    """412: ``If-Match`` names a version of ``what`` that is no longer the stored one."""
    return ApiError(
        412,
        "precondition_failed",
        f"{what} 已被他人修改，请重新读取后再改 ({what} changed since that version was read)",
        [("If-Match", "does not match the current ETag")],
    )


@contextmanager
def store_errors() -> Iterator[None]:
    """The repositories' refusals as API errors: 409 for an id already taken or a record
    changed concurrently too often, 412 for a stale ``If-Match``."""
    try:
        yield
    except AlreadyExists as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    except StaleVersion as exc:
        raise precondition_failed(exc.subject) from None
    except ConcurrentChange as exc:
        raise ApiError(
            409, "conflict", f"{exc.subject} 正被同时修改，请重试 (changed concurrently; retry)"
        ) from None
