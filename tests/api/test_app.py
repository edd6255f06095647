"""The app as a whole over HTTP: the OpenAPI document names every resource, and a missing,
invalid or expired bearer token is 401 on any route."""

from __future__ import annotations

import datetime as dt

import pytest

from matching.store import Store
from serving.auth import create_account
from tests.api_client import Api, error_of

pytestmark = pytest.mark.slow


def test_openapi_documents_every_resource(read_api: Api) -> None:
    paths = read_api.call("GET", "/openapi.json", None).json()["paths"]
    for path in (
        "/v1/candidates",
        "/v1/candidates/{candidate_id}/recommendations",
        "/v1/employers/{employer_id}/quota",
        "/v1/jobs",
        "/v1/jobs/{job_id}/recommendations",
        "/v1/referrals",
        "/v1/model",
        "/v1/audit",
    ):
        assert path in paths


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic abc"])
def test_missing_or_invalid_token_is_401(read_api: Api, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = read_api.call("GET", "/v1/model", None, headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_expired_token_is_401(api: Api) -> None:
    store = Store.open(api.settings)
    try:
        _, token = create_account(
            store, name="old", role="manager", lifetime=dt.timedelta(seconds=-1)
        )
    finally:
        store.close()
    response = api.call("GET", "/v1/model", None, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
