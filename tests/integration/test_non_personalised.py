"""PIPL art. 24 both ways: a person's stored choice not to be ranked by their profile, and
the caller's non-personalised request, in the engine, the CLI and the training set."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from matching.domain import Referral
from matching.engine import NON_PERSONALISED, Matcher
from matching.features import HistoryIndex
from matching.ranker import Direction, Ranker
from matching.settings import Settings
from serving.cli import app
from tests.records import candidate, catalog_of, job
from tests.world import CANDIDATES, WORLD, write_world
from training.config import shipped_config
from training.dataset import build_ranking_set

DAY = dt.date(2025, 6, 1)

SPEC = shipped_config().dataset


def _matcher() -> Matcher:
    jobs = [job("j0"), job("j1", region_code="430102"), job("j2", region_code="110101")]
    people = [
        candidate("near", registered_at="2025-03-01"),
        candidate("near-early", registered_at="2025-01-05"),
        candidate("far", region_code="110101", registered_at="2025-01-01"),
        candidate("declined", non_personalised=True, region_code="430102"),
        candidate("declined-near", non_personalised=True, registered_at="2025-02-01"),
    ]
    catalog = catalog_of(jobs, people)
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(len(people) + len(jobs), 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return Matcher(
        catalog,
        Ranker(),
        Settings(),
        job_vectors=vectors[len(people) :],
        candidate_vectors=vectors[: len(people)],
    )


def test_a_persons_stored_choice_holds_for_their_own_list() -> None:
    matcher = _matcher()
    for personalised in (True, False):
        matches = matcher.jobs_for_candidate("declined", 5, on=DAY, personalised=personalised)
        assert matches and {m.model for m in matches} == {NON_PERSONALISED}
    assert {m.model for m in matcher.jobs_for_candidate("near", 5, on=DAY)} == {"baseline"}


def test_people_for_a_job_non_personalised_orders_by_distance_then_registration() -> None:
    matches = _matcher().candidates_for_job("j0", 10, on=DAY, personalised=False)
    assert [m.id for m in matches] == ["near-early", "declined-near", "near", "declined", "far"]
    assert {m.model for m in matches} == {NON_PERSONALISED}
    assert all("未使用个性化推荐" in m.reasons[0] for m in matches)


def test_declined_people_keep_their_share_of_places_and_are_not_profiled() -> None:
    matcher = _matcher()
    matches = matcher.candidates_for_job("j0", 10, on=DAY)
    by_model = {m.id: m.model for m in matches}
    assert by_model["declined"] == by_model["declined-near"] == NON_PERSONALISED
    assert {by_model[i] for i in ("near", "near-early", "far")} == {"baseline"}
    ids = [m.id for m in matches]
    # Among themselves: distance first (same county before another prefecture).
    assert ids.index("declined-near") < ids.index("declined")
    # Interleaved at their relative ranks: the first of two after the first of three
    # others, the second after the second; never both at the bottom.
    others = [i for i in ids if by_model[i] == "baseline"]
    assert ids.index("declined-near") == ids.index(others[0]) + 1
    assert ids.index("declined") == ids.index(others[1]) + 1


def test_declined_people_never_train_the_ranker() -> None:
    jobs = [job(f"j{n}") for n in range(6)]
    people = [candidate("a"), candidate("b", non_personalised=True)]
    referrals = [
        Referral(
            id=f"r{n}",
            candidate_id=person,
            job_id=f"j{n}",
            referred_at=dt.date(2025, 2, 1 + n),
            outcome="hired" if n < 2 else "rejected",
            outcome_at=dt.date(2025, 3, 1),
        )
        for n, person in enumerate(["a", "b", "a", "b"])
    ]
    catalog = catalog_of(jobs, people, referrals)
    vectors = np.eye(8, dtype=np.float32)
    for direction in Direction:
        data = build_ranking_set(
            catalog,
            HistoryIndex(catalog),
            job_vectors=vectors[:6],
            candidate_vectors=vectors[6:],
            settings=Settings(),
            direction=direction,
            rows=np.arange(len(catalog.history)),
            spec=SPEC.model_copy(update={"random_negatives": 5, "retrieval_negatives": 5}),
            seed=0,
        )
        assert len(data) and catalog.candidates.index["b"] not in data.candidates.tolist()


def test_cli_recommend_for_jobs_honours_the_flag_and_the_stored_choice(tmp_path: Path) -> None:
    runner = CliRunner()
    people = [dict(c) for c in CANDIDATES]
    people[2]["non_personalised"] = True  # c3 declined
    home = tmp_path / "h"
    env = {"JOBMATCH_HOME": str(home)}
    data = write_world(tmp_path / "in", {**WORLD, "candidates": people})
    assert runner.invoke(app, ["import", str(data)], env=env).exit_code == 0
    (tmp_path / "jobs.txt").write_text("j2\n", encoding="utf-8")
    (tmp_path / "people.txt").write_text("c3\n", encoding="utf-8")

    def recommend(kind: str, ids: str, *flags: str) -> list[dict]:
        out = tmp_path / f"{kind}{len(flags)}.jsonl"
        args = ["recommend", "--for", kind, "--ids", str(tmp_path / ids), "--out", str(out)]
        result = runner.invoke(app, [*args, *flags], env=env)
        assert result.exit_code == 0, result.output
        return json.loads(out.read_text(encoding="utf-8").splitlines()[0])["results"]

    personalised = recommend("jobs", "jobs.txt")
    plain = recommend("jobs", "jobs.txt", "--non-personalised")
    assert {r["id"] for r in plain} == {r["id"] for r in personalised} == {"c2", "c3"}
    assert {r["model"] for r in plain} == {NON_PERSONALISED}
    assert {r["id"]: r["model"] for r in personalised} == {"c2": "baseline", "c3": NON_PERSONALISED}
    # c3's own list is non-personalised without the flag.
    assert {r["model"] for r in recommend("candidates", "people.txt")} == {NON_PERSONALISED}
