"""Personal data at rest, access scoping and the audit (issue 9: items 1, 2, 5, 7, 11, 12, 17-23),
over HTTP against a real database, the real m3e model and a real demo world."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from demo.world import generate_world
from matching.catalog import Catalog
from matching.explain import for_employers, reason_text
from matching.features import FEATURE, FEATURES
from matching.interchange import export_directory, import_directory
from matching.privacy import employer_visible_training
from matching.settings import Settings
from matching.store import Store
from matching.store.database import alembic_config, make_engine, private_sqlite_file
from matching.store.tables import AuditRow, CandidateRow, ReferralContextRow, scoped_idempotency_key
from matching.store.vault import Vault
from matching.vocabulary import CATEGORY_NAMES_ZH, DisabilityCategory
from serving.app import create_app
from serving.auth import AccountError, Role, create_account
from serving.runtime import Resources
from tests.api_client import Api, error_of, refer
from tests.records import candidate, catalog_of, job
from tests.world import CANDIDATES, id_number, write_world

pytestmark = pytest.mark.slow

# -- item 1: nothing personal in a dump of the database --------------------------------------

_GRADES = "一二三四"


def _disability_words() -> list[str]:
    """Every way the vocabulary names a disability: 视力残疾, 视力二级, 视力残疾二级 …, and the
    sealed fields' own keys."""
    words = ["残疾人证", '"disability_category"', '"disability_grade"']
    for name in CATEGORY_NAMES_ZH.values():
        short = name.removesuffix("残疾")
        words.append(name)
        words += [f"{short}{g}级" for g in _GRADES] + [f"{name}{g}级" for g in _GRADES]
    return words


def _forms(value: str) -> set[str]:
    """A value as it can appear in a dump: itself, and JSON-escaped (SQLite JSON columns
    store non-ASCII as \\uXXXX)."""
    return {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}


def _dump(database: Path) -> str:
    """``sqlite3 DB .dump``, or the same from Python's sqlite3 where the tool is missing."""
    if shutil.which("sqlite3"):
        return subprocess.run(
            ["sqlite3", str(database), ".dump"], check=True, capture_output=True, text=True
        ).stdout
    with sqlite3.connect(database) as connection:
        return "\n".join(connection.iterdump())


@pytest.fixture
def demo_api(tmp_path: Path, resources: Resources) -> Iterator[tuple[Api, Path]]:  # noqa: F811
    """The API over a home holding a generated demo world (SQLite: it is dumped)."""
    files = tmp_path / "files"
    generate_world(files, seed=3, candidates=80, jobs=25)
    settings = Settings(home=tmp_path / "home")
    store = Store.open(settings)
    assert import_directory(store, files).ok
    # A counselor of the province with the most jobs.
    provinces = [j["region_code"][:2] for j in _records(files, "jobs")]
    province = max(set(provinces), key=provinces.count)
    tokens = {
        "counselor": create_account(store, name="王老师", role=Role.COUNSELOR, region=province)[1],
        "admin": create_account(store, name="admin", role=Role.ADMIN)[1],
    }
    store.close()
    app = create_app(settings, resources=lambda _settings, _store: resources)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, tokens, settings), files


