"""Import and export of the interchange format against a real database."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import select, text

from matching.interchange import export_directory, import_directory
from matching.settings import Settings
from matching.store import Store
from matching.store.tables import AuditRow, CandidateRow
from tests.world import CANDIDATES, JOBS, WORLD, id_number, write_world


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.jsonl"))}


def test_import_stores_every_record(store: Store, tmp_path: Path) -> None:
    report = import_directory(store, write_world(tmp_path / "in"))
    assert report.ok
    assert [(f.file, f.inserted) for f in report.files] == [
        ("employers.jsonl", 2),
        ("jobs.jsonl", 2),
        ("candidates.jsonl", 3),
        ("referrals.jsonl", 2),
    ]
    with store.session() as session:
        assert {k: store.count(session, k) for k in WORLD} == {k: len(v) for k, v in WORLD.items()}


def test_reimport_changes_nothing(store: Store, tmp_path: Path) -> None:
    directory = write_world(tmp_path / "in")
    import_directory(store, directory)
    with store.session() as session:
        before = session.execute(text("SELECT id, updated_at, sealed FROM candidates")).all()
    report = import_directory(store, directory)
    assert all(f.inserted == f.updated == 0 and f.unchanged == f.read for f in report.files)
    with store.session() as session:
        assert (
            session.execute(text("SELECT id, updated_at, sealed FROM candidates")).all() == before
        )


def test_changed_record_is_updated(store: Store, tmp_path: Path) -> None:
    import_directory(store, write_world(tmp_path / "a"))
    changed = [dict(JOBS[0], title="图书管理员（夜班）"), JOBS[1]]
    report = import_directory(store, write_world(tmp_path / "b", {"jobs": changed}))
    assert (report.files[0].updated, report.files[0].unchanged) == (1, 1)
    with store.session() as session:
        titles = {r.id: r.title for r in store.iter_records(session, "jobs")}
    assert titles["j1"] == "图书管理员（夜班）"


def test_round_trip_is_byte_identical(tmp_path: Path, database_url: str) -> None:
    first = Store.open(Settings(home=tmp_path / "h1", database_url=database_url))
    import_directory(first, write_world(tmp_path / "in"))
    export_directory(first, tmp_path / "out1", actor="test")
    first.close()
    # A second, empty home on SQLite: the export must not depend on the backend either.
    second = Store.open(Settings(home=tmp_path / "h2"))
    assert import_directory(second, tmp_path / "out1").ok
    export_directory(second, tmp_path / "out2", actor="test")
    second.close()
    assert _files(tmp_path / "out1") == _files(tmp_path / "out2")
    exported = [json.loads(line) for line in (tmp_path / "out1/candidates.jsonl").open()]
    assert exported[0]["name"] == "张三" and exported[0]["id_number"] == id_number()
    assert (
        json.loads((tmp_path / "out1/jobs.jsonl").read_text().splitlines()[1])["salary_max"]
        == 4500.5
    )


def test_export_is_audited(store: Store, tmp_path: Path) -> None:
    import_directory(store, write_world(tmp_path / "in"))
    export_directory(store, tmp_path / "out", actor="counselor-7", purpose="年度备份")
    with store.session() as session:
        audit = session.scalars(select(AuditRow)).one()
    assert (audit.actor, audit.action, audit.purpose) == ("counselor-7", "export", "年度备份")
    assert "3 candidates" in audit.subject


def test_personal_data_is_encrypted_at_rest(store: Store, tmp_path: Path) -> None:
    import_directory(store, write_world(tmp_path / "in"))
    with store.session() as session:
        dump = json.dumps(
            [
                list(map(str, row))
                for row in session.execute(text("SELECT * FROM candidates")).all()
            ],
            ensure_ascii=False,
        )
        found = session.scalars(
            select(CandidateRow.id).where(
                CandidateRow.id_number_hash == store.vault.fingerprint(id_number())
            )
        ).all()
    for secret in ("张三", id_number(), "13800000000", "disability_category", "visual"):
        assert secret not in dump
    assert found == ["c1"]


def test_key_file_is_private_and_wrong_key_is_refused(
    store: Store, tmp_path: Path, settings: Settings
) -> None:
    mode = stat.S_IMODE((settings.home / "secret.key").stat().st_mode)
    assert mode == 0o600
    import_directory(store, write_world(tmp_path / "in"))
    other = Store.open(Settings(home=tmp_path / "other", database_url=settings.database_url))
    with other.session() as session, pytest.raises(ValueError, match="secret key differs"):
        list(other.iter_records(session, "candidates"))
    other.close()


@pytest.mark.parametrize(
    ("record", "field", "reason"),
    [
        ({"id_number": id_number()[:-1] + "0"}, "id_number", "check character"),
        ({"cert_number": id_number() + "22"}, "cert_number", "category digit 2"),
        ({"cert_number": id_number() + "13"}, "cert_number", "grade digit 3"),
        ({"region_code": "4301"}, "region_code", "6-digit"),
        ({"registered_at": "2999-01-01"}, "registered_at", "in the future"),
        ({"education": "phd"}, "education", "'phd' is not one of"),
        ({"capacities": {"vision": 7}}, "capacities.vision", "at most 3"),
        (
            {"disability_category": None, "cert_number": None},
            "disability_grade",
            "needs a disability_category",
        ),
        ({"id": ""}, "id", "must not be empty"),
    ],
)
def test_each_invalid_record_is_named_and_file_rejected_whole(
    store: Store, tmp_path: Path, record: dict, field: str, reason: str
) -> None:
    world = {"candidates": [CANDIDATES[1], dict(CANDIDATES[0], **record)]}
    report = import_directory(store, write_world(tmp_path / "in", world))
    (file_report,) = report.files
    assert file_report.rejected_whole and not report.ok
    (problem,) = file_report.problems
    assert (problem.file, problem.line, problem.field) == ("candidates.jsonl", 2, field)
    assert reason in problem.reason
    assert str(problem).startswith(f"candidates.jsonl:2: {field}: ")
    with store.session() as session:
        assert store.count(session, "candidates") == 0


def test_broken_lines_and_references(store: Store, tmp_path: Path) -> None:
    directory = write_world(tmp_path / "in", {"employers": WORLD["employers"]})
    (directory / "jobs.jsonl").write_text(
        json.dumps(JOBS[0], ensure_ascii=False)
        + "\n{not json\n[1]\n"
        + json.dumps(dict(JOBS[1], employer_id="nobody"), ensure_ascii=False)
        + "\n"
        + json.dumps(JOBS[0], ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    report = import_directory(store, directory)
    jobs = report.files[1]
    assert [str(p) for p in jobs.problems] == [
        "jobs.jsonl:2: record: not valid JSON (Expecting property name enclosed in double quotes)",
        "jobs.jsonl:3: record: must be a JSON object",
        "jobs.jsonl:4: employer_id: no employer with id nobody (import employers first)",
        "jobs.jsonl:5: id: j1 already appears on line 1",
    ]
    assert report.files[0].inserted == 2  # the valid employers file is still imported


def test_skip_invalid_stores_the_rest_and_writes_rejects(store: Store, tmp_path: Path) -> None:
    world = {"candidates": [CANDIDATES[0], dict(CANDIDATES[1], region_code="x"), CANDIDATES[2]]}
    directory = write_world(tmp_path / "in", world)
    report = import_directory(store, directory, skip_invalid=True, report_dir=tmp_path / "rep")
    assert (report.files[0].inserted, report.files[0].skipped) == (2, 1)
    (reject,) = [json.loads(x) for x in (tmp_path / "rep/candidates.rejects.jsonl").open()]
    assert reject["line"] == 2 and reject["record"]["id"] == "c2"
    assert reject["problems"] == ["region_code: must be a 6-digit administrative division code"]
    summary = json.loads((tmp_path / "rep/import-report.json").read_text())
    assert summary[0]["skipped"] == 1
