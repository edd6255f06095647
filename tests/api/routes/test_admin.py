"""The admin router over HTTP: accounts made and revoked by admins only, the audit log, the
managers' statistics and the model in service."""

from __future__ import annotations

import pytest

from matching.features import FEATURES
from tests.api_client import Api

pytestmark = pytest.mark.slow


def test_admin_creates_and_revokes_accounts(api: Api) -> None:
    created = api.call(
        "POST",
        "/v1/accounts",
        "admin",
        json={"name": "王老师", "role": "counselor", "region_code": "430104"},
    )
    assert created.status_code == 201, created.text
    token, account_id = created.json()["token"], created.json()["account"]["id"]
    me = api.client.get("/v1/accounts/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["region_code"] == "430104"
    assert api.call("POST", f"/v1/accounts/{account_id}/revoke", "admin").status_code == 200
    again = api.client.get("/v1/accounts/me", headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 401
    listed = api.call("GET", "/v1/accounts", "admin").json()
    assert all("token" not in a for a in listed)


def test_account_scope_must_fit_the_role(read_api: Api) -> None:
    response = read_api.call(
        "POST", "/v1/accounts", "admin", json={"name": "x", "role": "counselor"}
    )
    assert response.status_code == 422
    bad_employer = read_api.call(
        "POST",
        "/v1/accounts",
        "admin",
        json={"name": "x", "role": "employer", "employer_id": "nope"},
    )
    assert bad_employer.status_code == 422


@pytest.mark.parametrize("who", ["counselor", "employer1", "manager"])
def test_only_admins_manage_accounts_and_read_the_audit(read_api: Api, who: str) -> None:
    assert read_api.call("GET", "/v1/accounts", who).status_code == 403
    assert read_api.call("GET", "/v1/audit", who).status_code == 403
    created = read_api.call("POST", "/v1/accounts", who, json={"name": "x", "role": "admin"})
    assert created.status_code == 403


def test_model_in_service(read_api: Api) -> None:
    model = read_api.call("GET", "/v1/model", "manager").json()
    assert model["name"] == "baseline" and model["learned"] is False
    assert model["features"] == list(FEATURES)


def test_statistics_for_managers(read_api: Api) -> None:
    stats = read_api.call("GET", "/v1/statistics", "manager").json()
    assert stats["candidates"] == 3 and stats["referrals"] == 2
    assert stats["outcomes"] == {"hired": 1, "pending": 1}
    regional = read_api.call("GET", "/v1/statistics", "manager", params={"region": "430103"}).json()
    assert regional["candidates"] == 1
    assert read_api.call("GET", "/v1/statistics", "counselor").status_code == 403
