"""The jobmatch command as an outside tool drives it (INTERCHANGE.md, "Commands")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from matching.settings import Settings
from matching.store import Store
from matching.store.tables import CandidateRow
from serving.cli import app
from tests.world import CANDIDATES, WORLD, write_world

runner = CliRunner()


def jobmatch(home: Path, *args: str):
    return runner.invoke(app, list(args), env={"JOBMATCH_HOME": str(home)})


def test_python_dash_m_runs_the_same_command_with_every_group(tmp_path: Path) -> None:
    # The commands live in one module per group (serving/cli/); all are registered on one app.
    env = {**os.environ, "JOBMATCH_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, "-m", "serving.cli", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    listed = {line.split()[1] for line in done.stdout.splitlines() if line.startswith("│ ")}
    assert {
        "train", "retrain", "recommend", "jobfair", "report", "import", "export", "demo-data",
        "demo", "serve", "occupations", "cases", "users",
    } <= listed  # fmt: skip


def test_import_reimport_and_export_round_trip(tmp_path: Path) -> None:
    data = write_world(tmp_path / "in")
    first = jobmatch(tmp_path / "h1", "import", str(data))
    assert first.exit_code == 0, first.output
    assert "candidates.jsonl: 3 records read: 3 new, 0 updated, 0 unchanged" in first.output
    again = jobmatch(tmp_path / "h1", "import", str(data))
    assert "candidates.jsonl: 3 records read: 0 new, 0 updated, 3 unchanged" in again.output
    assert jobmatch(tmp_path / "h1", "export", str(tmp_path / "out1")).exit_code == 0
    assert jobmatch(tmp_path / "h2", "import", str(tmp_path / "out1")).exit_code == 0
    assert jobmatch(tmp_path / "h2", "export", str(tmp_path / "out2")).exit_code == 0
    for name in ("employers", "jobs", "candidates", "referrals"):
        file = f"{name}.jsonl"
        assert (tmp_path / "out1" / file).read_bytes() == (tmp_path / "out2" / file).read_bytes()


def test_invalid_file_is_rejected_with_one_line_per_problem(tmp_path: Path) -> None:
    bad = dict(CANDIDATES[1], region_code="99", registered_at="2999-01-01")
    data = write_world(tmp_path / "in", {"candidates": [CANDIDATES[0], bad]})
    result = jobmatch(tmp_path / "h", "import", str(data))
    assert result.exit_code == 1
    assert "candidates.jsonl:2: region_code: must be a 6-digit administrative division code" in (
        result.output
    )
    assert "candidates.jsonl:2: registered_at: 2999-01-01 is in the future" in result.output
    assert "REJECTED (nothing stored)" in result.output
    skipped = jobmatch(tmp_path / "h", "import", str(data), "--skip-invalid")
    assert skipped.exit_code == 1 and "1 new, 0 updated, 0 unchanged, 1 skipped" in skipped.output
    assert (data / "candidates.rejects.jsonl").exists()


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    result = jobmatch(tmp_path / "h", "import", str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and "is not a directory" in result.output


def test_demo_data_writes_a_world_that_imports(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["demo-data", str(tmp_path / "w"), "--seed", "5", "--candidates", "60", "--jobs", "20"]
    )
    assert result.exit_code == 0, result.output
    imported = jobmatch(tmp_path / "h", "import", str(tmp_path / "w"))
    assert imported.exit_code == 0, imported.output
    assert "candidates.jsonl: 60 records read: 60 new" in imported.output


@pytest.mark.slow
def test_recommend_writes_the_contract_lines_and_never_an_infeasible_job(tmp_path: Path) -> None:
    home = tmp_path / "h"
    assert jobmatch(home, "import", str(write_world(tmp_path / "in"))).exit_code == 0
    ids = tmp_path / "ids.txt"
    ids.write_text("c1\n\nc2\nc3\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = jobmatch(
        home, "recommend", "--for", "candidates", "--ids", str(ids), "--k", "5", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["query_id"] for line in lines] == ["c1", "c2", "c3"]
    by_id = {line["query_id"]: [r["id"] for r in line["results"]] for line in lines}
    # c1 needs a screen reader, which only j1 offers, and j1's one opening went to c1's own
    # hire (r1); c2 needs captioning (only j2); c3 has no needs but j1 is filled.
    assert by_id == {"c1": [], "c2": ["j2"], "c3": ["j2"]}
    for line in lines:
        for result_ in line["results"]:
            assert set(result_) >= {"id", "score", "reasons"} and result_["reasons"]
            assert result_["model"] == "baseline"
    jobs_out = tmp_path / "jobs.jsonl"
    (tmp_path / "jobs.txt").write_text("j1\nj2\n", encoding="utf-8")
    result = jobmatch(
        home,
        "recommend",
        "--for",
        "jobs",
        "--ids",
        str(tmp_path / "jobs.txt"),
        "--out",
        str(jobs_out),
    )
    assert result.exit_code == 0, result.output
    people = {
        json.loads(x)["query_id"]: [r["id"] for r in json.loads(x)["results"]]
        for x in jobs_out.read_text(encoding="utf-8").splitlines()
    }
    assert set(people["j1"]) == {"c1", "c3"} and set(people["j2"]) == {"c2", "c3"}
    unknown = tmp_path / "unknown.txt"
    unknown.write_text("c1\nghost\n", encoding="utf-8")
    failed = jobmatch(
        home,
        "recommend",
        "--for",
        "candidates",
        "--ids",
        str(unknown),
        "--out",
        str(tmp_path / "never.jsonl"),
    )
    assert failed.exit_code == 2 and "unknown candidate ids: ghost" in failed.output
    assert not (tmp_path / "never.jsonl").exists()


@pytest.mark.slow
def test_recommend_refuses_deactivated_people_and_closed_jobs(tmp_path: Path) -> None:
    """Issue 9 item 19, as the API: a deactivated person gets no jobs, a closed job no people;
    the command names them and writes nothing."""
    home = tmp_path / "h"
    jobs = [{**j, "closes_at": "2025-05-01"} if j["id"] == "j2" else j for j in WORLD["jobs"]]
    world = {**WORLD, "jobs": jobs}
    assert jobmatch(home, "import", str(write_world(tmp_path / "in", world))).exit_code == 0
    store = Store.open(Settings(home=home))
    try:
        with store.session() as session:
            session.execute(
                update(CandidateRow).where(CandidateRow.id == "c3").values(active=False)
            )
            session.commit()
    finally:
        store.close()
    ids = tmp_path / "ids.txt"
    for for_, wanted, named in [
        ("candidates", "c1\nc3\n", "已停用的求职者 (deactivated candidates), 不再推荐: c3"),
        ("jobs", "j2\nj1\n", "已关闭的岗位 (closed jobs), 不再推荐: j2"),
    ]:
        ids.write_text(wanted, encoding="utf-8")
        out = tmp_path / f"{for_}.jsonl"
        refused = jobmatch(home, "recommend", "--for", for_, "--ids", str(ids), "--out", str(out))
        assert refused.exit_code == 2 and named in refused.output, refused.output
        assert not out.exists()
    ids.write_text("c1\n", encoding="utf-8")
    fine = jobmatch(home, "recommend", "--for", "candidates", "--ids", str(ids), "--out", str(out))
    assert fine.exit_code == 0, fine.output


@pytest.mark.slow
def test_train_refuses_too_little_data_clearly(tmp_path: Path) -> None:
    home = tmp_path / "h"
    assert jobmatch(home, "import", str(write_world(tmp_path / "in", WORLD))).exit_code == 0
    result = jobmatch(home, "train")
    assert result.exit_code == 1
    assert "cannot train" in result.output and "groups with a positive outcome" in result.output
    assert not (home / "models" / "ranker").exists()


def test_cases_open_for_every_graduate_without_one(tmp_path: Path) -> None:
    assert jobmatch(tmp_path / "h", "import", str(write_world(tmp_path / "in"))).exit_code == 0
    args = ("cases", "open", "--kind", "graduate", "--counselor", "王老师", "--region", "4301")
    first = jobmatch(tmp_path / "h", *args)
    # c2 is the world's one graduate (bachelor, 2025, in 430103).
    assert first.exit_code == 0, first.output
    assert "opened 1 graduate cases for 王老师" in first.output and " c2" in first.output
    again = jobmatch(tmp_path / "h", *args)
    assert "opened 0 graduate cases" in again.output
    hard = jobmatch(
        tmp_path / "h", "cases", "open", "--kind", "hard_to_employ", "--counselor", "赵老师"
    )
    assert "opened 1 hard_to_employ cases" in hard.output and " c1" in hard.output
    assert jobmatch(tmp_path / "h", "export", str(tmp_path / "out")).exit_code == 0
    cases = [json.loads(line) for line in (tmp_path / "out/cases.jsonl").open(encoding="utf-8")]
    assert sorted((c["candidate_id"], c["counselor"]) for c in cases) == [
        ("c1", "赵老师"),
        ("c2", "王老师"),
    ]
