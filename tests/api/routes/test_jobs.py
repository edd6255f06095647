"""The jobs router over HTTP: an employer posts, edits and closes its jobs (with occupation codes
suggested and confirmed), counselors read the jobs of their region; every refusal."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from matching.occupation_feedback import confirmation_accuracy, confirmed_pairs
from matching.store import Store
from matching.store.tables import JobRow, OccupationConfirmationRow
from tests.api_client import Api, error_of

pytestmark = pytest.mark.slow


NEW_JOB = {
    "id": "j9",
    "employer_id": "e2",
    "title": "电话客服专员",
    "skills": ["客户服务"],
    "region_code": "430103",
    "work_mode": "home_based",
    "remote_ok": True,
    "demands": {"hearing": 1},
    "accommodations": ["captioning", "remote"],
    "posted_at": "2025-05-01",
}


def test_employer_posts_edits_and_closes_its_job(api: Api) -> None:
    posted = api.call("POST", "/v1/jobs", "employer2", json=NEW_JOB)
    assert posted.status_code == 201, posted.text
    suggestions = posted.json()["occupation_suggestions"]
    assert len(suggestions) == 5 and {"code", "name", "score"} <= set(suggestions[0])
    assert api.call("POST", "/v1/jobs", "employer2", json=NEW_JOB).status_code == 409
    edited = api.call("PATCH", "/v1/jobs/j9", "employer2", json={"openings": 3})
    assert edited.json()["openings"] == 3
    people = api.call("GET", "/v1/jobs/j9/recommendations", "employer2").json()
    assert "c2" in [r["id"] for r in people["results"]]
    closed = api.call("POST", "/v1/jobs/j9/close", "employer2")
    assert closed.status_code == 200 and closed.json()["closes_at"] is not None
    listed = api.call("GET", "/v1/jobs", "employer2", params={"open_only": True}).json()
    assert "j9" not in [j["id"] for j in listed]
    for_c2 = api.call("GET", "/v1/candidates/c2/recommendations", "counselor").json()
    assert "j9" not in [r["id"] for r in for_c2["results"]]


def test_employer_cannot_touch_another_employers_job(read_api: Api) -> None:
    assert read_api.call("GET", "/v1/jobs/j2", "employer1").status_code == 403
    assert (
        read_api.call("PATCH", "/v1/jobs/j2", "employer1", json={"openings": 9}).status_code == 403
    )
    assert read_api.call("POST", "/v1/jobs/j2/close", "employer1").status_code == 403
    assert read_api.call("GET", "/v1/jobs/j2/recommendations", "employer1").status_code == 403
    assert read_api.call("GET", "/v1/jobs/j2/referrals", "employer1").status_code == 403
    assert read_api.call("POST", "/v1/jobs", "employer1", json=NEW_JOB).status_code == 403
    moved = read_api.call("PATCH", "/v1/jobs/j1", "employer1", json={"employer_id": "e2"})
    assert moved.status_code == 422
    assert [j["id"] for j in read_api.call("GET", "/v1/jobs", "employer1").json()] == ["j1"]


def test_counselors_read_but_do_not_post_jobs(read_api: Api) -> None:
    assert read_api.call("GET", "/v1/jobs/j2", "counselor").status_code == 200
    assert read_api.call("POST", "/v1/jobs", "counselor", json=NEW_JOB).status_code == 403
    assert (
        read_api.call("PATCH", "/v1/jobs/j2", "counselor", json={"openings": 9}).status_code == 403
    )
    assert read_api.call("GET", "/v1/jobs/j2", "manager").status_code == 403
    assert read_api.call("GET", "/v1/jobs/nothing", "counselor").status_code == 404


#: The same job under a title with noise around it (急聘, a place) for the coder to strip.
NOISY_JOB = {**NEW_JOB, "title": "急聘 电话客服专员（长沙）"}


def _stored(api: Api) -> tuple[str | None, str | None, list[OccupationConfirmationRow]]:
    store = Store.open(api.settings)
    try:
        with store.session() as session:
            row = session.get(JobRow, "j9")
            assert row is not None
            confirmations = list(
                session.scalars(
                    select(OccupationConfirmationRow).order_by(OccupationConfirmationRow.id)
                )
            )
            return row.occupation_code, row.record.get("occupation"), confirmations
    finally:
        store.close()


def test_posting_suggests_and_shows_how_the_title_was_read(api: Api) -> None:
    posted = api.call("POST", "/v1/jobs", "employer2", json=NOISY_JOB)
    assert posted.status_code == 201, posted.text
    body = posted.json()
    assert body["title_reading"] == {
        "normalised": "电话客服专员",
        "stripped": {"places": ["长沙"], "recruitment": ["急聘"]},
    }
    suggestions = body["occupation_suggestions"]
    assert len(suggestions) == 5
    for suggestion in suggestions:
        assert set(suggestion) == {"code", "name", "score", "level"}
        assert suggestion["level"] in {"occupation", "group"}


def test_employer_confirms_a_code_and_it_becomes_training_data(api: Api) -> None:
    assert api.call("POST", "/v1/jobs", "employer2", json=NOISY_JOB).status_code == 201

    confirmed = api.call("POST", "/v1/jobs/j9/occupation", "employer2", json={"code": "4040503"})
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert (body["code"], body["name"], body["level"]) == (
        "4-04-05-03",
        "呼叫中心服务员",
        "occupation",
    )
    assert body["job"]["occupation"] == "4-04-05-03"
    assert body["suggested_rank"] is None or 1 <= body["suggested_rank"] <= 10
    assert api.call("GET", "/v1/jobs/j9", "employer2").json()["occupation"] == "4-04-05-03"
    code, occupation, rows = _stored(api)
    assert (code, occupation) == ("4-04-05-03", "4-04-05-03")
    (row,) = rows
    assert (row.job_id, row.title, row.code) == ("j9", NOISY_JOB["title"], "4-04-05-03")
    assert row.actor.startswith("account:") and row.actor.endswith(":employer2")
    assert len(row.suggested) == 10 and row.coder == "fusion"

    # A generic job is confirmed as a group; the latest confirmation is what trains.
    group = api.call("POST", "/v1/jobs/j9/occupation", "employer2", json={"code": "4-04-00-00"})
    assert group.status_code == 200, group.text
    assert group.json()["level"] == "group"
    assert group.json()["name"] == "信息传输、软件和信息技术服务人员"
    assert _stored(api)[0] == "4-04-00-00"
    store = Store.open(api.settings)
    try:
        assert confirmed_pairs(store) == [(NOISY_JOB["title"], "4-04-00-00")]
        assert confirmation_accuracy(store)["confirmed"] == 1
    finally:
        store.close()


def test_a_bad_code_is_refused_in_chinese_and_changes_nothing(api: Api) -> None:
    assert api.call("POST", "/v1/jobs", "employer2", json=NOISY_JOB).status_code == 201
    for code in ("9-99-99-99", "保洁"):
        refused = api.call("POST", "/v1/jobs/j9/occupation", "employer2", json={"code": code})
        assert refused.status_code == 422
        error = error_of(refused)
        assert "职业分类大典" in error["message"]
        assert error["fields"][0]["field"] == "code"
    missing = api.call("POST", "/v1/jobs/j9/occupation", "employer2", json={})
    assert missing.status_code == 422
    assert _stored(api) == (None, None, [])


def test_only_the_posting_employer_confirms(api: Api) -> None:
    assert api.call("POST", "/v1/jobs", "employer2", json=NOISY_JOB).status_code == 201
    body = {"code": "4-04-05-03"}
    assert api.call("POST", "/v1/jobs/j9/occupation", "employer1", json=body).status_code == 403
    assert api.call("POST", "/v1/jobs/j9/occupation", "counselor", json=body).status_code == 403
    assert api.call("POST", "/v1/jobs/j9/occupation", None, json=body).status_code == 401
    assert api.call("POST", "/v1/jobs/nope/occupation", "employer2", json=body).status_code == 404
    assert _stored(api) == (None, None, [])
