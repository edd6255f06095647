"""Casework through the API (issue 13; issue 9 item 6): the referral lifecycle with its stored
transitions and employers' reports, employment status, ability assessments, 一人一策 cases and
training, on the small hand-written world with the real m3e model and a real database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from matching.catalog import OUTCOMES, Catalog
from matching.store import Store
from tests.api_client import Api, error_of, refer

pytestmark = pytest.mark.slow


def patch(api: Api, referral: str, who: str, outcome: str, **extra: Any) -> Any:
    return api.call("PATCH", f"/v1/referrals/{referral}", who, json={"outcome": outcome, **extra})


# -- referral lifecycle ----------------------------------------------------------------------------


def test_the_lifecycle_refuses_every_step_it_does_not_have(api: Api) -> None:
    # The sequence measured on main (all answered 200 there): pending → left_early → hired →
    # pending → no_show → hired.
    referral = refer(api, "key-life-0001", candidate_id="c3", job_id="j2").json()["id"]
    refused = patch(api, referral, "counselor", "left_early")
    assert refused.status_code == 409
    error = error_of(refused)
    assert error["code"] == "invalid_transition"
    assert error["fields"] == [
        {"field": "outcome", "reason": "allowed next: interviewed, rejected, declined, no_show"}
    ]
    assert patch(api, referral, "counselor", "interviewed", reason="已约面试").status_code == 200
    assert error_of(patch(api, referral, "counselor", "pending"))["code"] == "invalid_transition"
    hired = patch(api, referral, "counselor", "hired")
    assert hired.status_code == 200 and hired.json()["outcome"] == "hired"
    today = dt.date.today().isoformat()
    assert hired.json()["outcome_at"] == today
    final = patch(api, referral, "counselor", "no_show")
    assert error_of(final)["fields"][0]["reason"] == "allowed next: left_early"
    # The same outcome again is a retry, not a step: nothing changes.
    again = patch(api, referral, "counselor", "hired")
    assert again.status_code == 200 and again.json()["outcome_at"] == today

    history = api.call("GET", "/v1/candidates/c3/referrals", "counselor").json()
    mine = next(h for h in history if h["referral"]["id"] == referral)
    steps = [(e["from_outcome"], e["to_outcome"], e["actor"]) for e in mine["events"]]
    assert steps == [("pending", "interviewed", "counselor"), ("interviewed", "hired", "counselor")]
    assert mine["events"][0]["reason"] == "已约面试"
    assert mine["referral"]["allowed_next"] == ["left_early"]
    assert mine["referral"]["counselor"] == "counselor"
    audit = api.call("GET", "/v1/audit", "admin", params={"action": "read_referrals"}).json()
    assert audit and audit[0]["subject"] == "candidates:c3"


def test_a_counselors_referral_list_filters_by_counselor_state_and_day(api: Api) -> None:
    made = refer(api, "key-life-0002", candidate_id="c3", job_id="j2").json()["id"]
    patch(api, made, "counselor", "interviewed")
    listed = api.call("GET", "/v1/referrals", "counselor").json()
    # c1's r1 (hired, imported), c2's r2 (pending, imported) and c3's new one, newest first.
    assert {r["id"] for r in listed} == {"r1", "r2", made}
    assert listed[0]["id"] == made
    by_me = api.call("GET", "/v1/referrals", "counselor", params={"counselor": "counselor"})
    assert [r["id"] for r in by_me.json()] == [made]
    hired = api.call("GET", "/v1/referrals", "counselor", params={"state": "hired"}).json()
    assert [r["id"] for r in hired] == ["r1"]
    recent = api.call("GET", "/v1/referrals", "counselor", params={"since": "2025-05-01"}).json()
    assert "r1" not in {r["id"] for r in recent} and "r2" in {r["id"] for r in recent}
    # Furong district (430102) holds only c3.
    assert [r["id"] for r in api.call("GET", "/v1/referrals", "counselor_other").json()] == [made]
    assert api.call("GET", "/v1/referrals", "employer2").status_code == 403
    bad = api.call("GET", "/v1/referrals", "counselor", params={"state": "maybe"})
    assert bad.status_code == 422 and error_of(bad)["fields"][0]["field"] == "state"


def test_employers_report_only_their_decision_and_counselors_confirm(api: Api) -> None:
    # r2: c2 → j2, a job of employer e2.
    assert patch(api, "r2", "employer1", "interviewed").status_code == 403  # not its job
    declined = patch(api, "r2", "employer2", "declined")
    assert declined.status_code == 403
    assert error_of(declined)["code"] == "not_employer_decision"
    assert patch(api, "r2", "employer2", "no_show").status_code == 403
    assert (
        patch(api, "r2", "counselor", "interviewed", reason="本人听障，需文字面试").status_code
        == 200
    )
    reported = patch(api, "r2", "employer2", "hired")
    assert reported.status_code == 200 and reported.json()["outcome"] == "hired"
    # An employer follows the lifecycle too.
    assert error_of(patch(api, "r2", "employer2", "rejected"))["code"] == "invalid_transition"

    waiting = api.call("GET", "/v1/referrals", "counselor", params={"awaiting_review": True})
    assert [r["id"] for r in waiting.json()] == ["r2"]
    # The employer sees the transitions of its own referral, never the counselor's text.
    seen = api.call("GET", "/v1/referrals/r2/events", "employer2").json()
    assert [e["review"] for e in seen] == [None, "awaiting"]
    assert all(e["reason"] is None for e in seen) and "听障" not in str(seen)
    assert api.call("GET", "/v1/referrals/r2/events", "employer1").status_code == 403

    # Until confirmed, learning reads the counselor's "interviewed"; the status is unchanged.
    store = Store.open(api.settings)
    try:
        catalog = Catalog.from_store(store, api.settings, None)
        row = catalog.history.ids.index("r2")
        assert OUTCOMES[catalog.history.outcome[row]].value == "interviewed"
        assert not catalog.history.confirmed[row]
    finally:
        store.close()
    assert (
        api.call("POST", "/v1/referrals/r2/review", "employer2", json={"confirm": True}).status_code
        == 403
    )
    confirmed = api.call("POST", "/v1/referrals/r2/review", "counselor", json={"confirm": True})
    assert confirmed.status_code == 200
    body = confirmed.json()
    assert body["referral"]["awaiting_review"] is False
    assert [e["review"] for e in body["events"]] == [None, "confirmed"]
    assert body["events"][1]["reviewed_by"] == "counselor"
    again = api.call("POST", "/v1/referrals/r2/review", "counselor", json={"confirm": True})
    assert again.status_code == 409 and error_of(again)["code"] == "nothing_to_review"
    store = Store.open(api.settings)
    try:
        catalog = Catalog.from_store(store, api.settings, None)
        row = catalog.history.ids.index("r2")
        assert OUTCOMES[catalog.history.outcome[row]].value == "hired"
        assert catalog.history.confirmed[row]
    finally:
        store.close()


def test_a_disputed_report_goes_back(api: Api) -> None:
    assert patch(api, "r2", "employer2", "rejected").status_code == 200
    disputed = api.call("POST", "/v1/referrals/r2/review", "counselor", json={"confirm": False})
    assert disputed.json()["referral"]["outcome"] == "pending"
    assert disputed.json()["events"][0]["review"] == "disputed"
    assert api.call("GET", "/v1/referrals/r2", "counselor").json()["outcome"] == "pending"


# -- employment status -----------------------------------------------------------------------------


def test_a_hire_makes_the_person_employed_until_the_search_is_reopened(api: Api) -> None:
    before = api.call("GET", "/v1/candidates/c2/employment", "counselor").json()
    assert before["current"] is None and before["seeking"] is True and before["working_age"]
    patch(api, "r2", "counselor", "interviewed")
    patch(api, "r2", "counselor", "hired")
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


def test_employment_needs_working_age_and_a_consistent_record(api: Api) -> None:
    # c3 has no birth year: working age cannot be shown.
    old = api.call(
        "POST",
        "/v1/candidates/c3/employment",
        "counselor",
        json={"status": "unemployed", "since": "2025-01-05"},
    )
    assert old.status_code == 422 and error_of(old)["code"] == "not_working_age"
    formless = api.call(
        "POST",
        "/v1/candidates/c1/employment",
        "counselor",
        json={"status": "employed", "since": "2025-01-05"},
    )
    assert formless.status_code == 422 and error_of(formless)["fields"][0]["field"] == "form"
    assert (
        api.call(
            "POST",
            "/v1/candidates/c1/employment",
            "counselor_other",
            json={"status": "unemployed", "since": "2025-01-05"},
        ).status_code
        == 403
    )
    assert api.call("GET", "/v1/candidates/c1/employment", "employer1").status_code == 403


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


# -- 一人一策 cases --------------------------------------------------------------------------------


def open_case(api: Api, who: str, candidate: str, kind: str, **extra: Any) -> Any:
    body = {"candidate_id": candidate, "kind": kind, **extra}
    return api.call("POST", "/v1/cases", who, json=body)


def test_cases_open_for_graduates_and_the_hard_to_employ_in_the_region(api: Api) -> None:
    made = open_case(api, "counselor", "c2", "graduate", goals=["年内就业"])
    assert made.status_code == 201
    case = made.json()
    assert (case["counselor"], case["state"], case["goals"]) == ("counselor", "open", ["年内就业"])
    again = open_case(api, "counselor", "c2", "graduate")
    assert again.status_code == 409 and error_of(again)["code"] == "case_exists"
    # c1 (vocational secondary) is no graduate, but is marked hard-to-employ.
    not_graduate = open_case(api, "counselor", "c1", "graduate")
    assert not_graduate.status_code == 422 and error_of(not_graduate)["code"] == "not_eligible"
    named = open_case(api, "counselor", "c1", "hard_to_employ", counselor="赵老师").json()
    assert named["counselor"] == "赵老师"
    assert open_case(api, "counselor_other", "c2", "graduate").status_code == 403
    assert open_case(api, "employer2", "c2", "graduate").status_code == 403

    listed = api.call("GET", "/v1/cases", "counselor", params={"open": True}).json()
    assert {c["id"] for c in listed} == {case["id"], named["id"]}
    assert "goals" not in listed[0]
    mine = api.call("GET", "/v1/cases", "counselor", params={"counselor": "赵老师"}).json()
    assert [c["id"] for c in mine] == [named["id"]]
    of_c2 = api.call("GET", "/v1/cases", "counselor", params={"candidate": "c2"}).json()
    assert [c["id"] for c in of_c2] == [case["id"]]
    assert api.call("GET", "/v1/cases", "counselor_other").json() == []
    assert len(api.call("GET", "/v1/cases", "manager").json()) == 2
    assert api.call("GET", "/v1/cases", "employer1").status_code == 403
    assert api.call("GET", f"/v1/cases/{case['id']}", "employer2").status_code == 403
    assert api.call("GET", f"/v1/cases/{case['id']}", "counselor_other").status_code == 403
    assert api.call("GET", "/v1/cases/nothing", "counselor").status_code == 404


def test_case_actions_and_an_exit_approved_by_a_manager(api: Api) -> None:
    case = open_case(api, "counselor", "c2", "graduate").json()["id"]
    action = api.call(
        "POST",
        f"/v1/cases/{case}/actions",
        "counselor",
        json={"kind": "policy_advice", "note": "讲解高校毕业生就业补贴"},
    )
    assert action.status_code == 201 and action.json()["counselor"] == "counselor"
    bad = api.call("POST", f"/v1/cases/{case}/actions", "counselor", json={"kind": "chat"})
    assert bad.status_code == 422 and error_of(bad)["fields"][0]["field"] == "kind"
    # r1 is c1's referral, not c2's.
    stranger = api.call(
        "POST",
        f"/v1/cases/{case}/actions",
        "counselor",
        json={"kind": "job_introduction", "referral_id": "r1"},
    )
    assert stranger.status_code == 404
    no_job = api.call("POST", f"/v1/cases/{case}/close", "counselor", json={"reason": "employed"})
    assert no_job.status_code == 409 and error_of(no_job)["code"] == "not_employed"
    asked = api.call(
        "POST", f"/v1/cases/{case}/close", "counselor", json={"reason": "further_study"}
    )
    assert asked.status_code == 202
    assert (asked.json()["state"], asked.json()["close_requested_by"]) == (
        "exit_requested",
        "counselor",
    )
    assert api.call("POST", f"/v1/cases/{case}/approve-exit", "counselor").status_code == 403
    approved = api.call("POST", f"/v1/cases/{case}/approve-exit", "manager")
    assert approved.status_code == 200
    assert (approved.json()["state"], approved.json()["approved_by"]) == ("closed", "manager")
    twice = api.call("POST", f"/v1/cases/{case}/approve-exit", "manager")
    assert twice.status_code == 409 and error_of(twice)["code"] == "case_closed"
    late = api.call(
        "POST", f"/v1/cases/{case}/actions", "counselor", json={"kind": "policy_advice"}
    )
    assert late.status_code == 409
    read = api.call("GET", f"/v1/cases/{case}", "counselor").json()
    assert read["actions"][0]["note"] == "讲解高校毕业生就业补贴"
    actions = {a["action"] for a in api.call("GET", "/v1/audit", "admin").json()}
    assert {"open_case", "case_action", "close_case", "approve_case_exit", "read_case"} <= actions


# -- assessments and training ----------------------------------------------------------------------


def test_an_assessment_sets_the_capacities_and_the_coverage(api: Api) -> None:
    before = api.call("GET", "/v1/statistics/assessments", "manager").json()
    # Working age now: c1 (born 1990) and c2 (2001); c3 has no birth year. None assessed.
    assert (before["registered_unemployed"], before["assessed"], before["coverage"]) == (2, 0, 0.0)
    made = api.call(
        "POST",
        "/v1/candidates/c2/assessments",
        "counselor",
        json={"assessed_on": "2025-06-01", "capacities": {"hearing": 1, "cognition": 3}},
    )
    assert made.status_code == 201 and made.json()["assessor"] == "counselor"
    record = api.call(
        "GET", "/v1/candidates/c2", "counselor", params={"purpose": "核对评估结果"}
    ).json()
    assert record["capacities"] == {"hearing": 1, "cognition": 3}
    after = api.call("GET", "/v1/statistics/assessments", "manager").json()
    assert (after["assessed"], after["coverage"]) == (1, 0.5)  # 1 of 2
    bad = api.call(
        "POST",
        "/v1/candidates/c2/assessments",
        "counselor",
        json={"assessed_on": "2025-06-01", "capacities": {"hearing": 4}},
    )
    assert bad.status_code == 422
    history = api.call("GET", "/v1/candidates/c2/assessments", "counselor").json()
    assert [a["capacities"] for a in history] == [{"hearing": 1, "cognition": 3}]
    assert api.call("GET", "/v1/candidates/c2/assessments", "employer2").status_code == 403


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
