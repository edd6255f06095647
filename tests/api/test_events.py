"""Recruitment events over HTTP (register, plan, outcomes, who may) on the small hand-written
world, and the jobmatch jobfair command writing its CSV on a demo world."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from demo.world import generate_world
from serving.cli import app
from tests.api_client import Api, error_of

pytestmark = pytest.mark.slow

EVENT = {
    "id": "ev1",
    "name": "2025 年全国助残日残疾人专场招聘会",
    "kind": "disability_day",
    "region_code": "430100",
    "starts_on": "2025-05-18",
    "ends_on": "2025-05-18",
    "job_ids": ["j1", "j2"],
    "attendee_ids": ["c1", "c2"],
}


def test_counselor_registers_plans_and_follows_up_an_event(api: Api) -> None:  # noqa: F811
    created = api.call("POST", "/v1/events", "counselor", json=EVENT)
    assert created.status_code == 201, created.json()
    assert created.json()["employer_ids"] == ["e1", "e2"]  # the jobs' employers take part
    assert api.call("POST", "/v1/events", "counselor", json=EVENT).status_code == 409
    unknown = api.call(
        "POST", "/v1/events", "counselor", json={**EVENT, "id": "ev2", "job_ids": ["j1", "nojob"]}
    )
    assert unknown.status_code == 422
    assert error_of(unknown)["fields"] == [{"field": "job_ids", "reason": "no job with id nojob"}]
    backwards = api.call(
        "POST", "/v1/events", "counselor", json={**EVENT, "id": "ev3", "ends_on": "2025-05-01"}
    )
    assert error_of(backwards)["fields"][0] == {"field": "ends_on", "reason": "is before starts_on"}
    assert (
        api.call("POST", "/v1/events", "counselor_other", json={**EVENT, "id": "ev4"}).status_code
        == 403
    )

    plan = api.call(
        "POST",
        "/v1/events/ev1/plan",
        "counselor",
        json={"max_per_person": 1, "per_opening": 1, "on": "2025-06-01"},
    )
    assert plan.status_code == 200, plan.json()
    body = plan.json()
    # j1's one opening was filled by r1 (c1 hired 2025-03-20): it takes no part. c1 needs a
    # screen reader, which j2 lacks; c2 (captioning) fits j2: one proposal.
    assert body["closed_jobs"] == ["j1"] and body["capacity"] == {"j2": 5}
    assert [(p["candidate_id"], p["job_id"], p["rank"]) for p in body["proposals"]] == [
        ("c2", "j2", 1)
    ]
    assert body["summary"]["people_covered"] == 1 and body["proposals"][0]["reasons"]
    assert body["summary"]["total_score"] >= body["greedy"]["total_score"]
    as_csv = api.call(
        "POST",
        "/v1/events/ev1/plan?format=csv",
        "counselor",
        json={"max_per_person": 1, "on": "2025-06-01"},
    )
    rows = list(csv.reader(as_csv.content.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["candidate_id", "job_id", "employer_id", "score", "rank", "reasons"]
    assert rows[1][:3] == ["c2", "j2", "e2"]
    assert api.call("POST", "/v1/events/ev1/plan", "manager", json={}).status_code == 403

    # r2 (c2 -> j2, 1 June, pending) is within 30 days of the event
    outcomes = api.call("GET", "/v1/events/ev1/outcomes", "manager").json()
    assert (outcomes["referrals"], outcomes["outcomes"], outcomes["until"]) == (
        1,
        {"pending": 1},
        "2025-06-17",
    )
    patched = api.call("PATCH", "/v1/events/ev1", "counselor", json={"attendee_ids": ["c1"]})
    assert patched.json()["attendee_ids"] == ["c1"]
    assert api.call("GET", "/v1/events/ev1/outcomes", "counselor").json()["referrals"] == 0
    assert [e["id"] for e in api.call("GET", "/v1/events", "counselor").json()] == ["ev1"]
    assert api.call("GET", "/v1/events/ev1", "employer1").status_code == 403


def test_jobfair_command_writes_a_plan_csv(tmp_path: Path) -> None:
    today = dt.date(2026, 11, 30)
    files = tmp_path / "w"
    generate_world(files, seed=4, candidates=80, jobs=25, today=today)
    runner = CliRunner()
    env = {"JOBMATCH_HOME": str(tmp_path / "home")}
    assert runner.invoke(app, ["import", str(files)], env=env).exit_code == 0
    for kind in ("candidates", "jobs"):
        lines = (files / f"{kind}.jsonl").read_text(encoding="utf-8").splitlines()
        ids = [json.loads(line)["id"] for line in lines]
        (tmp_path / f"{kind}.txt").write_text("\n".join(ids) + "\n", encoding="utf-8")
    out = tmp_path / "plan.csv"
    args = [
        "jobfair",
        "--people",
        str(tmp_path / "candidates.txt"),
        "--jobs",
        str(tmp_path / "jobs.txt"),
        "--max-per-person",
        "2",
        "--out",
        str(out),
        "--on",
        today.isoformat(),
    ]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "greedy top-K" in result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows and list(rows[0]) == [
        "candidate_id",
        "job_id",
        "employer_id",
        "score",
        "rank",
        "reasons",
    ]
    per_person: dict[str, int] = {}
    for row in rows:
        per_person[row["candidate_id"]] = per_person.get(row["candidate_id"], 0) + 1
    assert max(per_person.values()) <= 2
    (tmp_path / "bad.txt").write_text("nobody\n", encoding="utf-8")
    bad = runner.invoke(app, [*args[:2], str(tmp_path / "bad.txt"), *args[3:]], env=env)
    assert bad.exit_code == 2 and "unknown candidate ids: nobody" in bad.output