def _records(files: Path, kind: str) -> list[dict[str, Any]]:
    with (files / f"{kind}.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def test_a_dump_of_a_demo_home_holds_no_personal_data(demo_api: tuple[Api, Path]) -> None:
    api, files = demo_api  # noqa: F811
    people = _records(files, "candidates")
    province = api.call("GET", "/v1/accounts/me", "counselor").json()["region_code"]
    region = next(
        j["region_code"] for j in _records(files, "jobs") if j["region_code"][:2] == province
    )
    assert sum("残疾" in (p.get("summary") or "") for p in people) > len(people) // 2
    # A counselor types identifiers and the disability into every free-text field.
    typed_id = id_number("110101", "19880412", "135")
    person = {
        "id": "c-typed",
        "name": "赵小兰",
        "id_number": typed_id,
        "cert_number": typed_id + "42",
        "disability_category": "physical",
        "disability_grade": 2,
        "sex": "M",
        "region_code": region,
        "skills": ["客户服务"],
        "capacities": {"mobility": 1},
        "summary": f"赵小兰，身份证{typed_id}，电话13912345678，肢体残疾二级，需轮椅",
        "phone": "13912345678",
        "registered_at": "2025-01-05",
    }
    assert api.call("POST", "/v1/candidates", "counselor", json=person).status_code == 201
    found = api.call(
        "GET",
        "/v1/candidates",
        "counselor",
        params={"name": "赵小兰"},
    ).json()
    assert [c["id"] for c in found] == ["c-typed"]
    read = api.call(
        "GET",
        "/v1/candidates/c-typed",
        "counselor",
        params={"purpose": f"回访赵小兰 {typed_id}\n肢体残疾二级"},
    )
    assert read.status_code == 200 and read.json()["summary"] == person["summary"]
    jobs = api.call("GET", "/v1/jobs", "counselor", params={"open_only": True}).json()
    referred = None
    for posted in jobs:
        made = refer(
            api,
            f"key-{posted['id']}-typed",
            candidate_id="c-typed",
            job_id=posted["id"],
            override_reason="本人肢体残疾二级，需轮椅，联系电话13912345678",
            purpose="招聘会",
        )
        if made.status_code == 201:
            referred = made.json()
            break
    assert referred is not None, f"no job in {province} takes the person"
    assert referred["override_reason"].startswith("本人肢体残疾二级")
    api.client.close()

    dump = _dump(api.settings.home / "jobmatch.db")
    secrets = [person["name"], typed_id, person["phone"]]
    for p in people:
        secrets += [p[k] for k in ("name", "id_number", "cert_number", "phone") if p.get(k)]
    assert len(secrets) > 3 * len(people) // 2
    leaked = [s for s in secrets if any(form in dump for form in _forms(s))]
    assert not leaked, f"{len(leaked)} identifiers in the dump, e.g. {leaked[:3]}"
    words = [w for w in _disability_words() if any(form in dump for form in _forms(w))]
    assert not words, f"disability words in the dump: {words}"
    # Capacities (plain, they reveal the category through the default table) are sealed too:
    # the dimension names appear in jobs' demands only.
    candidate_lines = [line for line in dump.splitlines() if "INSERT INTO candidates" in line]
    assert len(candidate_lines) == len(people) + 1
    assert not any('"psychosocial"' in line or '"mobility"' in line for line in candidate_lines)


def test_the_matcher_still_reads_sealed_capacities(store: Store, tmp_path: Path) -> None:
    """The catalog opens the sealed profiles in bulk: capacities and summary as written."""
    assert import_directory(store, write_world(tmp_path / "world")).ok
    catalog = Catalog.from_store(store, Settings(), None)
    row = catalog.candidates.ids.index("c1")
    # c1: visual grade 2 (vision 0 by default); c2: hearing assessed 0.
    assert catalog.candidates.capacities[row][0] == 0
    assert catalog.candidates.records[row].summary == "熟悉读屏软件"
    assert catalog.candidates.records[row].disability_category is None
    exported = export_directory(store, tmp_path / "out", actor="test")
    assert exported["candidates"] == 3
    again = _records(tmp_path / "out", "candidates")
    assert again[1]["capacities"] == {"hearing": 0} and again[0]["summary"] == "熟悉读屏软件"


# -- item 2: employers see only the card view of a referral -----------------------------------


def test_employers_get_only_the_card_view_of_a_referral(api: Api) -> None:  # noqa: F811
    made = refer(api, "key-card-0001", candidate_id="c3", job_id="j2", override_reason="本人意愿")
    assert made.status_code == 201, made.text
    referral = made.json()["id"]
    for response in (
        api.call("GET", f"/v1/referrals/{referral}", "employer2"),
        api.call(
            "PATCH", f"/v1/referrals/{referral}", "employer2", json={"outcome": "interviewed"}
        ),
    ):
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"id", "job_id", "referred_at", "outcome", "outcome_at", "candidate"}
        assert "本人意愿" not in response.text
    full = api.call("GET", f"/v1/referrals/{referral}", "counselor").json()
    assert full["override_reason"] == "本人意愿"


