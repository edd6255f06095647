"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from serving.deps import RuntimeDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Database unreachable or no matcher"}})
def readyz(runtime: RuntimeDep) -> JSONResponse:
    """The database answers and the matcher is loaded."""
    checks = {"database": False, "matcher": runtime.ready}
    try:
        with runtime.store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = True
    except Exception:  # any failure to reach the database means "not ready", not a 500
        checks["database"] = False
    ready = all(checks.values())
    return JSONResponse(
        {
            "status": "ready" if ready else "not ready",
            "checks": checks,
            # Full matcher builds of this worker (1: every write so far applied in place).
            "matcher_builds": runtime.builds,
        },
        status_code=200 if ready else 503,
    )
