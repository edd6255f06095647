"""The API driven over HTTP (TestClient with its lifespan) against a real database: the small
hand-written world, the real m3e model, every route, role and forbidden case."""

from __future__ import annotations

import datetime as dt

import pytest

from matching.features import FEATURES
from matching.store import Store
from serving.auth import create_account
from tests.api_client import Api, error_of, refer
from tests.world import CANDIDATES, id_number

pytestmark = pytest.mark.slow


# -- operations ----------------------------------------------------------------------------


def test_health_and_readiness(api: Api) -> None:
    assert api.call("GET", "/healthz", None).json() == {"status": "ok"}
    ready = api.call("GET", "/readyz", None)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "matcher": True, "ranker": True}


def test_openapi_documents_every_resource(api: Api) -> None:
    paths = api.call("GET", "/openapi.json", None).json()["paths"]
    for path in (
        "/v1/candidates",
        "/v1/candidates/{candidate_id}/recommendations",
        "/v1/employers/{employer_id}/quota",
        "/v1/jobs",
        "/v1/jobs/{job_id}/recommendations",
        "/v1/referrals",
        "/v1/model",
        "/v1/audit",
    ):
        assert path in paths


# -- authentication ------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic abc"])
def test_missing_or_invalid_token_is_401(api: Api, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = api.call("GET", "/v1/model", None, headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_expired_token_is_401(api: Api) -> None:
    store = Store.open(api.settings)
    try:
        _, token = create_account(
            store, name="old", role="manager", lifetime=dt.timedelta(seconds=-1)
        )
    finally:
        store.close()
    response = api.call("GET", "/v1/model", None, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_admin_creates_and_revokes_accounts(api: Api) -> None:
    created = api.call(
        "POST",
        "/v1/accounts",
        "admin",
        json={"name": "王老师", "role": "counselor", "region_code": "430104"},
    )
    assert created.status_code == 201, created.text
    token, account_id = created.json()["token"], created.json()["account"]["id"]
    me = api.client.get("/v1/accounts/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["region_code"] == "430104"
    assert api.call("POST", f"/v1/accounts/{account_id}/revoke", "admin").status_code == 200
    again = api.client.get("/v1/accounts/me", headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 401
    listed = api.call("GET", "/v1/accounts", "admin").json()
    assert all("token" not in a for a in listed)


def test_account_scope_must_fit_the_role(api: Api) -> None:
    response = api.call("POST", "/v1/accounts", "admin", json={"name": "x", "role": "counselor"})
    assert response.status_code == 422
    bad_employer = api.call(
        "POST",
        "/v1/accounts",
        "admin",
        json={"name": "x", "role": "employer", "employer_id": "nope"},
    )
    assert bad_employer.status_code == 422


@pytest.mark.parametrize("who", ["counselor", "employer1", "manager"])
def test_only_admins_manage_accounts_and_read_the_audit(api: Api, who: str) -> None:
    assert api.call("GET", "/v1/accounts", who).status_code == 403
    assert api.call("GET", "/v1/audit", who).status_code == 403
    created = api.call("POST", "/v1/accounts", who, json={"name": "x", "role": "admin"})
    assert created.status_code == 403


# -- candidates ----------------------------------------------------------------------------


NEW_CANDIDATE = {
    "id": "c9",
    "name": "王五",
    "id_number": id_number("430104", "19950101", "235"),
    "sex": "M",
    "region_code": "430104",
    "skills": ["客户服务", "打字"],
    "registered_at": "2025-01-05",
}


def test_counselor_creates_reads_and_updates_a_candidate(api: Api) -> None:
    created = api.call("POST", "/v1/candidates", "counselor", json=NEW_CANDIDATE)
    assert created.status_code == 201, created.text
    again = api.call("POST", "/v1/candidates", "counselor", json=NEW_CANDIDATE)
    assert again.status_code == 409
    read = api.call("GET", "/v1/candidates/c9", "counselor", params={"purpose": "回访"})
    assert read.json()["name"] == "王五"
    assert read.json()["id_number"] == NEW_CANDIDATE["id_number"]
    patched = api.call("PATCH", "/v1/candidates/c9", "counselor", json={"expected_salary": 3500})
    assert patched.status_code == 200 and patched.json()["expected_salary"] == 3500
    audit = api.call("GET", "/v1/audit", "admin", params={"subject": "candidates:c9"}).json()
    assert {"create", "read_sensitive", "update"} <= {a["action"] for a in audit}
    assert any(a["purpose"] == "回访" for a in audit)


def test_invalid_candidate_names_each_field(api: Api) -> None:
    bad = {**NEW_CANDIDATE, "region_code": "999999", "birth_year": "soon"}
    del bad["registered_at"]
    response = api.call("POST", "/v1/candidates", "counselor", json=bad)
    assert response.status_code == 422
    fields = {f["field"]: f["reason"] for f in error_of(response)["fields"]}
    assert fields["registered_at"] == "is required"
    assert "province" in fields["region_code"]
    assert fields["birth_year"] == "must be a whole number"


def test_patch_is_validated_whole(api: Api) -> None:
    response = api.call("PATCH", "/v1/candidates/c1", "counselor", json={"disability_grade": 3})
    assert response.status_code == 422
    assert error_of(response)["fields"][0]["field"] == "cert_number"


def test_search_by_name_id_number_and_region(api: Api) -> None:
    by_name = api.call("GET", "/v1/candidates", "counselor", params={"name": "张三"}).json()
    assert [c["id"] for c in by_name] == ["c1"]
    assert "name" not in by_name[0]
    by_id = api.call(
        "GET", "/v1/candidates", "counselor", params={"id_number": CANDIDATES[0]["id_number"]}
    ).json()
    assert [c["id"] for c in by_id] == ["c1"]
    by_region = api.call("GET", "/v1/candidates", "counselor", params={"region": "430103"}).json()
    assert [c["id"] for c in by_region] == ["c2"]
    other = api.call("GET", "/v1/candidates", "counselor_other").json()
    assert [c["id"] for c in other] == ["c3"]
    outside = api.call("GET", "/v1/candidates", "counselor_other", params={"region": "4301"})
    assert outside.status_code == 403


def test_deactivated_candidate_leaves_matching(api: Api) -> None:
    before = api.call("GET", "/v1/jobs/j2/recommendations", "counselor").json()
    assert "c3" in [r["id"] for r in before["results"]]
    done = api.call("POST", "/v1/candidates/c3/deactivate", "counselor")
    assert done.status_code == 200 and done.json()["active"] is False
    after = api.call("GET", "/v1/jobs/j2/recommendations", "counselor").json()
    assert "c3" not in [r["id"] for r in after["results"]]


def test_counselor_outside_the_region_is_refused(api: Api) -> None:
    purpose = {"purpose": "回访"}
    assert (
        api.call("GET", "/v1/candidates/c1", "counselor_other", params=purpose).status_code == 403
    )
    assert api.call("PATCH", "/v1/candidates/c1", "counselor_other", json={}).status_code == 403
    assert api.call("POST", "/v1/candidates/c1/deactivate", "counselor_other").status_code == 403
    assert (
        api.call("GET", "/v1/candidates/c1/recommendations", "counselor_other").status_code == 403
    )
    assert api.call("GET", "/v1/jobs/j1", "counselor_other").status_code == 403
    created = api.call(
        "POST", "/v1/candidates", "counselor_other", json={**NEW_CANDIDATE, "id": "c10"}
    )
    assert created.status_code == 403
    moved = api.call(
        "PATCH", "/v1/candidates/c3", "counselor_other", json={"region_code": "430104"}
    )
    assert moved.status_code == 403


def test_unknown_candidate_is_404(api: Api) -> None:
    response = api.call("GET", "/v1/candidates/nobody", "counselor", params={"purpose": "回访"})
    assert response.status_code == 404
    assert error_of(response) == {
        "code": "not_found",
        "message": "no candidate with id nobody",
        "fields": [],
    }


@pytest.mark.parametrize("who", ["employer1", "manager", "admin"])
def test_only_counselors_read_candidate_records(api: Api, who: str) -> None:
    assert api.call("GET", "/v1/candidates/c1", who).status_code == 403
    assert api.call("GET", "/v1/candidates", who).status_code == 403
    assert api.call("POST", "/v1/candidates", who, json=NEW_CANDIDATE).status_code == 403


# -- employers -----------------------------------------------------------------------------


def test_employers_and_quota(api: Api) -> None:
    own = api.call("GET", "/v1/employers/e1", "employer1")
    assert own.status_code == 200 and own.json()["name"] == "长沙市图书馆"
    assert api.call("GET", "/v1/employers/e2", "employer1").status_code == 403
    quota = api.call("GET", "/v1/employers/e1/quota", "manager").json()
    assert quota["required"] == pytest.approx(1.8) and quota["compliant"] is False
    assert api.call("GET", "/v1/employers/e2/quota", "employer1").status_code == 403
    # Quota facts are the counselor's to record (the employer's own attempt: test_personal_data).
    patched = api.call("PATCH", "/v1/employers/e1", "counselor", json={"disabled_staff": 2})
    assert patched.json()["disabled_staff"] == 2
    assert api.call("GET", "/v1/employers/e1/quota", "employer1").json()["compliant"] is True
    assert api.call("PATCH", "/v1/employers/e1", "manager", json={}).status_code == 403


def test_counselor_registers_an_employer_in_region(api: Api) -> None:
    employer = {"id": "e3", "name": "某社区", "type": "social_org", "region_code": "430102"}
    assert api.call("POST", "/v1/employers", "counselor_other", json=employer).status_code == 201
    assert api.call("POST", "/v1/employers", "counselor_other", json=employer).status_code == 409
    missing = api.call("GET", "/v1/employers/e3/quota", "counselor_other")
    assert missing.status_code == 409
    assert error_of(missing)["fields"][0]["field"] == "disabled_staff"
    far = {**employer, "id": "e4", "region_code": "110101"}
    assert api.call("POST", "/v1/employers", "counselor_other", json=far).status_code == 403


# -- jobs ----------------------------------------------------------------------------------


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


def test_employer_cannot_touch_another_employers_job(api: Api) -> None:
    assert api.call("GET", "/v1/jobs/j2", "employer1").status_code == 403
    assert api.call("PATCH", "/v1/jobs/j2", "employer1", json={"openings": 9}).status_code == 403
    assert api.call("POST", "/v1/jobs/j2/close", "employer1").status_code == 403
    assert api.call("GET", "/v1/jobs/j2/recommendations", "employer1").status_code == 403
    assert api.call("GET", "/v1/jobs/j2/referrals", "employer1").status_code == 403
    assert api.call("POST", "/v1/jobs", "employer1", json=NEW_JOB).status_code == 403
    moved = api.call("PATCH", "/v1/jobs/j1", "employer1", json={"employer_id": "e2"})
    assert moved.status_code == 422
    assert [j["id"] for j in api.call("GET", "/v1/jobs", "employer1").json()] == ["j1"]


def test_counselors_read_but_do_not_post_jobs(api: Api) -> None:
    assert api.call("GET", "/v1/jobs/j2", "counselor").status_code == 200
    assert api.call("POST", "/v1/jobs", "counselor", json=NEW_JOB).status_code == 403
    assert api.call("PATCH", "/v1/jobs/j2", "counselor", json={"openings": 9}).status_code == 403
    assert api.call("GET", "/v1/jobs/j2", "manager").status_code == 403
    assert api.call("GET", "/v1/jobs/nothing", "counselor").status_code == 404


# -- recommendations and the model ---------------------------------------------------------


def test_recommendations_answer_like_the_batch_command(api: Api) -> None:
    body = api.call("GET", "/v1/jobs/j2/recommendations", "counselor", params={"k": 2}).json()
    assert body["query_id"] == "j2" and body["model"] == "baseline"
    assert [r["id"] for r in body["results"]] == ["c2", "c3"]
    first = body["results"][0]
    assert first["reasons"] and first["model"] == "baseline" and first["card"] is None
    jobs = api.call("GET", "/v1/candidates/c2/recommendations", "counselor").json()
    assert [r["id"] for r in jobs["results"]] == ["j2"]
    plain = api.call(
        "GET", "/v1/candidates/c2/recommendations", "counselor", params={"personalised": False}
    ).json()
    assert plain["results"][0]["model"] == "non-personalised"
    assert (
        api.call(
            "GET", "/v1/candidates/c2/recommendations", "counselor", params={"k": 0}
        ).status_code
        == 422
    )


def test_counselor_sees_only_people_of_the_region(api: Api) -> None:
    body = api.call("GET", "/v1/jobs/j2/recommendations", "counselor_other")
    assert body.status_code == 403  # j2 (430103) is outside 430102


def test_employer_sees_proposed_people_as_cards(api: Api) -> None:
    body = api.call("GET", "/v1/jobs/j2/recommendations", "employer2").json()
    card = body["results"][0]["card"]
    assert set(card) == {"id", "skills", "trainings", "education", "needs", "identity"}
    assert card["identity"] is None
    text = str(body)
    for secret in ("李四", "hearing", "长沙学院"):
        assert secret not in text


def test_model_in_service(api: Api) -> None:
    model = api.call("GET", "/v1/model", "manager").json()
    assert model["name"] == "baseline" and model["learned"] is False
    assert model["features"] == list(FEATURES)


def test_statistics_for_managers(api: Api) -> None:
    stats = api.call("GET", "/v1/statistics", "manager").json()
    assert stats["candidates"] == 3 and stats["referrals"] == 2
    assert stats["outcomes"] == {"hired": 1, "pending": 1}
    regional = api.call("GET", "/v1/statistics", "manager", params={"region": "430103"}).json()
    assert regional["candidates"] == 1
    assert api.call("GET", "/v1/statistics", "counselor").status_code == 403


# -- referrals -----------------------------------------------------------------------------


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


def test_referral_needs_an_idempotency_key(api: Api) -> None:
    response = api.call(
        "POST", "/v1/referrals", "counselor", json={"candidate_id": "c2", "job_id": "j2"}
    )
    assert response.status_code == 422
    assert error_of(response)["fields"][0]["field"] == "Idempotency-Key"


def test_infeasible_referral_names_the_failed_requirement(api: Api) -> None:
    # c1 needs a screen reader; j2 offers none; c1's hearing is fine.
    response = refer(api, "key-0002-abc", candidate_id="c1", job_id="j2", override_reason="试试")
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


def test_referral_outside_the_region_is_refused(api: Api) -> None:
    response = api.call(
        "POST",
        "/v1/referrals",
        "counselor_other",
        json={"candidate_id": "c1", "job_id": "j1"},
        headers={"Idempotency-Key": "key-0005-abc"},
    )
    assert response.status_code == 403
    employer = api.call(
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
