"""The employment router over HTTP: a hire makes a person employed until the search reopens,
records need working age and consistency, statistics and the graduates' rate."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.api_client import Api, error_of, record_outcome

pytestmark = pytest.mark.slow


def test_a_hire_makes_the_person_employed_until_the_search_is_reopened(api: Api) -> None:
    before = api.call("GET", "/v1/candidates/c2/employment", "counselor").json()
    assert before["current"] is None and before["seeking"] is True and before["working_age"]
    record_outcome(api, "r2", "counselor", "interviewed")
    record_outcome(api, "r2", "counselor", "hired")
    after = api.call("GET", "/v1/candidates/c2/employment", "counselor").json()
    current = after["current"]
    # j2 is employer e2's home-based job.
    assert (current["status"], current["form"], current["employer_id"], current["job_id"]) == (
        "employed",
        "home_based",
        "e2",
        "j2",
    )
    assert current["referral_id"] == "r2" and after["seeking"] is False
    # Out of active search: no longer proposed for j2.
    proposed = api.call("GET", "/v1/jobs/j2/recommendations", "counselor").json()["results"]
    assert "c2" not in {r["id"] for r in proposed}
    reopened = api.call(
        "POST",
        "/v1/candidates/c2/employment",
        "counselor",
        json={"status": "unemployed", "since": dt.date.today().isoformat()},
    )
    assert reopened.status_code == 201 and reopened.json()["seeking"] is True
    assert [r["status"] for r in reopened.json()["history"]] == ["employed", "unemployed"]
    actions = {a["action"] for a in api.call("GET", "/v1/audit", "admin").json()}
    assert {"read_employment", "employment_status"} <= actions


def test_employment_needs_working_age_and_a_consistent_record(read_api: Api) -> None:
    # c3 has no birth year: working age cannot be shown.
    old = read_api.call(
        "POST",
        "/v1/candidates/c3/employment",
        "counselor",
        json={"status": "unemployed", "since": "2025-01-05"},
    )
    assert old.status_code == 422 and error_of(old)["code"] == "not_working_age"
    formless = read_api.call(
        "POST",
        "/v1/candidates/c1/employment",
        "counselor",
        json={"status": "employed", "since": "2025-01-05"},
    )
    assert formless.status_code == 422 and error_of(formless)["fields"][0]["field"] == "form"
    assert (
        read_api.call(
            "POST",
            "/v1/candidates/c1/employment",
            "counselor_other",
            json={"status": "unemployed", "since": "2025-01-05"},
        ).status_code
        == 403
    )
    assert read_api.call("GET", "/v1/candidates/c1/employment", "employer1").status_code == 403


def test_employment_statistics_and_the_graduate_rate(api: Api) -> None:
    # c2 graduated (bachelor) in 2025 in 430103; c1 (born 1990) and c2 (2001) are of working
    # age in 2025, c3 has no birth year.
    year = {"year": 2025}
    stats = api.call("GET", "/v1/statistics/employment", "manager", params=year).json()
    assert stats["working_age"] == 2
    assert stats["by_status"] == {
        "unemployed": 2,
        "employed": 0,
        "in_training": 0,
        "not_seeking": 0,
    }
    rate = api.call("GET", "/v1/statistics/graduates", "manager", params=year).json()
    assert (rate["graduates"], rate["employed"], rate["rate"], rate["meets_target"]) == (
        1,
        0,
        0.0,
        False,
    )
    employed = api.call(
        "POST",
        "/v1/candidates/c2/employment",
        "counselor",
        json={"status": "employed", "since": "2025-08-01", "form": "quota", "employer_id": "e2"},
    )
    assert employed.status_code == 201, employed.text
    rate = api.call("GET", "/v1/statistics/graduates", "manager", params=year).json()
    # 1 of 1 employed within 2025: 100% ≥ 60%.
    assert (rate["employed"], rate["rate"], rate["target"], rate["meets_target"]) == (
        1,
        1.0,
        0.6,
        True,
    )
    elsewhere = {"year": 2025, "region": "430102"}
    assert (
        api.call("GET", "/v1/statistics/graduates", "manager", params=elsewhere).json()["graduates"]
        == 0
    )
    stats = api.call("GET", "/v1/statistics/employment", "manager", params=year).json()
    assert stats["by_status"]["employed"] == 1
    assert api.call("GET", "/v1/statistics/graduates", "counselor", params=year).status_code == 403