# -- item 5: a counselor sees only the people of their region on a job -------------------------


def test_job_referrals_show_a_counselor_only_the_people_of_their_region(api: Api) -> None:  # noqa: F811
    posted = api.call(
        "POST",
        "/v1/jobs",
        "employer2",
        json={
            "id": "j-furong",
            "employer_id": "e2",
            "title": "客服专员",
            "skills": ["客户服务"],
            "region_code": "430102",
            "work_mode": "quota",
            "accommodations": ["captioning"],
            "posted_at": "2025-05-01",
        },
        params={"suggestions": 0},
    )
    assert posted.status_code == 201, posted.text
    # The Changsha counselor refers c2 (430103), who accepts; the job is in Furong (430102).
    made = refer(api, "key-furong-01", candidate_id="c2", job_id="j-furong", override_reason="x")
    assert made.status_code == 201, made.text
    api.call("POST", f"/v1/referrals/{made.json()['id']}/accept", "counselor")
    mine = api.call("GET", "/v1/jobs/j-furong/referrals", "counselor").json()
    assert [c["candidate"]["id"] for c in mine] == ["c2"]
    other = api.call("GET", "/v1/jobs/j-furong/referrals", "counselor_other")
    assert other.status_code == 200 and other.json() == []
    assert "李四" not in other.text


# -- item 7: quota facts, type and region are the counselor's ---------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"disabled_staff": 9},
        {"disabled_staff_severe": 1},
        {"staff_count": 60},
        {"establishment_size": 10},
        {"type": "concentrated"},
        {"region_code": "110101"},
    ],
)
def test_an_employer_cannot_change_its_quota_facts(api: Api, change: dict[str, Any]) -> None:  # noqa: F811
    refused = api.call("PATCH", "/v1/employers/e1", "employer1", json=change)
    assert refused.status_code == 403
    assert error_of(refused)["fields"][0]["field"] == next(iter(change))
    assert "就业指导员" in error_of(refused)["message"]
    own = api.call("GET", "/v1/employers/e1", "employer1").json()
    assert all(own.get(k) != v for k, v in change.items())


def test_counselors_change_quota_facts_and_every_change_is_audited(api: Api) -> None:  # noqa: F811
    same = api.call("PATCH", "/v1/employers/e1", "employer1", json={"disabled_staff": 1})
    assert same.status_code == 200  # not a change
    wage = api.call("PATCH", "/v1/employers/e1", "employer1", json={"avg_annual_wage": 99000})
    assert wage.status_code == 200
    counted = api.call("PATCH", "/v1/employers/e1", "counselor", json={"disabled_staff": 2})
    assert counted.status_code == 200 and counted.json()["disabled_staff"] == 2
    audit = api.call("GET", "/v1/audit", "admin", params={"action": "update_employer"}).json()
    assert [a["purpose"] for a in audit] == ["disabled_staff", "avg_annual_wage", "no change"]
    assert audit[0]["actor"].endswith(":counselor") and audit[1]["actor"].endswith(":employer1")


def test_public_welfare_and_region_of_a_job_are_the_counselors(api: Api) -> None:  # noqa: F811
    for change in ({"public_welfare": False}, {"region_code": "430103"}):
        refused = api.call("PATCH", "/v1/jobs/j1", "employer1", json=change)
        assert refused.status_code == 403, refused.text
    assert api.call("GET", "/v1/jobs/j1", "employer1").json()["public_welfare"] is True
    edited = api.call("PATCH", "/v1/jobs/j1", "employer1", json={"openings": 2})
    assert edited.status_code == 200
    designated = api.call("PATCH", "/v1/jobs/j1", "counselor", json={"public_welfare": False})
    assert designated.status_code == 200 and designated.json()["public_welfare"] is False
    far = api.call("PATCH", "/v1/jobs/j1", "counselor_other", json={"public_welfare": True})
    assert far.status_code == 403
    audit = api.call("GET", "/v1/audit", "admin", params={"subject": "jobs:j1"}).json()
    assert [(a["action"], a["purpose"]) for a in audit] == [
        ("update_job", "public_welfare"),
        ("update_job", "openings"),
    ]


