"""Issue 13's "Done when", end to end: on a demo world, through the API only, a counselor runs
a graduate's case from registration through assessment, plan, actions, training and referrals
(one refused transition included) to a hire; the case, the employment status, the
graduation-year rate and the training figures all reflect it."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from demo.world import generate_world
from matching.interchange import import_directory
from matching.settings import Settings
from matching.store import Store
from serving.app import create_app
from serving.auth import Role, create_account
from serving.runtime import Resources
from tests.api_client import Api, error_of
from tests.world import id_number

pytestmark = pytest.mark.slow


@pytest.fixture
def demo(settings: Settings, resources: Resources, tmp_path: Path) -> Iterator[tuple[Api, str]]:
    """A small demo world behind the API; a counselor for the prefecture with most jobs."""
    files = tmp_path / "demo"
    generate_world(files, seed=13, candidates=60, jobs=40)
    jobs = [json.loads(line) for line in (files / "jobs.jsonl").open(encoding="utf-8")]
    county = Counter(j["region_code"] for j in jobs).most_common(1)[0][0]
    store = Store.open(settings)
    assert import_directory(store, files).ok
    tokens = {
        "王老师": create_account(store, name="王老师", role=Role.COUNSELOR, region=county[:4])[1],
        "李科长": create_account(store, name="李科长", role=Role.MANAGER)[1],
    }
    store.close()
    app = create_app(settings, resources=lambda _settings, _store: resources)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, tokens, settings), county


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_a_graduates_case_from_registration_to_a_hire(demo: tuple[Api, str]) -> None:
    api, county = demo
    me, manager = "王老师", "李科长"
    year = dt.date.today().year
    today = dt.date.today().isoformat()
    graduates = {"year": year, "region": county[:4]}
    training = {"year": year, "region": county}
    rate_before = ok(api.call("GET", "/v1/statistics/graduates", manager, params=graduates))
    training_before = ok(api.call("GET", "/v1/statistics/training", manager, params=training))

    # Registration: a bachelor graduating this year, physical disability grade 4.
    born = year - 22
    person = {
        "id": "grad-1",
        "name": "陈小雨",
        "id_number": id_number(county, f"{born}0412", "124"),
        "sex": "F",
        "birth_year": born,
        "disability_category": "physical",
        "disability_grade": 4,
        "education": "bachelor",
        "graduation_year": year,
        "school": "湖南师范大学",
        "region_code": county,
        "skills": ["沟通能力"],
        "priority_groups": ["graduate"],
        "registered_at": today,
    }
    ok(api.call("POST", "/v1/candidates", me, json=person), 201)
    case = ok(
        api.call(
            "POST",
            "/v1/cases",
            me,
            json={"candidate_id": "grad-1", "kind": "graduate", "goals": ["年内实现就业"]},
        ),
        201,
    )
    assert (case["counselor"], case["state"], case["goals"]) == (me, "open", ["年内实现就业"])
    assert case["id"] in {
        c["id"]
        for c in ok(api.call("GET", "/v1/cases", me, params={"counselor": me, "open": True}))
    }

    # Assessment: mobility assessed at 3 (the grade-4 default is 2).
    assessed = ok(
        api.call(
            "POST",
            "/v1/candidates/grad-1/assessments",
            me,
            json={
                "assessed_on": today,
                "capacities": {"mobility": 3},
                "interests": ["办公室工作"],
                "recommendations": "可从事久坐与行走兼顾的岗位",
            },
        ),
        201,
    )
    assert assessed["assessor"] == me
    ok(
        api.call(
            "POST",
            f"/v1/cases/{case['id']}/actions",
            me,
            json={"kind": "ability_assessment", "note": "完成职业能力评估"},
        ),
        201,
    )

    # The plan: occupations from her best feasible jobs and the skills they ask that she lacks.
    plan = ok(api.call("GET", f"/v1/cases/{case['id']}/plan", me))
    assert plan["occupations"] and plan["gaps"]
    assert plan["courses"] == []  # nothing in the catalogue yet
    top_gap = plan["gaps"][0]["skill"]
    course = {
        "id": "course-1",
        "name": f"{top_gap}培训班",
        "skills": [top_gap],
        "provider": "市残疾人职业培训中心",
        "starts_on": today,
        "ends_on": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
        "places": 30,
        "region_code": county,
        "form": "on_site",
    }
    ok(api.call("POST", "/v1/courses", me, json=course), 201)
    plan = ok(api.call("GET", f"/v1/cases/{case['id']}/plan", me))
    assert [(c["course"]["id"], c["teaches"]) for c in plan["courses"]] == [("course-1", [top_gap])]
    for kind in ("career_guidance", "policy_advice", "job_information"):
        ok(api.call("POST", f"/v1/cases/{case['id']}/actions", me, json={"kind": kind}), 201)

    # Training: enrolled (demand + 1), completed (demand back, trained + 1, skill in profile).
    enrolment = ok(
        api.call("POST", "/v1/courses/course-1/enrolments", me, json={"candidate_id": "grad-1"}),
        201,
    )
    during = ok(api.call("GET", "/v1/statistics/training", manager, params=training))
    assert during["demand"] == training_before["demand"] + 1
    assert during["demand_by"]["category"]["physical"] == (
        training_before["demand_by"]["category"].get("physical", 0) + 1
    )
    ok(api.call("POST", f"/v1/enrolments/{enrolment['id']}/complete", me))
    ok(
        api.call(
            "POST",
            f"/v1/cases/{case['id']}/actions",
            me,
            json={"kind": "skills_training", "course_id": "course-1"},
        ),
        201,
    )
    profile = ok(api.call("GET", "/v1/candidates/grad-1", me, params={"purpose": "核对培训结果"}))
    assert top_gap in profile["skills"]
    assert profile["capacities"] == {"mobility": 3}
    after_training = ok(api.call("GET", "/v1/statistics/training", manager, params=training))
    assert after_training["demand"] == training_before["demand"]
    assert after_training["trained"] == training_before["trained"] + 1
    assert after_training["working_age_disabled"] == training_before["working_age_disabled"] + 1

    # Not yet employed: 不就业、不脱钩.
    refused = api.call("POST", f"/v1/cases/{case['id']}/close", me, json={"reason": "employed"})
    assert refused.status_code == 409 and error_of(refused)["code"] == "not_employed"

    # Referral to her best job; a refused step, then interviewed and hired.
    best = ok(api.call("GET", "/v1/candidates/grad-1/recommendations", me))["results"][0]["id"]
    referral = ok(
        api.call(
            "POST",
            "/v1/referrals",
            me,
            json={"candidate_id": "grad-1", "job_id": best, "override_reason": "本人意愿"},
            headers={"Idempotency-Key": "grad-1-first-referral"},
        ),
        201,
    )["id"]
    ok(
        api.call(
            "POST",
            f"/v1/cases/{case['id']}/actions",
            me,
            json={"kind": "job_introduction", "referral_id": referral},
        ),
        201,
    )
    skipped = api.call("PATCH", f"/v1/referrals/{referral}", me, json={"outcome": "hired"})
    assert skipped.status_code == 409
    assert error_of(skipped)["code"] == "invalid_transition"
    ok(api.call("PATCH", f"/v1/referrals/{referral}", me, json={"outcome": "interviewed"}))
    ok(api.call("PATCH", f"/v1/referrals/{referral}", me, json={"outcome": "hired"}))

    # Everything reflects the hire.
    employment = ok(api.call("GET", "/v1/candidates/grad-1/employment", me))
    assert employment["current"]["status"] == "employed"
    assert employment["current"]["job_id"] == best and employment["seeking"] is False
    shown = ok(api.call("GET", f"/v1/cases/{case['id']}", me))
    assert shown["employment"]["status"] == "employed"
    assert [a["kind"] for a in shown["actions"]] == [
        "ability_assessment",
        "career_guidance",
        "policy_advice",
        "job_information",
        "skills_training",
        "job_introduction",
    ]
    closed = ok(api.call("POST", f"/v1/cases/{case['id']}/close", me, json={"reason": "employed"}))
    assert (closed["state"], closed["close_reason"], closed["closed_on"]) == (
        "closed",
        "employed",
        today,
    )
    assert case["id"] not in {
        c["id"] for c in ok(api.call("GET", "/v1/cases", me, params={"open": True}))
    }
    rate_after = ok(api.call("GET", "/v1/statistics/graduates", manager, params=graduates))
    assert rate_after["graduates"] == rate_before["graduates"] + 1
    assert rate_after["employed"] == rate_before["employed"] + 1
    assert rate_after["rate"] == rate_after["employed"] / rate_after["graduates"]
    assert rate_after["target"] == 0.6
    history = ok(api.call("GET", "/v1/candidates/grad-1/referrals", me))
    assert [e["to_outcome"] for e in history[0]["events"]] == ["interviewed", "hired"]
