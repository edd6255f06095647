"""Issue 9, robustness items 8, 9, 10, 13, 14, 15, 24, 25: bad input is a clear 4xx that stores
nothing, never a 500; concurrent PATCHes lose nothing. Over HTTP against the real app, on
SQLite and (with JOBMATCH_TEST_POSTGRES_URL) PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from typing import Any

import httpx
import pytest
import uvicorn

from matching.settings import Settings
from serving.app import create_app
from serving.runtime import Resources
from tests.api_client import Api, error_of
from tests.world import CANDIDATES

pytestmark = pytest.mark.slow

#: Reading a person's record needs a stated purpose.
PURPOSE = {"purpose": "回访"}

CANDIDATE = {"id": "c9", "region_code": "430104", "registered_at": "2025-01-02"}
JOB = {
    "id": "j9",
    "employer_id": "e1",
    "title": "档案整理员",
    "region_code": "430104",
    "work_mode": "quota",
    "posted_at": "2025-03-01",
}


def _stored_nothing(api: Api, path: str) -> None:
    assert api.call("GET", path, "counselor", params=PURPOSE).status_code == 404


# -- item 9: body size and field lengths -----------------------------------------------------


def test_a_body_over_the_limit_is_413_and_nothing_is_stored(read_api: Api) -> None:
    huge = {**CANDIDATE, "summary": "长" * (2 * 1024 * 1024)}
    response = read_api.call("POST", "/v1/candidates", "counselor", json=huge)
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"
    _stored_nothing(read_api, "/v1/candidates/c9")


def test_a_chunked_body_over_the_limit_is_413(read_api: Api) -> None:
    def chunks() -> Any:
        for _ in range(40):
            yield b" " * 65536

    response = read_api.call(
        "POST",
        "/v1/candidates",
        "counselor",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/jobs", {**JOB, "title": "客" * 300_000}, "title"),
        ("/v1/jobs", {**JOB, "description": "岗" * 6000}, "description"),
        ("/v1/jobs", {**JOB, "skills": ["技" * 201]}, "skills.0"),
        ("/v1/jobs", {**JOB, "skills": [f"技能{n}" for n in range(101)]}, "skills"),
        ("/v1/candidates", {**CANDIDATE, "summary": "熟" * 5001}, "summary"),
    ],
)
def test_over_long_fields_are_422_naming_the_field(
    read_api: Api, path: str, body: dict[str, Any], field: str
) -> None:
    who = "employer1" if path == "/v1/jobs" else "counselor"
    response = read_api.call("POST", path, who, json=body)
    assert response.status_code == 422, response.text
    assert field in [f["field"] for f in error_of(response)["fields"]]
    _stored_nothing(read_api, f"{path}/{body['id']}")


# -- items 10, 13: only finite numbers ---------------------------------------------------------


@pytest.mark.parametrize("raw", ["Infinity", "-Infinity", "NaN", "1e400"])
def test_non_finite_money_is_422(read_api: Api, raw: str) -> None:
    body = json.dumps({**JOB, "salary_max": 0}).replace('"salary_max": 0', f'"salary_max": {raw}')
    response = read_api.call(
        "POST", "/v1/jobs", "employer1", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert error_of(response)["fields"][0]["field"] == "salary_max"
    _stored_nothing(read_api, "/v1/jobs/j9")


def test_infinite_wage_in_a_patch_is_refused_and_quota_still_answers(read_api: Api) -> None:
    body = '{"avg_annual_wage": 1e400}'
    response = read_api.call(
        "PATCH",
        "/v1/employers/e1",
        "counselor",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert read_api.call("GET", "/v1/employers/e1/quota", "employer1").status_code == 200


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e400", "1.2e307"])
def test_quota_query_values_must_be_finite_and_bounded(read_api: Api, value: str) -> None:
    response = read_api.call(
        "GET", "/v1/employers/e1/quota", "employer1", params={"local_avg_social_wage": value}
    )
    assert response.status_code == 422, response.text
    assert error_of(response)["fields"][0]["field"] == "local_avg_social_wage"


def test_an_integer_beyond_64_bits_is_422(read_api: Api) -> None:
    body = '{"staff_count": 1' + "0" * 30 + "}"
    response = read_api.call(
        "PATCH",
        "/v1/employers/e1",
        "counselor",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert error_of(response)["fields"][0]["field"] == "staff_count"


# -- items 14, 15, 25: surrogates, NUL bytes, huge ids -----------------------------------------


@pytest.mark.parametrize("text", ['"\\ud800"', '"a\\u0000b"'])
@pytest.mark.parametrize(
    ("method", "path", "who", "field"),
    [
        ("POST", "/v1/candidates", "counselor", "summary"),
        ("PATCH", "/v1/candidates/c1", "counselor", "summary"),
        ("POST", "/v1/jobs", "employer1", "title"),
        ("PATCH", "/v1/jobs/j1", "employer1", "description"),
        ("POST", "/v1/accounts", "admin", "name"),
    ],
)
def test_lone_surrogates_and_nul_in_text_are_422(
    read_api: Api, text: str, method: str, path: str, who: str, field: str
) -> None:
    base: dict[str, Any] = {
        "/v1/candidates": CANDIDATE,
        "/v1/jobs": JOB,
        "/v1/accounts": {"role": "manager"},
    }.get(path, {})
    body = json.dumps({**base, field: "X"}).replace('"X"', text)
    response = read_api.call(
        method, path, who, content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert error_of(response)["fields"][0]["field"] == field
    assert (
        read_api.call("GET", "/v1/candidates/c1", "counselor", params=PURPOSE).json()["summary"]
        == CANDIDATES[0]["summary"]
    )


@pytest.mark.parametrize(
    "path",
    [
        "/v1/candidates/c%00x",
        "/v1/jobs/j%00",
        "/v1/referrals/r%001",
        "/v1/candidates?name=%00",
        "/v1/audit?subject=a%00b",
    ],
)
def test_nul_in_path_and_query_is_422(read_api: Api, path: str) -> None:
    who = "admin" if "audit" in path else "counselor"
    response = read_api.call("GET", path, who)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("account_id", ["9" * 30, str(2**63), "0", "-1"])
def test_a_huge_or_meaningless_account_id_is_422(read_api: Api, account_id: str) -> None:
    response = read_api.call("POST", f"/v1/accounts/{account_id}/revoke", "admin")
    assert response.status_code == 422, response.text


def test_a_very_long_id_in_a_path_is_404(read_api: Api) -> None:
    assert (
        read_api.call(
            "GET", "/v1/candidates/" + "c" * 5000, "counselor", params=PURPOSE
        ).status_code
        == 404
    )


# -- item 24: Allow, schema, datetimes, JSON errors, dropped and unknown input -----------------


def test_405_says_which_methods_are_allowed(read_api: Api) -> None:
    response = read_api.call("DELETE", "/v1/candidates/c1", "counselor")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "PATCH"}


def test_error_responses_are_in_the_openapi_schema(read_api: Api) -> None:
    schema = read_api.call("GET", "/openapi.json", None).json()
    patch = schema["paths"]["/v1/candidates/{candidate_id}"]["patch"]["responses"]
    for status in ("400", "401", "403", "404", "412", "413", "422", "503"):
        assert status in patch, status
    assert patch["413"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorResponse")


def test_datetimes_carry_their_timezone(read_api: Api) -> None:
    read_api.call("GET", "/v1/candidates/c1", "counselor", params={"purpose": "测试"})
    for entry in read_api.call("GET", "/v1/audit", "admin").json():
        assert dt.datetime.fromisoformat(entry["at"]).utcoffset() == dt.timedelta(0)
    for account in read_api.call("GET", "/v1/accounts", "admin").json():
        assert dt.datetime.fromisoformat(account["created_at"]).utcoffset() == dt.timedelta(0)


def test_malformed_json_names_the_body_and_the_place(read_api: Api) -> None:
    response = read_api.call(
        "PATCH",
        "/v1/candidates/c1",
        "counselor",
        content='{"skills": ["打字",}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    problem = error_of(response)["fields"][0]
    assert problem["field"] == "body"
    assert "JSON" in problem["reason"] and "column" in problem["reason"]


def test_integer_skills_are_refused_not_dropped(read_api: Api) -> None:
    response = read_api.call(
        "PATCH", "/v1/candidates/c1", "counselor", json={"skills": ["打字", 5]}
    )
    assert response.status_code == 422
    assert error_of(response)["fields"][0]["field"] == "skills.1"
    assert read_api.call("GET", "/v1/candidates/c1", "counselor", params=PURPOSE).json()[
        "skills"
    ] == [
        "推拿",
        "电子表格",
    ]


@pytest.mark.parametrize(
    ("path", "who", "body"),
    [
        ("/v1/candidates/c1", "counselor", {"skils": ["打字"]}),
        ("/v1/jobs/j1", "employer1", {"openings": 2, "titel": "x"}),
        ("/v1/employers/e1", "counselor", {"staff": 3}),
        ("/v1/referrals/r1", "counselor", {"outcome": "hired", "note": "x"}),
    ],
)
def test_unknown_patch_keys_are_422_and_nothing_changes(
    read_api: Api, path: str, who: str, body: dict[str, Any]
) -> None:
    before = read_api.call("GET", path, who, params=PURPOSE).json()
    response = read_api.call("PATCH", path, who, json=body)
    assert response.status_code == 422, response.text
    assert read_api.call("GET", path, who, params=PURPOSE).json() == before


# -- item 8: optimistic concurrency -------------------------------------------------------------


def test_patch_with_a_stale_if_match_is_412_and_a_current_one_succeeds(api: Api) -> None:
    read = api.call("GET", "/v1/candidates/c1", "counselor", params=PURPOSE)
    tag = read.headers["ETag"]
    first = api.call(
        "PATCH",
        "/v1/candidates/c1",
        "counselor",
        json={"expected_salary": 3100},
        headers={"If-Match": tag},
    )
    assert first.status_code == 200 and first.headers["ETag"] != tag
    stale = api.call(
        "PATCH",
        "/v1/candidates/c1",
        "counselor",
        json={"expected_salary": 3200},
        headers={"If-Match": tag},
    )
    assert stale.status_code == 412
    assert error_of(stale)["code"] == "precondition_failed"
    assert (
        api.call("GET", "/v1/candidates/c1", "counselor", params=PURPOSE).json()["expected_salary"]
        == 3100
    )
    current = api.call(
        "PATCH",
        "/v1/candidates/c1",
        "counselor",
        json={"expected_salary": 3200},
        headers={"If-Match": first.headers["ETag"]},
    )
    assert current.status_code == 200


@pytest.mark.parametrize(
    ("path", "who", "changes", "read"),
    [
        (
            "/v1/candidates/c1",
            "counselor",
            [{"expected_salary": 3333}, {"school": "长沙盲校"}, {"skills": ["推拿", "按摩"]}],
            lambda r: (r["expected_salary"], r["school"], r["skills"]),
        ),
        (
            "/v1/jobs/j1",
            "employer1",
            [{"openings": 4}, {"salary_max": 3900}, {"description": "整理图书"}],
            lambda r: (r["openings"], r["salary_max"], r["description"]),
        ),
    ],
)
def test_concurrent_patches_of_different_fields_all_survive(
    api: Api, path: str, who: str, changes: list[dict[str, Any]], read: Any
) -> None:
    expected = read({k: v for change in changes for k, v in change.items()})
    for _round in range(6):
        start = threading.Barrier(len(changes))
        answers: list[int] = []

        def patch(
            change: dict[str, Any], start: threading.Barrier = start, answers: list[int] = answers
        ) -> None:
            start.wait()
            answers.append(api.call("PATCH", path, who, json=change).status_code)

        threads = [threading.Thread(target=patch, args=(c,)) for c in changes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers == [200] * len(changes)
        assert read(api.call("GET", path, who, params=PURPOSE).json()) == expected
        # Undo, so that the next round races from the same start again.
        undo = {key: None for change in changes for key in change}
        if "openings" in undo:
            undo["openings"] = 1
        assert api.call("PATCH", path, who, json=undo).status_code == 200


# -- item 8: referral steps are optimistic too -------------------------------------------------


def test_a_referral_step_with_a_stale_if_match_is_412_and_changes_nothing(api: Api) -> None:
    read = api.call("GET", "/v1/referrals/r2", "counselor")
    tag = read.headers["ETag"]
    first = api.call(
        "PATCH",
        "/v1/referrals/r2",
        "counselor",
        json={"outcome": "interviewed"},
        headers={"If-Match": tag},
    )
    assert first.status_code == 200, first.text
    assert first.headers["ETag"] not in (None, tag)
    assert api.call("GET", "/v1/referrals/r2", "counselor").headers["ETag"] == first.headers["ETag"]
    stale = api.call(
        "PATCH",
        "/v1/referrals/r2",
        "counselor",
        json={"outcome": "no_show"},
        headers={"If-Match": tag},
    )
    assert stale.status_code == 412
    assert error_of(stale)["code"] == "precondition_failed"
    assert "已被他人修改" in error_of(stale)["message"]
    assert api.call("GET", "/v1/referrals/r2", "counselor").json()["outcome"] == "interviewed"
    current = api.call(
        "PATCH",
        "/v1/referrals/r2",
        "counselor",
        json={"outcome": "hired"},
        headers={"If-Match": first.headers["ETag"]},
    )
    assert current.status_code == 200 and current.json()["outcome"] == "hired"


def test_concurrent_referral_steps_from_one_outcome_record_exactly_one(api: Api) -> None:
    """Two counselors read the same pending referral and record different steps at once:
    one is stored, the other is told (412 with If-Match, 409 without: the step is no longer
    allowed from the outcome now stored); never both answered 200 with one lost."""
    for round_, with_tag in enumerate([True, False, True, False]):
        made = api.call(
            "POST",
            "/v1/referrals",
            "counselor",
            json={"candidate_id": "c1", "job_id": "j1", "override_reason": "本人意愿"},
            headers={"Idempotency-Key": f"race-step-{round_:04d}"},
        )
        assert made.status_code == 201, made.text
        referral, tag = made.json()["id"], made.headers["ETag"]
        steps = ["rejected", "declined", "no_show"]
        start = threading.Barrier(len(steps))
        answers: dict[str, int] = {}

        def step(
            outcome: str,
            start: threading.Barrier = start,
            answers: dict[str, int] = answers,
            url: str = f"/v1/referrals/{referral}",
            headers: dict[str, str] = {"If-Match": tag} if with_tag else {},  # noqa: B006
        ) -> None:
            start.wait()
            answer = api.call("PATCH", url, "counselor", json={"outcome": outcome}, headers=headers)
            answers[outcome] = answer.status_code

        threads = [threading.Thread(target=step, args=(s,)) for s in steps]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        won = [s for s, code in answers.items() if code == 200]
        assert len(won) == 1, answers
        assert sorted(c for c in answers.values() if c != 200) == [412 if with_tag else 409] * 2
        stored = api.call("GET", f"/v1/referrals/{referral}", "counselor").json()
        assert stored["outcome"] == won[0]
        events = api.call("GET", f"/v1/referrals/{referral}/events", "counselor").json()
        assert [e["to_outcome"] for e in events] == won


# -- item 24: a 500 keeps the keep-alive connection ---------------------------------------------


def test_after_a_500_the_same_keep_alive_connection_serves_the_next_request(
    settings: Settings,
    resources: Resources,  # noqa: F811
) -> None:
    """Over a real socket (uvicorn on 127.0.0.1): an unexpected error is a 500 in the error
    shape, and the client's connection is not dropped with it."""
    app = create_app(settings, resources=lambda _settings, _store: resources)

    def boom() -> None:
        raise RuntimeError("an unexpected failure")

    app.add_api_route("/boom", boom)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 120
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
            time.sleep(0.1)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            failed = client.get("/boom")
            first = failed.extensions["network_stream"].get_extra_info("client_addr")
            assert failed.status_code == 500 and error_of(failed)["code"] == "internal"
            assert failed.headers.get("connection", "").lower() != "close"
            after = client.get("/healthz")
            assert after.status_code == 200
            assert after.extensions["network_stream"].get_extra_info("client_addr") == first
    finally:
        server.should_exit = True
        thread.join(timeout=30)