# -- item 11: every disclosure and every refusal is audited ------------------------------------

NEW = {
    "id": "c9",
    "name": "王五",
    "id_number": id_number("430104", "19950101", "235"),
    "sex": "M",
    "region_code": "430104",
    "registered_at": "2025-01-05",
}


def test_disclosures_are_audited(api: Api) -> None:  # noqa: F811
    assert api.call("POST", "/v1/candidates", "counselor", json=NEW).status_code == 201
    patched = api.call("PATCH", "/v1/candidates/c9", "counselor", json={"skills": ["打字"]})
    assert patched.json()["id_number"] == NEW["id_number"]
    disclosed = api.call("GET", "/v1/audit", "admin", params={"action": "read_sensitive"}).json()
    assert [a["purpose"] for a in disclosed] == [
        "returned in the response to update",
        "returned in the response to create",
    ]
    found = api.call("GET", "/v1/candidates", "counselor", params={"name": "张三"}).json()
    assert [c["id"] for c in found] == ["c1"]
    search = api.call("GET", "/v1/audit", "admin", params={"action": "search"}).json()
    assert search[0]["subject"] == "candidates:c1"
    missing = api.call("GET", "/v1/candidates/c1", "counselor")
    assert missing.status_code == 422 and error_of(missing)["fields"][0]["field"] == "purpose"


def test_refused_attempts_are_audited(api: Api) -> None:  # noqa: F811
    assert api.call("GET", "/v1/jobs/j2", "employer1").status_code == 403
    assert api.call("GET", "/v1/audit", "counselor").status_code == 403
    refused = api.call("GET", "/v1/audit", "admin", params={"action": "forbidden"}).json()
    assert [(a["subject"], a["actor"].split(":")[-1]) for a in refused] == [
        ("GET /v1/audit", "counselor"),
        ("GET /v1/jobs/j2", "employer1"),
    ]


def test_employer_and_job_changes_are_audited(api: Api) -> None:  # noqa: F811
    employer = {"id": "e3", "name": "某社区", "type": "social_org", "region_code": "430102"}
    assert api.call("POST", "/v1/employers", "counselor_other", json=employer).status_code == 201
    assert api.call("POST", "/v1/jobs/j2/close", "employer2").status_code == 200
    actions = {(a["action"], a["subject"]) for a in api.call("GET", "/v1/audit", "admin").json()}
    assert {("create_employer", "employers:e3"), ("close_job", "jobs:j2")} <= actions


# -- item 12: no forged or oversized audit entries ---------------------------------------------


def test_audit_values_stay_on_one_bounded_line(api: Api) -> None:  # noqa: F811
    forged = "回访\n2026-01-01 admin read_sensitive candidates:c2"
    read = api.call("GET", "/v1/candidates/c1", "counselor", params={"purpose": forged})
    assert read.status_code == 200
    entry = api.call("GET", "/v1/audit", "admin", params={"action": "read_sensitive"}).json()[0]
    assert "\n" not in entry["purpose"] and entry["purpose"].startswith("回访 2026")
    huge = api.call("GET", "/v1/candidates/c1", "counselor", params={"purpose": "x" * 20_000})
    assert huge.status_code == 422
    # A referral's purpose over 500 characters is refused, one within it kept on one line.
    too_long = refer(api, "key-long-0001", candidate_id="c3", job_id="j2", purpose="y" * 5000)
    assert too_long.status_code == 422 and error_of(too_long)["fields"][0]["field"] == "purpose"
    made = refer(api, "key-long-0002", candidate_id="c3", job_id="j2", purpose="招聘\n" * 166)
    assert made.status_code == 201, made.text
    entry = api.call("GET", "/v1/audit", "admin", params={"action": "refer"}).json()[0]
    assert entry["subject"].startswith(f"referrals:{made.json()['id']} ")
    assert "\n" not in entry["purpose"] and 0 < len(entry["purpose"]) <= 500
    account = api.call(
        "POST", "/v1/accounts", "admin", json={"name": "王老师\nadmin", "role": "manager"}
    )
    assert account.status_code == 422


