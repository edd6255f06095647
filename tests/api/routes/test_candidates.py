"""The candidates router over HTTP: a counselor's people created, read (audited), patched,
searched and deactivated within the region; every refusal."""

from __future__ import annotations

import pytest

from tests.api_client import Api, error_of
from tests.world import CANDIDATES, id_number

pytestmark = pytest.mark.slow


NEW_CANDIDATE = {
    "id": "c9",
    "name": "王五",
    "id_number": id_number("430104", "19950101", "235"),
    "sex": "M",
    "region_code": "430104",
    "skills": ["客户服务", "打字"],
    "registered_at": "2025-01-05",
}


def test_counselor_creates_reads_and_updates_a_candidate(api: Api) -> None:
    created = api.call("POST", "/v1/candidates", "counselor", json=NEW_CANDIDATE)
    assert created.status_code == 201, created.text
    again = api.call("POST", "/v1/candidates", "counselor", json=NEW_CANDIDATE)
    assert again.status_code == 409
    read = api.call("GET", "/v1/candidates/c9", "counselor", params={"purpose": "回访"})
    assert read.json()["name"] == "王五"
    assert read.json()["id_number"] == NEW_CANDIDATE["id_number"]
    patched = api.call("PATCH", "/v1/candidates/c9", "counselor", json={"expected_salary": 3500})
    assert patched.status_code == 200 and patched.json()["expected_salary"] == 3500
    audit = api.call("GET", "/v1/audit", "admin", params={"subject": "candidates:c9"}).json()
    assert {"create", "read_sensitive", "update"} <= {a["action"] for a in audit}
    assert any(a["purpose"] == "回访" for a in audit)


def test_invalid_candidate_names_each_field(read_api: Api) -> None:
    bad = {**NEW_CANDIDATE, "region_code": "999999", "birth_year": "soon"}
    del bad["registered_at"]
    response = read_api.call("POST", "/v1/candidates", "counselor", json=bad)
    assert response.status_code == 422
    fields = {f["field"]: f["reason"] for f in error_of(response)["fields"]}
    assert fields["registered_at"] == "is required"
    assert "province" in fields["region_code"]
    assert fields["birth_year"] == "must be a whole number"


def test_patch_is_validated_whole(read_api: Api) -> None:
    response = read_api.call(
        "PATCH", "/v1/candidates/c1", "counselor", json={"disability_grade": 3}
    )
    assert response.status_code == 422
    assert error_of(response)["fields"][0]["field"] == "cert_number"


def test_search_by_name_id_number_and_region(read_api: Api) -> None:
    by_name = read_api.call("GET", "/v1/candidates", "counselor", params={"name": "张三"}).json()
    assert [c["id"] for c in by_name] == ["c1"]
    assert "name" not in by_name[0]
    by_id = read_api.call(
        "GET", "/v1/candidates", "counselor", params={"id_number": CANDIDATES[0]["id_number"]}
    ).json()
    assert [c["id"] for c in by_id] == ["c1"]
    by_region = read_api.call(
        "GET", "/v1/candidates", "counselor", params={"region": "430103"}
    ).json()
    assert [c["id"] for c in by_region] == ["c2"]
    other = read_api.call("GET", "/v1/candidates", "counselor_other").json()
    assert [c["id"] for c in other] == ["c3"]
    outside = read_api.call("GET", "/v1/candidates", "counselor_other", params={"region": "4301"})
    assert outside.status_code == 403


def test_deactivated_candidate_leaves_matching(api: Api) -> None:
    before = api.call("GET", "/v1/jobs/j2/recommendations", "counselor").json()
    assert "c3" in [r["id"] for r in before["results"]]
    done = api.call("POST", "/v1/candidates/c3/deactivate", "counselor")
    assert done.status_code == 200 and done.json()["active"] is False
    after = api.call("GET", "/v1/jobs/j2/recommendations", "counselor").json()
    assert "c3" not in [r["id"] for r in after["results"]]


def test_counselor_outside_the_region_is_refused(read_api: Api) -> None:
    purpose = {"purpose": "回访"}
    assert (
        read_api.call("GET", "/v1/candidates/c1", "counselor_other", params=purpose).status_code
        == 403
    )
    assert (
        read_api.call("PATCH", "/v1/candidates/c1", "counselor_other", json={}).status_code == 403
    )
    assert (
        read_api.call("POST", "/v1/candidates/c1/deactivate", "counselor_other").status_code == 403
    )
    assert (
        read_api.call("GET", "/v1/candidates/c1/recommendations", "counselor_other").status_code
        == 403
    )
    assert read_api.call("GET", "/v1/jobs/j1", "counselor_other").status_code == 403
    created = read_api.call(
        "POST", "/v1/candidates", "counselor_other", json={**NEW_CANDIDATE, "id": "c10"}
    )
    assert created.status_code == 403
    moved = read_api.call(
        "PATCH", "/v1/candidates/c3", "counselor_other", json={"region_code": "430104"}
    )
    assert moved.status_code == 403


def test_unknown_candidate_is_404(read_api: Api) -> None:
    response = read_api.call(
        "GET", "/v1/candidates/nobody", "counselor", params={"purpose": "回访"}
    )
    assert response.status_code == 404
    assert error_of(response) == {
        "code": "not_found",
        "message": "no candidate with id nobody",
        "fields": [],
    }


@pytest.mark.parametrize("who", ["employer1", "manager", "admin"])
def test_only_counselors_read_candidate_records(read_api: Api, who: str) -> None:
    assert read_api.call("GET", "/v1/candidates/c1", who).status_code == 403
    assert read_api.call("GET", "/v1/candidates", who).status_code == 403
    assert read_api.call("POST", "/v1/candidates", who, json=NEW_CANDIDATE).status_code == 403
