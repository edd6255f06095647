# ruff: noqa: F811
"""Employers confirm occupation codes over HTTP: the code lands on the job, the title with its
code becomes training data for the coder, bad codes are refused in Chinese and change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from matching.occupation_feedback import confirmation_accuracy, confirmed_pairs
from matching.store import Store
from matching.store.tables import JobRow, OccupationConfirmationRow

# The API fixtures of test_api_app (one loaded model for the session); test parameters named
# after them are what pytest injects, not redefinitions.
from tests.api_client import Api, error_of

pytestmark = pytest.mark.slow

JOB = {
    "id": "j9",
    "employer_id": "e2",
    "title": "急聘 电话客服专员（长沙）",
    "skills": ["客户服务"],
    "region_code": "430103",
    "work_mode": "home_based",
    "remote_ok": True,
    "demands": {"hearing": 1},
    "accommodations": ["captioning", "remote"],
    "posted_at": "2025-05-01",
}


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
    posted = api.call("POST", "/v1/jobs", "employer2", json=JOB)
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
    assert api.call("POST", "/v1/jobs", "employer2", json=JOB).status_code == 201

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
    assert (row.job_id, row.title, row.code) == ("j9", JOB["title"], "4-04-05-03")
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
        assert confirmed_pairs(store) == [(JOB["title"], "4-04-00-00")]
        assert confirmation_accuracy(store)["confirmed"] == 1
    finally:
        store.close()


def test_a_bad_code_is_refused_in_chinese_and_changes_nothing(api: Api) -> None:
    assert api.call("POST", "/v1/jobs", "employer2", json=JOB).status_code == 201
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
    assert api.call("POST", "/v1/jobs", "employer2", json=JOB).status_code == 201
    body = {"code": "4-04-05-03"}
    assert api.call("POST", "/v1/jobs/j9/occupation", "employer1", json=body).status_code == 403
    assert api.call("POST", "/v1/jobs/j9/occupation", "counselor", json=body).status_code == 403
    assert api.call("POST", "/v1/jobs/j9/occupation", None, json=body).status_code == 401
    assert api.call("POST", "/v1/jobs/nope/occupation", "employer2", json=body).status_code == 404
    assert _stored(api) == (None, None, [])
