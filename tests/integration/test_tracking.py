"""MLflow tracking and the registry on a throw-away SQLite store: runs, the ranker artifact,
registered versions and the ``champion`` alias, loaded back by alias."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from matching.features import FEATURES
from matching.ranker import Direction, Ranker
from matching.settings import Settings
from training.config import shipped_config
from training.tracking import ARTIFACT_PATH, EXPERIMENT, Tracker, git_commit
from training.train import fit_booster


def tiny_ranker(version: str, seed: int = 0) -> Ranker:
    """A real (if meaningless) LambdaRank bundle, fitted in milliseconds."""
    rng = np.random.default_rng(seed)
    features = rng.random((200, len(FEATURES)))
    labels = rng.integers(0, 3, 200)
    tiny = shipped_config().with_changes({"lightgbm": {"n_estimators": 3}})
    booster = fit_booster(features, labels, np.full(10, 20), settings=tiny.lightgbm_settings())
    return Ranker(
        boosters={Direction.JOBS_FOR_CANDIDATE: booster},
        embedding_model_id="test-model",
        version=version,
    )


@pytest.fixture
def tracker(tmp_path: Path) -> Tracker:
    return Tracker(Settings(home=tmp_path / "home"))


def test_a_run_keeps_params_metrics_tags_and_the_bundle_which_loads_back_by_alias(
    tracker: Tracker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # nothing may land in the working directory (./mlruns)
    assert tracker.champion_version() is None
    assert tracker.load_champion(tmp_path / "none") is None
    ranker = tiny_ranker("v1")
    with tracker.run("first", tags={"git_commit": "abc"}) as run_id:
        tracker.log(run_id, params={"lgbm.n_estimators": 3}, metrics={"ndcg_at_10": 0.5})
        tracker.log_bundle(run_id, ranker)
        version = tracker.register(run_id)
    tracker.set_champion(version)

    run = MlflowClient(tracking_uri=tracker.uri).get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["lgbm.n_estimators"] == "3"
    assert run.data.metrics["ndcg_at_10"] == 0.5
    assert run.data.tags["git_commit"] == "abc"
    assert not (tmp_path / "mlruns").exists()
    assert (tmp_path / "home" / "mlflow.db").is_file()
    assert (tmp_path / "home" / "mlartifacts").is_dir()

    champion = tracker.load_champion(tmp_path / "download")
    assert champion is not None
    assert (champion.version, champion.run_id) == (version, run_id)
    assert champion.ranker.version == "v1"
    rows = np.random.default_rng(1).random((30, len(FEATURES)))
    direction = Direction.JOBS_FOR_CANDIDATE
    assert np.allclose(champion.ranker.score(rows, direction), ranker.score(rows, direction))
    artifacts = MlflowClient(tracking_uri=tracker.uri).list_artifacts(run_id, ARTIFACT_PATH)
    assert {Path(a.path).name for a in artifacts} == {
        "ranker.json",
        "jobs_for_candidate.txt",
        "checksums.json",
    }


def test_the_alias_moves_only_when_set_and_versions_accumulate(
    tracker: Tracker, tmp_path: Path
) -> None:
    versions = []
    for n in (1, 2):
        with tracker.run(f"run{n}") as run_id:
            tracker.log_bundle(run_id, tiny_ranker(f"v{n}", seed=n))
            versions.append(tracker.register(run_id))
    assert versions == ["1", "2"]
    tracker.set_champion("1")
    champion = tracker.load_champion(tmp_path / "a")
    assert champion is not None and champion.ranker.version == "v1"
    tracker.set_champion("2")
    champion = tracker.load_champion(tmp_path / "b")
    assert champion is not None and champion.ranker.version == "v2"
    assert tracker.client.get_experiment_by_name(EXPERIMENT) is not None


def test_a_run_that_raises_is_marked_failed(tracker: Tracker) -> None:
    with pytest.raises(RuntimeError, match="boom"), tracker.run("crash") as run_id:
        raise RuntimeError("boom")
    assert tracker.client.get_run(run_id).info.status == "FAILED"


def test_git_commit_is_the_checkout_head_or_unknown(tmp_path: Path) -> None:
    assert re.fullmatch(r"[0-9a-f]{40}|unknown", git_commit())
    assert git_commit(tmp_path) == "unknown"


def test_runs_left_running_by_a_killed_process_are_ended_by_tag(tracker: Tracker) -> None:
    # What kill -9 leaves: runs created and never terminated, of this home and another.
    experiment = tracker.experiment_id()
    mine = tracker.client.create_run(experiment, tags={"home": "aaaa"}).info.run_id
    other = tracker.client.create_run(experiment, tags={"home": "bbbb"}).info.run_id
    with tracker.run("done", tags={"home": "aaaa"}) as finished:
        pass

    assert tracker.end_abandoned_runs({"home": "aaaa"}) == [mine]
    run = tracker.client.get_run(mine)
    assert run.info.status == "KILLED"
    assert "process gone" in run.data.tags["ended_by"]
    # Another home's run may be alive on a shared tracking server: left alone.
    assert tracker.client.get_run(other).info.status == "RUNNING"
    assert tracker.client.get_run(finished).info.status == "FINISHED"
    assert tracker.end_abandoned_runs({"home": "aaaa"}) == []


def test_a_bundle_whose_save_was_killed_between_its_renames_still_loads(tmp_path: Path) -> None:
    directory = tmp_path / "models" / "ranker"
    assert Ranker.in_service(directory) is None
    tiny_ranker("v1").save(directory)
    assert Ranker.in_service(directory).version == "v1"  # type: ignore[union-attr]

    # The state between save's two renames: the old bundle moved aside, the new not yet in.
    directory.rename(tmp_path / "models" / "ranker.old")
    assert Ranker.in_service(directory).version == "v1"  # type: ignore[union-attr]

    # The next save completes and clears the leftover.
    tiny_ranker("v2").save(directory)
    assert Ranker.in_service(directory).version == "v2"  # type: ignore[union-attr]
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["ranker"]
