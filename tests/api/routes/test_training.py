"""The training router over HTTP: courses, places, skill-gap suggestions and the training target."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.api_client import Api, error_of

pytestmark = pytest.mark.slow


def test_courses_places_and_suggestions(api: Api) -> None:
    today = dt.date.today()
    course = {
        "id": "co1",
        "name": "文字录入培训",
        "skills": ["打字"],
        "provider": "长沙市残联",
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=20)).isoformat(),
        "places": 1,
        "region_code": "430103",
        "form": "on_site",
    }
    assert api.call("POST", "/v1/courses", "counselor_other", json=course).status_code == 403
    assert api.call("POST", "/v1/courses", "counselor", json=course).status_code == 201
    # c2 has 客户服务; j2 (her one feasible job) asks 客户服务 and 打字: the gap is 打字.
    suggested = api.call("GET", "/v1/candidates/c2/training-suggestions", "counselor").json()
    assert suggested["jobs"] == ["j2"]
    assert suggested["gaps"] == [{"skill": "打字", "jobs": 1}]
    assert [c["course"]["id"] for c in suggested["courses"]] == ["co1"]
    place = api.call("POST", "/v1/courses/co1/enrolments", "counselor", json={"candidate_id": "c2"})
    assert place.status_code == 201
    twice = api.call("POST", "/v1/courses/co1/enrolments", "counselor", json={"candidate_id": "c2"})
    assert error_of(twice)["code"] == "already_enrolled"
    full = api.call("POST", "/v1/courses/co1/enrolments", "counselor", json={"candidate_id": "c1"})
    assert full.status_code == 409 and error_of(full)["code"] == "course_full"
    # The course is full: no longer suggested.
    assert (
        api.call("GET", "/v1/candidates/c2/training-suggestions", "counselor").json()["courses"]
        == []
    )
    done = api.call("POST", f"/v1/enrolments/{place.json()['id']}/complete", "counselor")
    assert done.status_code == 200 and done.json()["state"] == "completed"
    record = api.call(
        "GET", "/v1/candidates/c2", "counselor", params={"purpose": "核对评估结果"}
    ).json()
    assert "打字" in record["skills"]
    assert record["trainings"] == [{"name": "文字录入培训", "year": today.year}]
    assert (
        api.call("GET", "/v1/candidates/c2/training-suggestions", "counselor").json()["gaps"] == []
    )
    # 长沙 (4301) this year: c1 (visual) and c2 (hearing) are working-age disabled people;
    # c2 was trained: 1 ≥ the 2‰ of 2 = 0.004 → 1 person.
    stats = api.call("GET", "/v1/statistics/training", "manager", params={"region": "4301"}).json()
    assert (stats["working_age_disabled"], stats["trained"], stats["required"], stats["met"]) == (
        2,
        1,
        1,
        True,
    )
    assert stats["target_share"] == 0.002 and stats["demand"] == 0
    bad = api.call("GET", "/v1/statistics/training", "manager", params={"region": "430"})
    assert bad.status_code == 422
