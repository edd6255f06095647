"""The lifecycle router over HTTP (issue 13; issue 9 item 6): the referral lifecycle with its
stored transitions, the counselor's referral list, employers' reports and their review."""

from __future__ import annotations

import datetime as dt

import pytest

from matching.catalog import OUTCOMES, Catalog
from matching.store import Store
from tests.api_client import Api, error_of, record_outcome, refer

pytestmark = pytest.mark.slow


def test_the_lifecycle_refuses_every_step_it_does_not_have(api: Api) -> None:
    # The sequence measured on main (all answered 200 there): pending → left_early → hired →
    # pending → no_show → hired.
    referral = refer(api, "key-life-0001", candidate_id="c3", job_id="j2").json()["id"]
    refused = record_outcome(api, referral, "counselor", "left_early")
    assert refused.status_code == 409
    error = error_of(refused)
    assert error["code"] == "invalid_transition"
    assert error["fields"] == [
        {"field": "outcome", "reason": "allowed next: interviewed, rejected, declined, no_show"}
    ]
    assert (
        record_outcome(api, referral, "counselor", "interviewed", reason="已约面试").status_code
        == 200
    )
    assert (
        error_of(record_outcome(api, referral, "counselor", "pending"))["code"]
        == "invalid_transition"
    )
    hired = record_outcome(api, referral, "counselor", "hired")
    assert hired.status_code == 200 and hired.json()["outcome"] == "hired"
    today = dt.date.today().isoformat()
    assert hired.json()["outcome_at"] == today
    final = record_outcome(api, referral, "counselor", "no_show")
    assert error_of(final)["fields"][0]["reason"] == "allowed next: left_early"
    # The same outcome again is a retry, not a step: nothing changes.
    again = record_outcome(api, referral, "counselor", "hired")
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
    record_outcome(api, made, "counselor", "interviewed")
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
    assert record_outcome(api, "r2", "employer1", "interviewed").status_code == 403  # not its job
    declined = record_outcome(api, "r2", "employer2", "declined")
    assert declined.status_code == 403
    assert error_of(declined)["code"] == "not_employer_decision"
    assert record_outcome(api, "r2", "employer2", "no_show").status_code == 403
    assert (
        record_outcome(
            api, "r2", "counselor", "interviewed", reason="本人听障，需文字面试"
        ).status_code
        == 200
    )
    reported = record_outcome(api, "r2", "employer2", "hired")
    assert reported.status_code == 200 and reported.json()["outcome"] == "hired"
    # An employer follows the lifecycle too.
    assert (
        error_of(record_outcome(api, "r2", "employer2", "rejected"))["code"] == "invalid_transition"
    )

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
    assert record_outcome(api, "r2", "employer2", "rejected").status_code == 200
    disputed = api.call("POST", "/v1/referrals/r2/review", "counselor", json={"confirm": False})
    assert disputed.json()["referral"]["outcome"] == "pending"
    assert disputed.json()["events"][0]["review"] == "disputed"
    assert api.call("GET", "/v1/referrals/r2", "counselor").json()["outcome"] == "pending"
