"""Typed dependencies, so that routes read like the domain (``SessionDep``, ``CurrentUser``,
``MatcherDep``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from matching.engine import Matcher
from serving.auth import Account, Role, authenticate
from serving.errors import ApiError, forbidden
from serving.runtime import Runtime

_bearer = HTTPBearer(auto_error=False, description="Bearer token from `jobmatch users create`")


# Dependencies that do no I/O are ``async``: FastAPI runs a plain ``def`` one in a worker
# thread, and each such hop is a context switch a request waits for (many on a busy host).


async def get_runtime(request: Request) -> Runtime:
    """The process's serving state (``app.state.runtime``)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    """A session per request; routes commit what they write, anything else is rolled back."""
    with runtime.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_current_user(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Account:
    """The account of the bearer token; 401 when it is missing, unknown, expired or revoked.
    The account is kept on the request, so that a refusal (403) is audited under its name."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(401, "unauthorized", "a bearer token is required")
    account = authenticate(session, credentials.credentials)
    if account is None:
        raise ApiError(401, "unauthorized", "the token is invalid, expired or revoked")
    request.state.account = account
    return account


CurrentUser = Annotated[Account, Depends(get_current_user)]


def get_matcher(runtime: RuntimeDep, session: SessionDep) -> Matcher:
    """The matcher, brought up to date with the store and the ranker in service (the change
    log is read on the request's own connection, which its account was looked up on)."""
    return runtime.current_matcher(session.connection())


MatcherDep = Annotated[Matcher, Depends(get_matcher)]


def require(*roles: Role) -> Callable[[Account], Account]:
    """A dependency admitting only accounts with one of ``roles`` (403 otherwise)."""
    allowed = frozenset(roles)
    names = " or ".join(sorted(r.value for r in allowed))

    def check(user: CurrentUser) -> Account:
        if user.role not in allowed:
            raise forbidden(f"only {names} accounts may do this")
        return user

    return check


Counselor = Annotated[Account, Depends(require(Role.COUNSELOR))]
Employer = Annotated[Account, Depends(require(Role.EMPLOYER))]
CounselorOrEmployer = Annotated[Account, Depends(require(Role.COUNSELOR, Role.EMPLOYER))]
Admin = Annotated[Account, Depends(require(Role.ADMIN))]
Manager = Annotated[Account, Depends(require(Role.MANAGER, Role.ADMIN))]