# -- item 17: the home, the database and exports are private -----------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_home_database_and_exports_are_private(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    store = Store.open(settings)
    try:
        assert import_directory(store, write_world(tmp_path / "world")).ok
        export_directory(store, tmp_path / "export", actor="test")
    finally:
        store.close()
    assert _mode(settings.home) == 0o700
    assert _mode(settings.home / "jobmatch.db") == 0o600
    assert _mode(tmp_path / "export") == 0o700
    for name in ("candidates", "employers", "jobs", "referrals"):
        assert _mode(tmp_path / "export" / f"{name}.jsonl") == 0o600
    bad = write_world(tmp_path / "bad", {"candidates": [{**CANDIDATES[0], "phone": "电话"}]})
    store = Store.open(settings)
    try:
        import_directory(store, bad, skip_invalid=True, report_dir=tmp_path / "report")
    finally:
        store.close()
    assert _mode(tmp_path / "report" / "candidates.rejects.jsonl") == 0o600
    assert _mode(tmp_path / "report" / "import-report.json") == 0o600


# -- item 18: one registration per ID number ---------------------------------------------------


def test_an_id_number_is_registered_once(api: Api, tmp_path: Path) -> None:  # noqa: F811
    twin = {**NEW, "id": "c-twin", "name": "张三", "id_number": CANDIDATES[0]["id_number"]}
    twin.pop("sex")
    twin["birth_year"] = 1990
    response = api.call("POST", "/v1/candidates", "counselor", json=twin)
    assert response.status_code == 409
    assert error_of(response)["code"] == "id_number_registered"
    assert "c1" in error_of(response)["message"]
    # A counselor of another region learns that the number is taken, not by whom.
    far = {**twin, "id": "c-far", "region_code": "430102"}
    elsewhere = api.call("POST", "/v1/candidates", "counselor_other", json=far)
    assert elsewhere.status_code == 409
    assert "c1" not in elsewhere.text and "其他地区" in error_of(elsewhere)["message"]
    store = Store.open(api.settings)
    try:
        files = write_world(
            tmp_path / "again",
            {"candidates": [{**CANDIDATES[0], "id": "c1-copy"}, CANDIDATES[0]]},
        )
        report = import_directory(store, files)
    finally:
        store.close()
    assert [str(p) for p in report.files[0].problems] == [
        "candidates.jsonl:1: id_number: is already registered as candidate c1"
    ]


# -- item 19: a deactivated person is out of matching ------------------------------------------


def test_a_deactivated_person_gets_no_recommendations_or_referrals(api: Api) -> None:  # noqa: F811
    assert api.call("POST", "/v1/candidates/c3/deactivate", "counselor").status_code == 200
    jobs = api.call("GET", "/v1/candidates/c3/recommendations", "counselor")
    assert jobs.status_code == 409 and error_of(jobs)["code"] == "candidate_inactive"
    made = refer(api, "key-inactive-1", candidate_id="c3", job_id="j2", override_reason="x")
    assert made.status_code == 409 and error_of(made)["code"] == "candidate_inactive"


# -- item 20: one pending referral per person and job ------------------------------------------


def test_parallel_referrals_of_one_pair_make_one(api: Api) -> None:  # noqa: F811
    answers: list[Any] = []

    def send(n: int) -> None:
        answers.append(refer(api, f"key-parallel-{n}", candidate_id="c3", job_id="j2"))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 409, 409, 409, 409], [a.text for a in answers]
    assert {error_of(a)["code"] for a in answers if a.status_code == 409} == {"referral_pending"}
    stats = api.call("GET", "/v1/statistics", "manager").json()
    assert stats["outcomes"]["pending"] == 2  # r2, and the one made here


