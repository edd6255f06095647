"""The health router over HTTP: liveness, and readiness naming each check."""

from __future__ import annotations

import pytest

from tests.api_client import Api

pytestmark = pytest.mark.slow


def test_health_and_readiness(read_api: Api) -> None:
    assert read_api.call("GET", "/healthz", None).json() == {"status": "ok"}
    ready = read_api.call("GET", "/readyz", None)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "matcher": True, "ranker": True}
