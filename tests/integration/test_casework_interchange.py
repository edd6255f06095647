"""The casework files of the interchange (README, "Interchange: casework files"): import,
export → import into an empty home → export byte-identical, re-import changes nothing, bad
lines named, personal text sealed at rest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from matching.interchange import export_directory, import_directory
from matching.settings import Settings
from matching.store import Store
from tests.world import WORLD, write_world

CASEWORK: dict[str, list[dict[str, Any]]] = {
    "referral_events": [
        {
            "id": "re1",
            "referral_id": "r1",
            "at": "2025-03-15T02:00:00Z",
            "from_outcome": "pending",
            "to_outcome": "interviewed",
            "actor": "王老师",
            "actor_role": "counselor",
            "reason": "本人视力二级，面试用读屏",
        },
        {
            "id": "re2",
            "referral_id": "r1",
            "at": "2025-03-20T08:30:00Z",
            "from_outcome": "interviewed",
            "to_outcome": "hired",
            "actor": "图书馆人事",
            "actor_role": "employer",
            "review": "confirmed",
            "reviewed_by": "王老师",
            "reviewed_at": "2025-03-21T01:00:00Z",
        },
    ],
    "employment": [
        {
            "id": "em1",
            "candidate_id": "c1",
            "status": "employed",
            "since": "2025-03-20",
            "form": "public_welfare",
            "employer_id": "e1",
            "job_id": "j1",
            "referral_id": "r1",
            "recorded_by": "王老师",
            "recorded_at": "2025-03-21T01:00:00Z",
        },
        {
            "id": "em2",
            "candidate_id": "c2",
            "status": "not_seeking",
            "since": "2025-06-01",
            "reason": "准备考研",
            "recorded_by": "王老师",
            "recorded_at": "2025-06-01T03:00:00Z",
        },
    ],
    "assessments": [
        {
            "id": "as1",
            "candidate_id": "c2",
            "assessed_on": "2025-05-25",
            "assessor": "赵评估师",
            "capacities": {"hearing": 0, "speech": 2},
            "interests": ["客服"],
            "recommendations": "听力残疾，宜文字沟通岗位",
        }
    ],
    "courses": [
        {
            "id": "co1",
            "name": "网店客服培训",
            "skills": ["在线客服", "打字"],
            "provider": "长沙市残联",
            "starts_on": "2025-07-01",
            "ends_on": "2025-07-31",
            "places": 25,
            "region_code": "430103",
            "form": "remote",
        }
    ],
    "enrolments": [
        {
            "id": "en1",
            "course_id": "co1",
            "candidate_id": "c2",
            "enrolled_on": "2025-06-20",
            "state": "completed",
            "completed_on": "2025-07-31",
        }
    ],
    "cases": [
        {
            "id": "k1",
            "candidate_id": "c2",
            "kind": "graduate",
            "counselor": "王老师",
            "opened_on": "2025-05-21",
            "goals": ["年内就业", "完成客服培训"],
            "close_reason": "further_study",
            "close_requested_by": "王老师",
        }
    ],
    "case_actions": [
        {
            "id": "ka1",
            "case_id": "k1",
            "kind": "career_guidance",
            "on": "2025-05-22",
            "counselor": "王老师",
            "note": "本人有考研打算",
        },
        {
            "id": "ka2",
            "case_id": "k1",
            "kind": "skills_training",
            "on": "2025-06-20",
            "counselor": "王老师",
            "course_id": "co1",
        },
    ],
}


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.jsonl"))}


def test_round_trip_with_the_casework_files_is_byte_identical(
    tmp_path: Path, database_url: str
) -> None:
    first = Store.open(Settings(home=tmp_path / "h1", database_url=database_url))
    report = import_directory(first, write_world(tmp_path / "in", WORLD | CASEWORK))
    assert report.ok, [str(p) for f in report.files for p in f.problems]
    assert [f.inserted for f in report.files][4:] == [2, 2, 1, 1, 1, 1, 2]
    again = import_directory(first, tmp_path / "in")
    assert all(f.inserted == f.updated == 0 for f in again.files)
    export_directory(first, tmp_path / "out1", actor="test")
    first.close()
    second = Store.open(Settings(home=tmp_path / "h2"))
    assert import_directory(second, tmp_path / "out1").ok
    export_directory(second, tmp_path / "out2", actor="test")
    second.close()
    out1 = _files(tmp_path / "out1")
    assert out1 == _files(tmp_path / "out2")
    assert set(out1) == {f"{k}.jsonl" for k in WORLD | CASEWORK}
    events = [json.loads(line) for line in out1["referral_events.jsonl"].splitlines()]
    assert events[0]["reason"] == "本人视力二级，面试用读屏"
    assert events[1]["reviewed_at"] == "2025-03-21T01:00:00Z"
    # The file as written is the file as exported: same fields, same order, same values.
    assert out1["cases.jsonl"].decode().strip() == json.dumps(
        CASEWORK["cases"][0], ensure_ascii=False
    )


def test_optional_files_are_written_only_when_they_hold_records(
    store: Store, tmp_path: Path
) -> None:
    import_directory(store, write_world(tmp_path / "in"))
    export_directory(store, tmp_path / "out", actor="test")
    assert set(_files(tmp_path / "out")) == {f"{k}.jsonl" for k in WORLD}


def test_casework_text_is_sealed_at_rest(store: Store, tmp_path: Path) -> None:
    assert import_directory(store, write_world(tmp_path / "in", WORLD | CASEWORK)).ok
    with store.engine.connect() as connection:
        dumped = "".join(
            str(connection.exec_driver_sql(f"SELECT * FROM {table}").all())
            for table in (
                "referral_events",
                "employment_records",
                "assessments",
                "cases",
                "case_actions",
            )
        )
    for secret in ("视力", "考研", "听力", "年内就业", '"hearing"'):
        assert secret not in dumped


def test_bad_casework_lines_are_named(store: Store, tmp_path: Path) -> None:
    bad = {
        "employment": [
            {**CASEWORK["employment"][0], "form": None},  # employed without a form
            {**CASEWORK["employment"][1], "id": "em3", "candidate_id": "nobody"},
        ],
        "case_actions": [{**CASEWORK["case_actions"][0], "kind": "chat"}],
    }
    report = import_directory(store, write_world(tmp_path / "in", WORLD | bad))
    problems = [str(p) for f in report.files for p in f.problems]
    assert problems == [
        "employment.jsonl:1: form: employment needs its form (a work mode)",
        "employment.jsonl:2: candidate_id: no candidate with id nobody (import candidates first)",
        "case_actions.jsonl:1: kind: 'chat' is not one of 'ability_assessment', 'career_guidance',"
        " 'job_introduction', 'job_information', 'policy_advice', 'skills_training' or"
        " 'entrepreneurship_support'",
    ]
