"""The referrals router over HTTP: idempotent, audited referrals that name a failed hard
requirement, need a reason outside the model's top, stay in the region; outcomes and acceptance."""

from __future__ import annotations

import pytest

from tests.api_client import Api, error_of, refer

pytestmark = pytest.mark.slow


def test_referral_is_idempotent_and_audited(api: Api) -> None:
    # c2 already has a pending referral to j2 (r2): c3 is referred.
    first = refer(api, "key-0001-abc", candidate_id="c3", job_id="j2", purpose="招聘会")
    assert first.status_code == 201, first.text
    made = first.json()
    assert made["outcome"] == "pending" and made["rank"] == 1
    assert made["model"] == "baseline" and made["reasons_shown"]
    again = refer(api, "key-0001-abc", candidate_id="c3", job_id="j2", purpose="招聘会")
    assert again.status_code == 200 and again.json()["id"] == made["id"]
    reused = refer(api, "key-0001-abc", candidate_id="c2", job_id="j2")
    assert reused.status_code == 409
    assert error_of(reused)["code"] == "idempotency_key_reused"
    stats = api.call("GET", "/v1/statistics", "manager").json()
    assert stats["referrals"] == 3
    audit = api.call("GET", "/v1/audit", "admin", params={"action": "refer"}).json()
    assert len(audit) == 1 and audit[0]["purpose"] == "招聘会"


def test_referral_needs_an_idempotency_key(read_api: Api) -> None:
    response = read_api.call(
        "POST", "/v1/referrals", "counselor", json={"candidate_id": "c2", "job_id": "j2"}
    )
    assert response.status_code == 422
    assert error_of(response)["fields"][0]["field"] == "Idempotency-Key"


def test_infeasible_referral_names_the_failed_requirement(read_api: Api) -> None:
    # c1 needs a screen reader; j2 offers none; c1's hearing is fine.
    response = refer(
        read_api, "key-0002-abc", candidate_id="c1", job_id="j2", override_reason="试试"
    )
    assert response.status_code == 409
    error = error_of(response)
    # In Chinese like every other reason a counselor reads, naming what is missing.
    assert error["code"] == "infeasible"
    assert (
        error["message"] == "岗位 j2 不符合此人的硬性条件：本人需要的合理便利岗位未提供：读屏软件"
    )
    assert error["fields"] == [
        {"field": "accommodation", "reason": "本人需要的合理便利岗位未提供：读屏软件"}
    ]


def test_referral_outside_the_top_needs_an_override_reason(api: Api) -> None:
    # j1's only opening is filled, so the model does not propose it to c3.
    refused = refer(api, "key-0003-abc", candidate_id="c3", job_id="j1")
    assert refused.status_code == 422
    assert error_of(refused)["fields"][0]["field"] == "override_reason"
    made = refer(api, "key-0004-abc", candidate_id="c3", job_id="j1", override_reason="本人意愿")
    assert made.status_code == 201
    assert made.json()["override_reason"] == "本人意愿" and made.json()["rank"] is None


def test_referral_outside_the_region_is_refused(read_api: Api) -> None:
    response = read_api.call(
        "POST",
        "/v1/referrals",
        "counselor_other",
        json={"candidate_id": "c1", "job_id": "j1"},
        headers={"Idempotency-Key": "key-0005-abc"},
    )
    assert response.status_code == 403
    employer = read_api.call(
        "POST",
        "/v1/referrals",
        "employer2",
        json={"candidate_id": "c2", "job_id": "j2"},
        headers={"Idempotency-Key": "key-0006-abc"},
    )
    assert employer.status_code == 403


def test_outcomes_acceptance_and_the_employers_view(api: Api) -> None:
    # r2 (c2 to j2) is pending: resolved first, as a second pending one is refused.
    closed = api.call("PATCH", "/v1/referrals/r2", "counselor", json={"outcome": "rejected"})
    assert closed.status_code == 200
    made = refer(api, "key-0007-abc", candidate_id="c2", job_id="j2").json()
    referral = made["id"]
    cards = api.call("GET", "/v1/jobs/j2/referrals", "employer2").json()
    mine = next(c for c in cards if c["id"] == referral)
    assert mine["candidate"]["identity"] is None and "李四" not in str(cards)
    accepted = api.call("POST", f"/v1/referrals/{referral}/accept", "counselor")
    assert accepted.json()["accepted"] is True
    cards = api.call("GET", "/v1/jobs/j2/referrals", "employer2").json()
    mine = next(c for c in cards if c["id"] == referral)
    assert mine["candidate"]["identity"] == {"name": "李四", "phone": None}
    outcome = api.call(
        "PATCH", f"/v1/referrals/{referral}", "employer2", json={"outcome": "interviewed"}
    )
    assert outcome.status_code == 200 and outcome.json()["outcome"] == "interviewed"
    assert outcome.json()["outcome_at"] is not None
    assert (
        api.call("GET", f"/v1/referrals/{referral}", "counselor").json()["outcome"] == "interviewed"
    )
    assert api.call("GET", f"/v1/referrals/{referral}", "employer1").status_code == 403
    assert (
        api.call(
            "PATCH", f"/v1/referrals/{referral}", "employer1", json={"outcome": "hired"}
        ).status_code
        == 403
    )
    assert api.call("POST", f"/v1/referrals/{referral}/accept", "employer2").status_code == 403
    bad = api.call("PATCH", f"/v1/referrals/{referral}", "counselor", json={"outcome": "maybe"})
    assert bad.status_code == 422 and error_of(bad)["fields"][0]["field"] == "outcome"
    actions = {a["action"] for a in api.call("GET", "/v1/audit", "admin").json()}
    assert {"refer", "referral_accepted", "read_identity", "referral_outcome"} <= actions
    assert api.call("GET", "/v1/referrals/nothing", "counselor").status_code == 404
