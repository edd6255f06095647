"""Liveness and readiness probes."""

from __future__ import annotations

import os

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, text

from serving.deps import RuntimeDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


def _sqlite_writable(connection: Connection, timeout: float) -> None:
    """Raise if the SQLite file is write-locked: reads still answer then, writes would not."""
    connection.exec_driver_sql("PRAGMA busy_timeout = 200")
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        connection.exec_driver_sql("ROLLBACK")
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(timeout * 1000)}")


@router.get(
    "/readyz",
    responses={503: {"description": "Database unreachable, no matcher, or ranker degraded"}},
)
def readyz(runtime: RuntimeDep) -> JSONResponse:
    """The database answers, the matcher is loaded and the ranker bundle on disk is the one
    in service; otherwise 503 with the reasons."""
    checks = {"database": False, "matcher": runtime.ready, "ranker": runtime.degraded is None}
    reasons = [] if runtime.ready else ["the matcher is not loaded yet"]
    if runtime.degraded is not None:
        reasons.append(runtime.degraded)
    try:
        with runtime.store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            if connection.dialect.name == "sqlite":
                _sqlite_writable(connection, runtime.settings.database_timeout)
        checks["database"] = True
    except Exception as error:  # any failure to reach the database means "not ready", not a 500
        reasons.append(f"database unreachable: {type(error).__name__}")
    ready = all(checks.values())
    body: dict[str, object] = {
        "status": "ready" if ready else "not ready",
        "checks": checks,
        # Full matcher builds of this worker (1: every write so far applied in place).
        "matcher_builds": runtime.builds,
        # Which worker answered (``jobmatch serve --workers N`` runs N processes).
        "worker": os.getpid(),
    }
    if reasons:
        body["reasons"] = reasons
    return JSONResponse(body, status_code=200 if ready else 503)
