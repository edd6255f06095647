"""Changing a stored record safely: unknown fields refused, and optimistic concurrency.

Every record's ``ETag`` is its content hash. A PATCH (or close) reads the record, applies the
change and stores the result only if the stored record is still the one it read
(:meth:`matching.store.Store.replace`). With ``If-Match`` the client states which version it
edited: any other version now stored is 412 Precondition Failed. Without it the change is
re-applied to the newer version (a PATCH names only the fields it sets, so both writers' fields
survive), up to a few times, then 409. No update is ever lost in silence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Header, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from matching.domain import Record
from matching.store import Store
from serving.errors import ApiError

#: How many times a change is re-applied when another writer got in first.
ATTEMPTS = 5

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=1024,
        description="The ETag of the version being changed; 412 if the record changed since.",
    ),
]


class StoredRow(Protocol):
    id: str
    content_hash: str


RowT = TypeVar("RowT", bound=StoredRow)


def etag(content_hash: str) -> str:
    """The ETag header value of a stored version."""
    return f'"{content_hash}"'


def set_etag(response: Response, content_hash: str) -> None:
    response.headers["ETag"] = etag(content_hash)


def matches_etag(if_match: str | None, content_hash: str) -> bool:
    """Whether an ``If-Match`` header (absent: anything matches) names this stored version."""
    if if_match is None:
        return True
    tags = {t.strip() for t in if_match.split(",")}
    return "*" in tags or etag(content_hash) in tags


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


def precondition_failed(what: str) -> ApiError:
    return ApiError(
        412,
        "precondition_failed",
        f"{what} 已被他人修改，请重新读取后再改 ({what} changed since that version was read)",
        [("If-Match", "does not match the current ETag")],
    )


def save_change(
    session: Session,
    store: Store,
    kind: str,
    load: Callable[[], RowT],
    change: Callable[[RowT], Record],
    if_match: str | None,
) -> tuple[RowT, Record, str]:
    """Apply ``change`` to the record ``load`` reads and store it by compare-and-set.

    Returns the row read, the stored record and its new content hash; the caller audits and
    commits. 412 when ``If-Match`` names another version; 409 if other writers kept winning.
    """
    for _ in range(ATTEMPTS):
        row = load()
        if not matches_etag(if_match, row.content_hash):
            raise precondition_failed(f"{kind}:{row.id}")
        record = change(row)
        stored = store.replace(session, kind, record, expected_hash=row.content_hash)
        if stored is not None:
            return row, record, stored
        # Another writer committed in between: read their version and apply ours to it.
        session.rollback()
        if if_match is not None:
            raise precondition_failed(f"{kind}:{row.id}")
    raise ApiError(
        409,
        "conflict",
        f"{kind}:{row.id} 正被同时修改，请重试 (changed concurrently; retry)",
    )
