"""The HTTP API: ``create_app(settings)`` builds it; ``uvicorn --factory serving.app:app_from_env``
serves it (``jobmatch serve``).

Models and indexes load once, in the lifespan, into a :class:`~serving.runtime.Runtime` held on
``app.state`` and handed to routes through the dependencies of ``serving.deps``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matching.occupations import OccupationVocabulary
from matching.settings import Settings
from matching.store import Store, open_store
from serving.console import install_console
from serving.errors import install_error_handlers
from serving.guard import RequestGuard
from serving.routes import (
    admin,
    assessments,
    candidates,
    cases,
    compliance,
    employers,
    employment,
    events,
    health,
    jobs,
    lifecycle,
    recommendations,
    referrals,
    reports,
    training,
)
from serving.runtime import Resources, Runtime, load_resources

DESCRIPTION = """
Job matching and referral for disability employment service centres (残疾人就业服务机构).

Every `/v1` route needs `Authorization: Bearer <token>` (from `jobmatch users create`).
Counselors work within their region prefix; employer accounts with their own jobs, seeing
proposed people only as anonymised cards; managers read statistics; admins manage accounts and
read the audit log. Errors always have the shape
`{"error": {"code", "message", "fields": [{"field", "reason"}]}}`.
"""


def create_app(
    settings: Settings,
    *,
    resources: Callable[[Settings, Store], Resources] = load_resources,
) -> FastAPI:
    """The API over one installation.

    ``resources`` loads the embedding model, the occupation vocabulary and the occupation
    coder at start-up; tests pass one that hands back already loaded ones.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = open_store(settings, OccupationVocabulary.load())
        try:
            loaded = await run_in_threadpool(resources, settings, store)
            runtime = Runtime(settings, store, loaded)
            # The first build happens before the first request: a process is ready only with
            # its matcher loaded.
            await run_in_threadpool(runtime.load)
            app.state.runtime = runtime
            yield
        finally:
            store.close()

    app = FastAPI(
        title="jobmatch",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(ApplyWrites)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes)
    for module in (
        health,
        candidates,
        employers,
        compliance,
        events,
        jobs,
        recommendations,
        referrals,
        reports,
        admin,
    ):
        app.include_router(module.router)
    # Casework (issue 13).
    for module in (lifecycle, employment, assessments, cases, training):
        app.include_router(module.router)
    install_console(app)
    return app


class ApplyWrites:
    """A successful write is applied to this worker's matcher before its response goes out,
    so the writer's next request finds nothing left to apply and the write's own latency
    says what it costs. (Other workers apply it on their next ranking request: every one
    catches up with the change log first.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WRITES:
            await self.app(scope, receive, send)
            return

        async def applied_first(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                runtime = getattr(scope["app"].state, "runtime", None)
                if runtime is not None:
                    await run_in_threadpool(runtime.catch_up)
            await send(message)

        await self.app(scope, receive, applied_first)


_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def app_from_env() -> FastAPI:
    """The app for the installation configured by ``JOBMATCH_*`` variables (uvicorn factory)."""
    return create_app(Settings())