# -- item 21: idempotency keys belong to an account ---------------------------------------------


def test_idempotency_keys_are_scoped_to_the_account(api: Api) -> None:  # noqa: F811
    store = Store.open(api.settings)
    try:
        _, token = create_account(store, name="李老师", role="counselor", region="43")
    finally:
        store.close()
    api.tokens["colleague"] = token
    first = refer(api, "shared-key-001", candidate_id="c3", job_id="j2")
    assert first.status_code == 201
    theirs = api.call(
        "POST",
        "/v1/referrals",
        "colleague",
        json={"candidate_id": "c1", "job_id": "j1", "override_reason": "本人意愿"},
        headers={"Idempotency-Key": "shared-key-001"},
    )
    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["id"] != first.json()["id"] and theirs.json()["candidate_id"] == "c1"


# -- item 22: region scopes are ASCII digits ---------------------------------------------------


@pytest.mark.parametrize("region", ["43٠١", "４３", "43０1"])
def test_counselor_region_scopes_are_ascii_digits(store: Store, region: str) -> None:
    with pytest.raises(AccountError, match="region"):
        create_account(store, name="x", role="counselor", region=region)


# -- item 23: employers see nothing that hints at the disability -------------------------------


def test_employer_reasons_say_nothing_of_history_or_support_status() -> None:
    catalog = catalog_of([job("j")], [candidate("c")])
    row = np.zeros(len(FEATURES))
    hidden = []
    for feature in ("person_failed_market_streak", "public_welfare_priority", "hard_to_employ"):
        row[FEATURES.index(feature)] = 2
        reason = FEATURE[feature].reason
        assert reason is not None
        hidden.append(reason_text(reason, row, catalog, 0, 0))
    assert all(hidden) and "近期连续 2 次推荐未成功" in hidden
    shown = ["技能匹配：客户服务", "公益性岗位", "高校毕业生（一人一策）"]
    assert for_employers(hidden + shown) == shown


def test_employer_cards_leave_out_assistive_technology_trainings(api: Api) -> None:  # noqa: F811
    cards = api.call("GET", "/v1/jobs/j1/referrals", "employer1").json()
    card = next(c["candidate"] for c in cards if c["candidate"]["id"] == "c1")
    assert card["trainings"] == []  # 读屏软件使用 (screen reader) says: visual
    assert employer_visible_training("盲人保健按摩培训") == "保健按摩培训"
    assert employer_visible_training("手语培训") is None
    assert employer_visible_training("电商客服技能培训") == "电商客服技能培训"


#: Words from which a disability can be read: none may reach an employer before the person
#: accepted a referral (category names and stems, capacity dimensions, accommodations only some
#: disabilities need, assistive technology, the failure streak).
DISABILITY_WORDS = (
    list(CATEGORY_NAMES_ZH.values())
    + [name.removesuffix("残疾") for name in CATEGORY_NAMES_ZH.values()]
    + ["行走", "站立", "上肢", "认知", "心理承受", "残疾", "残障", "盲", "聋", "手语", "读屏"]
    + ["字幕", "轮椅", "无障碍", "就业辅导员", "安静工作区", "近期连续", "推荐未成功"]
    + ["screen_reader", "captioning", "wheelchair_access", "sign_language", "braille"]
    + ["visual", "hearing", "disability", "capacit"]
)


def _disability_words_in(answer: Any) -> list[str]:
    text = json.dumps(answer.json(), ensure_ascii=False)
    return [word for word in DISABILITY_WORDS if word in text]


