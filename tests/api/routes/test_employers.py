"""The employers router over HTTP: an employer reads its own record, counselors register and
change employers of their region, and the quota follows the recorded facts."""

from __future__ import annotations

import pytest

from tests.api_client import Api, error_of

pytestmark = pytest.mark.slow


def test_employers_and_quota(api: Api) -> None:
    own = api.call("GET", "/v1/employers/e1", "employer1")
    assert own.status_code == 200 and own.json()["name"] == "长沙市图书馆"
    assert api.call("GET", "/v1/employers/e2", "employer1").status_code == 403
    quota = api.call("GET", "/v1/employers/e1/quota", "manager").json()
    assert quota["required"] == pytest.approx(1.8) and quota["compliant"] is False
    assert api.call("GET", "/v1/employers/e2/quota", "employer1").status_code == 403
    # Quota facts are the counselor's to record (the employer's own attempt: test_personal_data).
    patched = api.call("PATCH", "/v1/employers/e1", "counselor", json={"disabled_staff": 2})
    assert patched.json()["disabled_staff"] == 2
    assert api.call("GET", "/v1/employers/e1/quota", "employer1").json()["compliant"] is True
    assert api.call("PATCH", "/v1/employers/e1", "manager", json={}).status_code == 403


def test_counselor_registers_an_employer_in_region(api: Api) -> None:
    employer = {"id": "e3", "name": "某社区", "type": "social_org", "region_code": "430102"}
    assert api.call("POST", "/v1/employers", "counselor_other", json=employer).status_code == 201
    assert api.call("POST", "/v1/employers", "counselor_other", json=employer).status_code == 409
    missing = api.call("GET", "/v1/employers/e3/quota", "counselor_other")
    assert missing.status_code == 409
    assert error_of(missing)["fields"][0]["field"] == "disabled_staff"
    far = {**employer, "id": "e4", "region_code": "110101"}
    assert api.call("POST", "/v1/employers", "counselor_other", json=far).status_code == 403
