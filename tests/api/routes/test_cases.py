"""The cases router over HTTP: 一人一策 cases for graduates and the hard-to-employ of the region,
their service actions, and exits approved by a manager."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api_client import Api, error_of

pytestmark = pytest.mark.slow


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