def test_nothing_an_employer_receives_reveals_a_disability(api: Api) -> None:  # noqa: F811
    """c1 is blind (needs a screen reader, trained in one), c2 deaf (hearing 0, needs
    captioning, knows sign language): their cards, the reasons they were proposed for, the
    referral views and the answer to the employer's own report say none of it."""
    signed = api.call(
        "PATCH", "/v1/candidates/c2", "counselor", json={"skills": ["客户服务", "手语"]}
    )
    assert signed.status_code == 200, signed.text
    seen = {
        "j1 people": api.call("GET", "/v1/jobs/j1/recommendations", "employer1"),
        "j2 people": api.call("GET", "/v1/jobs/j2/recommendations", "employer2"),
        "j1 referrals": api.call("GET", "/v1/jobs/j1/referrals", "employer1"),
        "j2 referrals": api.call("GET", "/v1/jobs/j2/referrals", "employer2"),
        "r1": api.call("GET", "/v1/referrals/r1", "employer1"),
        "r2": api.call("GET", "/v1/referrals/r2", "employer2"),
        "r2 report": api.call(
            "PATCH", "/v1/referrals/r2", "employer2", json={"outcome": "interviewed"}
        ),
        "r2 events": api.call("GET", "/v1/referrals/r2/events", "employer2"),
    }
    assert {name: a.status_code for name, a in seen.items()} == dict.fromkeys(seen, 200)
    assert {name: _disability_words_in(a) for name, a in seen.items()} == dict.fromkeys(seen, [])
    # Not vacuous: both people were shown, with reasons, and c2's other skill is on the card.
    people = seen["j2 people"].json()["results"]
    shown = next(r for r in people if r["id"] == "c2")
    assert shown["reasons"] and shown["card"]["skills"] == ["客户服务"]
    assert seen["r1"].json()["candidate"]["id"] == "c1"
    assert seen["r2"].json()["candidate"]["needs"] == []
    # With the person's consent the employer learns which of the job's accommodations they use.
    again = refer(api, "key-consent-01", candidate_id="c2", job_id="j2", override_reason="本人意愿")
    assert again.status_code == 201, again.text
    consent = api.call("POST", f"/v1/referrals/{again.json()['id']}/accept", "counselor")
    assert consent.status_code == 200
    accepted = api.call("GET", f"/v1/referrals/{again.json()['id']}", "employer2").json()
    accepted = accepted["candidate"]
    assert accepted["needs"] == ["captioning"] and accepted["identity"]["name"] == "李四"


def test_employer_reasons_are_generic() -> None:
    reasons = [
        "技能匹配：客户服务",
        "需提供读屏软件：岗位已提供",
        "岗位需要较好视力，已提供读屏软件",
        "岗位功能要求在其能力范围内",
        "工作地点：同一区县，可远程办公",
        "技能匹配：手语",
        "岗位提供无障碍通道、弹性工作时间",
    ]
    assert for_employers(reasons) == [
        "技能匹配：客户服务",
        "满足岗位要求",
        "工作地点：同一区县，可远程办公",
    ]


def test_per_category_model_metrics_are_for_managers_and_admins(api: Api) -> None:  # noqa: F811
    ranker = api.client.app.state.runtime.matcher.ranker
    ranker.metrics = {
        "candidates.ndcg_at_10": 0.7,
        f"candidates.{DisabilityCategory.MENTAL.value}.ndcg_at_10": 0.4,
        f"jobs.{DisabilityCategory.VISUAL.value}.exposure": 0.1,
    }
    for who in ("counselor", "employer1"):
        assert api.call("GET", "/v1/model", who).json()["metrics"] == {"candidates.ndcg_at_10": 0.7}
    for who in ("manager", "admin"):
        assert len(api.call("GET", "/v1/model", who).json()["metrics"]) == 3


# -- migration 0100: an installation's existing plain data is sealed ---------------------------


