"""The assessments router over HTTP: an ability assessment sets the person's capacities and the
assessment coverage."""

from __future__ import annotations

import pytest

from tests.api_client import Api

pytestmark = pytest.mark.slow


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
