"""The recommendations router over HTTP: ranked jobs for a person and people for a job, as the
batch command answers, within the counselor's region, as cards for employers."""

from __future__ import annotations

import pytest

from tests.api_client import Api

pytestmark = pytest.mark.slow


def test_recommendations_answer_like_the_batch_command(read_api: Api) -> None:
    body = read_api.call("GET", "/v1/jobs/j2/recommendations", "counselor", params={"k": 2}).json()
    assert body["query_id"] == "j2" and body["model"] == "baseline"
    assert [r["id"] for r in body["results"]] == ["c2", "c3"]
    first = body["results"][0]
    assert first["reasons"] and first["model"] == "baseline" and first["card"] is None
    jobs = read_api.call("GET", "/v1/candidates/c2/recommendations", "counselor").json()
    assert [r["id"] for r in jobs["results"]] == ["j2"]
    plain = read_api.call(
        "GET", "/v1/candidates/c2/recommendations", "counselor", params={"personalised": False}
    ).json()
    assert plain["results"][0]["model"] == "non-personalised"
    assert (
        read_api.call(
            "GET", "/v1/candidates/c2/recommendations", "counselor", params={"k": 0}
        ).status_code
        == 422
    )


def test_counselor_sees_only_people_of_the_region(read_api: Api) -> None:
    body = read_api.call("GET", "/v1/jobs/j2/recommendations", "counselor_other")
    assert body.status_code == 403  # j2 (430103) is outside 430102


def test_employer_sees_proposed_people_as_cards(read_api: Api) -> None:
    body = read_api.call("GET", "/v1/jobs/j2/recommendations", "employer2").json()
    card = body["results"][0]["card"]
    assert set(card) == {"id", "skills", "trainings", "education", "needs", "identity"}
    assert card["identity"] is None
    text = str(body)
    for secret in ("李四", "hearing", "长沙学院"):
        assert secret not in text