def test_migration_seals_what_an_older_home_kept_plain(settings: Settings, tmp_path: Path) -> None:
    """A home at revision 0003 holding plain capacities, summaries, override reasons and raw
    idempotency keys is upgraded: the same records come back, and nothing stays plain."""
    settings.ensure_home()
    private_sqlite_file(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    vault = Vault.for_home(settings.home, None)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0003")
    person = next(c for c in CANDIDATES if c["id"] == "c1")
    sensitive = {k: person[k] for k in ("name", "id_number", "cert_number", "phone")} | {
        "disability_category": "visual",
        "disability_grade": 2,
    }
    plain = {k: v for k, v in person.items() if k not in sensitive}
    effective = {
        "vision": 0,
        "hearing": 3,
        "speech": 3,
        "mobility": 3,
        "upper_limb": 3,
        "cognition": 3,
        "psychosocial": 3,
    }
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO employers (id, record, content_hash, updated_at, name, type, "
                "region_code) VALUES ('e1', :record, 'h', CURRENT_TIMESTAMP, '单位', 'private', "
                "'430104')"
            ),
            {
                "record": json.dumps(
                    {"id": "e1", "name": "单位", "type": "private", "region_code": "430104"}
                )
            },
        )
        connection.execute(
            text(
                "INSERT INTO jobs (id, record, content_hash, updated_at, employer_id, region_code,"
                " work_mode, public_welfare, posted_at) VALUES ('j1', :record, 'h', "
                "CURRENT_TIMESTAMP, 'e1', '430104', 'quota', false, '2025-01-01')"
            ),
            {
                "record": json.dumps(
                    {
                        "id": "j1",
                        "employer_id": "e1",
                        "title": "岗位",
                        "region_code": "430104",
                        "work_mode": "quota",
                        "posted_at": "2025-01-01",
                    }
                )
            },
        )
        connection.execute(
            text(
                "INSERT INTO candidates (id, record, content_hash, updated_at, region_code, "
                "registered_at, capacities, sealed, active) VALUES ('c1', :record, 'h', "
                "CURRENT_TIMESTAMP, '430104', '2024-06-01', :capacities, :sealed, true)"
            ),
            {
                "record": json.dumps(plain, ensure_ascii=False),
                "capacities": json.dumps(effective),
                "sealed": vault.seal(sensitive),
            },
        )
        connection.execute(
            text(
                "INSERT INTO referrals (id, record, content_hash, updated_at, candidate_id, "
                "job_id, referred_at, outcome) VALUES ('r1', :record, 'h', CURRENT_TIMESTAMP, "
                "'c1', 'j1', '2025-03-10', 'pending')"
            ),
            {
                "record": json.dumps(
                    {
                        "id": "r1",
                        "candidate_id": "c1",
                        "job_id": "j1",
                        "referred_at": "2025-03-10",
                        "outcome": "pending",
                    }
                )
            },
        )
        connection.execute(
            text(
                "INSERT INTO accounts (id, name, role, region_code, created_at, active) "
                "VALUES (1, 'w', 'counselor', '43', CURRENT_TIMESTAMP, true)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO referral_context (referral_id, idempotency_key, request_hash, "
                "account_id, model, reasons, override_reason) VALUES ('r1', 'key-000001', 'h',"
                " 1, 'baseline', '[]', '本人视力残疾二级，电话13800000000')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO audit_log (at, actor, action, subject, purpose) VALUES "
                "(CURRENT_TIMESTAMP, 'cli', 'refer', 'referrals:r1', "
                "'本人视力残疾二级，电话13800000000')"
            )
        )
    engine.dispose()

    store = Store.open(settings)
    try:
        with store.session() as session:
            row = session.get(CandidateRow, "c1")
            assert row is not None
            record = store.to_record("candidates", row)
            assert record.model_dump(mode="json") == type(record).model_validate(person).model_dump(
                mode="json"
            )
            assert "summary" not in row.record and "capacities" not in row.record
            assert store.matching_profile(row.profile)["effective"] == effective
            context = session.get(ReferralContextRow, "r1")
            assert context is not None
            assert context.idempotency_key == scoped_idempotency_key(1, "key-000001")
            assert store.vault.open_text(context.override_reason).startswith("本人视力残疾二级")
            purpose = session.query(AuditRow.purpose).filter(AuditRow.action == "refer").scalar()
            assert "13800000000" not in purpose and "视力残疾" not in purpose
        columns = {c["name"] for c in inspect(store.engine).get_columns("candidates")}
        assert "capacities" not in columns and "profile" in columns
    finally:
        store.close()
