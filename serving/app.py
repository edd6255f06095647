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
            await run_in_threadpool(runtime.current_matcher)
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


def app_from_env() -> FastAPI:
    """The app for the installation configured by ``JOBMATCH_*`` variables (uvicorn factory)."""
    return create_app(Settings())
